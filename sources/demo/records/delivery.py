"""Writing record files the way agency systems export them: CSV in GBK or UTF-8 (with or without BOM),
CRLF line ends, a title line above the header now and then, full-width parentheses in some headers,
dates in the four spellings of SOURCES.md, amounts with thousands separators; a JSON export wrapped in
an object; boundary layers through `sources.formats.write_layer`.

Row numbers: `write_csv` returns the line number of every data row (header = line 1 unless a title
line sits above it), the number the loader stores as `_source_row`, so planted rows can be named exactly.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pyarrow as pa
import shapely

from sources.demo.region import CRS_EPSG
from sources.formats import write_layer

GBK, UTF8_BOM, UTF8 = "gbk", "utf-8-sig", "utf-8"


def iso(day: date | None) -> str:
    return "" if day is None else day.isoformat()  # 2024-03-05


def slash(day: date | None) -> str:
    return "" if day is None else f"{day.year}/{day.month}/{day.day}"  # 2024/3/5


def chinese(day: date | None) -> str:
    return "" if day is None else f"{day.year}年{day.month}月{day.day}日"  # 2024年3月5日


def mu(value: float | None, places: int = 4) -> str:
    """An area in 亩 as delivered: fixed decimals, trailing zeros dropped (12.5, 0.1234, 3)."""
    if value is None:
        return ""
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def amount(value: float, grouped: bool = False) -> str:
    """Money in 元 with 2 decimals; finance systems print thousands separators (1,234,567.00)."""
    return f"{value:,.2f}" if grouped else f"{value:.2f}"


def full_width(header: str) -> str:
    """Some systems print headers with full-width parentheses: 新增耕地面积（亩）."""
    return header.replace("(", "（").replace(")", "）")


def write_csv(
    path: Path,
    header: list[str],
    rows: list[list[str]],
    *,
    encoding: str,
    title: str | None = None,
) -> list[int]:
    """Write a CSV export; returns the file line number of each data row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    first = 2
    if title is not None:
        writer.writerow([title])
        first = 3
    writer.writerow(header)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return list(range(first, first + len(rows)))


def write_json(path: Path, document: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")


def write_boundaries(
    path: Path, key: str, ids: list[str], bounds: list[tuple[float, float, float, float]]
) -> None:
    """A boundary layer keyed by `key` (项目编号 / 批准文号): one rectangle polygon per record, EPSG:4528."""
    geometries = [shapely.box(*box) for box in bounds]
    write_layer(path, pa.table({key: pa.array(ids, type=pa.string())}), geometries, CRS_EPSG)
