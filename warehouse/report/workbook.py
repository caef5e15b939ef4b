"""The officials' findings workbook (问题清单): the year's findings of a city or county, one sheet per
county (and one for the unit's own findings), with an overview sheet of counts per county and rule.

Delivered text reaches these cells (record ids, names of targets), and a spreadsheet would run a cell
that starts like a formula. Every text is therefore written as a string cell, never a formula, and one
that starts with a formula's first character (=, +, -, @, tab, carriage return) also carries Excel's
quote prefix, so that editing the cell keeps it text.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import xlsxwriter

from warehouse.report.figures import Rows

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = (
    ("rule_id", "规则编号", 9),
    ("title_zh", "规则名称", 28),
    ("severity", "严重程度", 9),
    ("year", "年度", 7),
    ("entity_type", "对象类型", 12),
    ("entity_id", "对象编号", 24),
    ("observed", "观测值", 18),
    ("expected", "期望值", 18),
    ("source_clause", "条款", 24),
    ("document_title", "政策文件", 36),
    ("document_issuer", "发文机关", 20),
    ("source_files", "来源文件", 40),
    ("source_rows", "来源行", 14),
)
# characters a sheet name may not hold, and its length limit
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\']")
_SHEET_NAME_MAX = 31


def sheet_name(code: str, name: str | None) -> str:
    """A sheet's name for a unit: its name and code, within Excel's rules for sheet names."""
    text = _SHEET_NAME_FORBIDDEN.sub("_", f"{name or ''} {code}".strip())
    return text[:_SHEET_NAME_MAX]


class _Writer:
    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.header = book.add_format({"bold": True, "bg_color": "#F0F3F7", "border": 1})
        self.text = book.add_format({})
        self.quoted = book.add_format({"quote_prefix": True})

    def cell(self, sheet: Any, row: int, col: int, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, bool):
            sheet.write_boolean(row, col, value)
        elif isinstance(value, int | float):
            sheet.write_number(row, col, value)
        else:
            text = value.isoformat() if isinstance(value, date) else str(value)
            sheet.write_string(row, col, text, self.quoted if text.startswith(FORMULA_START) else self.text)


def write_workbook(path: Path, units: dict[str, str], findings: Rows) -> Path:
    """Write the findings (rows of queries/findings.sql) of `units` (code → name, the page's unit first)
    to `path`; returns it."""
    book = xlsxwriter.Workbook(
        str(path),
        # strings only as strings: no guessing of numbers, URLs or formulas from text
        {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )
    write = _Writer(book)
    overview = book.add_worksheet("汇总")
    rules = sorted({f["rule_id"] for f in findings})
    counts = Counter((f["admin_code"], f["rule_id"]) for f in findings)
    for col, title in enumerate(["代码", "名称", *rules, "合计"]):
        overview.write_string(0, col, title, write.header)
    for row, (code, name) in enumerate(units.items(), start=1):
        write.cell(overview, row, 0, code)
        write.cell(overview, row, 1, name)
        for col, rule in enumerate(rules, start=2):
            write.cell(overview, row, col, counts[(code, rule)])
        write.cell(overview, row, len(rules) + 2, sum(counts[(code, rule)] for rule in rules))
    overview.set_column(1, 1, 14)

    for code, name in units.items():
        own = [f for f in findings if f["admin_code"] == code]
        if not own and code == next(iter(units)) and len(units) > 1:
            continue  # a city with no city-wide finding needs no sheet of its own
        sheet = book.add_worksheet(sheet_name(code, name))
        for col, (_, title, width) in enumerate(COLUMNS):
            sheet.write_string(0, col, title, write.header)
            sheet.set_column(col, col, width)
        for row, finding in enumerate(own, start=1):
            for col, (key, _, _) in enumerate(COLUMNS):
                write.cell(sheet, row, col, finding[key])
        sheet.freeze_panes(1, 0)
        if own:
            sheet.autofilter(0, 0, len(own), len(COLUMNS) - 1)
    book.close()
    return path
