"""Signed, stateless report links: any replica can serve them, nobody can alter them.

A token is ``base64url(payload) "." base64url(HMAC-SHA256(key, domain + payload))``. The
payload holds the report's parameters (:class:`ReportSpec`), the identity of the principal
who created the link and its expiry, so a download needs no lookup to know what to build,
and a link is useless to anyone but its creator (the download re-authenticates the request
and re-checks access to the strategy: a grant withdrawn since stops it).

The key is ``PERFGRAPH_REPORT_SECRET`` (required in production, see ``services.config``);
outside production, when it is unset, a random key is generated once and kept in
``PERFGRAPH_DATA_DIR/report-secret``, so links survive restarts of a development server.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from services.access import Principal
from services.config import Settings
from services.errors import ConfigurationError, PermissionDenied
from services.reports.spec import ReportSpec

VERSION = 1
_DOMAIN = b"perfgraph report link v1\n"
_SECRET_FILE = "report-secret"
MAX_TOKEN_LENGTH = 4096


class InvalidLink(PermissionDenied):
    """The token was not issued by this deployment, or was altered."""

    code = "INVALID_LINK"


class ExpiredLink(PermissionDenied):
    code = "LINK_EXPIRED"


class WrongPrincipal(PermissionDenied):
    code = "LINK_NOT_YOURS"


@dataclass(frozen=True)
class SignedReport:
    spec: ReportSpec
    principal: str  # Principal.scope_key of the link's creator
    expires_at: datetime


def principal_identity(principal: Principal) -> str:
    return principal.scope_key


def sign_link(key: bytes, report: SignedReport) -> str:
    payload = {
        "v": VERSION,
        "r": report.spec.to_payload(),
        "u": report.principal,
        "e": int(report.expires_at.timestamp()),
    }
    body = _b64encode(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS))
    return f"{body}.{_b64encode(_mac(key, body))}"


def verify_link(key: bytes, token: str, *, now: datetime) -> SignedReport:
    """The signed report; raises InvalidLink (altered, truncated, foreign) or ExpiredLink."""
    body, dot, signature = token.partition(".")
    if not dot or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        raise InvalidLink("malformed report link: request a new one")
    try:
        given = _b64decode(signature)
    except (binascii.Error, ValueError):
        raise InvalidLink("malformed report link: request a new one") from None
    if not hmac.compare_digest(given, _mac(key, body)):
        raise InvalidLink("invalid report link signature: the link was altered or is not ours")
    try:
        payload: dict[str, Any] = orjson.loads(_b64decode(body))
        if payload.get("v") != VERSION:
            raise ValueError(f"version {payload.get('v')}")
        expires_at = datetime.fromtimestamp(int(payload["e"]), UTC)
        report = SignedReport(ReportSpec.from_payload(payload["r"]), str(payload["u"]), expires_at)
    except (KeyError, TypeError, ValueError) as exc:
        # Signed by us but unreadable: only a link from an incompatible version does this.
        raise InvalidLink(f"unreadable report link ({exc}): request a new one") from exc
    if now >= expires_at:
        raise ExpiredLink(
            f"this report link expired at {expires_at.isoformat()}: request a new one"
        )
    return report


def check_principal(report: SignedReport, principal: Principal) -> None:
    """A link serves only the principal who created it."""
    if not hmac.compare_digest(report.principal.encode(), principal_identity(principal).encode()):
        raise WrongPrincipal(
            "this report link was created for another principal: present the credentials "
            "that created it, or create your own link"
        )


def _mac(key: bytes, body: str) -> bytes:
    return hmac.new(key, _DOMAIN + body.encode("ascii"), hashlib.sha256).digest()


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    raw = text.encode("ascii")  # UnicodeEncodeError is a ValueError
    return base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))


def report_key(settings: Settings) -> bytes:
    """The HMAC key: the configured secret, else (outside production) the data dir's."""
    if settings.report_secret is not None:
        return settings.report_secret.get_secret_value().encode()
    if settings.is_production:
        raise ConfigurationError("PERFGRAPH_REPORT_SECRET is required in production")
    return _generated_key(Path(settings.data_dir).resolve() / _SECRET_FILE)


_KEYS: dict[Path, bytes] = {}


def _generated_key(path: Path) -> bytes:
    """Read the key at ``path``, creating it first if missing.

    The new key is written to a private temporary file and hard-linked into place, so a
    concurrent process sees either no file or the whole key, and the first link wins.
    """
    if path in _KEYS:
        return _KEYS[path]
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_urlsafe(48).encode())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    key = path.read_bytes().strip()
    if len(key) < 32:
        raise ConfigurationError(f"report key in {path} is shorter than 32 bytes: delete it")
    _KEYS[path] = key
    return key
