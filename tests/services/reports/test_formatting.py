"""Formatting shared by CSV and PDF, and report specs: sections, windows, file names."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from services.errors import InvalidInput
from services.reports.formatting import (
    GAIN,
    INK,
    LOSS,
    csv_number,
    days,
    percent,
    ratio,
    timestamp_text,
    tone_colour,
)
from services.reports.spec import (
    SECTIONS,
    ReportFormat,
    ReportSection,
    ReportSpec,
    parse_risk_free,
    parse_window,
    report_filename,
)
from services.windows import Window, WindowPreset


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (0.12345, 2, "12.35%"),
        (-0.2212, 2, "-22.12%"),
        (-0.00001, 2, "0.00%"),  # never a negative zero
        (4.750378787, 2, "475.04%"),
        (0.0549, 1, "5.5%"),
        (None, 2, "n/a"),
        (math.nan, 2, "n/a"),
        (math.inf, 2, "n/a"),
    ],
)
def test_percent(value: float | None, decimals: int, text: str) -> None:
    assert percent(value, decimals) == text


def test_ratios_days_and_timestamps() -> None:
    assert ratio(0.9812) == "0.98"
    assert ratio(-0.001) == "0.00"
    assert ratio(None) == "n/a"
    assert days(1770) == "1,770 days"
    assert timestamp_text(datetime(2019, 12, 31, tzinfo=UTC)) == "2019-12-31"
    assert timestamp_text(datetime(2019, 12, 31, 14, 5, tzinfo=UTC)) == "2019-12-31 14:05 UTC"


def test_gains_and_losses_have_one_colour_each() -> None:
    assert tone_colour(0.01) == GAIN
    assert tone_colour(-0.01) == LOSS
    assert tone_colour(0.0) == tone_colour(None) == INK


@pytest.mark.parametrize("value", [0.1, 1 / 3, -0.018678276542873462, 4911060606.060605, 1e-300])
def test_csv_numbers_read_back_as_the_same_float(value: float) -> None:
    assert float(csv_number(value)) == value


def test_csv_leaves_undefined_values_empty() -> None:
    assert csv_number(None) == csv_number(math.nan) == ""
    assert csv_number(8312) == "8312"


def test_sections_default_to_the_format_and_come_in_report_order() -> None:
    assert ReportSpec(strategy_id=1, format=ReportFormat.CSV).sections == SECTIONS[ReportFormat.CSV]
    picked = ReportSpec(
        strategy_id=1,
        format=ReportFormat.PDF,
        sections=(ReportSection.METHODOLOGY, ReportSection.METRICS, ReportSection.METRICS),
    )
    assert picked.sections == (ReportSection.METRICS, ReportSection.METHODOLOGY)


def test_a_section_the_format_lacks_is_refused_by_name() -> None:
    with pytest.raises(InvalidInput, match="SERIES not available in PDF reports; choose from"):
        ReportSpec(strategy_id=1, format=ReportFormat.PDF, sections=(ReportSection.SERIES,))
    with pytest.raises(InvalidInput, match="ROLLING"):
        ReportSpec(strategy_id=1, format=ReportFormat.CSV, sections=(ReportSection.ROLLING,))


def test_risk_free_is_a_rate_or_a_symbol_never_both() -> None:
    with pytest.raises(InvalidInput, match="not both"):
        ReportSpec(
            strategy_id=1, format=ReportFormat.PDF, risk_free_rate=0.01, risk_free_symbol="X"
        )
    with pytest.raises(InvalidInput, match="> -1"):
        ReportSpec(strategy_id=1, format=ReportFormat.PDF, risk_free_rate=-1.0)
    assert parse_risk_free("0.02") == (0.02, None)
    assert parse_risk_free("tbill_3m") == (None, "TBILL_3M")
    assert parse_risk_free(None) == (None, None)


def test_windows_as_the_cli_spells_them() -> None:
    assert parse_window("5y") == Window(preset=WindowPreset.FIVE_YEARS)
    assert parse_window("max") == Window(preset=WindowPreset.MAX)
    window = parse_window("2015-01-01:2019-12-31")
    assert window.start == datetime(2015, 1, 1, tzinfo=UTC)
    assert window.end == datetime(2019, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    assert parse_window("2020-01-01:") == Window(start=datetime(2020, 1, 1, tzinfo=UTC))
    with pytest.raises(InvalidInput, match="unknown window '7Y'"):
        parse_window("7Y")
    with pytest.raises(InvalidInput, match="not a date: '2015-13-01'"):
        parse_window("2015-13-01:")
    with pytest.raises(InvalidInput, match="after to"):
        parse_window("2020-01-01:2019-01-01")


@pytest.mark.parametrize(
    ("window", "name"),
    [
        (Window(), "qual_vs_SPX_since-inception.pdf"),
        (Window(preset=WindowPreset.FIVE_YEARS), "qual_vs_SPX_5Y.pdf"),
        (parse_window("2015-01-01:2019-12-31"), "qual_vs_SPX_2015-01-01_2019-12-31.pdf"),
        (parse_window("2015-01-01:"), "qual_vs_SPX_from-2015-01-01.pdf"),
    ],
)
def test_file_names_say_what_the_report_is(window: Window, name: str) -> None:
    spec = ReportSpec(strategy_id=1, format=ReportFormat.PDF, window=window)
    assert report_filename("qual", "SPX", spec) == name


def test_file_names_are_safe_in_a_content_disposition_header() -> None:
    spec = ReportSpec(strategy_id=1, format=ReportFormat.CSV)
    assert report_filename('a "b"/c', "X Y", spec) == "a-b-c_vs_X-Y_since-inception.csv"
