"""Reading the tabular deliveries (CSV, Excel workbooks, the JSON works file) of SOURCES.md §2–§4.

Polars does the parsing (its CSV reader on text we decoded; `read_excel` with the calamine engine); what is
ours is everything an agency export gets wrong around it: the character encoding, where the header is,
whether a header is one we know, titles/units/合计 rows in workbooks, and dates in four spellings.

Every reader returns the delivered cells as text under their canonical column names (`RawRecords`),
with the row number an officer would find in the file. `typed_records` then casts to the canonical types
and gives each row that cannot be taken in a reason; nothing is dropped silently: blank lines are the only
rows that vanish. Problems that make a whole file (or a workbook sheet) unusable raise `DeliveryError`
(or become a `SheetReject`). Personal-data values (`RecordKind.personal`) never appear in a reason.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from sources.encoding import (
    decode_text_file,
    misdecoded_reason,
    suspicious_characters,
    values_mojibake_reason,
)
from sources.errors import DeliveryError
from sources.records import (
    CSV,
    DATE,
    INT,
    JSON,
    JSON_FILE,
    MONTH,
    PLAN_PREFIX,
    REAL,
    SHEET_COLUMN,
    TEXT,
    XLSX,
    RecordKind,
)

log = logging.getLogger(__name__)

ROW = "_source_row"
REASON = "__reason"  # why a row cannot be taken in (NULL when it can)
RECORD = "__record"  # the row as delivered, as JSON text, personal data masked
MASK = "***"
HEADER_SCAN_ROWS = 10  # how far down a file the header row may sit (below titles and unit lines)

# Excel serial dates (days since 1899-12-30) are accepted only within this window: an integer like 2024 or
# 20240305 in a date column is a mistake, not the year 1905 or 57316.
EXCEL_EPOCH = date(1899, 12, 30)
SERIAL_MIN_DATE, SERIAL_MAX_DATE = date(1950, 1, 1), date(2100, 12, 31)
_SERIAL_MIN = (SERIAL_MIN_DATE - EXCEL_EPOCH).days
_SERIAL_MAX = (SERIAL_MAX_DATE - EXCEL_EPOCH).days
_UNIX_EPOCH_SERIAL = (date(1970, 1, 1) - EXCEL_EPOCH).days  # Polars dates count days from 1970-01-01

DATE_FORMATS = (
    "%Y-%m-%d",  # 2024-03-05 (2024-3-5 too)
    "%Y/%m/%d",  # 2024/3/5
    "%Y年%m月%d日",  # 2024年3月5日
    "%Y-%m-%d %H:%M:%S",  # how calamine renders an Excel date cell as text: 2024-03-05 00:00:00
)
DATE_FORMS_TEXT = "2024-03-05, 2024/3/5, 2024年3月5日 or an Excel serial date"
MONTH_FORMS_TEXT = "2024-03, 2024/3, 2024年3月, 202403 or a date"
_TYPE_WORDS = {
    INT: "an integer",
    REAL: "a number",
    DATE: f"a date ({DATE_FORMS_TEXT})",
    MONTH: f"a month ({MONTH_FORMS_TEXT})",
}
_TOTAL = re.compile(r"(合计|总计)[:：]?")

_HEADER_TRANSLATION = str.maketrans(
    {"（": "(", "）": ")", "／": "/", "．": ".", "\ufeff": None, "\u200b": None}
)


@dataclass(frozen=True)
class SheetReject:
    """A workbook sheet refused as a whole (its 合计 disagrees, it has no header …); other sheets load."""

    sheet: str
    reason: str
    rows: int  # data rows of the sheet that were therefore not loaded


@dataclass
class RawRecords:
    """A delivered file's rows as text: canonical columns, `_source_row`, `_sheet` (workbooks), `__reason`.

    `__reason` holds problems found while reading (a CSV line with the wrong number of fields, a JSON
    item that is not an object); `typed_records` adds the casting problems to it.
    """

    frame: pl.DataFrame
    sheet_rejects: list[SheetReject] = field(default_factory=list)
    encoding: str | None = None


# ----------------------------------------------------------------------------------------------- headers


def normalize_header(text: str) -> str:
    """A delivered header cell in the canonical spelling: （亩） → (亩), whitespace/line breaks removed."""
    return re.sub(r"\s+", "", str(text).translate(_HEADER_TRANSLATION))


def _known_headers(kind: RecordKind) -> dict[str, str]:
    known = {name: name for name in kind.columns}
    known.update(kind.header_aliases)
    return known


def match_headers(
    kind: RecordKind, cells: list[str | None], where: str, *, require_all: bool = True
) -> dict[int, str]:
    """Map header cells to canonical column names: {cell index: column}.

    Raises `DeliveryError` naming `where` (the file, and sheet) and the offending header when a header is
    unknown (or looks mis-decoded), appears twice, or a canonical header is missing (`require_all`).
    Empty header cells are left out; the caller decides whether their column holds data.
    """
    known = _known_headers(kind)
    mapping: dict[int, str] = {}
    problems: list[str] = []
    for index, cell in enumerate(cells):
        if cell is None or not normalize_header(cell):
            continue
        name = normalize_header(cell)
        canonical = known.get(name)
        if canonical is None:
            shown = cell.strip()
            if suspicious_characters(shown, strict_cjk=True):
                problems.append(f"header {shown!r} looks mis-decoded (mojibake)")
            else:
                problems.append(f"unknown header {shown!r}")
        elif canonical in mapping.values():
            problems.append(f"header {canonical!r} appears twice")
        else:
            mapping[index] = canonical
    if require_all:
        missing = [name for name in kind.columns if name not in mapping.values()]
        if missing:
            problems.append("missing header(s) " + ", ".join(missing))
    if problems:
        raise DeliveryError(
            f"{where}: "
            + "; ".join(problems)
            + f". Expected the {kind.title_zh} headers: "
            + ", ".join(kind.columns),
            source_file=where,
            rule_id="LOAD",
        )
    return mapping


def _is_header_row(kind: RecordKind, cells: list[str | None]) -> bool:
    known = _known_headers(kind)
    names = [normalize_header(c) for c in cells if c is not None and normalize_header(c)]
    if kind.header_marker:
        return kind.header_marker in names
    # A CSV's header: most of its cells are headers we know (a title or export-date line above it has none).
    hits = sum(1 for n in names if n in known)
    return hits > 0 and hits * 2 >= len(names)


# ------------------------------------------------------------------------------------------- value parsing


def _blank(expr: pl.Expr) -> pl.Expr:
    return expr.is_null() | (expr.str.strip_chars() == "")


def date_expr(expr: pl.Expr) -> pl.Expr:
    """Parse text as a date in any delivered spelling (`DATE_FORMS_TEXT`); NULL where none matches."""
    text = expr.str.strip_chars()
    serial = text.str.extract(r"^(\d{1,7}(?:\.\d+)?)$", 1).cast(pl.Float64, strict=False).floor()
    from_serial = (
        pl.when(serial.is_between(_SERIAL_MIN, _SERIAL_MAX))
        .then((serial - _UNIX_EPOCH_SERIAL).cast(pl.Int32).cast(pl.Date))
        .otherwise(None)
    )
    # Every written form begins with a four-digit year: '24-03-05' is not the year 24 (Polars' %Y takes it).
    written = pl.when(text.str.contains(r"^\d{4}\D")).then(text)
    tries = [written.str.to_date(fmt, strict=False) for fmt in DATE_FORMATS[:3]]
    tries.append(written.str.to_datetime(DATE_FORMATS[3], strict=False).dt.date())
    return pl.coalesce(*tries, from_serial)


def month_expr(expr: pl.Expr) -> pl.Expr:
    """Parse a reporting month (`MONTH_FORMS_TEXT`) to the first day of the month; NULL if none matches."""
    text = expr.str.strip_chars()
    parts = text.str.extract_groups(r"^(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*月?|(\d{2}))$")
    year = parts.struct.field("1").cast(pl.Int32, strict=False)
    month = pl.coalesce(parts.struct.field("2"), parts.struct.field("3")).cast(pl.Int8, strict=False)
    # pl.date is evaluated on every row before `when` picks: clip so month 13 yields NULL, not an error.
    first = pl.when(month.is_between(1, 12)).then(pl.date(year, month.clip(1, 12), 1)).otherwise(None)
    return pl.coalesce(first, date_expr(expr).dt.month_start())


def number_expr(expr: pl.Expr) -> pl.Expr:
    """Parse text as a finite number; thousands separators (1,234.5) allowed; NULL where it is not one."""
    text = expr.str.strip_chars()
    grouped = text.str.contains(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
    cleaned = pl.when(grouped).then(text.str.replace_all(",", "", literal=True)).otherwise(text)
    value = cleaned.cast(pl.Float64, strict=False)
    return pl.when(value.is_finite()).then(value).otherwise(None)


def integer_expr(expr: pl.Expr) -> pl.Expr:
    """Parse text as an integer: '12', and '12.0' as Excel writes it; '12.5' is not one."""
    text = expr.str.strip_chars()
    value = number_expr(expr)
    integral = pl.when((value == value.floor()) & (value.abs() < 2.0**53)).then(value.cast(pl.Int64))
    return pl.coalesce(text.cast(pl.Int64, strict=False), integral.otherwise(None))


def parse_date(text: str | None) -> date | None:
    """One value through `date_expr` (for tests and tooling)."""
    return pl.select(date_expr(pl.lit(text, dtype=pl.String))).item()


_PARSERS = {DATE: date_expr, MONTH: month_expr, REAL: number_expr, INT: integer_expr}


def typed_records(kind: RecordKind, raw: pl.DataFrame) -> pl.DataFrame:
    """Cast the text columns of `raw` to the kind's canonical types; say per row why it cannot be loaded.

    Returns the canonical columns (typed), the lineage columns of `raw`, `__reason` (NULL for a loadable
    row; otherwise e.g. "发现日期: cannot read '05-03-2024' as a date (…)") and `__record`, the delivered
    row as JSON text with personal-data values masked, for raw.rejects.
    """
    typed: list[pl.Expr] = []
    reasons: list[pl.Expr] = [pl.col(REASON)] if REASON in raw.columns else []
    for name, type_ in kind.columns.items():
        if name not in raw.columns:
            typed.append(pl.lit(None).alias(name))
            continue
        column = pl.col(name)
        if type_ in (TEXT, JSON):
            typed.append(column)
            continue
        value = _PARSERS[type_](column)
        typed.append(value.alias(name))
        shown = pl.lit(MASK) if name in kind.personal else column.str.strip_chars()
        message = pl.concat_str(
            [pl.lit(f"{name}: cannot read '"), shown, pl.lit(f"' as {_TYPE_WORDS[type_]}")]
        )
        reasons.append(pl.when(~_blank(column) & value.is_null()).then(message).otherwise(None))
    reason = pl.concat_str(reasons, separator="; ", ignore_nulls=True) if reasons else pl.lit(None, pl.String)
    lineage = [c for c in raw.columns if c.startswith("_") and not c.startswith("__")]
    record_fields = [
        (pl.when(pl.col(c).is_not_null()).then(pl.lit(MASK)).otherwise(None) if c in kind.personal
         else pl.col(c)).alias(c)
        for c in raw.columns
        if c in kind.columns or c == SHEET_COLUMN
    ]  # fmt: skip
    frame = raw.select(
        *typed,
        *[pl.col(c) for c in lineage],
        pl.when(reason == "").then(None).otherwise(reason).alias(REASON),
        (pl.struct(record_fields).struct.json_encode() if record_fields else pl.lit("{}")).alias(RECORD),
    )
    casts = {
        name: {INT: pl.Int64, REAL: pl.Float64, DATE: pl.Date, MONTH: pl.Date}.get(type_, pl.String)
        for name, type_ in kind.columns.items()
    }
    return frame.with_columns(pl.col(name).cast(dtype) for name, dtype in casts.items())


def _unnamed_columns(indexes: list[int], mapping: dict[int, str]) -> str:
    """Name header-less columns by their neighbour ("the column after 备注"): calamine drops leading empty
    columns, so a position or Excel letter counted from the data would be wrong."""
    described = []
    for index in indexes:
        left = [mapping[i] for i in sorted(mapping) if i < index]
        described.append(
            f"the column after {left[-1]}" if left else "the column before " + mapping[min(mapping)]
        )
    return ", ".join(described)


def _drop_blank_rows(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """Blank lines and rows whose every cell is empty are layout, not data."""
    if not columns or frame.height == 0:
        return frame
    return frame.filter(~pl.all_horizontal(_blank(pl.col(c)) for c in columns))


def _text_frame(columns: dict[str, list]) -> pl.DataFrame:
    return pl.DataFrame(
        {name: pl.Series(name, values, dtype=pl.Int64 if name == ROW else pl.String)
         for name, values in columns.items()}
    )  # fmt: skip


# ----------------------------------------------------------------------------------------------------- CSV


def _csv_records(text: str, where: str) -> list[tuple[int, int, int, list[str] | None]]:
    """(first line number, fields, fields up to the last non-empty one, cells of the first few) per record.

    Polars does not say on which line a record starts (quoted fields may hold line breaks) nor how many
    fields a line really had (with `truncate_ragged_lines` it pads and cuts); the csv module tells both.
    """
    limit = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)  # agency exports put whole documents into a 备注 cell
    records: list[tuple[int, int, int, list[str] | None]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    previous = 0
    try:
        for cells in reader:
            used = len(cells)
            while used and cells[used - 1] == "":
                used -= 1
            records.append(
                (previous + 1, len(cells), used, cells if len(records) < HEADER_SCAN_ROWS else None)
            )
            previous = reader.line_num
    except csv.Error as exc:
        # The csv module's message quotes no data, only what is wrong and where.
        raise DeliveryError(
            f"{where}: cannot be parsed as CSV near line {reader.line_num} ({exc}); check the quoting",
            source_file=where,
        ) from exc
    finally:
        csv.field_size_limit(limit)
    return records


def read_csv_records(path: Path, kind: RecordKind, where: str) -> RawRecords:
    """Read a delivered CSV (GBK/GB18030 or UTF-8 with or without BOM) into canonical text columns.

    The header row is the first of the first lines whose cells are mostly known headers (titles or an
    export-date line above it are skipped). `_source_row` is the file's line number (header = line 1 when
    it is the first line). A line with more or fewer fields than the header is a row reject.
    """
    text, encoding = decode_text_file(path)
    if encoding == "GB18030":
        # The header decoded cleanly; a body that reads as mostly rare characters was another encoding.
        problem = misdecoded_reason(text)
        if problem:
            detail = "" if kind.personal else f": {problem}"  # mojibake of a name can be decoded back
            raise DeliveryError(
                f"{where}: the text decodes as GB18030 but looks mis-decoded (mojibake){detail}; "
                "re-export the file as UTF-8 or GBK",
                source_file=where,
            )
    if "\n" not in text and "\r" in text:
        text = text.replace("\r", "\n")  # classic Mac line ends: Polars would read no rows at all
    records = _csv_records(text, where)
    if not records:
        raise DeliveryError(f"{where}: the file is empty (no header line)", source_file=where)
    header_at = next(
        (
            i
            for i, record in enumerate(records[:HEADER_SCAN_ROWS])
            if record[3] and _is_header_row(kind, record[3])
        ),
        None,
    )
    if header_at is None:
        first = records[0][3] or []
        looks_bad = suspicious_characters(",".join(first), strict_cjk=encoding == "GB18030")
        # Do not echo the lines: in a file without a header they are data, possibly personal data.
        raise DeliveryError(
            f"{where}: no header row in the first {HEADER_SCAN_ROWS} lines"
            + (" (line 1 looks mis-decoded: mojibake)" if looks_bad else "")
            + f"; expected the {kind.title_zh} headers: "
            + ", ".join(kind.columns),
            source_file=where,
        )
    header_line, width, _, header_cells = records[header_at]
    mapping = match_headers(kind, header_cells or [], where)
    data = records[header_at + 1 :]

    # Polars parses from the header line on; the lines above it are titles, already looked at.
    start = 0
    for _ in range(header_line - 1):
        start = text.index("\n", start) + 1
    positional = [f"c{i}" for i in range(width)]
    try:
        frame = pl.read_csv(
            io.BytesIO(text[start:].encode("utf-8")),
            has_header=True,
            new_columns=positional,
            infer_schema=False,
            truncate_ragged_lines=True,
            raise_if_empty=False,
        )
    except Exception as exc:
        # Polars quotes the offending cells in its messages: not repeated here (they may be personal data).
        raise DeliveryError(
            f"{where}: cannot be parsed as CSV ({type(exc).__name__}); check the quoting and line ends",
            source_file=where,
        ) from exc
    if frame.height != len(data):
        raise DeliveryError(
            f"{where}: the CSV parsers disagree on the number of rows ({frame.height} vs {len(data)}); "
            "check for unbalanced quotes",
            source_file=where,
        )
    # A column without a header but with values would be data we cannot name: refuse, do not drop.
    filled = [i for i in range(width) if i not in mapping and frame.filter(~_blank(pl.col(f"c{i}"))).height]
    if filled:
        raise DeliveryError(
            f"{where}: values in a column without a header ({_unnamed_columns(filled, mapping)})",
            source_file=where,
        )
    needed = max(mapping) + 1  # a header written with a trailing comma does not make short lines wrong
    columns = list(mapping.values())
    frame = frame.select([pl.col(f"c{i}").alias(name) for i, name in mapping.items()]).with_columns(
        pl.Series(ROW, [r[0] for r in data], dtype=pl.Int64),
        pl.Series("__fields", [r[1] for r in data], dtype=pl.Int64),
        pl.Series("__used", [r[2] for r in data], dtype=pl.Int64),
    )
    frame = _drop_blank_rows(frame.filter(pl.col("__fields") > 0), columns)  # blank lines are layout
    ragged = pl.concat_str(
        [pl.lit("line "), pl.col(ROW).cast(pl.String), pl.lit(" has "), pl.col("__fields").cast(pl.String),
         pl.lit(f" fields, the header has {width}")]
    )  # fmt: skip
    frame = frame.with_columns(
        pl.when((pl.col("__used") > width) | (pl.col("__fields") < needed))
        .then(ragged)
        .otherwise(None)
        .alias(REASON)
    ).drop("__fields", "__used")
    return RawRecords(frame, encoding=encoding)


# ------------------------------------------------------------------------------------------------ workbooks


def _cell(value: str | None) -> str:
    return "" if value is None else value.strip()


def _sheet_records(
    kind: RecordKind, sheet: str, cells: pl.DataFrame, where: str
) -> tuple[pl.DataFrame | None, SheetReject | None]:
    """One sheet's data rows (canonical text columns), or why the sheet is refused.

    `cells` is the sheet as read with no header and no skipped rows, so index i is Excel row i + 1.
    """
    label = f"{where} sheet {sheet!r}"
    names = cells.columns
    head = cells.head(HEADER_SCAN_ROWS).rows()
    header_at = next((i for i, row in enumerate(head) if _is_header_row(kind, list(row))), None)
    if header_at is None:
        return None, SheetReject(
            sheet,
            f"{label}: no header row (a row with {kind.header_marker or next(iter(kind.columns))}) "
            f"in the first {HEADER_SCAN_ROWS} rows; the sheet is not loaded",
            0,
        )
    try:
        mapping = match_headers(kind, list(head[header_at]), label)
    except DeliveryError as exc:
        data_rows = _drop_blank_rows(cells.slice(header_at + 1), names).height
        return None, SheetReject(sheet, exc.message + "; the sheet is not loaded", data_rows)
    body = cells.slice(header_at + 1).with_columns(
        pl.int_range(header_at + 2, header_at + 2 + cells.height - header_at - 1, dtype=pl.Int64).alias(ROW)
    )
    unnamed = [i for i, name in enumerate(names) if i not in mapping]
    filled = [i for i in unnamed if body.filter(~_blank(pl.col(names[i]))).height]
    body = _drop_blank_rows(body, names)
    if filled:
        return None, SheetReject(
            sheet,
            f"{label}: values in a column without a header ({_unnamed_columns(filled, mapping)}); "
            "the sheet is not loaded",
            body.height,
        )
    frame = body.select([pl.col(names[i]).alias(column) for i, column in mapping.items()] + [pl.col(ROW)])

    # The 合计 (total) row: a row where some cell reads 合计; it must be the last row of the sheet.
    is_total = pl.any_horizontal(
        pl.col(c).str.replace_all(r"\s", "").str.contains(f"^{_TOTAL.pattern}$").fill_null(False)
        for c in mapping.values()
    )
    flagged = frame.with_columns(is_total.alias("__total"))
    totals = flagged.filter(pl.col("__total"))
    data = flagged.filter(~pl.col("__total")).drop("__total")
    if totals.height == 0:
        if kind.totals_required:
            return None, SheetReject(
                sheet, f"{label}: no 合计 row, so the sheet cannot be checked; the sheet is not loaded",
                data.height,
            )  # fmt: skip
        return data, None
    total_row = totals.row(0, named=True)
    after = data.filter(pl.col(ROW) > total_row[ROW])
    if totals.height > 1 or after.height:
        return None, SheetReject(
            sheet,
            f"{label}: the 合计 row (row {total_row[ROW]}) is not the last row "
            f"({after.height + totals.height - 1} more row(s) below it); the sheet is not loaded",
            data.height,
        )
    mismatches = _total_mismatches(kind, data, total_row)
    if mismatches:
        return None, SheetReject(
            sheet,
            f"{label}: 合计 row {total_row[ROW]} disagrees with the sum of its {data.height} data rows: "
            + "; ".join(mismatches)
            + "; the sheet is not loaded",
            data.height,
        )
    return data, None


def _total_mismatches(kind: RecordKind, data: pl.DataFrame, total_row: dict) -> list[str]:
    problems = []
    for column, tolerance in kind.totals.items():
        if column not in data.columns:
            continue
        stated = total_row.get(column)
        if _cell(stated) == "":
            if kind.totals_required:
                # An empty total cell is often a formula saved without its value: nothing to check against.
                problems.append(f"{column}: the 合计 cell is empty")
            continue
        total = pl.select(number_expr(pl.lit(stated, dtype=pl.String))).item()
        if total is None:
            problems.append(f"{column}: 合计 {stated.strip()!r} is not a number")
            continue
        summed = data.select(number_expr(pl.col(column)).sum()).item() or 0.0
        if abs(total - summed) > tolerance + 1e-9:  # the epsilon absorbs binary rounding of the sum
            problems.append(
                f"{column}: 合计 {total:.2f} but the rows sum to {summed:.2f} "
                f"(difference {total - summed:+.2f}, tolerance {tolerance:g} {_unit(column, tolerance)})"
            )
    return problems


def _unit(column: str, tolerance: float) -> str:
    """The unit a column is in: from its header's (亩)/(亿元), else 元 for amounts and 亩 for areas."""
    found = re.search(r"\(([^()]*)\)$", column)
    if found:
        return found.group(1)
    return "元" if tolerance >= 1 else "亩"


def read_workbook_records(path: Path, kind: RecordKind, where: str) -> RawRecords:
    """Read every sheet of a delivered workbook (compensation ledger, land-supply statistics).

    Per sheet: find the header row by `kind.header_marker` (序号 / 县级行政区代码) below any title and
    units rows, take the rows under it, check and drop the 合计 row. A sheet that fails is a
    `SheetReject`; the other sheets still load. `_source_row` is the Excel row number, `_sheet` the sheet.
    """
    try:
        # Calamine quirks: without skip_rows=0 leading empty rows are skipped and Excel row numbers shift;
        # drop_empty_rows would shift them too. dtypes="string" keeps codes and dates as delivered text
        # (a date cell reads '2024-03-05 00:00:00', 330402001001.0 reads '330402001001').
        sheets = pl.read_excel(
            path,
            engine="calamine",
            sheet_id=0,
            has_header=False,
            drop_empty_rows=False,
            drop_empty_cols=False,
            raise_if_empty=False,
            read_options={"skip_rows": 0, "dtypes": "string"},
        )
    except Exception as exc:
        # Calamine's messages describe the file's structure; still, never risk quoting personal data.
        # Its first line says what is wrong; the context lines below it repeat the absolute path.
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        detail = type(exc).__name__ if kind.personal else f"{type(exc).__name__}: {first_line}"
        raise DeliveryError(
            f"{where}: cannot be read as an Excel workbook ({detail})", source_file=where
        ) from exc
    if isinstance(sheets, pl.DataFrame):  # one sheet: older Polars returned the frame itself
        sheets = {"": sheets}
    frames: list[pl.DataFrame] = []
    rejects: list[SheetReject] = []
    for sheet, cells in sheets.items():
        cells = cells.select(pl.all().cast(pl.String))
        if cells.height == 0 or _drop_blank_rows(cells, cells.columns).height == 0:
            log.info("%s sheet %r is empty; ignored", where, sheet)
            continue
        data, reject = _sheet_records(kind, sheet, cells, where)
        if reject is not None:
            rejects.append(reject)
            continue
        frames.append(data.with_columns(pl.lit(sheet, dtype=pl.String).alias(SHEET_COLUMN)))
    if not frames and not rejects:
        raise DeliveryError(f"{where}: the workbook has no sheet with data", source_file=where)
    columns = list(kind.columns)
    frames = [
        f.select([pl.col(c) if c in f.columns else pl.lit(None, pl.String).alias(c) for c in columns]
                 + [pl.col(ROW), pl.col(SHEET_COLUMN)])
        for f in frames
    ]  # fmt: skip
    schema = {**{c: pl.String for c in columns}, ROW: pl.Int64, SHEET_COLUMN: pl.String}
    frame = pl.concat(frames) if frames else pl.DataFrame(schema=schema)
    return RawRecords(frame, sheet_rejects=rejects)


# ------------------------------------------------------------------------------------------------- JSON


def _scalar_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("true/false")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # A code written as a number (330402.0) must read like the code, not like a float.
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, str):
        return value
    raise ValueError("a list" if isinstance(value, list) else "an object")


_SEPARATORS = re.compile(r"[,，、;；\s]+")


def _code_list(value: object) -> str | None:
    """涉及乡镇 as a JSON array of code strings: a list, or one string of codes separated by 、/,/;."""
    if value is None:
        return None
    if isinstance(value, str):
        items = [part for part in _SEPARATORS.split(value) if part]
    elif isinstance(value, list):
        items = [_scalar_text(v) for v in value]
    else:
        raise ValueError("a list of township codes")
    return json.dumps([i for i in items if i is not None], ensure_ascii=False, separators=(",", ":"))


def read_works_json(path: Path, kind: RecordKind, where: str) -> RawRecords:
    """Read 土地综合整治工程.json: an array of works (or an object holding one array of them).

    Each work's keys are matched like CSV headers (an unknown key refuses the file); `计划` is an object
    whose items become the `计划.<item>` columns; `涉及乡镇` is kept as a JSON array of code strings.
    A key a work leaves out is NULL. `_source_row` is the position in the array, from 1.
    """
    text, _ = decode_text_file(path)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        # JSONDecodeError says what and where (line, column), never the content.
        raise DeliveryError(f"{where}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})",
                            source_file=where) from exc  # fmt: skip
    if isinstance(document, dict):
        lists = [v for v in document.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise DeliveryError(f"{where}: expected an array of works (or an object holding one)",
                                source_file=where)  # fmt: skip
        document = lists[0]
    if not isinstance(document, list):
        raise DeliveryError(f"{where}: expected an array of works", source_file=where)

    plan_columns = {name.removeprefix(PLAN_PREFIX) for name in kind.columns if name.startswith(PLAN_PREFIX)}
    top_known = {name: name for name in kind.columns if not name.startswith(PLAN_PREFIX)}
    unknown: dict[str, int] = {}
    columns: dict[str, list] = {name: [] for name in kind.columns}
    rows: list[int] = []
    reasons: list[str | None] = []
    for index, item in enumerate(document, start=1):
        rows.append(index)
        values: dict[str, str | None] = {}
        problems: list[str] = []
        if not isinstance(item, dict):
            problems.append(f"item {index} is not an object")
            item = {}
        for key, value in item.items():
            name = normalize_header(key)
            if name == "计划":
                if value is None:
                    continue
                if not isinstance(value, dict):
                    problems.append("计划: expected an object of planned quantities")
                    continue
                for plan_key, plan_value in value.items():
                    plan_name = normalize_header(plan_key)
                    if plan_name not in plan_columns:
                        unknown.setdefault(f"{PLAN_PREFIX}{plan_key}", index)
                        continue
                    try:
                        values[PLAN_PREFIX + plan_name] = _scalar_text(plan_value)
                    except ValueError as exc:
                        problems.append(f"{PLAN_PREFIX}{plan_name}: expected a number, got {exc}")
                continue
            if name not in top_known:
                unknown.setdefault(key, index)
                continue
            try:
                values[name] = _code_list(value) if kind.columns[name] == JSON else _scalar_text(value)
            except ValueError as exc:
                problems.append(f"{name}: expected a single value, got {exc}")
        for name in columns:
            columns[name].append(values.get(name))
        reasons.append("; ".join(problems) or None)
    if unknown:
        listed = ", ".join(f"{key!r} (item {index})" for key, index in unknown.items())
        bad = any(suspicious_characters(key, strict_cjk=True) for key in unknown)
        raise DeliveryError(
            f"{where}: unknown key(s) {listed}"
            + (" — they look mis-decoded (mojibake)" if bad else "")
            + f". Expected the {kind.title_zh} keys: "
            + ", ".join(top_known)
            + ", 计划 {"
            + ", ".join(n.removeprefix(PLAN_PREFIX) for n in kind.columns if n.startswith(PLAN_PREFIX))
            + "}",
            source_file=where,
        )
    frame = _text_frame({**columns, ROW: rows})
    frame = frame.with_columns(pl.Series(REASON, reasons, dtype=pl.String))
    return RawRecords(frame)


# ------------------------------------------------------------------------------------------------ dispatch


def read_records(path: Path, kind: RecordKind, where: str) -> RawRecords:
    """Read one delivered file of `kind` (CSV, workbook or the works JSON); `where` names it in messages.

    Text values that look mis-decoded (mojibake under a clean header: an exporting system read UTF-8 as
    GBK or a Western code page) refuse the file, as a mis-decoded header does."""
    if kind.format == CSV:
        records = read_csv_records(path, kind, where)
    elif kind.format == XLSX:
        records = read_workbook_records(path, kind, where)
    elif kind.format == JSON_FILE:
        records = read_works_json(path, kind, where)
    else:
        raise ValueError(f"unknown record format {kind.format!r}")
    _refuse_mojibake(records.frame, kind, where)
    return records


def _refuse_mojibake(frame: pl.DataFrame, kind: RecordKind, where: str) -> None:
    for name in kind.columns:
        if name not in frame.columns or frame.schema[name] != pl.String:
            continue
        values = [v for v in frame.get_column(name).drop_nulls().unique().to_list() if v]
        problem = values_mojibake_reason(values)
        if problem:
            # a personal value, even garbled, is decodable back to the name: say only which field
            detail = "" if name in kind.personal else f": {problem}"
            raise DeliveryError(
                f"{where}: the values of {name} look mis-decoded (mojibake){detail}; re-export the file "
                "from the source system as UTF-8 or GBK",
                source_file=where,
            )
