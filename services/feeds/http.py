"""Fetching a CSV or JSON endpoint: timeouts, retries with backoff, conditional requests.

A request carries ``If-None-Match`` / ``If-Modified-Since`` from the previous answer's
``ETag`` / ``Last-Modified``; ``304 Not Modified`` means nothing to ingest. Timeouts,
connection errors and 408/425/429/5xx answers are retried after exponentially growing
delays (``Retry-After`` is honoured when longer); other 4xx answers are not: asking again
will not help.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx

from services.errors import UpstreamError

RETRYABLE = frozenset({408, 425, 429, 500, 502, 503, 504})
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class Retry:
    attempts: int = 4
    base_delay_s: float = 0.5
    max_delay_s: float = 60.0
    jitter: float = 0.25  # up to +25%, so replicas that failed together retry apart

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        backoff = min(self.max_delay_s, self.base_delay_s * 2.0**attempt)
        backoff *= 1 + random.uniform(0, self.jitter)
        return min(self.max_delay_s, max(backoff, retry_after or 0.0))


@dataclass(frozen=True)
class Fetched:
    status: int  # 200 or 304
    body: str | None  # None when not modified
    etag: str | None
    last_modified: str | None
    attempts: int


def _conditional(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    date = response.headers.get("date")
    now = parsedate_to_datetime(date) if date else None
    return max(0.0, (when - now).total_seconds()) if now else None


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    *,
    timeout_s: float,
    retry: Retry,
    etag: str | None = None,
    last_modified: str | None = None,
    sleep: Sleep = asyncio.sleep,
) -> Fetched:
    """GET ``url`` conditionally, retrying what may succeed later; raises UpstreamError."""
    headers = _conditional(etag, last_modified)
    problem = "no attempt made"
    for attempt in range(retry.attempts):
        retry_after = None
        try:
            response = await client.get(url, headers=headers, timeout=timeout_s)
        except httpx.TimeoutException:
            problem = f"no answer within {timeout_s:g} s"
        except httpx.TransportError as exc:
            problem = f"{type(exc).__name__}: {exc}"
        else:
            if response.status_code == 304:
                return Fetched(304, None, etag, last_modified, attempt + 1)
            if response.is_success:
                return _fetched(response, attempt + 1)
            problem = f"HTTP {response.status_code}"
            if response.status_code not in RETRYABLE:
                raise UpstreamError(f"{url}: {problem}")
            retry_after = _retry_after(response)
        if attempt + 1 < retry.attempts:
            await sleep(retry.delay(attempt, retry_after))
    raise UpstreamError(f"{url}: {problem} (after {retry.attempts} attempts)")


def _fetched(response: httpx.Response, attempts: int) -> Fetched:
    return Fetched(
        response.status_code,
        response.text,
        response.headers.get("etag"),
        response.headers.get("last-modified"),
        attempts,
    )
