"""The shapes the record generators hand to the writer, and the manifest entry of a planted violation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np


@dataclass
class CsvFile:
    kind: str  # RecordKind.table
    rel: str  # path under the landing folder
    header: list[str]
    rows: list[list[str]]
    encoding: str
    title: str | None = None  # a title line above the header, as some exports have

    def line(self, index: int) -> int:
        """File line number of data row `index` (what the loader stores as `_source_row`)."""
        return (3 if self.title else 2) + index


@dataclass
class XlsxFile:
    kind: str
    rel: str
    sheets: dict[str, list[list]]
    merges: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class JsonFile:
    kind: str
    rel: str
    document: object


@dataclass
class LayerFile:
    rel: str
    key: str
    ids: list[str]
    bounds: list[tuple[float, float, float, float]]


def planted(
    rule_id: str,
    entity_type: str,
    entity_id: str,
    admin_code: str,
    year: int,
    layer: str,
    detail: dict,
) -> dict:
    """A manifest entry in the format of `manifest.planted` (layer = the record kind's raw table)."""
    return {
        "rule_id": rule_id,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "admin_code": admin_code,
        "year": int(year),
        "layer": layer,
        "detail": detail,
    }


def days(count: int | np.integer) -> timedelta:
    return timedelta(days=int(count))


def clamp(day: date, low: date, high: date) -> date:
    return min(max(day, low), high)


def random_day(rng: np.random.Generator, low: date, high: date) -> date:
    """A day in [low, high]."""
    span = (high - low).days
    return low + days(rng.integers(0, span + 1)) if span > 0 else low
