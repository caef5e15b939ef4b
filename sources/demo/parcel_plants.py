"""Planted cases on base parcels: each function plants one rule's case, and says which.

planting.choose calls them in a fixed order (the planting stream draws in it), each picking its parcels
through the shared ParcelPicker; each returns its edit, which planting.apply runs once calibration is
done, so the edits only touch rows calibration leaves alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sources.demo.attributes import terrace_split
from sources.demo.geodesy import rectangle_area_cents

if TYPE_CHECKING:
    from sources.demo.frame import Table
    from sources.demo.planting import Edit, Note, ParcelPicker

DQ01_CLASSES = ("0199", "9999")  # not in the 三调 working classification
DQ02_COUNTIES = ("330102", "330501")  # 杭州市上城区, 湖州市吴兴区: outside 嘉兴市
DQ03_AREA_ERROR = 1.01  # TBMJ 1% above the polygon's area (tolerance 0.2%)
DQ04_ERROR_C = 300  # 3 m² off
DQ06_STRIP = 10.0  # metres parcel A grows into its neighbour B
DQ08_GDDB = 5  # a 耕地等别 on a parcel that is not 耕地
DQ08_GDPDJB = "7"  # outside the 坡度级别 code set 1–5


def _resize(base: Table, row: int) -> None:
    """Recompute TBMJ and the 田坎 split of a parcel from its (changed) rectangle."""
    edges = [base[edge][row : row + 1] for edge in ("x0", "y0", "x1", "y1")]
    base["TBMJ_C"][row] = rectangle_area_cents(*edges)[0]
    kcmj, tbdlmj = terrace_split(base["TBMJ_C"][row : row + 1], base["KCXS"][row : row + 1].astype(float))
    base["KCMJ_C"][row], base["TBDLMJ_C"][row] = kcmj[0], tbdlmj[0]


def plant_dq01_unknown_land_class(picker: ParcelPicker) -> Edit:
    """DQ01 (地类编码符合三调工作分类): two parcels that are not 耕地 and carry no planting attribute are
    given the codes DQ01_CLASSES, which the 三调 classification does not know; DQ01 finds those two
    parcels (and the warehouse quarantines them)."""
    rows = picker.pick("DQ01", picker.not_cultivated, 2)

    def edit(base: Table, note: Note) -> None:
        for row, code in zip(rows, DQ01_CLASSES, strict=True):
            note("DQ01", row, {"field": "DLBM", "value": code, "was": str(base["DLBM"][row])})
            base["DLBM"][row] = code

    return edit


def plant_dq02_foreign_county(picker: ParcelPicker) -> Edit:
    """DQ02 (坐落单位属于本辖区): two parcels of any class whose ZLDWDM names a county outside the region
    (DQ02_COUNTIES), its village part kept; DQ02 finds those two parcels."""
    rows = picker.pick("DQ02", np.ones(len(picker.base["BSM"]), dtype=bool), 2)

    def edit(base: Table, note: Note) -> None:
        for row, county in zip(rows, DQ02_COUNTIES, strict=True):
            note(
                "DQ02", row, {"field": "ZLDWDM", "county": county, "actual_county": str(base["COUNTY"][row])}
            )
            base["ZLDWDM"][row] = county + str(base["ZLDWDM"][row])[6:]

    return edit


def plant_dq03_area_mismatch(picker: ParcelPicker) -> Edit:
    """DQ03 (地、数、图一致): one 耕地 parcel and one other parcel whose TBMJ is DQ03_AREA_ERROR × the
    polygon's area (KCMJ and TBDLMJ follow it, so only DQ03 breaks); DQ03 finds those two parcels."""
    rows = np.concatenate(
        [picker.pick("DQ03", picker.cultivated, 1), picker.pick("DQ03", picker.not_cultivated, 1)]
    )

    def edit(base: Table, note: Note) -> None:
        for row in rows:
            true_c = int(base["TBMJ_C"][row])
            base["TBMJ_C"][row] = int(np.rint(true_c * DQ03_AREA_ERROR))
            kcmj, tbdlmj = terrace_split(
                base["TBMJ_C"][row : row + 1], base["KCXS"][row : row + 1].astype(float)
            )
            base["KCMJ_C"][row], base["TBDLMJ_C"][row] = kcmj[0], tbdlmj[0]
            note("DQ03", row, {"TBMJ": float(base["TBMJ_C"][row]) / 100, "polygon_area_m2": true_c / 100})

    return edit


def plant_dq04_area_arithmetic(picker: ParcelPicker) -> Edit:
    """DQ04 (扣除面积与图斑地类面积计算正确): two 耕地 parcels, one whose KCMJ is DQ04_ERROR_C off TBMJ ×
    KCXS (TBDLMJ = TBMJ − KCMJ still holds), one whose TBDLMJ is that much off TBMJ − KCMJ; DQ04 finds
    those two parcels."""
    kc_row, dl_row = picker.pick("DQ04", picker.cultivated, 2)

    def edit(base: Table, note: Note) -> None:
        base["KCMJ_C"][kc_row] += DQ04_ERROR_C
        base["TBDLMJ_C"][kc_row] -= DQ04_ERROR_C
        note("DQ04", kc_row, {"field": "KCMJ", "off_by_m2": DQ04_ERROR_C / 100})
        base["TBDLMJ_C"][dl_row] += DQ04_ERROR_C
        note("DQ04", dl_row, {"field": "TBDLMJ", "off_by_m2": DQ04_ERROR_C / 100})

    return edit


def plant_dq06_parcels_overlap(picker: ParcelPicker) -> Edit:
    """DQ06 (同一年度地类图斑互不重叠): parcel A of two neighbours in one tiling row (B to its east)
    grows DQ06_STRIP metres (at most 30% of B's width) into B, its TBMJ following its new rectangle;
    DQ06 finds both parcels (the warehouse quarantines the pair). Needs two adjacent free parcels, so
    choose runs it first."""
    base, available, small = picker.base, picker.free & ~picker.taken, picker.small
    left = np.arange(len(base["BSM"]) - 1)
    pair = (
        available[left]
        & available[left + 1]
        & (base["ROW"][left] == base["ROW"][left + 1])
        & (base["x1"][left] == base["x0"][left + 1])
    )
    pair_a = left[pair & small[left]] if (pair & small[left]).any() else left[pair]
    if not len(pair_a):
        raise RuntimeError("no adjacent untouched parcels for the DQ06 overlap")
    first = int(picker.rng.choice(pair_a))
    picker.take("DQ06", np.array([first, first + 1]))

    def edit(base: Table, note: Note) -> None:
        grown, neighbour = first, first + 1
        strip = min(DQ06_STRIP, 0.3 * float(base["x1"][neighbour] - base["x0"][neighbour]))
        base["x1"][grown] = np.round(base["x1"][grown] + strip, 2)
        _resize(base, grown)
        overlap = round(strip * float(base["y1"][grown] - base["y0"][grown]), 2)
        note("DQ06", grown, {"overlaps_bsm": str(base["BSM"][neighbour]), "overlap_m2_planar": overlap})
        note("DQ06", neighbour, {"overlaps_bsm": str(base["BSM"][grown]), "overlap_m2_planar": overlap})

    return edit


def plant_dq08_attribute_out_of_range(picker: ParcelPicker) -> Edit:
    """DQ08 (耕地属性只在耕地上填写且在值域内): a 林地 parcel (other land with no planting attribute at
    scales without a free one) given a 耕地等别 GDDB, and a 耕地 parcel whose 坡度级别 GDPDJB is outside
    its code set; DQ08 finds those two parcels."""
    base = picker.base
    forest = np.char.startswith(base["DLBM"].astype(str), "03") & picker.no_marks
    free_forest = (forest & picker.free & ~picker.taken).any()
    forest_row = picker.pick("DQ08", forest if free_forest else picker.not_cultivated, 1)[0]
    slope_row = picker.pick("DQ08", picker.cultivated, 1)[0]

    def edit(base: Table, note: Note) -> None:
        base["GDDB"][forest_row] = DQ08_GDDB
        note(
            "DQ08",
            forest_row,
            {"field": "GDDB", "value": DQ08_GDDB, "on_class": str(base["DLBM"][forest_row])},
        )
        base["GDPDJB"][slope_row] = DQ08_GDPDJB
        note("DQ08", slope_row, {"field": "GDPDJB", "value": DQ08_GDPDJB})

    return edit
