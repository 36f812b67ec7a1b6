"""Signed report links: what verifies, what is refused and why, and where the key comes from."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import orjson
import pytest

from services.access import ANONYMOUS, Principal
from services.config import Environment, load_settings
from services.errors import ConfigurationError
from services.reports.links import (
    ExpiredLink,
    InvalidLink,
    SignedReport,
    WrongPrincipal,
    check_principal,
    report_key,
    sign_link,
    verify_link,
)
from services.reports.spec import PageSize, ReportFormat, ReportSection, ReportSpec
from services.windows import Interval, Window, WindowPreset

KEY = b"k" * 32
NEW_YORK_WINTER = timezone(timedelta(hours=-5))
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)
SPEC = ReportSpec(
    strategy_id=42,
    format=ReportFormat.PDF,
    benchmark="BLEND_60_40",
    window=Window(start=datetime(2015, 1, 1, tzinfo=UTC), end=datetime(2019, 12, 31, tzinfo=UTC)),
    interval=Interval.WEEK,
    risk_free_symbol="TBILL_3M",
    sections=(ReportSection.ROLLING, ReportSection.METRICS),
    page_size=PageSize.LETTER,
)


def signed(spec: ReportSpec = SPEC, principal: str = "user:alice") -> str:
    return sign_link(KEY, SignedReport(spec, principal, LATER))


def test_a_link_verifies_to_what_was_signed() -> None:
    report = verify_link(KEY, signed(), now=NOW)
    assert report == SignedReport(SPEC, "user:alice", LATER)
    assert report.spec.sections == (ReportSection.METRICS, ReportSection.ROLLING)


@pytest.mark.parametrize(
    "spec",
    [
        ReportSpec(strategy_id=1, format=ReportFormat.CSV),
        ReportSpec(strategy_id=1, format=ReportFormat.CSV, window=Window(WindowPreset.YTD)),
        ReportSpec(strategy_id=1, format=ReportFormat.PDF, risk_free_rate=-0.005),
        ReportSpec(
            strategy_id=1,
            format=ReportFormat.CSV,
            window=Window(start=datetime(2020, 1, 1, 9, 30, tzinfo=NEW_YORK_WINTER)),
        ),
    ],
)
def test_every_kind_of_spec_survives_the_round_trip(spec: ReportSpec) -> None:
    assert verify_link(KEY, signed(spec), now=NOW).spec == spec


def test_an_expired_link_is_refused_with_its_expiry() -> None:
    with pytest.raises(ExpiredLink, match="expired at 2024-05-01T12:05:00"):
        verify_link(KEY, signed(), now=LATER)


def _tamper(token: str, **changes: object) -> str:
    body, _, signature = token.partition(".")
    payload = orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload.update(changes)
    forged = base64.urlsafe_b64encode(orjson.dumps(payload)).rstrip(b"=").decode()
    return f"{forged}.{signature}"


@pytest.mark.parametrize(
    "change",
    [
        {"e": int((LATER + timedelta(days=365)).timestamp())},  # a longer life
        {"u": "admin:root"},  # another principal
        {"r": {**SPEC.to_payload(), "s": 7}},  # another strategy
    ],
)
def test_an_altered_payload_is_refused(change: dict[str, object]) -> None:
    with pytest.raises(InvalidLink, match="altered"):
        verify_link(KEY, _tamper(signed(), **change), now=NOW)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "no-dot-at-all",
        signed()[:-3],  # truncated signature
        signed() + "A",
        signed().split(".")[0] + ".%%%",
        signed().replace(".", ".x", 1),
        "é." + signed().split(".")[1],
        "A" * 5000,
    ],
)
def test_malformed_or_truncated_tokens_are_refused(token: str) -> None:
    with pytest.raises(InvalidLink):
        verify_link(KEY, token, now=NOW)


def test_a_link_signed_with_another_key_is_refused() -> None:
    with pytest.raises(InvalidLink, match="signature"):
        verify_link(b"x" * 32, signed(), now=NOW)


def test_a_link_serves_only_its_principal() -> None:
    report = verify_link(KEY, signed(principal=ANONYMOUS.scope_key), now=NOW)
    check_principal(report, ANONYMOUS)
    with pytest.raises(WrongPrincipal, match="another principal"):
        check_principal(report, Principal(kind="api_key", name="partner-b"))


def test_production_refuses_to_start_without_a_report_secret() -> None:
    with pytest.raises(ConfigurationError, match="PERFGRAPH_REPORT_SECRET is required"):
        load_settings(environment=Environment.PRODUCTION, report_secret=None)
    with pytest.raises(ConfigurationError, match=r"PERFGRAPH_REPORT_SECRET: .*32 bytes"):
        load_settings(environment=Environment.PRODUCTION, report_secret="short")
    settings = load_settings(environment=Environment.PRODUCTION, report_secret="s" * 40)
    assert report_key(settings) == b"s" * 40


def test_development_generates_one_private_key_per_data_dir(tmp_path: Path) -> None:
    first = load_settings(environment=Environment.DEVELOPMENT, data_dir=tmp_path / "a")
    second = load_settings(environment=Environment.DEVELOPMENT, data_dir=tmp_path / "b")
    key = report_key(first)
    assert len(key) >= 32
    assert report_key(first) == key == (tmp_path / "a" / "report-secret").read_bytes()
    assert report_key(second) != key
    assert os.stat(tmp_path / "a" / "report-secret").st_mode & 0o077 == 0
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["report-secret"]
