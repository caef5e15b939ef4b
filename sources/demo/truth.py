"""The figures the warehouse must reproduce from the demo deliveries, computed from the generator's own
tables with the semantics of SOURCES.md:

- area of land class c in a county = Σ TBDLMJ where DLBM = c + Σ KCMJ where KCDLBM = c, quarantined
  parcels excluded;
- the flows of a change piece: BGQDLBM → BGHDLBM of min(BGQTBDLMJ, BGHTBDLMJ), and the difference
  BGQTBDLMJ − BGHTBDLMJ as BGQDLBM → 1203 (positive) or 1203 → BGHDLBM (negative);
- 进出平衡: out = flows 耕地 → other agricultural land, in = flows other agricultural land → 耕地.

Everything is summed in integer hundredths of m², so the replay identity is checked exactly.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

from sources.demo.frame import Table
from sources.demo.landclasses import CULTIVATED, TERRACE, land_classes

_AREA = "area_c"
_SCHEMA = {"admin_code": pl.String, "land_class": pl.String, _AREA: pl.Int64}
_FLOW_SCHEMA = {"admin_code": pl.String, "from_class": pl.String, "to_class": pl.String, _AREA: pl.Int64}


def _frame(columns: dict[str, np.ndarray], schema: dict) -> pl.DataFrame:
    # Object arrays (text with None) go through Arrow; polars cannot cast numpy object columns.
    return pl.DataFrame(
        {
            name: pl.Series(name, pa.array(values, type=pa.string() if values.dtype == object else None))
            for name, values in columns.items()
        }
    ).cast(schema)


def cents_to_mu(cents: int | float) -> float:
    return round(cents * 15 / 1_000_000, 6)  # m² × 0.0015, m² = cents / 100


def land_use_area(state: Table, quarantined: set[int]) -> pl.DataFrame:
    """admin_code × land_class → area (cents) of one state."""
    keep = ~np.isin(state["BSM"], np.fromiter(quarantined, dtype=np.int64, count=len(quarantined)))
    county = np.array([code[:6] for code in state["ZLDWDM"][keep]], dtype=object)
    by_class = _frame(
        {"admin_code": county, "land_class": state["DLBM"][keep], _AREA: state["TBDLMJ_C"][keep]}, _SCHEMA
    )
    terrace = _frame(
        {"admin_code": county, "land_class": state["KCDLBM"][keep], _AREA: state["KCMJ_C"][keep]}, _SCHEMA
    ).filter(pl.col("land_class").is_not_null())
    return (
        pl.concat([by_class, terrace])
        .group_by("admin_code", "land_class")
        .agg(pl.col(_AREA).sum())
        .filter(pl.col(_AREA) != 0)
        .sort("admin_code", "land_class")
    )


def flows(gc: Table) -> pl.DataFrame:
    """admin_code × from_class × to_class → area (cents) of a year's change records (from ≠ to)."""
    before, after = gc["BGQTBDLMJ_C"], gc["BGHTBDLMJ_C"]
    county = np.array([code[:6] for code in gc["BGQZLDWDM"]], dtype=object)
    diff = before - after
    frame = _frame(
        {
            "admin_code": np.concatenate([county, county]),
            "from_class": np.concatenate([gc["BGQDLBM"], np.where(diff > 0, gc["BGQDLBM"], TERRACE)]),
            "to_class": np.concatenate([gc["BGHDLBM"], np.where(diff > 0, TERRACE, gc["BGHDLBM"])]),
            _AREA: np.concatenate([np.minimum(before, after), np.abs(diff)]),
        },
        _FLOW_SCHEMA,
    )
    return (
        frame.filter((pl.col("from_class") != pl.col("to_class")) & (pl.col(_AREA) != 0))
        .group_by("admin_code", "from_class", "to_class")
        .agg(pl.col(_AREA).sum())
        .sort("admin_code", "from_class", "to_class")
    )


def in_out(gc: Table) -> pl.DataFrame:
    """admin_code → (in_c, out_c) of 进出平衡 for one change year."""
    other = [code for code, cls in land_classes().items() if cls.is_other_agricultural]
    year_flows = flows(gc)
    out = year_flows.filter(pl.col("from_class").is_in(CULTIVATED) & pl.col("to_class").is_in(other))
    in_ = year_flows.filter(pl.col("from_class").is_in(other) & pl.col("to_class").is_in(CULTIVATED))
    out = out.group_by("admin_code").agg(pl.col(_AREA).sum().alias("out_c"))
    in_ = in_.group_by("admin_code").agg(pl.col(_AREA).sum().alias("in_c"))
    return (
        out.join(in_, on="admin_code", how="full", coalesce=True)
        .with_columns(pl.col("out_c").fill_null(0), pl.col("in_c").fill_null(0))
        .sort("admin_code")
    )


def reconciliation_errors(
    before: pl.DataFrame, after: pl.DataFrame, year_flows: pl.DataFrame
) -> pl.DataFrame:
    """County × class rows where area_Y ≠ area_{Y−1} − outflows + inflows (cents; empty when exact)."""
    outflow = year_flows.group_by("admin_code", pl.col("from_class").alias("land_class")).agg(
        pl.col(_AREA).sum().alias("out_c")
    )
    inflow = year_flows.group_by("admin_code", pl.col("to_class").alias("land_class")).agg(
        pl.col(_AREA).sum().alias("in_c")
    )
    keys = ["admin_code", "land_class"]
    joined = (
        before.rename({_AREA: "before_c"})
        .join(after.rename({_AREA: "after_c"}), on=keys, how="full", coalesce=True)
        .join(outflow, on=keys, how="full", coalesce=True)
        .join(inflow, on=keys, how="full", coalesce=True)
        .fill_null(0)
    )
    return joined.filter(pl.col("after_c") != pl.col("before_c") - pl.col("out_c") + pl.col("in_c"))


def cultivated_cents(area: pl.DataFrame) -> dict[str, int]:
    """admin_code → Σ 耕地 area (cents) from a land_use_area frame."""
    rows = area.filter(pl.col("land_class").is_in(CULTIVATED)).group_by("admin_code").agg(pl.col(_AREA).sum())
    return dict(zip(rows["admin_code"].to_list(), rows[_AREA].to_list(), strict=True))
