"""A column table of parcels: a dict of equally long numpy arrays.

Generation works on whole columns (numpy indexing), so a table is a plain dict rather than a DataFrame.
Text columns are object arrays with None for null, KCXS is float with NaN for null, GDDB is int with -1
for null, and areas are int64 hundredths of m² (`*_C` columns). Geometry is kept as rectangle bounds
(x0, y0, x1, y1) plus an optional WKB override for the few planted non-rectangles.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Table = dict[str, np.ndarray]

# DLTB attribute columns in delivery order (areas as *_C cents until written).
PARCEL_COLUMNS = (
    "BSM", "TBBH", "DLBM", "DLMC", "QSXZ", "QSDWDM", "QSDWMC", "ZLDWDM", "ZLDWMC", "TBMJ_C", "KCDLBM",
    "KCXS", "KCMJ_C", "TBDLMJ_C", "GDLX", "GDPDJB", "TBXHDM", "ZZSXDM", "GDDB", "CZCSXM", "SJNF",
)  # fmt: skip
GEOMETRY_COLUMNS = ("x0", "y0", "x1", "y1", "WKB")
# Bookkeeping that is never delivered: the county a parcel lies in, its village, its tiling row.
INTERNAL_COLUMNS = ("COUNTY", "VILLAGE", "ROW")
# The attributes a change record copies before (BGQ…) and after (BGH…); areas in cents.
CHANGE_ATTRIBUTES = (
    "DLBM", "DLMC", "QSXZ", "QSDWDM", "ZLDWDM", "ZLDWMC", "KCDLBM", "KCXS", "KCMJ_C", "TBDLMJ_C",
    "GDLX", "GDPDJB", "TBXHDM", "ZZSXDM", "GDDB", "CZCSXM",
)  # fmt: skip


def length(table: Table) -> int:
    return len(next(iter(table.values())))


def take(table: Table, rows: np.ndarray) -> Table:
    return {key: values[rows] for key, values in table.items()}


def concat(tables: Sequence[Table]) -> Table:
    tables = [table for table in tables if table and length(table)]
    if not tables:
        raise ValueError("nothing to concatenate")
    return {key: np.concatenate([table[key] for table in tables]) for key in tables[0]}
