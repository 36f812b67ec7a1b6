"""Performance reports: CSV and PDF exports of a strategy against a benchmark.

``spec`` says what a report is, ``links`` signs it into a stateless download link, ``data``
holds the results the API's own functions computed, ``csv`` and ``pdf`` (with ``charts``)
write them, ``formatting`` and ``methodology`` are shared by both. See docs/reports.md.
"""
