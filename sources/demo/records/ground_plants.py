"""Planted cases of the record rules read against the ground the survey shows (ground.py measures them):
each function plants one rule's case, and says which.

quota.py calls them while it builds the records, in a fixed order (the approvals are numbered after them
and the quota stream draws around them); none of them draws from the stream.
"""

from __future__ import annotations

import math
from datetime import date
from typing import TYPE_CHECKING

from sources.demo.records.cases import CASE_CLOSED, CASE_OPEN, CASE_RECTIFIED
from sources.demo.records.ground import (
    LATEST,
    PROTECTION_CLEARANCE,
    along_x,
    box_mu,
    facility_inside_mu,
    pr17_threshold,
    strip,
)
from sources.demo.records.model import days
from sources.demo.records.params import capacity_per_mu
from sources.demo.records.quota_model import Approval, Supplement, to_units

if TYPE_CHECKING:
    from collections.abc import Callable

    from sources.demo.records.approvals_and_projects import QuotaBuilder
    from sources.demo.records.survey import Survey

# PR10: the late approval follows its piece by this many days; every planted piece leaves room for an
# enforcement case to run its course before the horizon (cases.py).
PR10_ROLES = ("PR10-late", "PR10-partial", "PR10-none")
PR10_LATE_BY = 45
PR10_LAST_CHANGE = {"PR10-late": date(2025, 6, 30), "PR10-partial": date(2025, 9, 30)}
PR10_LAST_DEFAULT = date(2025, 10, 31)
PR10_COVERED_SHARE = 0.5
# What becomes of the PR10 findings' cases: the late approval's case is closed (the land was approved
# after all), the half-approved one rectified, the unapproved one left open; (fate, lifecycle colour).
PR10_FATES = {
    "PR10-late": (CASE_CLOSED, "green"),
    "PR10-partial": (CASE_RECTIFIED, "blue"),
    "PR10-none": (CASE_OPEN, "red"),
}

# PR17: the planted project's boundary gained this much less than it declares; the near miss overstates
# by this share of the threshold.
PR17_EXCESS_OVER_THRESHOLD = 0.01
PR17_NEAR_MISS_OF_THRESHOLD = 0.6

# PR24: a temporary approval of 2021 on ground that is neither 耕地 nor construction, preferring what an
# abandoned site looks like (bare land, grass) over woods and orchards.
PR24_STRIP = 0.4  # share of the parcel's longer side its red line takes
PR24_APPROVED = date(2021, 6, 15)
PR24_OCCUPIED_SHARE = 0.9  # 耕地 it declared it occupied: the strip less a typical 田坎 deduction
PR24_GRADE = 7  # the grade it declared for that 耕地 (the land has none in the survey any more)
PR24_PREFERRED = ("1206", "0404", "1205", "1204", "0307", "0305", "0204", "0201", "0301", "0302")

# PR25: the planted filing declares this share of what stands inside its red line.
PR25_FILED_SHARE = 0.8


def plant_pr10_unapproved_occupation(
    approvals: list[Approval],
    avoid_counties: set[str],
    avoid_villages: set[str],
    redline: Callable[[tuple[float, float, float, float], str], tuple[float, ...]],
) -> dict[str, Approval]:
    """PR10 (耕地 occupied without approval): three 耕地 → construction pieces, in three villages no other
    planted case or finding uses, outside the counties of the quota plants: the approval of one is dated
    PR10_LATE_BY days after the piece's GXSJ (its red line covers the piece, too late); the red line of
    another covers only the western/southern half of its piece (and occupies only that half); the third
    approval is made and numbered but never delivered. PR10 finds those three pieces and no other.
    Returns role → approval; `redline(bounds, county)` grows ground by the red-line margin."""
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
    chosen: dict[str, Approval] = {}
    used_villages: set[str] = set()
    for role in PR10_ROLES:
        last = PR10_LAST_CHANGE.get(role, PR10_LAST_DEFAULT)
        for approval in candidates:
            piece = approval.piece
            if approval in chosen.values() or piece.village in used_villages or piece.changed_on > last:
                continue
            if role == "PR10-late":  # the late approval keeps its calendar year (its 批准文号 carries it)
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
    for role, approval in chosen.items():
        approval.role = role

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
    return chosen


def plant_pr17_declared_gain_overstated(
    supplements: list[Supplement],
    exclude: list[Supplement],
    avoid_counties: set[str],
    provincial: Callable[[str, int], int],
) -> tuple[Supplement, Supplement]:
    """PR17 (新增耕地 not on the map): a 新增耕地 project of the change years (a 垦造耕地 one where the
    survey allows, away from `avoid_counties`) declares gained / (1 − threshold − 1%) — its boundary gained
    a little more than the tolerance less than it declares — and a near miss in another county declares
    60% of the tolerance more than it gained; both re-declared with everything that follows from
    新增耕地面积 (水田, 产能, 上划 via `provincial(kind, new_u)`). PR17 finds the first and not the near
    miss. Returns (the planted project, the near miss)."""
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


def plant_pr24_temporary_land_not_restored(builder: QuotaBuilder) -> Approval:
    """PR24 (临时用地 not restored): a 临时用地 approval of 2021, past its 复垦期限, whose red line (the
    western/southern PR24_STRIP of an untouched parcel that is neither 耕地 nor construction, away from
    永农 and the 功能区) lies on land that is not 耕地 although it declared 耕地 occupied; PR24 finds
    that approval, the other temporary approvals being restored or still running. The date is offset by
    the parcel's BSM rather than drawn, so the quota stream is left as it was."""
    survey = builder.survey
    other = [parcel for parcel in survey.free_uncultivated if parcel.bsm not in builder.used_parcels]
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
    abandoned = candidates[0]
    builder.used_parcels.add(abandoned.bsm)
    bounds = strip(abandoned.bounds, PR24_STRIP)
    occupied = to_units(round(PR24_OCCUPIED_SHARE * box_mu(bounds), 4))
    pr24 = builder.temporary(abandoned, bounds, PR24_APPROVED + days(abandoned.bsm % 20), occupied)
    pr24.name = f"{builder.place(abandoned.village)}高速公路施工便道临时用地"
    pr24.grade = PR24_GRADE
    pr24.role = "PR24"
    return pr24


def plant_pr25_facility_beyond_filing(survey: Survey, filings: list[Approval]) -> Approval:
    """PR25 (设施农用地 built beyond its filing): the earliest 设施农业用地 filing declares only
    PR25_FILED_SHARE of the 1202 standing inside its red line; PR25 finds that filing, every other one
    holding at most a hair more than it declares."""
    if not filings:
        raise RuntimeError("the survey offers no 耕地 → 1202 piece for PR25; generate at a larger scale")
    pr25 = min(filings, key=lambda approval: (approval.approved, approval.piece.bsm))
    pr25.filed_mu = round(PR25_FILED_SHARE * facility_inside_mu(survey, pr25.bounds), 4)
    pr25.role = "PR25"
    return pr25
