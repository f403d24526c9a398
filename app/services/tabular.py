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


def read_xlsx(stream: IO[bytes]) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    """The first sheet's header and rows, in openpyxl's read-only (streaming) mode;
    formulas come back as their text (data, never evaluated)."""
    from openpyxl import load_workbook

    stream.seek(0)
    try:
        book = load_workbook(stream, read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is the same answer
        raise FileRefused("The file is not a readable XLSX workbook.") from exc
    sheet = book.worksheets[0]
    iterator = sheet.iter_rows(values_only=True)
    first = next(iterator, None) or ()
    header = [str(h).strip() if h is not None else "" for h in first]

    def rows() -> Iterator[tuple[int, list[Any]]]:
        for number, cells in enumerate(iterator, start=2):
            values = [_xlsx_value(c) for c in cells]
            if not any(v != "" for v in values):
                continue
            yield number, [data_value(v) if isinstance(v, str) else v for v in values]
        book.close()

    return header, rows()


def xlsx_declared_rows(stream: IO[bytes]) -> int | None:
    """The data rows the first sheet declares (its dimension, below the header), without
    reading its cells; None when the workbook does not say."""
    from openpyxl import load_workbook

    stream.seek(0)
    try:
        book = load_workbook(stream, read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is the same answer
        raise FileRefused("The file is not a readable XLSX workbook.") from exc
    try:
        sheet = book.worksheets[0]
        declared = sheet.max_row if sheet.calculate_dimension(force=False) != "A1:A1" else None
    except ValueError:
        declared = None
    finally:
        book.close()
    return None if declared is None else max(declared - 1, 0)


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
