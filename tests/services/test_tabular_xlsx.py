"""The streaming XLSX reader gives what openpyxl gives: numbers, dates and times by their
style, booleans, shared, rich and inline strings, formulas as their text, gaps in rows
and columns, a workbook without a dimension, and a second sheet ignored."""

from __future__ import annotations

import io
from datetime import date, datetime, time
from decimal import Decimal

from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from app.services import tabular


def openpyxl_rows(data: bytes) -> list[tuple[int, list]]:
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    out = []
    for number, cells in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
        values = [tabular._xlsx_value(c) for c in cells]
        while values and values[-1] == "":
            values.pop()
        if any(v != "" for v in values):
            out.append((number, [tabular.data_value(v) if isinstance(v, str) else v for v in values]))
    return out


def ours(data: bytes) -> list[tuple[int, list]]:
    header, rows = tabular.read_xlsx(io.BytesIO(data))
    out = [(1, header)] if header else []
    for number, values in rows:
        values = list(values)
        while values and values[-1] == "":
            values.pop()
        out.append((number, values))
    return out


def test_the_streaming_reader_matches_openpyxl():
    book = Workbook()
    sheet = book.active
    sheet.append(["sku", "name", "price", "when", "flag", "formula"])
    sheet.append(["A-1", "Crème brûlée", 2.5, datetime(2026, 3, 14, 9, 30), True, '=HYPERLINK("http://x.example","x")'])
    sheet.append([1042, "'=already", 3, date(2025, 12, 31), False, "=1+2"])
    sheet["C3"].number_format = "0.00"
    sheet["D4"] = time(13, 45)
    sheet["A4"] = CellRichText(["Bold ", TextBlock(InlineFont(b=True), "part")])
    sheet["F7"] = 1e-7
    sheet["B9"] = 12345678901234567
    book.create_sheet("Other").append(["not", "read"])
    data = io.BytesIO()
    book.save(data)
    expected = openpyxl_rows(data.getvalue())
    assert ours(data.getvalue()) == expected
    assert expected[1] == (2, ["A-1", "Crème brûlée", Decimal("2.5"),
                               "2026-03-14T09:30:00", True, '=HYPERLINK("http://x.example","x")'])
    assert [n for n, _ in expected] == [1, 2, 3, 4, 7, 9]


def test_rows_are_counted_from_the_dimension_or_else_by_walking_the_sheet():
    data = tabular.xlsx_bytes(["sku", "name"], ([f"S-{i}", f"N {i}"] for i in range(25)))
    assert ours(data) == openpyxl_rows(data)
    assert tabular.xlsx_row_count(io.BytesIO(data)) == 25  # no dimension: counted
    book = Workbook()
    for i in range(11):
        book.active.append([f"S-{i}", i])
    saved = io.BytesIO()
    book.save(saved)
    assert tabular.xlsx_row_count(io.BytesIO(saved.getvalue())) == 10  # as its dimension declares
