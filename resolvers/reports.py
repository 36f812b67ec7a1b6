"""Reports: signed links from the mutation, and the report files behind them.

:func:`create_report_link` checks everything a download will need (the strategy and the
principal's access to it, the benchmark, the window, the sections), so a fresh link fails
only if something changed since. :func:`build_report` is shared by the download endpoint
and the CLI.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from loaders import Loaders
from loaders.reports import ReportInputs, load_report_data
from resolvers.blends import benchmark_spec, cash_risk_free, find_benchmark, is_set
from resolvers.strategies import load_strategy, parse_strategy_id, to_window
from schema.context import Info
from schema.types.ingest import NotFoundError, ValidationError
from schema.types.reports import CreateReportLinkResult, ReportInput, ReportLink
from services.benchmarks import BenchmarkRecord
from services.blends import BenchmarkSpec
from services.errors import InvalidInput, NotFound
from services.performance import RiskFreeSpec
from services.reports.csv import stream_csv
from services.reports.links import SignedReport, principal_identity, report_key, sign_link
from services.reports.pdf import render_pdf
from services.reports.spec import ReportFormat, ReportSpec, check_sections, report_filename
from services.resources import Resources
from services.strategies import StrategyRecord, find_strategy_by_slug, strategies_by_ids


@dataclass(frozen=True, eq=False)
class ReportFile:
    filename: str
    media_type: str
    body: bytes | AsyncIterator[bytes]  # a PDF whole, a CSV as a stream


async def report_benchmark(
    loaders: Loaders, record: StrategyRecord, symbol: str | None
) -> tuple[BenchmarkRecord, BenchmarkSpec]:
    symbol = symbol or record.benchmark_symbol
    if symbol is None:
        raise InvalidInput(f"strategy {record.slug} has no default benchmark: pass a benchmark")
    found = await find_benchmark(loaders, symbol)
    return found, await benchmark_spec(loaders, found)


async def report_risk_free(loaders: Loaders, spec: ReportSpec) -> RiskFreeSpec | None:
    if spec.risk_free_rate is not None:
        return RiskFreeSpec(annual_rate=spec.risk_free_rate)
    if spec.risk_free_symbol is not None:
        return await cash_risk_free(loaders, spec.risk_free_symbol)
    return None


async def report_inputs(loaders: Loaders, record: StrategyRecord, spec: ReportSpec) -> ReportInputs:
    """Resolve the spec's benchmark and risk-free rate (InvalidInput or NotFound if gone)."""
    found, benchmark = await report_benchmark(loaders, record, spec.benchmark)
    return ReportInputs(spec, record, found, benchmark, await report_risk_free(loaders, spec))


def filename(inputs: ReportInputs) -> str:
    return report_filename(inputs.strategy.slug, inputs.benchmark_record.symbol, inputs.spec)


async def build_report(
    loaders: Loaders, inputs: ReportInputs, *, generated_at: datetime | None = None
) -> ReportFile:
    """Load the report's data, then write it: PDF in a worker thread (CPU-bound rendering
    must not stall the event loop), CSV as a stream."""
    data = await load_report_data(loaders, inputs, generated_at or datetime.now(UTC))
    fmt = inputs.spec.format
    body = (
        stream_csv(data) if fmt is ReportFormat.CSV else await asyncio.to_thread(render_pdf, data)
    )
    return ReportFile(filename(inputs), fmt.media_type, body)


class InvalidField(InvalidInput):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@contextmanager
def blame(field: str) -> Iterator[None]:
    """Attribute an input error to the input field it came from."""
    try:
        yield
    except (InvalidInput, NotFound) as exc:
        raise InvalidField(str(exc), field) from exc


def risk_free_argument(data: ReportInput) -> tuple[float | None, str | None]:
    if data.risk_free is None:
        return None, None
    rate = data.risk_free.rate if is_set(data.risk_free.rate) else None
    symbol = data.risk_free.symbol if is_set(data.risk_free.symbol) else None
    return rate, symbol.upper() if symbol else None


async def validated(info: Info, record: StrategyRecord, data: ReportInput) -> ReportInputs:
    """The report's inputs, every reference checked; InvalidField names the bad field."""
    with blame("window"):
        window = to_window(data.window)
    with blame("sections"):
        sections = check_sections(data.format, tuple(data.sections or ()))
    with blame("riskFree"):
        rate, symbol = risk_free_argument(data)
        spec = ReportSpec(
            strategy_id=record.id,
            format=data.format,
            benchmark=data.benchmark.upper() if data.benchmark else None,
            window=window,
            interval=data.interval,
            risk_free_rate=rate,
            risk_free_symbol=symbol,
            sections=sections,
            page_size=data.page_size,
        )
    loaders = info.context.loaders
    with blame("benchmark"):
        found, benchmark = await report_benchmark(loaders, record, spec.benchmark)
    with blame("riskFree"):
        risk_free = await report_risk_free(loaders, spec)
    return ReportInputs(spec, record, found, benchmark, risk_free)


def link_path(info: Info, token: str) -> str:
    request = info.context.request
    if request is None or not hasattr(request, "url_for"):
        return f"/reports/{token}"
    return str(request.url_for("report_download", token=token).path)


async def create_report_link(info: Info, data: ReportInput) -> CreateReportLinkResult:
    try:
        strategy_id = parse_strategy_id(data.strategy_id)
    except InvalidInput as exc:
        return ValidationError(message=str(exc), field="strategyId")
    record = await load_strategy(info, strategy_id)
    if record is None:
        return NotFoundError(message=f"strategy {data.strategy_id} does not exist")
    try:
        inputs = await validated(info, record, data)
    except InvalidField as exc:
        return ValidationError(message=str(exc), field=exc.field)
    settings = info.context.resources.settings
    ttl = timedelta(seconds=settings.report_link_ttl_s)
    expires_at = datetime.now(UTC).replace(microsecond=0) + ttl
    identity = principal_identity(info.context.principal)
    token = sign_link(report_key(settings), SignedReport(inputs.spec, identity, expires_at))
    return ReportLink(
        url=link_path(info, token),
        expires_at=expires_at,
        filename=filename(inputs),
        format=inputs.spec.format,
    )


async def find_strategy(resources: Resources, reference: str) -> StrategyRecord:
    """A strategy by id (digits) or slug."""
    async with resources.sessions() as session:
        if reference.isdigit():
            record = (await strategies_by_ids(session, [int(reference)])).get(int(reference))
        else:
            record = await find_strategy_by_slug(session, reference)
    if record is None:
        raise NotFound(f"unknown strategy {reference!r}")
    return record


async def write_report(
    resources: Resources,
    reference: str,
    make_spec: Callable[[int], ReportSpec],
    out: Path | None,
) -> Path:
    """The CLI's report: built like a download (without a principal: the operator runs it),
    written to a temporary file and renamed, so a failure never leaves half a report."""
    loaders = Loaders.create(resources)
    record = await find_strategy(resources, reference)
    inputs = await report_inputs(loaders, record, make_spec(record.id))
    report = await build_report(loaders, inputs)
    target = out or Path(report.filename)
    partial = target.with_name(f".{target.name}.partial")
    try:
        with partial.open("wb") as handle:
            if isinstance(report.body, bytes):
                handle.write(report.body)
            else:
                async for chunk in report.body:
                    handle.write(chunk)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target
