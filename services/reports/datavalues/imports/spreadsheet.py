"""Values from an Excel workbook (XLSX): the first sheet, laid out as the CSV push (a header row naming
``indicator,department,period,value[,comment][,category_option_combo]``, one value per row).

An XLSX file is a ZIP archive: its members' declared sizes are checked before anything is
decompressed, so a small file that would inflate to gigabytes (a ZIP bomb) is refused up front.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from typing import Any

import openpyxl

from services.reports.datavalues.imports.parse import MAX_ROWS, RawColumns, check_size, columns_of
from shared.errors import InvalidInputError, PayloadTooLargeError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A 200,000-row sheet of values takes well under this once decompressed.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024


def _text(cell: Any) -> str:
    """A cell as the text a CSV would hold: whole numbers without ".0", days as ISO dates."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == datetime.min.time() else cell.isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell).strip()


def _check_archive(body: bytes) -> None:
    try:
        members = zipfile.ZipFile(io.BytesIO(body)).infolist()
    except zipfile.BadZipFile:
        raise InvalidInputError("the file is not an XLSX workbook (not a ZIP archive)", field="file") from None
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_UNPACKED_BYTES:
        raise PayloadTooLargeError(
            f"the workbook unpacks to {unpacked} bytes, more than {MAX_UNPACKED_BYTES}", field="file"
        )


def rows_from_xlsx(body: bytes) -> RawColumns:
    """The first sheet's rows (empty rows skipped); a file that is no workbook is a 422 naming ``file``."""
    _check_archive(body)
    try:
        book = openpyxl.load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (KeyError, InvalidFileException, XML errors)
        raise InvalidInputError(
            f"the file is not a readable XLSX workbook ({type(exc).__name__})", field="file"
        ) from None
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [_text(c) for c in next(rows, ())]
        while header and not header[-1]:
            header.pop()
        if not header:
            raise InvalidInputError("the first sheet is empty: a header row is required", field="file")
        width = len(header)
        lines: list[list[str]] = []
        for row in rows:
            cells = [_text(c) for c in row[:width]]
            if not any(cells):
                continue
            lines.append(cells + [""] * (width - len(cells)))
            if len(lines) > MAX_ROWS:
                check_size(len(lines))
    finally:
        book.close()
    return columns_of(header, lines, "XLSX")
