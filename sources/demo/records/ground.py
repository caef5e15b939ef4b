"""The record rules that compare a record with the ground the survey shows (issue 5): PR10 (耕地 built on
outside an approved red line), PR17 (新增耕地 not on the map), PR24 (临时用地 not restored), PR25 (设施农用地
built beyond its filing). What the warehouse measures is re-measured here on the generated rectangles,
with its semantics, so the manifest lists what the data says and a demo that says anything else than
designed is never written (`DemoInvariantError`).

Planted (quota.py calls the `plant_*` functions while it builds the records):
- PR10, three 耕地 → construction pieces: the approval of one is dated after the piece's GXSJ (its red
  line covers the piece, too late); the red line of another covers only half of its piece (the approval
  occupies that half); the third has no approval at all. Every other piece lies inside the red line of
  a 建设用地 approval approved on or before its GXSJ.
- PR17: the boundary of a 垦造耕地 project accepted in a change year gained 6% less 耕地 than the project
  declares (declared = gained / 0.94: 6.4% more, the threshold being 5%); a near miss declares 3% more
  than it gained (clean).
- PR24: a 临时用地 approval of 2021, past its 复垦期限, whose red line lies on ground that is not 耕地.
- PR25: a 设施农业用地 filing of 备案面积 0.8 × the 1202 standing inside its red line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import shapely

from sources.demo.checks import DemoInvariantError
from sources.demo.geodesy import rectangle_area_cents
from sources.demo.landclasses import CULTIVATED
from sources.demo.records.model import days
from sources.demo.records.params import capacity_per_mu, parameters
from sources.demo.records.survey import Parcel, Piece, Survey, cents_to_mu
from sources.demo.region import MU_PER_M2

LATEST = 2025  # the latest survey year: PR24 and PR25 read its state
HORIZON = date(LATEST, 12, 31)
CONSTRUCTION = "建设用地"
FACILITY = "1202"

# PR10: the late approval follows its piece by this many days; every planted piece leaves room for an
# enforcement case to run its course before HORIZON (cases.py).
PR10_LATE_BY = 45
PR10_LAST_CHANGE = {"PR10-late": date(2025, 6, 30), "PR10-partial": date(2025, 9, 30)}
PR10_LAST_DEFAULT = date(2025, 10, 31)
PR10_COVERED_SHARE = 0.5

# PR17: the planted project's boundary gained this much less than it declares; the near miss overstates
# by this share of the threshold.
PR17_EXCESS_OVER_THRESHOLD = 0.01
PR17_NEAR_MISS_OF_THRESHOLD = 0.6

# PR25: the planted filing declares this share of what stands; clean filings stay at or below
# CLEAN_FACILITY_RATIO of theirs.
PR25_FILED_SHARE = 0.8
CLEAN_FACILITY_RATIO = 1.05

# PR24: temporary land; ground that is neither 耕地 nor construction, preferring what an abandoned site
# looks like (bare land, grass) over woods and orchards.
TEMPORARY_YEARS = 2
TEMPORARY_STRIP = 0.3  # share of the parcel's longer side a temporary red line takes
PR24_STRIP = 0.4
PR24_APPROVED = date(2021, 6, 15)
PR24_OCCUPIED_SHARE = 0.9  # 耕地 it declared it occupied: the strip less a typical 田坎 deduction
PR24_GRADE = 7  # the grade it declared for that 耕地 (the land has none in the survey any more)
PR24_PREFERRED = ("1206", "0404", "1205", "1204", "0307", "0305", "0204", "0201", "0301", "0302")
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


def occupation_cover(pieces: list[Piece], approvals: list) -> list[Occupation]:
    """Each piece against the union of the red lines of 建设用地 approvals of its county approved on or
    before its GXSJ (临时用地 and 设施农业用地 red lines do not make construction lawful)."""
    lines = [approval for approval in approvals if approval.use == CONSTRUCTION]
    out = []
    for piece in pieces:
        ground = shapely.box(*piece.bounds)
        cover = [
            shapely.box(*approval.bounds)
            for approval in lines
            if approval.county == piece.county
            and approval.approved <= piece.changed_on
            and shapely.intersects(ground, shapely.box(*approval.bounds))
        ]
        rest = shapely.difference(ground, shapely.union_all(cover)) if cover else ground
        out.append(Occupation(piece, float(shapely.area(rest)), float(shapely.area(ground))))
    return out


def choose_pr10(approvals: list, avoid_counties: set[str], avoid_villages: set[str]) -> dict[str, object]:
    """Three clean 建设用地 approvals whose pieces host the PR10 cases, in three villages no other planted
    case or finding uses: role → approval. The late one keeps its calendar year (its 批准文号 carries it)."""
    candidates = sorted(
        (
            approval
            for approval in approvals
            if approval.role == "clean"
            and approval.county not in avoid_counties
            and approval.piece.village not in avoid_villages
        ),
        key=lambda approval: (approval.piece.changed_on, approval.piece.bsm),
    )
    chosen: dict[str, object] = {}
    used_villages: set[str] = set()
    for role in ("PR10-late", "PR10-partial", "PR10-none"):
        last = PR10_LAST_CHANGE.get(role, PR10_LAST_DEFAULT)
        for approval in candidates:
            piece = approval.piece
            if approval in chosen.values() or piece.village in used_villages or piece.changed_on > last:
                continue
            if role == "PR10-late":
                later = piece.changed_on + days(PR10_LATE_BY)
                if (
                    approval.approved.year != piece.changed_on.year
                    or later.year != piece.changed_on.year
                    or later.month == 12
                ):
                    continue
            chosen[role] = approval
            used_villages.add(piece.village)
            break
        else:
            raise RuntimeError(f"no 建设用地 approval fit for {role}; generate at a larger scale")
    return chosen


def plant_pr10(chosen: dict[str, object], redline) -> None:
    """Date the late approval after its piece's GXSJ; cut the partial one's red line (and what it
    occupies) to the piece's western/southern half. `redline(bounds, county)` grows ground by the margin."""
    late = chosen["PR10-late"]
    late.approved = late.piece.changed_on + days(PR10_LATE_BY)
    partial = chosen["PR10-partial"]
    piece = partial.piece
    half = strip(piece.bounds, PR10_COVERED_SHARE)
    x0, y0, x1, y1 = redline(half, piece.county)
    # No margin across the cut: the red line stops where the approved half ends.
    partial.bounds = (x0, y0, half[2], y1) if along_x(piece.bounds) else (x0, y0, x1, half[3])
    occupied = round(piece.before_mu * PR10_COVERED_SHARE, 4)
    partial.occupied_u = int(round(occupied * 10_000))
    partial.paddy_u = partial.occupied_u if piece.before == "0101" else 0


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


def plant_pr17(
    supplements: list, exclude: list, avoid_counties: set[str], provincial
) -> tuple[object, object]:
    """(the planted project, the near miss): two 新增耕地 projects of the change years, re-declared with
    everything that follows from 新增耕地面积 (水田, 产能, 上划 via `provincial(kind, new_u)`)."""
    threshold = pr17_threshold()
    pool = sorted(
        (
            supplement
            for supplement in supplements
            if supplement.origin == "survey"
            and supplement.new_u > 0
            and supplement.linkable
            and all(supplement is not excluded for excluded in exclude)
            and 2023 <= supplement.accepted.year <= LATEST
        ),
        key=lambda supplement: (
            supplement.county in avoid_counties,
            supplement.kind != "垦造耕地",
            supplement.accepted,
            supplement.code,
        ),
    )
    if len(pool) < 2:
        raise RuntimeError("too few supplement projects of the change years for PR17; use a larger scale")
    planted, near = (
        pool[0],
        next((supplement for supplement in pool[1:] if supplement.county != pool[0].county), pool[1]),
    )
    for supplement, factor in (
        (planted, 1 / (1 - threshold - PR17_EXCESS_OVER_THRESHOLD)),
        (near, 1 + PR17_NEAR_MISS_OF_THRESHOLD * threshold),
    ):
        declared = round(supplement.piece.after_mu * factor, 4)
        supplement.new_u = int(round(declared * 10_000))
        supplement.paddy_u = supplement.new_u if supplement.piece.after == "0101" else 0
        supplement.capacity_kg = math.floor(declared * capacity_per_mu(supplement.grade))
        supplement.provincial_u = provincial(supplement.kind, supplement.new_u)
    return planted, near


def supplement_gains(survey: Survey, supplements: list) -> dict[str, float]:
    """项目编号 → 亩 of 耕地 the change survey of its acceptance year gained inside its boundary (projects
    accepted in a change year): Σ BGHTBDLMJ × the planar share of each gain piece inside."""
    out = {}
    for supplement in supplements:
        if not 2023 <= supplement.accepted.year <= LATEST:
            continue
        boundary = shapely.box(*supplement.bounds)
        gained = 0.0
        for piece in survey.gains:
            if piece.year != supplement.accepted.year or piece.county != supplement.county:
                continue
            ground = shapely.box(*piece.bounds)
            inside = float(shapely.area(shapely.intersection(ground, boundary)))
            gained += piece.after_c / 100 * inside / float(shapely.area(ground))
        out[supplement.code] = round(gained * MU_PER_M2, 4)
    return out


# ------------------------------------------------------------------------------------ PR24, PR25


def temporary_ground(survey: Survey, used: set[int]) -> tuple[list[Parcel], Parcel]:
    """(耕地 for the clean temporary approvals, in different counties: as many of two as the survey
    offers; the uncultivated parcel of the PR24 plant)."""
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
    other = [parcel for parcel in survey.free_uncultivated if parcel.bsm not in used]
    clear = ~survey.near_protection(
        [strip(parcel.bounds, PR24_STRIP) for parcel in other], PROTECTION_CLEARANCE
    )
    rank = {chosen: position for position, chosen in enumerate(PR24_PREFERRED)}
    candidates = sorted(
        (parcel for parcel, ok in zip(other, clear, strict=True) if ok and parcel.dlbm in rank),
        key=lambda parcel: (rank[parcel.dlbm], -parcel.area_c, parcel.bsm),
    )
    if not candidates:
        raise RuntimeError("no uncultivated parcel away from 永农 for the PR24 plant; use a larger scale")
    return clean, candidates[0]


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
