"""Properties of the delivery parsers and of the change-survey replay, checked on generated deliveries.

Dates, text encodings, codes and headers are where agency exports vary. Each property says what every
spelling SOURCES.md allows must read as, and that a near miss is refused rather than read as something
else. The replay property builds a land-use state and a change year from rectangles and runs the
warehouse's own SQL (the dbt models from staging to the DQ09 subject, compiled once) on them in DuckDB.

Every test is derandomised and keeps no example database, so a run in CI tries the same cases each time.
"""

from __future__ import annotations

import codecs
import datetime
import os
import re
import struct
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from quality.catalog import load_catalog
from sources.errors import DeliveryError
from sources.extract.fields import cast_sql, map_fields, missing_fields_reason
from sources.formats import cpg_encoding, dbf_text_encoding
from sources.layers import DATE, LAYERS, TEXT
from sources.records import RECORD_KINDS, record_kind
from sources.tabular import (
    EXCEL_EPOCH,
    REASON,
    ROW,
    SERIAL_MAX_DATE,
    SERIAL_MIN_DATE,
    _scalar_text,
    decode_text_file,
    match_headers,
    parse_date,
    typed_records,
)
from warehouse.config import SEEDS_DIR, TRANSFORMS_DIR

# derandomize: the same examples on every run (CI is never flaky); database=None: nothing is written
# to .hypothesis/ in the working tree; deadline=None: a cold DuckDB query may take a while.
REPRODUCIBLE = settings(deadline=None, derandomize=True, database=None, print_blob=False)

# ============================================================================================== dates


def _days_in_month(year: int, month: int) -> int:
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return (following - datetime.timedelta(days=1)).day


def _ymd(day: datetime.date, pad_month: bool, pad_day: bool) -> tuple[str, str, str]:
    return (
        f"{day.year:04d}",
        f"{day.month:02d}" if pad_month else str(day.month),
        (f"{day.day:02d}" if pad_day else str(day.day)),
    )


@st.composite
def records_dates(draw) -> tuple[datetime.date, str]:
    """A date as a CSV or workbook delivers it: 2024-03-05, 2024/3/5, 2024年3月5日, the text calamine
    makes of a date cell (2024-03-05 00:00:00), or an Excel serial date (its fraction the time of day)."""
    form = draw(st.sampled_from(["dash", "slash", "chinese", "cell", "serial"]))
    if form == "serial":
        day = draw(st.dates(SERIAL_MIN_DATE, SERIAL_MAX_DATE))
        serial = (day - EXCEL_EPOCH).days
        fraction = draw(st.sampled_from(["", ".0", ".25", ".5", ".999"]))
        return day, f"{serial}{fraction}"
    day = draw(st.dates(datetime.date(1000, 1, 1), datetime.date(9999, 12, 31)))
    year, month, dom = _ymd(day, draw(st.booleans()), draw(st.booleans()))
    text = {
        "dash": f"{year}-{month}-{dom}",
        "slash": f"{year}/{month}/{dom}",
        "chinese": f"{year}年{month}月{dom}日",
        "cell": f"{day.isoformat()} {draw(st.integers(0, 23)):02d}:{draw(st.integers(0, 59)):02d}:00",
    }[form]
    padding = draw(st.sampled_from(["", " ", "  ", "\t"]))
    return day, padding + text + padding


@st.composite
def layer_dates(draw) -> tuple[datetime.date, str]:
    """A date as a text field of a spatial layer holds it: 2024-03-05, 2024/3/5, 2024年3月5日, 20240305,
    2024.03.05."""
    day = draw(st.dates(datetime.date(1000, 1, 1), datetime.date(9999, 12, 31)))
    year, month, dom = _ymd(day, draw(st.booleans()), draw(st.booleans()))
    form = draw(st.sampled_from(["dash", "slash", "chinese", "compact", "dot"]))
    return day, {
        "dash": f"{year}-{month}-{dom}",
        "slash": f"{year}/{month}/{dom}",
        "chinese": f"{year}年{month}月{dom}日",
        "compact": day.strftime("%Y%m%d") if day.year >= 1000 else f"{year}{day.month:02d}{day.day:02d}",
        "dot": f"{year}.{month}.{dom}",
    }[form]


@st.composite
def near_miss_dates(draw) -> str:
    """Text that looks like a date but is not one in an accepted spelling: a two-digit year, day or
    month first, a day the month does not have, month 13, a year and month only, 8 digits without
    separators, or an Excel serial outside 1950–2100 (2024 or 20240305 typed into a date column)."""
    day = draw(st.dates(datetime.date(1950, 1, 1), datetime.date(2100, 12, 31)))
    year, month, dom = _ymd(day, draw(st.booleans()), draw(st.booleans()))
    sep = draw(st.sampled_from(["-", "/"]))
    kind = draw(
        st.sampled_from(
            ["short_year", "day_first", "no_such_day", "month_13", "year_month", "compact", "serial"]
        )
    )
    if kind == "short_year":
        return f"{day.year % 100:02d}{sep}{month}{sep}{dom}"
    if kind == "day_first":
        return f"{dom}{sep}{month}{sep}{year}"
    if kind == "no_such_day":
        bad_day = draw(st.integers(_days_in_month(day.year, day.month) + 1, 99))
        return f"{year}{sep}{month}{sep}{bad_day}"
    if kind == "month_13":
        return f"{year}{sep}{draw(st.integers(13, 99))}{sep}{dom}"
    if kind == "year_month":
        return f"{year}{sep}{month}"
    if kind == "compact":
        return day.strftime("%Y%m%d")
    low = (SERIAL_MIN_DATE - EXCEL_EPOCH).days
    high = (SERIAL_MAX_DATE - EXCEL_EPOCH).days
    return str(draw(st.one_of(st.integers(0, low - 1), st.integers(high + 1, 9_999_999))))


def _ymd_reading(text: str) -> datetime.date | None:
    """The only date a text may be read as: its numbers as year (four digits), month, day, in that
    order; an Excel serial when it is one number. None when the text denotes no such date."""
    text = text.strip()
    if re.fullmatch(r"\d{1,7}(\.\d+)?", text):
        return EXCEL_EPOCH + datetime.timedelta(days=int(float(text)))
    numbers = re.findall(r"\d+", text)
    if len(numbers) == 1 and len(numbers[0]) == 8:
        numbers = [numbers[0][:4], numbers[0][4:6], numbers[0][6:]]
    if len(numbers) < 3 or len(numbers[0]) != 4:
        return None
    try:
        return datetime.date(*(int(n) for n in numbers[:3]))
    except ValueError:
        return None


# Text a date column may hold by mistake, drawn from digits and the separators of the accepted forms.
date_like_text = st.from_regex(r"\A\s?\d{1,8}([-/.年月]\d{1,4}){0,2}[日]?( \d{1,2}:\d{2}:\d{2})?\s?\Z")

_DATE_KIND = record_kind("land_approvals")
_DATE_COLUMN = "批准日期"


def _read_date_cells(cells: list[str]) -> pl.DataFrame:
    """The cells as the 批准日期 column of a delivered 建设用地审批.csv, through the typed reading."""
    raw = pl.DataFrame({_DATE_COLUMN: cells, ROW: list(range(2, len(cells) + 2))})
    return typed_records(_DATE_KIND, raw)


@settings(REPRODUCIBLE, max_examples=150)
@given(st.lists(records_dates(), min_size=1, max_size=20))
def test_a_date_in_any_accepted_spelling_reads_as_that_date(written):
    """2024-03-05, 2024/3/5, 2024年3月5日, a date cell's text or an Excel serial: each reads back as the
    date it spells, and the row is taken in without a reason."""
    typed = _read_date_cells([text for _, text in written])
    assert typed[_DATE_COLUMN].to_list() == [day for day, _ in written]
    assert typed[REASON].to_list() == [None] * len(written)


@settings(REPRODUCIBLE, max_examples=150)
@given(st.lists(near_miss_dates(), min_size=1, max_size=20))
def test_a_near_miss_date_is_refused_with_a_reason_naming_the_value(cells):
    """A two-digit year, day-first order, 2024-02-30, month 13, 2024-03, 20240305, or a serial outside
    1950–2100 is not read as some date: the row gets a reason that names the column and the value."""
    typed = _read_date_cells(cells)
    assert typed[_DATE_COLUMN].to_list() == [None] * len(cells)
    for cell, reason in zip(cells, typed[REASON].to_list(), strict=True):
        assert reason.startswith(f"{_DATE_COLUMN}: cannot read '{cell.strip()}' as a date (2024-03-05, ")


@settings(REPRODUCIBLE, max_examples=60)
@given(st.lists(st.one_of(date_like_text, near_miss_dates()), min_size=1, max_size=20))
def test_a_date_column_never_reads_text_as_a_date_it_does_not_spell(cells):
    """Whatever a date cell holds, it is read as its year-month-day (or as its Excel serial), or not at
    all: never as another date (24-03-05 is not the year 24, nor 5 March 2024)."""
    for cell, read in zip(cells, _read_date_cells(cells)[_DATE_COLUMN].to_list(), strict=True):
        assert read is None or read == _ymd_reading(cell), cell
    assert parse_date(cells[0]) == _read_date_cells(cells[:1])[_DATE_COLUMN][0]


_CASTS = (
    duckdb.connect()
)  # one in-memory database for the extractor's casts: a connection per example is slow


def _cast_in_duckdb(value_sql: str, column: str, values: pa.Array) -> list:
    """`value_sql` (the extractor's cast of `column`) evaluated on the values, in their order."""
    _CASTS.register("delivered", pa.table({column: values, "n": pa.array(range(len(values)))}))
    try:
        return [row[0] for row in _CASTS.execute(f"select {value_sql} from delivered order by n").fetchall()]
    finally:
        _CASTS.unregister("delivered")


def _layer_date_reading(values: list[str]) -> list[datetime.date | None]:
    """The values as a text GXSJ field of a delivered layer, cast by the extractor's SQL."""
    value_sql, _ = cast_sql('"GXSJ"', pa.string(), DATE)
    return _cast_in_duckdb(value_sql, "GXSJ", pa.array(values, pa.string()))


@settings(REPRODUCIBLE, max_examples=100)
@given(st.lists(layer_dates(), min_size=1, max_size=20))
def test_a_layers_text_date_in_any_accepted_spelling_reads_as_that_date(written):
    """A layer's text date field (2024-03-05, 2024/3/5, 2024年3月5日, 20240305, 2024.03.05) reads as the
    date it spells."""
    assert _layer_date_reading([text for _, text in written]) == [day for day, _ in written]


@settings(REPRODUCIBLE, max_examples=80)
@given(st.lists(st.one_of(date_like_text, near_miss_dates()), min_size=1, max_size=20))
def test_a_layers_text_date_is_never_read_as_a_date_it_does_not_spell(values):
    """A layer's text date is its year-month-day or nothing: 24-03-05, 5/3/2024 or 2024115 (5 November
    or 15 January?) are not read as some date. The layers know no Excel serials."""
    for value, read in zip(values, _layer_date_reading(values), strict=True):
        expected = None if re.fullmatch(r"\s*\d{1,7}(\.\d+)?\s*", value) else _ymd_reading(value)
        assert read is None or read == expected, value


@settings(REPRODUCIBLE, max_examples=60)
@given(st.lists(st.integers(0, 99_999_999), min_size=1, max_size=20))
def test_a_layers_numeric_date_is_read_only_from_eight_digits(numbers):
    """A date field delivered as a number reads as YYYYMMDD when it has eight digits, and not at all
    otherwise: 2024115 does not say which digits are the month."""
    value_sql, _ = cast_sql('"GXSJ"', pa.int64(), DATE)
    read = _cast_in_duckdb(value_sql, "GXSJ", pa.array(numbers, pa.int64()))
    for number, day in zip(numbers, read, strict=True):
        assert day is None or (len(str(number)) == 8 and day == _ymd_reading(str(number))), number


# =========================================================================================== encodings

# Cell text as agency systems write it: anything GBK can hold (so every tested encoding can), no NULs.
cell_text = st.text(
    st.characters(codec="gbk", exclude_categories=("Cs", "Cc"), exclude_characters=",\"'"), max_size=12
)
CSV_KINDS = [kind for kind in RECORD_KINDS if kind.format == "csv"]
EXPECTED_ENCODING = {"utf-8-sig": "UTF-8-SIG", "utf-8": "UTF-8", "gbk": "GB18030", "gb18030": "GB18030"}


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("properties")


@settings(REPRODUCIBLE, max_examples=120, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(CSV_KINDS),
    rows=st.lists(st.lists(cell_text, min_size=1, max_size=6), max_size=8),
    encoding=st.sampled_from(sorted(EXPECTED_ENCODING)),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_a_csv_export_in_gbk_or_utf8_with_or_without_bom_decodes_to_its_text(
    scratch, kind, rows, encoding, newline
):
    """A CSV export with its Chinese header row, written in GBK, GB18030, UTF-8 or UTF-8 with a BOM,
    decodes to exactly the text that was written, and says which encoding it was."""
    text = newline.join([",".join(kind.columns), *(",".join(row) for row in rows)]) + newline
    path = scratch / "export.csv"
    path.write_bytes(text.encode(encoding))
    decoded, detected = decode_text_file(path)
    assert decoded == text
    assert detected == EXPECTED_ENCODING[encoding]


@settings(REPRODUCIBLE, max_examples=60)
@given(
    kind=st.sampled_from(CSV_KINDS),
    misread=st.sampled_from(
        [("utf-8", "gb18030"), ("gbk", "cp1252"), ("gbk", "latin-1"), ("utf-8", "cp1252")]
    ),
    saved_as=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
)
def test_a_csv_whose_chinese_header_was_mis_decoded_is_refused(scratch, kind, misread, saved_as):
    """An export that went through a wrong decoding (UTF-8 read as GBK, GBK read as a Western code page)
    and was saved again is refused: its header never loads as a column of mojibake."""
    true_encoding, wrong = misread
    header = ",".join(kind.columns)
    mojibake = header.encode(true_encoding).decode(wrong, errors="replace")
    path = scratch / "mojibake.csv"
    try:
        path.write_bytes((mojibake + "\n").encode(saved_as))
    except UnicodeEncodeError:
        assume(False)
    with pytest.raises(DeliveryError):
        text, _ = decode_text_file(path)
        match_headers(kind, text.splitlines()[0].split(","), path.name)


def _dbf(path: Path, fields: dict[str, list[bytes]]) -> None:
    """A dBASE III table of character fields holding the given (already encoded) values."""
    names = list(fields)
    n = len(next(iter(fields.values())))
    widths = [max([1, *(len(v) for v in fields[name])]) for name in names]
    header_len = 32 + 32 * len(names) + 1
    record_len = 1 + sum(widths)
    out = bytearray(struct.pack("<BBBBIHH20x", 3, 124, 1, 1, n, header_len, record_len))
    for name, width in zip(names, widths, strict=True):
        out += struct.pack("<11sc4xBB14x", name.encode("ascii"), b"C", width, 0)
    out += b"\r"
    for i in range(n):
        out += b" " + b"".join(fields[name][i].ljust(w, b" ") for name, w in zip(names, widths, strict=True))
    out += b"\x1a"
    path.write_bytes(bytes(out))


# Village and unit names: common Chinese characters (GB2312), as real attribute text overwhelmingly is.
chinese_name = st.text(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5).filter(lambda ch: _in_gb2312(ch)),
    min_size=2,
    max_size=8,
).map(lambda name: name + "村")


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


@settings(REPRODUCIBLE, max_examples=60)
@given(
    names=st.lists(chinese_name, min_size=1, max_size=6),
    encoding=st.sampled_from(["utf-8", "gbk"]),
    cpg=st.sampled_from([None, "name", "code page"]),
)
def test_a_shapefiles_chinese_text_is_read_in_the_encoding_it_was_written_in(scratch, names, encoding, cpg):
    """A .dbf's Chinese attribute text written in GBK or UTF-8, with or without a .cpg naming the
    encoding (GBK / UTF-8 or the code pages 936 / 65001), is read in that encoding: back to its text."""
    dbf = scratch / "DLTB.dbf"
    _dbf(dbf, {"ZLDWMC": [n.encode(encoding) for n in names], "DLBM": [b"0101"] * len(names)})
    if cpg is None:
        detected = dbf_text_encoding(dbf)
    else:
        label = {("name", "utf-8"): "UTF-8", ("name", "gbk"): "GBK", ("code page", "utf-8"): "65001"}
        (scratch / "DLTB.cpg").write_text(label.get((cpg, encoding), "936"), encoding="ascii")
        detected = cpg_encoding(scratch / "DLTB.cpg", dbf)
    assert [n.encode(encoding).decode(detected) for n in names] == names
    assert codecs.lookup(detected).name in ({"utf-8"} if encoding == "utf-8" else {"gbk", "gb18030"})


@settings(REPRODUCIBLE, max_examples=40)
@given(names=st.lists(chinese_name, min_size=1, max_size=6), declared=st.sampled_from(["UTF-8", "65001"]))
def test_a_cpg_that_misnames_gbk_text_as_utf8_is_refused(scratch, names, declared):
    """A .cpg saying UTF-8 beside a .dbf whose Chinese text is GBK is refused, not read as mojibake."""
    dbf = scratch / "DLTB.dbf"
    _dbf(dbf, {"ZLDWMC": [n.encode("gbk") for n in names]})
    (scratch / "DLTB.cpg").write_text(declared, encoding="ascii")
    with pytest.raises(DeliveryError, match="does not match"):
        cpg_encoding(scratch / "DLTB.cpg", dbf)


# =============================================================================================== codes

county_code = st.integers(11, 65).flatmap(lambda p: st.integers(p * 10_000 + 100, p * 10_000 + 9999)).map(str)
township_code = st.tuples(county_code, st.integers(1, 999)).map(lambda t: f"{t[0]}{t[1]:03d}")
village_code = st.tuples(township_code, st.integers(1, 999)).map(lambda t: f"{t[0]}{t[1]:03d}")
LAND_CLASSES = sorted(pd.read_csv(SEEDS_DIR / "ref_land_classes.csv", dtype=str)["land_class"])


def _as_layer_text(values: list, arrow_type: pa.DataType) -> list[str | None]:
    """Values of a delivered numeric layer field as the extractor casts them into a text field."""
    value_sql, _ = cast_sql('"code"', arrow_type, TEXT)
    return _cast_in_duckdb(value_sql, "code", pa.array(values, arrow_type))


@settings(REPRODUCIBLE, max_examples=60)
@given(st.lists(st.one_of(county_code, township_code, village_code), min_size=1, max_size=20))
def test_an_administrative_code_delivered_as_a_number_reads_as_the_code(codes):
    """A county, township or village code written as a number (330402, or 330402.0 as Excel and
    Shapefile numeric fields store it) reads as the code text, in a layer and in the works JSON."""
    assert _as_layer_text([float(c) for c in codes], pa.float64()) == codes
    assert _as_layer_text([int(c) for c in codes], pa.int64()) == codes
    assert [_scalar_text(float(c)) for c in codes] == codes


@settings(REPRODUCIBLE, max_examples=60)
@given(st.lists(st.sampled_from([c for c in LAND_CLASSES if c.isdigit()]), min_size=1, max_size=10))
def test_a_land_class_that_lost_its_leading_zero_is_never_read_as_another_land_class(classes):
    """DLBM 0101 stored as the number 101 (or 101.0) reads as '101', which is no land class, so rule
    DQ01 quarantines the parcel; it is never turned into another, valid, land class."""
    for read, code in zip(_as_layer_text([float(c) for c in classes], pa.float64()), classes, strict=True):
        assert read == code or read not in LAND_CLASSES
        assert read == str(int(code))


@settings(REPRODUCIBLE, max_examples=60)
@given(
    st.lists(
        st.one_of(
            village_code.map(lambda v: float(v + "0000000")),  # a 19-digit ZLDWDM: beyond a double's digits
            st.floats(100_000, 999_999, allow_nan=False).filter(lambda x: not x.is_integer()),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_a_code_a_number_cannot_hold_exactly_is_not_turned_into_another_code(numbers):
    """A ZLDWDM (19 digits) stored as a number, or a code with a fraction (330402.5), is kept as the
    number it is: never rounded into a well-formed code that was not delivered."""
    for number, read in zip(numbers, _as_layer_text(numbers, pa.float64()), strict=True):
        assert not re.fullmatch(r"\d{6}|\d{9}|\d{12}|\d{19}", read), (number, read)
        assert float(read) == number
        assert not re.fullmatch(r"\d{6}|\d{9}|\d{12}|\d{19}", _scalar_text(number))


# ============================================================================================= headers

SPACES = st.sampled_from([" ", "  ", "\t", "\n", "\r\n", "\u3000"])


@st.composite
def header_spelling(draw, header: str) -> str:
    """A header cell as an export may write it: full-width brackets and slash, spaces or line breaks
    anywhere in it (wrapped workbook cells), a BOM or zero-width space stuck to it."""
    out = []
    for ch in header:
        if ch in "()/." and draw(st.booleans()):
            ch = {"(": "（", ")": "）", "/": "／", ".": "．"}[ch]
        if draw(st.integers(0, 5)) == 0:
            ch = draw(SPACES) + ch
        out.append(ch)
    cell = "".join(out) + (draw(SPACES) if draw(st.booleans()) else "")
    return draw(st.sampled_from(["", "\ufeff", "\u200b"])) + cell


@st.composite
def delivered_headers(draw):
    """(kind, header cells, {cell index: canonical column}) for every column of a kind, in any order."""
    kind = draw(st.sampled_from(RECORD_KINDS))
    columns = draw(st.permutations(list(kind.columns)))
    cells = [draw(header_spelling(column)) for column in columns]
    return kind, cells, dict(enumerate(columns))


@settings(REPRODUCIBLE, max_examples=150)
@given(delivered_headers())
def test_any_order_and_spelling_of_a_files_headers_maps_to_its_columns(delivered):
    """Headers in any order, with full-width brackets, wrapped lines, spaces or a BOM, each map to the
    column they name."""
    kind, cells, expected = delivered
    assert match_headers(kind, cells, "file.csv") == expected


@settings(REPRODUCIBLE, max_examples=100)
@given(delivered_headers(), st.data())
def test_a_header_row_missing_a_column_is_refused_naming_it(delivered, data):
    """A header row that lacks one of the kind's columns is refused, and the message names it."""
    kind, cells, expected = delivered
    dropped = data.draw(st.sampled_from(sorted(expected)))
    with pytest.raises(DeliveryError) as refused:
        match_headers(kind, [c for i, c in enumerate(cells) if i != dropped], "file.csv")
    missing = re.search(r"missing header\(s\) (.*?)\. Expected", refused.value.message)
    assert missing and expected[dropped] in missing.group(1).split(", ")


@st.composite
def near_miss_header(draw, header: str) -> str:
    """A header one edit away from a real one: a character dropped, doubled or replaced."""
    i = draw(st.integers(0, len(header) - 1))
    edit = draw(st.sampled_from(["drop", "double", "replace"]))
    if edit == "drop":
        return header[:i] + header[i + 1 :]
    if edit == "double":
        return header[:i] + header[i] + header[i:]
    return header[:i] + draw(st.sampled_from("数面积地区县码号日期亩元X")) + header[i + 1 :]


@settings(REPRODUCIBLE, max_examples=100)
@given(delivered_headers(), st.data())
def test_a_header_one_edit_away_from_a_known_one_is_refused_not_guessed(delivered, data):
    """A misspelt header is refused by name; it is never taken for the column it resembles."""
    kind, cells, expected = delivered
    index = data.draw(st.sampled_from(sorted(expected)))
    wrong = data.draw(near_miss_header(expected[index]))
    assume(wrong.strip() and wrong not in kind.columns and wrong != expected[index])
    cells[index] = wrong
    with pytest.raises(DeliveryError) as refused:
        match_headers(kind, cells, "file.csv")
    assert f"{wrong.strip()!r}" in refused.value.message
    assert re.search(
        rf"missing header\(s\) (.*, )?{re.escape(expected[index])}(,|\. Expected)", refused.value.message
    )


def _case(draw, name: str) -> str:
    return draw(st.sampled_from([name, name.lower(), name.capitalize(), name.swapcase()]))


@st.composite
def delivered_fields(draw):
    """(layer, delivered field names, {canonical: index}) for a layer's fields (required ones always,
    optional ones sometimes), each under its name or one of its aliases, in any letter case and order."""
    layer = draw(st.sampled_from(LAYERS))
    chosen = [f for f in layer.fields if f in layer.required or draw(st.booleans())]
    spelled = {f: _case(draw, draw(st.sampled_from([f, *layer.alias_names(f)]))) for f in chosen}
    order = draw(st.permutations(chosen))
    return layer, [spelled[f] for f in order], {f: order.index(f) for f in chosen}


@settings(REPRODUCIBLE, max_examples=150)
@given(delivered_fields())
def test_any_order_case_and_alias_of_a_layers_fields_maps_to_its_fields(delivered):
    """A layer's fields in any order, upper or lower case, under the 三调 name or a listed alias (BGMJ
    for TBBGMJ, YJJBNTMJ for JBNTMJ …), map to the canonical fields, with no field left over."""
    layer, names, expected = delivered
    mapping, extras = map_fields(layer, names)
    assert mapping == expected and extras == []
    assert missing_fields_reason(layer, "f.gpkg", names, mapping, extras) is None


@settings(REPRODUCIBLE, max_examples=100)
@given(delivered_fields(), st.data())
def test_a_layer_missing_a_required_field_is_refused_naming_it(delivered, data):
    """A layer without one of the fields its figures and rules read is refused (DQ15), naming it."""
    layer, names, expected = delivered
    assume(layer.required)
    dropped = data.draw(st.sampled_from(layer.required))
    kept = [n for i, n in enumerate(names) if i != expected[dropped]]
    mapping, extras = map_fields(layer, kept)
    reason = missing_fields_reason(layer, "f.gpkg", kept, mapping, extras)
    assert reason is not None and re.search(rf"lacks the field\(s\) (.*, )?{re.escape(dropped)}\b", reason)


# ====================================================================================== change replay

COUNTY, ZLDWDM = "330402", "3304020010010000000"
BASE_YEAR, CHANGE_YEAR = 2022, 2023
X0, Y0 = 40_500_000, 3_400_000  # CGCS2000 zone 40, where the region's counties lie
# Classes of the generated parcels, with the 田坎 coefficients (KCXS) a 耕地 parcel may carry.
CLASS_COEFFICIENTS = {
    "0101": (0.0, 0.05, 0.134),
    "0102": (0.0, 0.08),
    "0103": (0.0, 0.1, 0.2),
    "0201": (0.0,),
    "0301": (0.0,),
    "0404": (0.0,),
    "0702": (0.0,),
    "1003": (0.0,),
    "1104": (0.0,),
    "1203": (0.0,),
}


def _wkt(x0: int, y0: int, x1: int, y1: int) -> str:
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
    return "POLYGON((" + ", ".join(f"{X0 + x} {Y0 + y}" for x, y in corners) + "))"


@dataclass(frozen=True)
class Plot:
    """A rectangular parcel (metres from the origin) with its land class and 田坎 coefficient."""

    bsm: int
    x0: int
    y0: int
    x1: int
    y1: int
    dlbm: str
    kcxs: float

    def area_within(self, other: Plot | None = None) -> int:
        other = other or self
        w = min(self.x1, other.x1) - max(self.x0, other.x0)
        h = min(self.y1, other.y1) - max(self.y0, other.y0)
        return max(w, 0) * max(h, 0)

    def deduction(self, area: float) -> tuple[float, float]:
        """(KCMJ, TBDLMJ) of `area` m² of this parcel, to the standard's 2 decimals."""
        kcmj = round(area * self.kcxs, 2)
        return kcmj, round(area - kcmj, 2)

    def record(self, year: int, row: int, layer: str) -> dict:
        kcmj, tbdlmj = self.deduction(self.area_within())
        cultivated = self.dlbm.startswith("01")
        return {
            "BSM": self.bsm, "TBBH": str(self.bsm), "DLBM": self.dlbm, "ZLDWDM": ZLDWDM,
            "TBMJ": float(self.area_within()), "KCDLBM": "1203" if self.kcxs else None, "KCXS": self.kcxs,
            "KCMJ": kcmj, "TBDLMJ": tbdlmj, "GDDB": 5 if cultivated else None,
            "GDPDJB": "1" if cultivated else None, "ZZSXDM": "LS" if cultivated else None, "SJNF": year,
            "wkt": _wkt(self.x0, self.y0, self.x1, self.y1), "_survey_year": year,
            "_source_file": f"survey/{year}/{layer}.parquet", "_source_row": row,
        }  # fmt: skip


@dataclass
class ChangeYear:
    base: list[Plot]
    retired: list[Plot]
    created: list[Plot]
    pieces: list[dict]

    @property
    def state_after(self) -> list[Plot]:
        gone = {p.bsm for p in self.retired}
        return [p for p in self.base if p.bsm not in gone] + self.created


def _piece(before: Plot, after: Plot, bgxw: str) -> dict:
    area = before.area_within(after)
    before_kcmj, before_tbdlmj = before.deduction(area)
    after_kcmj, after_tbdlmj = after.deduction(area)
    return {
        "BGXW": bgxw, "BGQTBBSM": before.bsm, "BGHTBBSM": after.bsm, "BGQDLBM": before.dlbm,
        "BGHDLBM": after.dlbm, "BGQZLDWDM": ZLDWDM, "BGHZLDWDM": ZLDWDM,
        "BGQKCDLBM": "1203" if before.kcxs else None, "BGHKCDLBM": "1203" if after.kcxs else None,
        "BGQKCXS": before.kcxs, "BGHKCXS": after.kcxs, "BGQKCMJ": before_kcmj, "BGHKCMJ": after_kcmj,
        "BGQTBDLMJ": before_tbdlmj, "BGHTBDLMJ": after_tbdlmj, "TBBGMJ": float(area), "XZQTZLX": "0",
        "GXSJ": datetime.date(CHANGE_YEAR, 11, 30),
        "wkt": _wkt(max(before.x0, after.x0), max(before.y0, after.y0), min(before.x1, after.x1),
                    min(before.y1, after.y1)),
    }  # fmt: skip


land_class = st.sampled_from(sorted(CLASS_COEFFICIENTS))


@st.composite
def classified(draw, bsm: int, x0: int, y0: int, x1: int, y1: int) -> Plot:
    dlbm = draw(land_class)
    return Plot(bsm, x0, y0, x1, y1, dlbm, draw(st.sampled_from(CLASS_COEFFICIENTS[dlbm])))


@st.composite
def change_years(draw) -> ChangeYear:
    """A base state of rectangular parcels tiling a rectangle, and a change year that reclassifies some
    parcels (attributes only), splits some in two and merges some with their right-hand neighbour."""
    widths = draw(st.lists(st.integers(4, 90), min_size=1, max_size=4))
    heights = draw(st.lists(st.integers(4, 90), min_size=1, max_size=3))
    xs = [sum(widths[:i]) for i in range(len(widths) + 1)]
    ys = [sum(heights[:j]) for j in range(len(heights) + 1)]
    grid = [
        [draw(classified(100 + j * 10 + i, xs[i], ys[j], xs[i + 1], ys[j + 1])) for i in range(len(widths))]
        for j in range(len(heights))
    ]
    base = [plot for row in grid for plot in row]
    next_bsm = iter(range(1000, 2000))
    retired: list[Plot] = []
    created: list[Plot] = []
    pieces: list[dict] = []
    for row in grid:
        i = 0
        while i < len(row):
            plot = row[i]
            can_merge = i + 1 < len(row)
            change = draw(st.sampled_from(["keep", "reclassify", "split"] + (["merge"] if can_merge else [])))
            if change == "reclassify":
                new = draw(classified(next(next_bsm), plot.x0, plot.y0, plot.x1, plot.y1))
                retired.append(plot)
                created.append(new)
                pieces.append(_piece(plot, new, "1"))
            elif change == "split":
                across = draw(st.booleans())
                lo, hi = (plot.y0, plot.y1) if across else (plot.x0, plot.x1)
                cut = draw(st.integers(lo + 1, hi - 1))
                halves = (
                    [(plot.x0, plot.y0, plot.x1, cut), (plot.x0, cut, plot.x1, plot.y1)]
                    if across
                    else [(plot.x0, plot.y0, cut, plot.y1), (cut, plot.y0, plot.x1, plot.y1)]
                )
                news = [draw(classified(next(next_bsm), *box)) for box in halves]
                retired.append(plot)
                created.extend(news)
                pieces.extend(_piece(plot, new, "2") for new in news)
            elif change == "merge":
                right = row[i + 1]
                new = draw(classified(next(next_bsm), plot.x0, plot.y0, right.x1, plot.y1))
                retired.extend([plot, right])
                created.append(new)
                pieces.extend(_piece(old, new, "2") for old in (plot, right))
                i += 1
            i += 1
    assume(pieces)  # a year without change delivers nothing to replay
    return ChangeYear(base, retired, created, pieces)


# The models the DQ09 subject is computed from, in the order they read each other.
REPLAY_MODELS = [
    ("staging", "stg_survey__parcels"),
    ("staging", "stg_survey__updated_parcels"),
    ("staging", "stg_survey__change_pieces"),
    ("intermediate", "int_survey__survey_years"),
    ("intermediate", "int_survey__county_years"),
    ("intermediate", "int_survey__parcel_versions"),
    ("intermediate", "int_survey__land_use_state"),
    ("intermediate", "int_survey__land_use_area"),
    ("intermediate", "int_survey__change_flows"),
    ("intermediate", "int_survey__change_flows_by_county"),
    ("intermediate", "int_survey__reconciliation"),
    ("rule_subjects", "dq09_change_reconciliation"),
]
_COMPILED_CATALOG = "replay_compiled"


def _compile_replay(scratch: Path) -> dict[str, str]:
    """{model: compiled SELECT} of the DQ09 subject and the models it reads, as the pipeline runs them."""
    from orchestration.resources import WarehouseResource
    from quality.catalog import dbt_vars

    env = {
        **os.environ,
        **WarehouseResource(warehouse=str(scratch / f"{_COMPILED_CATALOG}.duckdb")).dbt_profile_env(),
    }
    env.pop("FARMLAND_COUNTY_PARTITION", None)  # the region-wide build
    command = [
        str(Path(sys.executable).with_name("dbt")), "compile", "--quiet",
        "--profiles-dir", str(TRANSFORMS_DIR), "--target-path", str(scratch / "target"),
        "--select", "+dq09_change_reconciliation", "--vars", dbt_vars(),
    ]  # fmt: skip
    completed = subprocess.run(command, cwd=TRANSFORMS_DIR, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"dbt compile failed:\n{completed.stdout}\n{completed.stderr}")
    compiled = scratch / "target" / "compiled" / "farmland" / "models"
    return {
        p.stem: p.read_text(encoding="utf-8") for p in compiled.rglob("*.sql") if p.parent.suffix != ".yml"
    }


@pytest.fixture(scope="module")
def replay(tmp_path_factory) -> Callable[[ChangeYear, bool], duckdb.DuckDBPyConnection]:
    """Load a generated delivery into an in-memory warehouse whose models are views of the compiled SQL."""
    from warehouse.connection import warehouse

    compiled = _compile_replay(tmp_path_factory.mktemp("replay"))
    with warehouse(":memory:") as con:
        catalog = con.execute("select current_database()").fetchone()[0]
        con.execute("CREATE SCHEMA IF NOT EXISTS reference; CREATE SCHEMA IF NOT EXISTS rule_subjects")
        for seed in ("ref_land_classes", "ref_region", "ref_attribute_domains"):
            con.execute(
                f"CREATE TABLE reference.{seed} AS "
                "SELECT * FROM read_csv(?, all_varchar = true, header = true)",
                [str(SEEDS_DIR / f"{seed}.csv")],
            )
        for flag in ("is_cultivated", "is_other_agricultural", "is_construction", "is_wetland"):
            con.execute(f"ALTER TABLE reference.ref_land_classes ALTER {flag} TYPE BOOLEAN")
        for schema, model in REPLAY_MODELS:
            sql = compiled[model].replace(f'"{_COMPILED_CATALOG}".', f'"{catalog}".')
            con.execute(f"CREATE VIEW {schema}.{model} AS {sql}")

        def load(change: ChangeYear, deliver_state: bool) -> duckdb.DuckDBPyConnection:
            for table in ("dltb", "dltbgx", "dltbgxgc"):
                con.execute(f"DELETE FROM raw.{table}")
            rows = {
                "dltb": [p.record(BASE_YEAR, n, "DLTB") for n, p in enumerate(change.base, 1)],
                "dltbgx": [p.record(CHANGE_YEAR, n, "DLTBGX") for n, p in enumerate(change.created, 1)],
                "dltbgxgc": [
                    piece
                    | {
                        "BSM": n,
                        "_survey_year": CHANGE_YEAR,
                        "_source_row": n,
                        "_source_file": f"survey/{CHANGE_YEAR}/DLTBGXGC.parquet",
                    }
                    for n, piece in enumerate(change.pieces, 1)
                ],  # fmt: skip
            }
            if deliver_state:  # the year's full DLTB as well: the state the replay must agree with
                rows["dltb"] += [
                    p.record(CHANGE_YEAR, n, "DLTB") for n, p in enumerate(change.state_after, 1)
                ]
            for table, records in rows.items():
                if not records:
                    continue
                con.register("delivered", pd.DataFrame(records))
                con.execute(
                    f"""INSERT INTO raw.{table} BY NAME
                        SELECT * EXCLUDE (wkt), ST_GeomFromText(wkt) AS geom, now() AS _loaded_at,
                               'sha' AS _file_sha256
                        FROM delivered"""
                )
                con.unregister("delivered")
            return con

        yield load


def _dq09_failures(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The entities of the DQ09 subject outside the catalog's expectations (|diff_m2| within the
    tolerance, no missing change year). The rule runner evaluates the same bounds through Great
    Expectations, whose start-up alone would cost a third of this file's time budget."""
    rule = load_catalog()["DQ09"]
    kinds = sorted(e.type for e in rule.expectations)
    assert kinds == ["expect_column_values_to_be_between", "expect_column_values_to_be_null"], kinds
    rows = con.execute(
        """select entity_id from rule_subjects.dq09_change_reconciliation
           where abs(diff_m2) > ? or missing_change_year is not null order by entity_id""",
        [rule.parameters["tolerance_m2"]],
    ).fetchall()
    return [entity for (entity,) in rows]


def _state(con: duckdb.DuckDBPyConnection) -> set[tuple]:
    rows = con.execute(
        """select bsm, land_class, round(land_class_area_m2, 2), round(deduction_area_m2, 2)
           from intermediate.int_survey__land_use_state where survey_year = ?""",
        [CHANGE_YEAR],
    ).fetchall()
    return {(bsm, dlbm, float(tbdlmj), float(kcmj)) for bsm, dlbm, tbdlmj, kcmj in rows}


def _expected_state(change: ChangeYear) -> set[tuple]:
    return {(p.bsm, p.dlbm, *reversed(p.deduction(p.area_within()))) for p in change.state_after}


REPLAY = settings(REPRODUCIBLE, max_examples=10, suppress_health_check=[HealthCheck.too_slow])


@REPLAY
@given(change_years(), st.booleans())
def test_a_change_year_replayed_onto_its_state_reconciles(replay, change, deliver_state):
    """State(2022) minus the parcels the 2023 pieces retire plus the 2023 DLTBGX parcels is the state
    of 2023 (the delivered DLTB of 2023 where there is one), and every county and class balances under
    rule DQ09: area(2023) = area(2022) − flows out + flows in."""
    con = replay(change, deliver_state)
    assert _state(con) == _expected_state(change)
    checked = con.execute(
        "select count(*) from rule_subjects.dq09_change_reconciliation where year = ?", [CHANGE_YEAR]
    ).fetchone()[0]
    assert checked > 0
    assert _dq09_failures(con) == []


@REPLAY
@given(change_years(), st.booleans(), st.sampled_from(["drop", "after_class", "before_class"]), st.data())
def test_a_change_year_whose_pieces_do_not_add_up_is_caught_by_dq09(replay, change, deliver_state, how, data):
    """A change piece missing, or written with another before or after class than its parcels have,
    leaves a county class out of balance, and DQ09 names it."""
    moving = [
        n for n, p in enumerate(change.pieces)
        if p["BGQDLBM"] != p["BGHDLBM"] and min(p["BGQTBDLMJ"], p["BGHTBDLMJ"]) > 1
    ]  # fmt: skip
    assume(moving)
    n = data.draw(st.sampled_from(moving))
    piece = change.pieces[n]
    if how == "drop":
        pieces = change.pieces[:n] + change.pieces[n + 1 :]
        unbalanced = piece["BGHDLBM"]
    else:
        side = "BGHDLBM" if how == "after_class" else "BGQDLBM"
        other = data.draw(land_class.filter(lambda c: c != piece[side]))
        pieces = [*change.pieces[:n], piece | {side: other}, *change.pieces[n + 1 :]]
        unbalanced = piece[side]
    con = replay(replace(change, pieces=pieces), deliver_state)
    assert f"{COUNTY}:{unbalanced}" in _dq09_failures(con)
