"""Spreadsheet files in and out, streamed: CSV (any common delimiter, UTF-8 with or
without a byte-order mark, or Windows-1252 as Excel saves it), XLSX (openpyxl's
read-only and write-only modes) and the bulk JSON shape ``{"orders": [...]}``.

Reading never holds a whole file: it pulls the bytes from a seekable binary stream a
piece at a time and yields one row at a time, so memory stays flat in the file's size.

Cells that look like formulas (``=HYPERLINK(…)``, ``+``, ``-``, ``@``) are data. A
written CSV cell starting with one of those characters is prefixed with an apostrophe
so a spreadsheet shows it as text instead of running it (CSV injection); reading
strips that apostrophe again, so an export re-imports unchanged. XLSX cells are
written as typed strings, which spreadsheets never evaluate."""

from __future__ import annotations

import codecs
import csv
import io
import json
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from app.domain.errors import FieldError, ValidationFailed

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
DELIMITERS = (",", ";", "\t", "|")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV, XLSX, JSON = "csv", "xlsx", "json"
FORMATS = (CSV, XLSX, JSON)
_PIECE = 64 * 1024


class FileRefused(ValidationFailed):
    """The file cannot be read at all (format, encoding, size, row count)."""

    def __init__(self, message: str):
        super().__init__([FieldError("file", message)], detail=message)
        self.message = message


def too_big_message() -> str:
    return f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it into smaller files."


def too_many_rows_message(rows: int) -> str:
    return f"The file has more than {MAX_ROWS:,} rows ({rows:,} or more); split it into smaller files."


def detect_format(file_name: str, head: bytes) -> str:
    """XLSX by its zip signature, JSON by a leading ``{``, else CSV."""
    if head.startswith(b"PK\x03\x04"):
        return XLSX
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{") or file_name.lower().endswith(".json"):
        return JSON
    return CSV


# --------------------------------------------------------------------------- reading


def data_value(value: str) -> str:
    """A text cell as data: an apostrophe that neutralized a formula-looking cell goes."""
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_START:
        return value[1:]
    return value


def csv_encoding(stream: IO[bytes]) -> str:
    """``utf-8-sig`` when every byte decodes as UTF-8 (a BOM or not), else ``cp1252``.
    Reads the stream once, a piece at a time, and rewinds it."""
    stream.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        while piece := stream.read(_PIECE):
            decoder.decode(piece)
        decoder.decode(b"", final=True)
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        encoding = "cp1252"
    stream.seek(0)
    return encoding


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(stream: IO[bytes]) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    """The header and an iterator of (spreadsheet row number, cells) of a CSV file."""
    encoding = csv_encoding(stream)
    text = io.TextIOWrapper(stream, encoding=encoding, errors="strict", newline="")  # type: ignore[arg-type]
    first = text.readline()
    delimiter = _sniff_delimiter(first)
    header_cells = next(csv.reader([first], delimiter=delimiter), [])
    header = [h.strip() for h in header_cells]
    reader = csv.reader(text, delimiter=delimiter)

    def rows() -> Iterator[tuple[int, list[Any]]]:
        number = 1
        for cells in reader:
            number = reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            yield number, [data_value(c) for c in cells]
        text.detach()

    return header, rows()


def _xlsx_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool) or isinstance(value, int):
        return value
    if isinstance(value, float):
        as_int = int(value)
        return as_int if as_int == value and abs(value) < 2**53 else Decimal(repr(value))
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _VALUE, _FORMULA = f"{_MAIN}row", f"{_MAIN}c", f"{_MAIN}v", f"{_MAIN}f"
_INLINE, _TEXT, _RUN, _SHEET_DATA = f"{_MAIN}is", f"{_MAIN}t", f"{_MAIN}r", f"{_MAIN}sheetData"
_DIMENSION, _SHARED_ITEM = f"{_MAIN}dimension", f"{_MAIN}si"


def _rich_text(node: Any) -> str:
    """A string item's text (``<t>`` and the runs' ``<r><t>``, phonetic hints left out),
    as openpyxl gives it."""
    parts = []
    for child in node:
        if child.tag == _TEXT:
            parts.append(child.text or "")
        elif child.tag == _RUN:
            parts.extend(t.text or "" for t in child if t.tag == _TEXT)
    return "".join(parts)


class _Workbook:
    """An XLSX workbook's first sheet, read with openpyxl's own workbook, relationship
    and style reading (sheet order, date formats, the 1900/1904 epoch) and a lean
    streaming parser for the cells: openpyxl's read-only worksheet scans a sheet
    without a ``<dimension>`` once before reading it and builds an object per shared
    string, which made reading the slowest part of an import."""

    def __init__(self, stream: IO[bytes]):
        from openpyxl.reader.excel import ExcelReader

        workbook = self

        class Reader(ExcelReader):
            def read_strings(self) -> None:
                from openpyxl.xml.constants import SHARED_STRINGS

                found = self.package.find(SHARED_STRINGS)
                self.shared_strings = []
                if found is not None:
                    with self.archive.open(found.PartName[1:]) as src:
                        self.shared_strings = _shared_strings(src)

            def read_worksheets(self) -> None:
                for _sheet, rel in self.parser.find_sheets():
                    if rel.target in self.valid_files and "chartsheet" not in rel.Type:
                        workbook.sheet_path = rel.target
                        return

        stream.seek(0)
        self.sheet_path: str | None = None
        try:
            reader = Reader(stream, read_only=True, data_only=False)
            reader.read()
        except Exception as exc:  # noqa: BLE001 - any unreadable workbook is the same answer
            raise FileRefused("The file is not a readable XLSX workbook.") from exc
        if self.sheet_path is None:
            raise FileRefused("The file is not a readable XLSX workbook.")
        self.archive = reader.archive
        self.strings: list[str] = reader.shared_strings
        self.epoch = reader.wb.epoch
        self.date_styles = set(reader.wb._date_formats)
        self.timedelta_styles = set(reader.wb._timedelta_formats)

    def close(self) -> None:
        self.archive.close()

    def declared_rows(self) -> int | None:
        """The last row the sheet's ``<dimension>`` names, without reading its cells."""
        from xml.etree.ElementTree import iterparse

        from openpyxl.utils.cell import range_boundaries

        with self.archive.open(self.sheet_path) as src:
            for _event, element in iterparse(src, events=("start",)):
                if element.tag == _DIMENSION:
                    ref = element.get("ref") or ""
                    try:
                        bounds = range_boundaries(ref if ":" in ref else f"{ref}:{ref}")
                    except (ValueError, TypeError):
                        return None
                    return None if ref in ("A1", "A1:A1") else bounds[3]
                if element.tag == _SHEET_DATA:
                    return None
        return None

    def _row_elements(self) -> Iterator[Any]:
        """The sheet's ``<row>`` elements, each dropped once the caller has read it."""
        from xml.etree.ElementTree import iterparse

        with self.archive.open(self.sheet_path) as src:
            parent = None
            for event, element in iterparse(src, events=("start", "end")):
                if event == "start":
                    if element.tag == _SHEET_DATA:
                        parent = element
                elif element.tag == _ROW:
                    yield element
                    if parent is not None:
                        parent.clear()

    def count_rows(self) -> int:
        """The rows below the header holding a cell, counted without reading values."""
        return max(sum(1 for row in self._row_elements() if len(row)) - 1, 0)

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        """(row number, values) of each row present, as openpyxl's ``values_only`` gives
        them (formulas as their ``=`` text); a row's element is dropped once read."""
        from openpyxl.utils.cell import coordinate_to_tuple

        number = 0
        for element in self._row_elements():
            given = element.get("r")
            number = int(float(given)) if given else number + 1
            values: list[Any] = []
            for cell in element:
                if cell.tag != _CELL:
                    continue
                ref = cell.get("r")
                column = coordinate_to_tuple(ref)[1] if ref else len(values) + 1
                if column > len(values) + 1:
                    values.extend([None] * (column - len(values) - 1))
                values.append(self._value(cell))
            yield number, values

    def _value(self, cell: Any) -> Any:
        kind = cell.get("t", "n")
        if cell.find(_FORMULA) is not None:
            return "=" + (cell.find(_FORMULA).text or "")
        if kind == "inlineStr":
            inline = cell.find(_INLINE)
            return _rich_text(inline) if inline is not None else None
        value = cell.findtext(_VALUE) or None
        if value is None:
            return None
        if kind == "n":
            from openpyxl.utils.datetime import from_excel

            number: Any = float(value) if "." in value or "E" in value or "e" in value else int(value)
            style = int(cell.get("s") or 0)
            if style in self.date_styles:
                try:
                    return from_excel(number, self.epoch, timedelta=style in self.timedelta_styles)
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return number
        if kind == "s":
            return self.strings[int(value)]
        if kind == "b":
            return bool(int(value))
        if kind == "d":
            from openpyxl.utils.datetime import from_ISO8601

            return from_ISO8601(value)
        return value


def _shared_strings(src: IO[bytes]) -> list[str]:
    from xml.etree.ElementTree import iterparse

    strings = []
    for _event, node in iterparse(src):
        if node.tag == _SHARED_ITEM:
            strings.append(_rich_text(node).replace("x005F_", ""))
            node.clear()
    return strings


def read_xlsx(stream: IO[bytes]) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    """The first sheet's header and rows, streamed (one row in memory); formulas come
    back as their text (data, never evaluated)."""
    book = _Workbook(stream)
    iterator = book.rows()
    first = next(iterator, None)
    pending = None
    if first is not None and first[0] != 1:
        pending, first = first, None
    header = [str(h).strip() if h is not None else "" for h in (first[1] if first else ())]

    def rows() -> Iterator[tuple[int, list[Any]]]:
        for number, cells in _chain(pending, iterator):
            values = [_xlsx_value(c) for c in cells]
            if not any(v != "" for v in values):
                continue
            yield number, [data_value(v) if isinstance(v, str) else v for v in values]
        book.close()

    return header, rows()


def _chain(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    if first is not None:
        yield first
    yield from rest


def xlsx_row_count(stream: IO[bytes]) -> int:
    """The data rows of the first sheet: as declared, else counted (cells not read)."""
    book = _Workbook(stream)
    try:
        declared = book.declared_rows()
        return max(declared - 1, 0) if declared is not None else book.count_rows()
    finally:
        book.close()


def read_json_orders(stream: IO[bytes]) -> Iterator[tuple[int, Any]]:
    """Each element of the ``orders`` array of ``{"orders": [...]}``, numbered from 1,
    decoded one at a time from a sliding buffer (never the whole document)."""
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")  # type: ignore[arg-type]
    decoder = json.JSONDecoder(parse_float=Decimal)
    buffer = ""
    pos = 0

    def fill() -> bool:
        nonlocal buffer, pos
        piece = text.read(_PIECE)
        if not piece:
            return False
        buffer = buffer[pos:] + piece
        pos = 0
        return True

    def skip_space() -> None:
        nonlocal pos
        while True:
            while pos < len(buffer) and buffer[pos] in " \t\r\n":
                pos += 1
            if pos < len(buffer) or not fill():
                return

    def expect(chars: str) -> str:
        skip_space()
        if pos >= len(buffer) or buffer[pos] not in chars:
            raise FileRefused('The JSON file must be an object with an "orders" array: {"orders": [...]}.')
        return buffer[pos]

    expect("{")
    pos += 1
    # The first key must be "orders".
    while len(buffer) - pos < 20 and fill():
        pass
    skip_space()
    if not buffer.startswith('"orders"', pos):
        raise FileRefused('The JSON file must be an object with an "orders" array: {"orders": [...]}.')
    pos += len('"orders"')
    expect(":")
    pos += 1
    expect("[")
    pos += 1
    number = 0
    while True:
        char = expect("]{[\"0123456789-tfn,")
        if char == "]":
            break
        if char == ",":
            pos += 1
            continue
        while True:
            try:
                value, end = decoder.raw_decode(buffer, pos)
                if end == len(buffer) and fill():
                    continue  # a number at the buffer's end may go on
                break
            except json.JSONDecodeError as exc:
                if not fill():
                    raise FileRefused(f"The JSON file is not valid JSON near order {number + 1}.") from exc
        pos = end
        number += 1
        yield number, value
    text.detach()


# --------------------------------------------------------------------------- writing


def neutralize(value: str) -> str:
    """A text cell a spreadsheet shows as text: formula-looking text gets an apostrophe."""
    if value and (value[0] in FORMULA_START or value[0] == "'" and len(value) > 1 and value[1] in FORMULA_START):
        return "'" + value
    return value


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    return neutralize(str(value))


def write_csv(header: list[str], rows: Iterable[list[Any]]) -> Iterator[bytes]:
    """UTF-8 with a byte-order mark (Excel then reads accents right), comma-separated."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    yield ("\ufeff" + out.getvalue()).encode("utf-8")
    for row in rows:
        out.seek(0)
        out.truncate()
        writer.writerow([_csv_cell(v) for v in row])
        yield out.getvalue().encode("utf-8")


def write_xlsx(header: list[str], rows: Iterable[list[Any]], title: str = "Sheet1") -> IO[bytes]:
    """A workbook in openpyxl's write-only mode, spooled to a temporary file; text
    cells are typed strings, never formulas."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])

    def cell(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, bool | int):
            return value
        if isinstance(value, Decimal):
            return float(value) if value == Decimal(repr(float(value))) else format(value, "f")
        c = WriteOnlyCell(sheet, value=str(value))
        c.data_type = "s"
        return c

    sheet.append([cell(h) for h in header])
    for row in rows:
        sheet.append([cell(v) for v in row])
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    book.save(out)
    out.seek(0)
    return out


def xlsx_bytes(header: list[str], rows: Iterable[list[Any]], title: str = "Sheet1") -> bytes:
    with write_xlsx(header, rows, title) as out:
        return out.read()
