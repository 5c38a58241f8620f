"""The one CSV writer for every download Rat Park offers.

Spreadsheet programs run a cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula, so a display name such as ``=HYPERLINK(...)`` typed by one person would
run on another person's computer when they open their download. Every cell that begins with
one of those characters is prefixed with ``'`` (OWASP's advice for CSV injection), which
spreadsheets show as plain text. Use :func:`csv_response` for every CSV a view returns.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.http import StreamingHttpResponse

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """``value`` as text that no spreadsheet will evaluate."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose ``write`` hands the line back, for streaming."""

    def write(self, value: str) -> str:
        return value


def csv_lines(
    header: Sequence[Any], rows: Iterable[Sequence[Any]], preface: Iterable[str] = ()
) -> Iterator[str]:
    """The CSV text line by line: ``preface`` lines (one cell each), the header, then rows."""
    writer = csv.writer(_Echo())
    for note in preface:
        yield writer.writerow([safe_cell(note)])
    yield writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        yield writer.writerow([safe_cell(cell) for cell in row])


def csv_response(
    filename: str,
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    preface: Iterable[str] = (),
) -> StreamingHttpResponse:
    """A streamed CSV download (an attachment named ``filename``)."""
    response = StreamingHttpResponse(
        csv_lines(header, rows, preface), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
