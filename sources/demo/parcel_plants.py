"""Planted cases on base parcels: each function plants one rule's case, and says which.

planting.choose calls them in a fixed order (the planting stream draws in it), each picking its parcels
through the shared ParcelPicker; each returns its edit, which planting.apply runs once calibration is
done, so the edits only touch rows calibration leaves alone. DQ05 and PR11 reach into the control layers
too: their functions also return the step that places their 永农 polygon when those are drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely

from sources.demo.attributes import terrace_split
from sources.demo.change_plan import CHANGE_YEARS
from sources.demo.control_plants import (
    CLEARANCE,
    INSET,
    CountyPattern,
    PlantedBox,
    SelectionStep,
    ValidParcels,
    as_bounds,
    grown_to_field,
    inside,
    rounded,
)
from sources.demo.geodesy import rectangle_area_cents
from sources.demo.rects import RectSet, concat_bounds, near_any, of, overlap_pairs, take_bounds
from sources.demo.region import county_by_code

if TYPE_CHECKING:
    from sources.demo.frame import Table
    from sources.demo.planting import Edit, Note, ParcelPicker

DQ01_CLASSES = ("0199", "9999")  # not in the 三调 working classification
DQ02_COUNTIES = ("330102", "330501")  # 杭州市上城区, 湖州市吴兴区: outside 嘉兴市
DQ03_AREA_ERROR = 1.01  # TBMJ 1% above the polygon's area (tolerance 0.2%)
DQ04_ERROR_C = 300  # 3 m² off
DQ05_COUNTY = "330482"  # where one 永农 box is delivered as a bow-tie
DQ05_NEAR = 5.0  # metres: the parcels next to that box; PR21's distance from a parcel to its 永农
DQ05_CANDIDATES = 200  # boxes left over considered for it, best-cultivated first
DQ06_STRIP = 10.0  # metres parcel A grows into its neighbour B
DQ08_GDDB = 5  # a 耕地等别 on a parcel that is not 耕地
DQ08_GDPDJB = "7"  # outside the 坡度级别 code set 1–5
PR11_FLS_PBF = "PR11-FLS-pbf"  # Planting.rows keys of the two planted FLS parcels
PR11_FLS_ZONE = "PR11-FLS-zone"
PR11_ZONE_SHARE = 0.9  # the FLS parcel in a 功能区 lies at least this much inside it where the demo allows
PR11_PBF_SHARE = 0.4  # share of the other FLS parcel's width under its 永农 polygon
PR11_PBF_DESIGNATED = 2024  # HDNF of that polygon


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


def bow_tie(x0: float, y0: float, x1: float, y1: float) -> bytes:
    """A self-intersecting ring through the rectangle's own corners (invalid, as digitising errors are)."""
    ring = [(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)]
    return shapely.to_wkb(shapely.Polygon(ring))


def plant_dq05_invalid_geometry(picker: ParcelPicker) -> tuple[Edit, SelectionStep]:
    """DQ05 (图形存在、有效、为面且非空): two parcels of any class delivered as bow-tie rings, and in
    DQ05_COUNTY one 永农 box beyond the county's goal delivered as one too, so chosen that quarantining it
    changes no village's holding of 永农 (PR21: some parcel of the village within DQ05_NEAR of a valid
    polygon) and nothing (PR02 included) depends on it: the first of the boxes left over whose
    neighbouring parcels (within DQ05_NEAR) all lie near a valid 永农 polygon already, or, where parcels
    are so much smaller than a box that some under every box are near no other polygon, the first whose
    neighbouring parcels all lie in villages holding valid 永农. DQ05 finds the two parcels and the
    polygon. Picks the parcels now; returns their edit and the step build_yjjbnt runs on each county's
    selection of boxes."""
    rows = picker.pick("DQ05", np.ones(len(picker.base["BSM"]), dtype=bool), 2)

    def edit(base: Table, note: Note) -> None:
        for row in rows:
            base["WKB"][row] = bow_tie(*(float(base[edge][row]) for edge in ("x0", "y0", "x1", "y1")))
            note("DQ05", row, {"geometry": "self-intersecting (bow-tie) ring"})

    def bow_tie_box(
        pattern: CountyPattern, chosen: np.ndarray, rest: np.ndarray, parcels: ValidParcels
    ) -> np.ndarray:
        if pattern.code != DQ05_COUNTY:
            return rest
        specials = as_bounds([box.bounds for box in pattern.specials])
        valid = concat_bounds([take_bounds(pattern.cells, chosen), specials])
        near_valid = near_any(parcels.rects, valid, DQ05_NEAR)
        candidates = rest[:DQ05_CANDIDATES]
        cell_index, parcel_index, _ = overlap_pairs(
            take_bounds(pattern.cells, candidates), parcels.rects, DQ05_NEAR
        )
        touching = np.bincount(cell_index, minlength=len(candidates)) > 0

        def fitting(parcel_ok: np.ndarray) -> np.ndarray:
            """Positions of the candidates touching parcels, all of them `parcel_ok`."""
            lonely = np.bincount(cell_index, weights=~parcel_ok[parcel_index], minlength=len(candidates))
            return np.flatnonzero((lonely == 0) & touching)

        fit = fitting(near_valid)
        if not len(fit):
            fit = fitting(np.isin(parcels.village, parcels.village[near_valid]))  # in holding villages
        if not len(fit):
            raise RuntimeError("no 永农 box to deliver as the DQ05 bow-tie")
        cell = int(candidates[fit[0]])
        bounds = pattern.cell(cell)
        pattern.specials.append(PlantedBox("DQ05", pattern.code, bounds, wkb=bow_tie(*bounds)))
        return rest[rest != cell]

    return edit, bow_tie_box


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


@dataclass(frozen=True)
class Pr11Steps:
    """PR11's later steps: the edit (planting.apply); the 永农 polygon (control_plants.plan_survey_boxes,
    given the base and a test that a box keeps clear of all forbidden ground but a base row's own); the
    (BSM, year) pairs PR11 should find (checks)."""

    edit: Edit
    pbf_box: Callable[[Table, Callable[[tuple, int], bool]], PlantedBox]
    expected: Callable[[Table], set[tuple[str, int]]]


def plant_pr11_non_grain_on_protected_land(
    picker: ParcelPicker, designated: int = PR11_PBF_DESIGNATED
) -> Callable[[], Pr11Steps]:
    """PR11 (保护区内耕地非粮化、撂荒): two 耕地 parcels 撂荒 (ZZSXDM WG, a finding wherever they lie); one
    FLS parcel inside a 功能区, as much inside it as any untouched 耕地 is (kept clear of 永农 like every
    planted parcel); and one FLS parcel, away from the 功能区, that a 永农 polygon designated in
    `designated` covers in part (_pr11_polygon). PR11 finds the WG and the 功能区 parcels in every
    survey year, the parcel under 永农 from `designated` on. Picks the WG parcels now; returns the step
    that picks the FLS parcels once choose has given the free 非粮 parcels theirs (which returns the
    later steps)."""
    base, cultivated = picker.base, picker.cultivated
    abandoned = picker.pick("PR11", cultivated, 2)

    def pick_non_grain() -> Pr11Steps:
        under_pbf, polygon = _pick_under_pbf(picker)
        parcel_index, zone_index, area = overlap_pairs(of(base), picker.lsgnq)
        share = np.bincount(parcel_index, weights=area, minlength=len(base["BSM"])) / (
            (base["x1"] - base["x0"]) * (base["y1"] - base["y0"])
        )
        # The polygon may reach past its parcel: the 功能区 parcel, planted too, keeps clear of it.
        near_polygon = near_any(of(base), as_bounds([polygon]), CLEARANCE)
        in_zone = np.flatnonzero(~picker.touched & ~picker.taken & cultivated & (share > 0) & ~near_polygon)
        if not len(in_zone):
            raise RuntimeError("no untouched 耕地 in a 粮食生产功能区 to plant PR11 on")
        best = in_zone[share[in_zone] >= min(PR11_ZONE_SHARE, share[in_zone].max())]
        in_function_zone = picker.rng.choice(best, 1)
        picker.take(PR11_FLS_ZONE, in_function_zone)

        def edit(base: Table, note: Note) -> None:
            # Its findings are listed per survey year from the final states and control layers (findings.py).
            base["ZZSXDM"][abandoned] = "WG"
            base["ZZSXDM"][under_pbf] = "FLS"
            base["ZZSXDM"][in_function_zone] = "FLS"

        def pbf_box(base: Table, clear: Callable[[tuple, int], bool]) -> PlantedBox:
            if not clear(polygon, under_pbf):
                raise RuntimeError("the PR11 永农 polygon would touch forbidden ground")
            return PlantedBox("PR11", str(base["COUNTY"][under_pbf]), polygon, designated)

        def expected(base: Table) -> set[tuple[str, int]]:
            years = (2022, *CHANGE_YEARS)
            every = np.concatenate([abandoned, in_function_zone])
            out = {(str(base["BSM"][row]), year) for row in every for year in years}
            return out | {(str(base["BSM"][under_pbf]), year) for year in years if year >= designated}

        return Pr11Steps(edit, pbf_box, expected)

    return pick_non_grain


def _pr11_polygon(base: Table, row: int) -> tuple[float, float, float, float]:
    """The 永农 polygon over part of PR11's FLS parcel `row`: PR11_PBF_SHARE of its longer side from its
    western (southern) end, INSET inside its edges; over a small parcel, grown to a field's size
    westwards (southwards) and across, never over the rest of the parcel."""
    x0, y0, x1, y1 = (float(base[edge][row]) for edge in ("x0", "y0", "x1", "y1"))
    if x1 - x0 >= y1 - y0:
        right = x0 + INSET + PR11_PBF_SHARE * (x1 - x0 - 2 * INSET)
        return grown_to_field(rounded((x0 + INSET, y0 + INSET, right, y1 - INSET)), (True, True, False, True))
    top = y0 + INSET + PR11_PBF_SHARE * (y1 - y0 - 2 * INSET)
    return grown_to_field(rounded((x0 + INSET, y0 + INSET, x1 - INSET, top)), (True, True, True, False))


def _pick_under_pbf(picker: ParcelPicker) -> tuple[int, tuple[float, float, float, float]]:
    """PR11's FLS parcel under 永农 and its polygon: drawn as every planted parcel is, and drawn again
    while the polygon (which reaches past a small parcel) would leave the county or come within
    CLEARANCE of ground the change surveys touch or of another planted parcel, where no 永农 may go."""
    base = picker.base
    forbidden = RectSet(of(base, np.flatnonzero(picker.touched | picker.taken)))
    candidates = picker.cultivated.copy()
    while True:
        row = int(picker.draw(candidates, 1)[0])
        polygon = _pr11_polygon(base, row)
        county = county_by_code(str(base["COUNTY"][row])).bounds
        if inside(polygon, county) and not near_any(as_bounds([polygon]), forbidden, CLEARANCE).any():
            picker.take(PR11_FLS_PBF, np.array([row], dtype=np.int64))
            return row, polygon
        candidates[row] = False
