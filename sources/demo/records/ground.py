"""The record rules that compare a record with the ground the survey shows: PR10 (耕地 built on outside
an approved red line), PR17 (新增耕地 not on the map), PR24 (临时用地 not restored), PR25 (设施农用地 built
beyond its filing). What the warehouse measures is re-measured here on the generated rectangles, with its
semantics, so the manifest lists what the data says and a demo that says anything else than designed is
never written (`DemoInvariantError`). The cases are planted by ground_plants.py.

Clean by default: every 耕地 → construction piece but the PR10 ones lies inside the red line of a 建设用地
approval approved on or before its GXSJ; every project of the change years but the PR17 one declares
what its boundary gained; temporary approvals past their 复垦期限 are 耕地 again; every 设施农业用地 filing
but the PR25 one declares what stands inside its red line (to CLEAN_FACILITY_RATIO).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import shapely

from sources.demo.checks import DemoInvariantError
from sources.demo.geodesy import rectangle_area_cents
from sources.demo.landclasses import CULTIVATED
from sources.demo.records.params import parameters
from sources.demo.records.survey import Parcel, Piece, Survey, cents_to_mu
from sources.demo.region import MU_PER_M2

LATEST = 2025  # the latest survey year: PR24 and PR25 read its state
HORIZON = date(LATEST, 12, 31)
CONSTRUCTION = "建设用地"
FACILITY = "1202"

# PR25: clean filings hold at most this ratio of what they declare.
CLEAN_FACILITY_RATIO = 1.05

# Temporary land (PR24's clean approvals).
TEMPORARY_YEARS = 2
TEMPORARY_STRIP = 0.3  # share of the parcel's longer side a temporary red line takes
PROTECTION_CLEARANCE = 5.0  # metres temporary land keeps from 永农 and the 功能区


def box_mu(bounds: tuple[float, float, float, float]) -> float:
    """The rectangle's ellipsoidal area in 亩 (what TBMJ would say)."""
    return cents_to_mu(int(rectangle_area_cents(*(np.array([value]) for value in bounds))[0]))


def along_x(bounds: tuple[float, float, float, float]) -> bool:
    """The rectangle is longer east–west (it is cut across x)."""
    return bounds[2] - bounds[0] >= bounds[3] - bounds[1]


def strip(bounds: tuple[float, float, float, float], share: float) -> tuple[float, float, float, float]:
    """The western (or southern) `share` of a rectangle along its longer side, to the centimetre."""
    x0, y0, x1, y1 = bounds
    if along_x(bounds):
        return (x0, y0, round(x0 + share * (x1 - x0), 2), y1)
    return (x0, y0, x1, round(y0 + share * (y1 - y0), 2))


# ------------------------------------------------------------------------------------------- PR10


@dataclass(frozen=True)
class Occupation:
    """A 耕地 → construction piece measured against the red lines that make it lawful."""

    piece: Piece
    uncovered_m2: float  # planar area of the piece outside every qualifying red line
    planar_m2: float

    @property
    def cultivated_mu(self) -> float:
        """The 耕地 taken outside the red lines: BGQTBDLMJ × the uncovered share, in 亩."""
        return round(self.piece.before_c / 100 * self.uncovered_m2 / self.planar_m2 * MU_PER_M2, 4)


def _meeting(boxes: list[tuple[float, float, float, float]]) -> Callable[[tuple], list[int]]:
    """A lookup of the positions of `boxes` that intersect a rectangle, in list order: the same boxes a
    scan of the whole list would meet, found through one spatial index (pieces and records both grow
    with the scale, so a scan per record would grow with its square)."""
    tree = shapely.STRtree([shapely.box(*box) for box in boxes])

    def meeting(bounds: tuple) -> list[int]:
        return sorted(tree.query(shapely.box(*bounds), predicate="intersects").tolist())

    return meeting


def occupation_cover(pieces: list[Piece], approvals: list) -> list[Occupation]:
    """Each piece against the union of the red lines of 建设用地 approvals of its county approved on or
    before its GXSJ (临时用地 and 设施农业用地 red lines do not make construction lawful)."""
    lines = [approval for approval in approvals if approval.use == CONSTRUCTION]
    meeting = _meeting([approval.bounds for approval in lines])
    out = []
    for piece in pieces:
        ground = shapely.box(*piece.bounds)
        cover = [
            shapely.box(*lines[position].bounds)
            for position in meeting(piece.bounds)
            if lines[position].county == piece.county and lines[position].approved <= piece.changed_on
        ]
        rest = shapely.difference(ground, shapely.union_all(cover)) if cover else ground
        out.append(Occupation(piece, float(shapely.area(rest)), float(shapely.area(ground))))
    return out


def pr10_threshold() -> float:
    return float(parameters("PR10").get("tolerance_m2", 1.0))


def pr10_findings(survey: Survey, approvals: list) -> list[Occupation]:
    threshold = pr10_threshold()
    return [
        occupation
        for occupation in occupation_cover(survey.occupations, approvals)
        if occupation.uncovered_m2 >= threshold
    ]


# ------------------------------------------------------------------------------------------- PR17


def pr17_threshold() -> float:
    return float(parameters("PR17")["max_relative_difference"])


def relative_difference(declared_mu: float, gained_mu: float) -> float:
    """|declared − gained| / gained, as PR17 reads it (infinite when nothing was gained)."""
    if gained_mu <= 0:
        return math.inf if declared_mu > 0 else 0.0
    return abs(declared_mu - gained_mu) / gained_mu


def supplement_gains(survey: Survey, supplements: list) -> dict[str, float]:
    """项目编号 → 亩 of 耕地 the change survey of its acceptance year gained inside its boundary (projects
    accepted in a change year): Σ BGHTBDLMJ × the planar share of each gain piece inside."""
    gains = survey.gains
    meeting = _meeting([piece.bounds for piece in gains])
    out = {}
    for supplement in supplements:
        if not 2023 <= supplement.accepted.year <= LATEST:
            continue
        boundary = shapely.box(*supplement.bounds)
        gained = 0.0
        # Pieces that do not meet the boundary add nothing; the others are summed in survey order.
        for position in meeting(supplement.bounds):
            piece = gains[position]
            if piece.year != supplement.accepted.year or piece.county != supplement.county:
                continue
            ground = shapely.box(*piece.bounds)
            inside = float(shapely.area(shapely.intersection(ground, boundary)))
            gained += piece.after_c / 100 * inside / float(shapely.area(ground))
        out[supplement.code] = round(gained * MU_PER_M2, 4)
    return out


# ------------------------------------------------------------------------------------ PR24, PR25


def temporary_ground(survey: Survey, used: set[int]) -> list[Parcel]:
    """耕地 for the clean temporary approvals, away from 永农 and the 功能区, in different counties: as many
    of two as the survey offers."""
    fls = [parcel for parcel in survey.free_non_grain if parcel.bsm not in used]
    clear = ~survey.near_protection(
        [strip(parcel.bounds, TEMPORARY_STRIP) for parcel in fls], PROTECTION_CLEARANCE
    )
    clean: list[Parcel] = []
    for parcel in sorted(
        (parcel for parcel, ok in zip(fls, clear, strict=True) if ok),
        key=lambda parcel: (parcel.county, parcel.bsm),
    ):
        if parcel.county not in {chosen.county for chosen in clean} and len(clean) < 2:
            clean.append(parcel)
    return clean


def cultivated_inside_mu(survey: Survey, bounds) -> float:
    return round(survey.land_inside(LATEST, bounds, CULTIVATED) * MU_PER_M2, 4)


def facility_inside_mu(survey: Survey, bounds) -> float:
    return round(survey.land_inside(LATEST, bounds, (FACILITY,)) * MU_PER_M2, 4)


def pr25_threshold() -> float:
    return float(parameters("PR25")["max_built_ratio"])


# ------------------------------------------------------------------------------------------ checks


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise DemoInvariantError(message)


def check_ground(survey: Survey, quota) -> None:
    """Only the planted pieces, projects and approvals break PR10, PR17, PR24, PR25."""
    planted = quota.planted
    found = {occupation.piece.bsm for occupation in pr10_findings(survey, quota.approvals)}
    expected = {planted[role].piece.bsm for role in ("PR10-late", "PR10-partial", "PR10-none")}
    _require(found == expected, f"PR10: uncovered pieces {sorted(found)}, planted {sorted(expected)}")
    late = planted["PR10-late"]
    _require(late.approved > late.piece.changed_on, "PR10: the late approval is not late")
    _require(
        all(approval is not planted["PR10-none"] for approval in quota.approvals),
        "PR10: the unapproved piece has an approval",
    )

    gains = supplement_gains(survey, [supplement for supplement in quota.supplements if supplement.linkable])
    by_code = {supplement.code: supplement for supplement in quota.supplements}
    threshold = pr17_threshold()
    found17 = {
        code
        for code, gained in gains.items()
        if by_code[code].new_mu > 0 and relative_difference(by_code[code].new_mu, gained) > threshold
    }
    _require(found17 == {planted["PR17"].code}, f"PR17: {sorted(found17)} break the rule")
    near = planted["PR17-near"]
    _require(
        0 < relative_difference(near.new_mu, gains[near.code]) < threshold, "PR17: the near miss is not near"
    )

    for approval in quota.approvals:
        if approval.use == "临时用地":
            due = approval.reclaim_by < HORIZON
            short = cultivated_inside_mu(survey, approval.bounds) < approval.occupied_mu
            _require((due and short) == (approval is planted["PR24"]), f"PR24: {approval.number}")
        if approval.use == "设施农业用地":
            ratio = facility_inside_mu(survey, approval.bounds) / approval.filed_mu
            if approval is planted["PR25"]:
                _require(
                    ratio > pr25_threshold(),
                    f"PR25: the planted filing {approval.number} holds only {ratio:.3f}",
                )
            else:
                _require(
                    ratio <= CLEAN_FACILITY_RATIO, f"PR25: {approval.number} holds {ratio:.3f} × its filing"
                )
