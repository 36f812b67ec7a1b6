"""Report links through the app: refusals, validation, streaming and statement counts."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.types import Message, Scope

from services import api_keys
from services.access import ANONYMOUS, Principal
from services.reports.links import SignedReport, report_key, sign_link
from services.reports.spec import ReportFormat, ReportSpec
from services.resources import Resources
from tests.api.reports import create_link, download, number, sections, strategy_id
from tests.conftest import GraphQLClient, StatementCounter
from tests.factories import create_account, create_key, create_strategy


def token_for(
    resources: Resources,
    strategy: int,
    *,
    principal: Principal = ANONYMOUS,
    expires_in: timedelta = timedelta(minutes=5),
    fmt: ReportFormat = ReportFormat.CSV,
) -> str:
    """A link signed with the app's own key, as the mutation would sign it."""
    report = SignedReport(
        ReportSpec(strategy_id=strategy, format=fmt),
        principal.scope_key,
        datetime.now(UTC).replace(microsecond=0) + expires_in,
    )
    return sign_link(report_key(resources.settings), report)


async def refused(
    client: httpx.AsyncClient, path: str, status: int, code: str, key: str | None = None
) -> str:
    """Download ``path`` (with an API key if given), expect a refusal; its message."""
    response = await client.get(path, headers={"X-API-Key": key} if key else {})
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == code
    message: str = error["message"]
    return message


async def test_a_link_from_the_mutation_downloads_and_says_when_it_expires(
    gql: GraphQLClient, client: httpx.AsyncClient, resources: Resources
) -> None:
    sid = await strategy_id(gql, "stock-jpm")
    before = datetime.now(UTC).replace(microsecond=0)
    link = await create_link(gql, strategyId=sid, format="CSV", window={"preset": "ONE_YEAR"})
    assert link["__typename"] == "ReportLink"
    assert link["url"].startswith("/reports/")
    assert link["filename"] == "stock-jpm_vs_SPX_1Y.csv"
    expires = datetime.fromisoformat(link["expiresAt"])
    ttl = timedelta(seconds=resources.settings.report_link_ttl_s)
    assert before + ttl <= expires <= datetime.now(UTC) + ttl
    response = await client.get(link["url"])
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store"
    assert 250 <= len(sections(response.text)["series"]) <= 254  # a year of trading days


async def test_altered_and_forged_links_are_refused(
    gql: GraphQLClient, client: httpx.AsyncClient
) -> None:
    sid = await strategy_id(gql, "stock-xom")
    link = await create_link(gql, strategyId=sid, format="CSV")
    body, _, signature = link["url"].removeprefix("/reports/").partition(".")
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    message = await refused(client, f"/reports/{flipped}.{signature}", 403, "INVALID_LINK")
    assert "altered" in message
    await refused(client, f"/reports/{body}.{signature[::-1]}", 403, "INVALID_LINK")
    await refused(client, "/reports/not-a-token", 403, "INVALID_LINK")


async def test_an_expired_link_is_gone(
    gql: GraphQLClient, client: httpx.AsyncClient, resources: Resources
) -> None:
    sid = int(await strategy_id(gql, "stock-xom"))
    token = token_for(resources, sid, expires_in=timedelta(seconds=-1))
    message = await refused(client, f"/reports/{token}", 410, "LINK_EXPIRED")
    assert "expired at" in message
    assert "request a new one" in message


@dataclass
class Partner:
    account: str
    key: str
    gql: GraphQLClient


async def partner(resources: Resources, gql: GraphQLClient, **key: Any) -> Partner:
    account = await create_account(resources)
    created = await create_key(resources, account=account, **key)
    return Partner(account, created, gql.with_key(created))


async def own_strategy(resources: Resources, owner: Partner) -> tuple[int, str]:
    slug = f"{owner.account}-fund"
    days = [datetime(2021, 1, 4, tzinfo=UTC) + timedelta(days=i) for i in range(40)]
    points = [(day, 100.0 + (i % 7) - 3, 0.0) for i, day in enumerate(days)]
    return await create_strategy(resources, points=points, slug=slug, account=owner.account), slug


async def test_a_partners_link_serves_that_partner_only(
    gql: GraphQLClient, client: httpx.AsyncClient, resources: Resources
) -> None:
    a, b = await partner(resources, gql), await partner(resources, gql)
    sid, _ = await own_strategy(resources, a)
    link = await create_link(a.gql, strategyId=str(sid), format="CSV", benchmark="SPX")
    assert link["__typename"] == "ReportLink"
    response = await client.get(link["url"], headers={"X-API-Key": a.key})
    assert response.status_code == 200, response.text
    for key in (b.key, None):  # another partner, and no credentials (anonymous)
        message = await refused(client, link["url"], 403, "LINK_NOT_YOURS", key)
        assert "created for another principal" in message
    await refused(client, link["url"], 401, "UNAUTHENTICATED", "pgk_not-a-real-key")
    # And b cannot make a link to a's strategy at all: it is not visible to b.
    result = await create_link(b.gql, strategyId=str(sid), format="CSV", benchmark="SPX")
    assert result["__typename"] == "NotFoundError"


async def test_a_withdrawn_grant_stops_a_link_already_made(
    gql: GraphQLClient, client: httpx.AsyncClient, resources: Resources
) -> None:
    owner, reader = await partner(resources, gql), await partner(resources, gql)
    sid, slug = await own_strategy(resources, owner)
    await api_keys.grant_strategy(resources, account=reader.account, strategy=slug)
    link = await create_link(reader.gql, strategyId=str(sid), format="CSV", benchmark="SPX")
    assert link["__typename"] == "ReportLink"
    headers = {"X-API-Key": reader.key}
    assert (await client.get(link["url"], headers=headers)).status_code == 200

    await api_keys.withdraw_grant(resources, account=reader.account, strategy=slug)
    message = await refused(client, link["url"], 403, "FORBIDDEN", reader.key)
    assert f"no access to strategy {sid}" in message


async def test_downloads_spend_the_principals_rate_limit(
    gql: GraphQLClient, client: httpx.AsyncClient, resources: Resources
) -> None:
    limited = await partner(resources, gql, rate_limit_per_minute=8)
    sid, _ = await own_strategy(resources, limited)
    link = await create_link(limited.gql, strategyId=str(sid), format="CSV", benchmark="SPX")
    headers = {"X-API-Key": limited.key}
    assert (await client.get(link["url"], headers=headers)).status_code == 200
    response = await client.get(link["url"], headers=headers)  # 5 more units: over 8
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) >= 1
    assert response.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_a_link_made_for_another_principal_gives_nothing(
    gql: GraphQLClient, client: httpx.AsyncClient, resources: Resources
) -> None:
    sid = int(await strategy_id(gql, "stock-xom"))
    partner = Principal(kind="api_key", name="partner-a", scopes=frozenset({"read"}))
    token = token_for(resources, sid, principal=partner)
    # This request carries no credentials, so it is the anonymous principal, not partner-a.
    message = await refused(client, f"/reports/{token}", 403, "LINK_NOT_YOURS")
    assert "created for another principal" in message
    mine = token_for(resources, sid)
    assert (await client.get(f"/reports/{mine}")).status_code == 200


async def test_a_link_to_a_strategy_that_no_longer_exists(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    token = token_for(resources, 2**31 - 7)
    message = await refused(client, f"/reports/{token}", 404, "NOT_FOUND")
    assert "no longer exists" in message


@pytest.mark.parametrize(
    ("report", "typename", "field", "message"),
    [
        ({"strategyId": "x1"}, "ValidationError", "strategyId", "must be an integer"),
        ({"strategyId": "999999"}, "NotFoundError", None, "does not exist"),
        ({"benchmark": "NOPE"}, "ValidationError", "benchmark", "unknown benchmark 'NOPE'"),
        ({"sections": ["SERIES"]}, "ValidationError", "sections", "SERIES not available in PDF"),
        (
            {"window": {"from": "2020-01-01T00:00:00Z", "to": "2019-01-01T00:00:00Z"}},
            "ValidationError",
            "window",
            "is after to",
        ),
        (
            {"window": {"preset": "YTD", "to": "2019-01-01T00:00:00Z"}},
            "ValidationError",
            "window",
            "either a window preset or from/to",
        ),
        ({"riskFree": {"symbol": "SPX"}}, "ValidationError", "riskFree", "not CASH"),
        ({"riskFree": {"rate": -2.0}}, "ValidationError", "riskFree", "> -1"),
    ],
)
async def test_the_mutation_says_what_is_wrong(
    gql: GraphQLClient, report: dict[str, Any], typename: str, field: str | None, message: str
) -> None:
    sid = await strategy_id(gql, "stock-msft")
    result = await create_link(gql, **{"strategyId": sid, "format": "PDF", **report})
    assert result["__typename"] == typename
    assert result.get("field") == field
    assert message in result["message"]


async def test_a_strategy_without_a_default_benchmark_needs_one(
    gql: GraphQLClient, resources: Resources
) -> None:
    days = [datetime(2020, 1, d, tzinfo=UTC) for d in range(1, 9)]
    sid = await create_strategy(resources, points=[(day, 100.0 + day.day, 0.0) for day in days])
    result = await create_link(gql, strategyId=str(sid), format="CSV")
    assert result == {
        "__typename": "ValidationError",
        "message": f"strategy {await slug_of(gql, sid)} has no default benchmark: pass a benchmark",
        "field": "benchmark",
    }
    assert (await create_link(gql, strategyId=str(sid), format="CSV", benchmark="SPX"))[
        "__typename"
    ] == "ReportLink"


async def slug_of(gql: GraphQLClient, sid: int) -> str:
    return str((await gql(f'{{ strategy(id: "{sid}") {{ slug }} }}'))["strategy"]["slug"])


async def test_a_window_without_data_still_makes_a_report(
    gql: GraphQLClient, client: httpx.AsyncClient
) -> None:
    sid = await strategy_id(gql, "us-value-vlue")  # starts in 2014
    window = {"from": "2000-01-01T00:00:00Z", "to": "2000-12-31T00:00:00Z"}
    csv_report = await download(gql, client, strategyId=sid, format="CSV", window=window)
    found = sections(csv_report.text)
    assert found["series"] == []
    metrics = {r["key"]: r for r in found["metrics"]}
    assert metrics["totalReturn"]["strategy"] == ""
    assert metrics["totalReturn"]["strategy_text"] == "n/a"
    pdf = await download(gql, client, strategyId=sid, format="PDF", window=window)
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF-")


async def asgi_get(app: Starlette, path: str) -> list[Message]:
    """Run one GET through the ASGI app and keep every message it sends (httpx's test
    transport joins the body, hiding how it was streamed)."""
    messages: list[Message] = []
    done = asyncio.Event()
    requested = False

    async def receive() -> Message:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        messages.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"perfgraph.test")],
        "server": ("perfgraph.test", 80),
        "client": ("127.0.0.1", 50000),
    }
    await app(scope, receive, send)
    return messages


async def test_a_long_intraday_series_streams_in_chunks(
    gql: GraphQLClient, app: Starlette, resources: Resources
) -> None:
    start = datetime(2021, 3, 1, 14, 30, tzinfo=UTC)
    navs = [100.0 * (1.0 + 0.0001 * ((i * 7919) % 13 - 6)) for i in range(12_000)]
    points = [(start + timedelta(minutes=i), nav, 0.0) for i, nav in enumerate(navs)]
    sid = await create_strategy(resources, points=points)
    link = await create_link(
        gql, strategyId=str(sid), format="CSV", benchmark="SPX", interval="RAW",
        sections=["SERIES"],
    )  # fmt: skip
    messages = await asgi_get(app, link["url"])
    assert messages[0]["status"] == 200
    chunks = [m["body"] for m in messages if m["type"] == "http.response.body" and m["body"]]
    assert len(chunks) >= 12_000 // 5_000 + 2  # the head, the series in chunks, the end
    assert max(chunk.count(b"\n") for chunk in chunks) <= 5_000
    rows = sections(b"".join(chunks).decode())["series"]
    assert len(rows) == 12_000
    assert rows[1]["date"] == "2021-03-01T14:31:00Z"
    assert [number(r["nav"]) for r in rows] == navs
    assert number(rows[1]["return"]) == pytest.approx(navs[1] / navs[0] - 1.0, rel=1e-12)


async def test_a_report_costs_the_same_statements_whatever_its_length(
    gql: GraphQLClient, client: httpx.AsyncClient, sql: StatementCounter, resources: Resources
) -> None:
    counts = []
    for slug, window in [
        ("us-size-size", {"preset": "ONE_YEAR"}),
        ("stock-aapl", None),  # 33 years of daily data
    ]:
        sid = await strategy_id(gql, slug)
        link = await create_link(gql, strategyId=sid, format="CSV", window=window)
        await resources.cache.clear()  # count a cold report, not what earlier tests cached
        sql.reset()
        response = await client.get(link["url"])
        assert response.status_code == 200
        counts.append(len(sql))
    assert counts[0] == counts[1] <= 10, counts
