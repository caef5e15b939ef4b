"""A minimal .xlsx writer (SpreadsheetML in a zip), because the project has no workbook library.

The same approach as the writer in tests/test_records.py: inline strings, numbers as numbers (never
formulas: calamine reads a formula cell without a cached value as empty, so a 合计 formula would read as
a blank total), `date` values as serial numbers styled with the built-in date format 14, merged cells
(the title row) declared per sheet. Deterministic: the zip entries carry a fixed timestamp, so the same
rows give byte-identical files.
"""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL_NS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_RELS_CT = "application/vnd.openxmlformats-package.relationships+xml"
_EXCEL_EPOCH = date(1899, 12, 30)
_FIXED_TIME = (2026, 1, 5, 9, 30, 0)  # zip entry timestamps: same input, same bytes


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _cell(ref: str, value) -> str:
    if isinstance(value, date):
        return f'<c r="{ref}" s="1"><v>{(value - _EXCEL_EPOCH).days}</v></c>'
    if isinstance(value, bool):
        raise TypeError("booleans are not written; use 是/否")
    if isinstance(value, int | float | np.integer | np.floating):  # numpy scalars print as np.float64(…)
        number = int(value) if isinstance(value, int | np.integer) else float(value)
        return f'<c r="{ref}"><v>{number!r}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def _sheet_xml(rows: list[list], merged: list[str]) -> str:
    out = []
    for row_number, row in enumerate(rows, start=1):
        cells = [
            _cell(f"{column_letter(column)}{row_number}", value)
            for column, value in enumerate(row)
            if value is not None and value != ""
        ]
        if cells:
            out.append(f'<row r="{row_number}">{"".join(cells)}</row>')
    merge_xml = (
        f'<mergeCells count="{len(merged)}">'
        + "".join(f'<mergeCell ref="{merge}"/>' for merge in merged)
        + "</mergeCells>"
        if merged
        else ""
    )
    return f"<worksheet {_NS}><sheetData>{''.join(out)}</sheetData>{merge_xml}</worksheet>"


def write_xlsx(path: Path, sheets: dict[str, list[list]], merges: dict[str, list[str]] | None = None) -> Path:
    """Write `sheets` (name → rows from row 1; None/"" = no cell) as a workbook at `path`."""
    merges = merges or {}
    names = list(sheets)
    path.parent.mkdir(parents=True, exist_ok=True)

    def put(archive: zipfile.ZipFile, name: str, text: str) -> None:
        info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, text)

    with zipfile.ZipFile(path, "w") as archive:
        put(
            archive,
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Default Extension="rels" ContentType="{_RELS_CT}"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{number}.xml" ContentType="{_CT}.worksheet+xml"/>'
                for number in range(1, len(names) + 1)
            )
            + "</Types>",
        )
        put(
            archive,
            "_rels/.rels",
            f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
            f'Type="{_DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        put(
            archive,
            "xl/workbook.xml",
            f"<workbook {_NS} {_REL_NS}><sheets>"
            + "".join(
                f'<sheet name="{escape(sheet_name)}" sheetId="{position + 1}" r:id="rId{position + 1}"/>'
                for position, sheet_name in enumerate(names)
            )
            + "</sheets></workbook>",
        )
        put(
            archive,
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{_PKG}">'
            + "".join(
                f'<Relationship Id="rId{position + 1}" Type="{_DOC}/worksheet" '
                f'Target="worksheets/sheet{position + 1}.xml"/>'
                for position in range(len(names))
            )
            + f'<Relationship Id="rId{len(names) + 1}" Type="{_DOC}/styles" Target="styles.xml"/>'
            "</Relationships>",
        )
        put(
            archive,
            "xl/styles.xml",
            f"<styleSheet {_NS}>"
            '<fonts count="1"><font/></fonts><fills count="1"><fill/></fills>'
            '<borders count="1"><border/></borders>'
            '<cellStyleXfs count="1"><xf/></cellStyleXfs>'
            '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs>'
            "</styleSheet>",
        )
        for position, name in enumerate(names):
            put(
                archive,
                f"xl/worksheets/sheet{position + 1}.xml",
                _sheet_xml(sheets[name], merges.get(name, [])),
            )
    return path
