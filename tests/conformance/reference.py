"""Independent recomputation of the marts and findings from the spec model (plain Python + shapely).

Definitions are those of SOURCES.md / INDICATORS.md / POLICY_RULES.md; where the spec leaves a detail
open the dbt model's YAML was read for the intended meaning, and the figure is recomputed here from
the model's own numbers, never with the warehouse's SQL.
"""

from __future__ import annotations

import csv
import datetime
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import shapely

from .delivery import (
    CITY,
    CULTIVATED,
    TIANKAN,
    ControlPolygon,
    Delivery,
    EnforcementCase,
    Parcel,
    Piece,
    village_code,
)

MU_PER_M2 = 0.0015  # 1 亩 = 10000/15 m²
OTHER_AGRICULTURAL_PREFIXES = ("02", "03", "04")
WETLAND = frozenset({"0303", "0304", "0306", "0402"})
CONSTRUCTION_EXCEPTIONS = frozenset({"0603", "1006"})
GRAIN_CODES = frozenset({"LS", "LYFL", "XG"})
ABANDONED = "WG"
TOLERANCE_M2 = 1.0  # PR09 / PR10 / PR11 sliver tolerance (catalog parameter)
MIN_SHARE_INSIDE = 0.95  # PR12
CONNECT_DISTANCE_M = 5.0  # PR13 / patches
FRAGMENT_MU = 20.0

TARGETS_CSV = Path(__file__).resolve().parents[2] / "transforms" / "seeds" / "ref_targets.csv"


def is_other_agricultural(code: str | None) -> bool:
    """其他农用地 for 进出平衡 (SOURCES.md "Groupings the rules use")."""
    if code is None:
        return False
    if code.startswith(OTHER_AGRICULTURAL_PREFIXES) and code not in WETLAND:
        return True
    return code in {"1104", "1107", "1202"}


def is_construction(code: str | None) -> bool:
    """建设用地 for 非农化 (SOURCES.md "Groupings the rules use")."""
    if code is None or code in CONSTRUCTION_EXCEPTIONS:
        return False
    return code.startswith(("05", "06", "07", "08", "10")) or code in {"09", "1109", "1201"}


def _with_city(rows: dict[tuple, float]) -> dict[tuple, float]:
    """Add the city (= Σ counties) for keys whose first element is the county code."""
    out = dict(rows)
    for key, value in rows.items():
        city_key = (CITY, *key[1:])
        out[city_key] = out.get(city_key, 0.0) + value
    return out


# --------------------------------------------------------------------------------------- land_use_area


def land_use_area(delivery: Delivery) -> dict[tuple[str, int, str], float]:
    """(admin, year, land class) → m²: Σ TBDLMJ by DLBM plus Σ KCMJ as 1203 田坎."""
    rows: dict[tuple[str, int, str], float] = defaultdict(float)
    for year in delivery.survey_years:
        for parcel in delivery.state(year).values():
            rows[(parcel.county, year, parcel.dlbm)] += parcel.tbdlmj
            if parcel.kcmj:
                rows[(parcel.county, year, parcel.kcdlbm or TIANKAN)] += parcel.kcmj
    return _with_city(rows)


# ------------------------------------------------------------------------------------- land_transition


def piece_flows(piece: Piece) -> list[tuple[str, str, float]]:
    """The class-to-class flows of one change piece (SOURCES.md): BGQDLBM → BGHDLBM with the smaller
    of the two land-class areas, plus the change of the deducted 田坎: more KCMJ after moves land from
    the before class to 1203, less KCMJ moves it from 1203 to the after class. Only pieces changing
    within a county (XZQTZLX 0) move land between classes; pieces crossing a county, national or
    coast line enter or leave the county and have no class on one side."""
    if piece.xzqtzlx != "0" or piece.before is None or piece.after is None:
        return []
    flows = [(piece.before.dlbm, piece.after.dlbm, min(piece.before_tbdlmj, piece.after_tbdlmj))]
    delta = round(piece.after_kcmj - piece.before_kcmj, 2)
    if delta > 0:
        flows.append((piece.before.dlbm, piece.after.kcdlbm or TIANKAN, delta))
    elif delta < 0:
        flows.append((piece.before.kcdlbm or TIANKAN, piece.after.dlbm, -delta))
    return [(a, b, area) for a, b, area in flows if a != b and area > 0]


def land_transition(delivery: Delivery) -> dict[tuple[str, int, str, str], float]:
    """(admin, year, from, to) → m² over every change year."""
    rows: dict[tuple[str, int, str, str], float] = defaultdict(float)
    for change in delivery.changes:
        for piece in change.pieces:
            for from_class, to_class, area in piece_flows(piece):
                rows[(piece.before.county, change.year, from_class, to_class)] += area
    return _with_city(rows)


def boundary_net(delivery: Delivery) -> dict[tuple[str, int], float]:
    """(county, year) → 耕地 m² entering minus leaving the county across a county/coast line."""
    rows: dict[tuple[str, int], float] = defaultdict(float)
    for change in delivery.changes:
        for piece in change.pieces:
            if piece.xzqtzlx in ("1", "3") and piece.after.is_cultivated:
                rows[(piece.after.county, change.year)] += piece.after_tbdlmj
            if piece.xzqtzlx in ("2", "4") and piece.before.is_cultivated:
                rows[(piece.before.county, change.year)] -= piece.before_tbdlmj
    return rows


# ------------------------------------------------------------------------------------- cultivated_land


def _targets(indicator: str) -> list[tuple[str, int, float]]:
    with TARGETS_CSV.open(encoding="utf-8") as handle:
        return [
            (row["admin_code"], int(row["target_year"]), float(row["target_mu"]))
            for row in csv.DictReader(handle)
            if row["indicator"] == indicator
        ]


def region_county_count() -> int:
    """How many counties the region has (ref_region): a city row summing fewer is not the city's figure."""
    with (TARGETS_CSV.parent / "ref_region.csv").open(encoding="utf-8") as handle:
        return sum(1 for row in csv.DictReader(handle) if row["admin_level"] == "county")


def _judged_against_target(admin: str, counties_summed: int) -> bool:
    """A county row is judged against its target; a city row only when it sums all its counties."""
    return admin != CITY or counties_summed == region_county_count()


def target_in_force(indicator: str, admin: str, year: int) -> float | None:
    """The latest target of the scope whose target year ≤ year (none before the first)."""
    candidates = [(y, mu) for code, y, mu in _targets(indicator) if code == admin and y <= year]
    return max(candidates)[1] if candidates else None


def cultivated_land(delivery: Delivery) -> dict[tuple[str, int], dict[str, float | bool | None]]:
    """(admin, year) → the marts.cultivated_land figures (亩)."""
    sums: dict[tuple[str, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    change_years = {c.year for c in delivery.changes}
    counties_with_state: set[tuple[str, int]] = set()
    for year in delivery.survey_years:
        for p in delivery.state(year).values():
            counties_with_state.add((p.county, year))
            s = sums[(p.county, year)]
            s["any"] += 0.0
            if p.zzsxdm in ("JKHF", "GCHF"):
                s["restorable"] += p.tbdlmj
            if not p.is_cultivated:
                continue
            s["cultivated"] += p.tbdlmj
            s[{"0101": "paddy", "0102": "irrigated", "0103": "dry"}[p.dlbm]] += p.tbdlmj
            if p.gddb is not None:
                s["graded"] += p.tbdlmj
                s["grade_weighted"] += p.tbdlmj * p.gddb
            if p.gdpdjb == "5":
                s["steep"] += p.tbdlmj
    for (county, year, from_class, to_class), area in land_transition(delivery).items():
        if county == CITY:
            continue
        s = sums[(county, year)]
        if to_class in CULTIVATED and from_class not in CULTIVATED:
            s["gain"] += area
        if from_class in CULTIVATED and to_class not in CULTIVATED:
            s["loss"] += area
            if is_construction(to_class):
                s["loss_construction"] += area
            if is_other_agricultural(to_class):
                s["loss_agriculture"] += area
    for (county, year), area in boundary_net(delivery).items():
        sums[(county, year)]["boundary"] += area

    keys = {k for k in sums if k in counties_with_state}
    admin_sums: dict[tuple[str, int], dict[str, float]] = {k: dict(sums[k]) for k in keys}
    for county, year in keys:
        city = admin_sums.setdefault((CITY, year), defaultdict(float))
        for name, value in sums[(county, year)].items():
            city[name] = city.get(name, 0.0) + value

    out: dict[tuple[str, int], dict[str, float | bool | None]] = {}
    for (admin, year), s in admin_sums.items():

        def mu(name: str, s=s) -> float:
            return s.get(name, 0.0) * MU_PER_M2

        has_change = year in change_years
        target = target_in_force("cultivated_land", admin, year)
        summed = len({county for county, y in keys if y == year})
        judged = target is not None and _judged_against_target(admin, summed)
        out[(admin, year)] = {
            "cultivated_mu": mu("cultivated"),
            "paddy_mu": mu("paddy"),
            "irrigated_mu": mu("irrigated"),
            "dry_mu": mu("dry"),
            "mean_quality_grade": (s["grade_weighted"] / s["graded"]) if s.get("graded") else None,
            "steep_slope_mu": mu("steep"),
            "restorable_mu": mu("restorable"),
            "gain_mu": mu("gain") if has_change else None,
            "loss_mu": mu("loss") if has_change else None,
            "loss_to_construction_mu": mu("loss_construction") if has_change else None,
            "loss_to_agriculture_mu": mu("loss_agriculture") if has_change else None,
            "net_change_mu": (mu("gain") - mu("loss")) if has_change else None,
            "target_mu": target,
            "gap_mu": mu("cultivated") - target if judged else None,
            "meets_target": mu("cultivated") >= target if judged else None,
        }
    return out


# -------------------------------------------------------------------------------------- in_out_balance


def in_out_balance(delivery: Delivery) -> dict[tuple[str, int], dict[str, float | bool]]:
    """(admin, change year) → out_mu (耕地 → 其他农用地), in_mu (其他农用地 → 耕地), net, balanced,
    for every county holding land in the year."""
    sums: dict[tuple[str, int], list[float]] = {}
    for change in delivery.changes:
        for county in {p.county for p in delivery.state(change.year).values()}:
            sums[(county, change.year)] = [0.0, 0.0]
    for (county, year, from_class, to_class), area in land_transition(delivery).items():
        if county == CITY:
            continue
        if from_class in CULTIVATED and is_other_agricultural(to_class):
            sums[(county, year)][0] += area
        if is_other_agricultural(from_class) and to_class in CULTIVATED:
            sums[(county, year)][1] += area
    for (county, year), (out_m2, in_m2) in list(sums.items()):
        city = sums.setdefault((CITY, year), [0.0, 0.0]) if county != CITY else None
        if city is not None:
            city[0] += out_m2
            city[1] += in_m2
    return {
        key: {
            "out_mu": out_m2 * MU_PER_M2,
            "in_mu": in_m2 * MU_PER_M2,
            "net_mu": (in_m2 - out_m2) * MU_PER_M2,
            "balanced": in_m2 >= out_m2,
        }
        for key, (out_m2, in_m2) in sums.items()
    }


# ---------------------------------------------------------------------------------- permanent_farmland


def _union(polygons: Iterable[ControlPolygon]) -> shapely.Geometry:
    return shapely.union_all([p.geom for p in polygons])


def cultivated_under(parcels: Iterable[Parcel], cover: shapely.Geometry) -> float:
    """耕地 under `cover`, m²: each parcel's TBDLMJ times its planar share inside (the 田坎 share
    stays out, and a parcel wholly inside counts exactly its TBDLMJ)."""
    total = 0.0
    for p in parcels:
        if p.is_cultivated and not cover.is_empty:
            inside = shapely.intersection(p.geom, cover).area
            total += p.tbdlmj * inside / p.geom.area
    return total


def patches(polygons: list[ControlPolygon]) -> list[float]:
    """Connected 永农 patches of one county and delivery (polygons closer than 5 m connect,
    transitively): the Σ of the delivered areas of each patch, m²."""
    parent = list(range(len(polygons)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(polygons):
        for j in range(i + 1, len(polygons)):
            if shapely.distance(a.geom, polygons[j].geom) < CONNECT_DISTANCE_M:
                parent[find(i)] = find(j)
    areas: dict[int, float] = defaultdict(float)
    for i, p in enumerate(polygons):
        areas[find(i)] += p.area
    return list(areas.values())


def permanent_farmland(delivery: Delivery) -> dict[tuple[str, int], dict[str, float | int | None]]:
    """(admin, control year) → pbf_mu (Σ JBNTMJ), pbf_on/off_cultivated_mu, demonstration_mu,
    reserve_mu, patches_under_20mu, target and gap, for every county delivering 永农 or a reserve."""
    out: dict[tuple[str, int], dict[str, float | int | None]] = {}
    survey_years = set(delivery.survey_years)
    for year, polygons in delivery.control.items():
        counties = {p.county for p in polygons if p.layer in ("YJJBNT", "YJJBNTCBQ")}
        in_force = delivery.control_in_force(year, "YJJBNT")
        state = delivery.state(year).values() if year in survey_years else []
        for county in counties:
            pbf = [p for p in polygons if p.layer == "YJJBNT" and p.county == county]
            reserve = [p for p in polygons if p.layer == "YJJBNTCBQ" and p.county == county]
            cover = _union(p for p in in_force if p.county == county)
            on = cultivated_under((p for p in state if p.county == county), cover)
            pbf_m2 = sum(p.area for p in pbf)
            out[(county, year)] = {
                "pbf_m2": pbf_m2,
                "on_m2": on if year in survey_years else None,
                "demonstration_m2": sum(p.area for p in pbf if p.demonstration),
                "reserve_m2": sum(p.area for p in reserve),
                "patches_under_20mu": sum(1 for a in patches(pbf) if a * MU_PER_M2 < FRAGMENT_MU),
            }
    for (county, year), row in list(out.items()):
        if county == CITY:
            continue
        city = out.setdefault(
            (CITY, year),
            {
                "pbf_m2": 0.0,
                "on_m2": None,
                "demonstration_m2": 0.0,
                "reserve_m2": 0.0,
                "patches_under_20mu": 0,
            },
        )
        for name, value in row.items():
            if value is not None:
                city[name] = (city[name] or 0) + value
    result: dict[tuple[str, int], dict[str, float | int | None]] = {}
    for (admin, year), row in out.items():
        target = target_in_force("permanent_farmland", admin, year)
        summed = len({county for county, y in out if y == year and county != CITY})
        judged = target is not None and _judged_against_target(admin, summed)
        pbf_mu = row["pbf_m2"] * MU_PER_M2
        on = row["on_m2"]
        result[(admin, year)] = {
            "pbf_mu": pbf_mu,
            "pbf_on_cultivated_mu": None if on is None else on * MU_PER_M2,
            "pbf_off_cultivated_mu": None if on is None else (row["pbf_m2"] - on) * MU_PER_M2,
            "demonstration_mu": row["demonstration_m2"] * MU_PER_M2,
            "reserve_mu": row["reserve_m2"] * MU_PER_M2,
            "patches_under_20mu": row["patches_under_20mu"],
            "target_mu": target,
            "gap_mu": pbf_mu - target if judged else None,
        }
    return result


# ------------------------------------------------------------------------------- field_overlay (多田套合)

# field_overlay's names for the ground under each protection layer, and the control layers it lies in
OVERLAY_LAYERS = {
    "pbf": ("YJJBNT",),
    "high_standard": ("GBZNT",),
    "grain_zone": ("LSGNQ",),
    "all_four": ("YJJBNT", "GBZNT", "LSGNQ"),
}


def cultivated_under_layers(
    delivery: Delivery, year: int
) -> dict[tuple[str, str], tuple[float, shapely.Geometry]]:
    """(county, overlay) → (耕地 under it on the TBDLMJ basis in m², its ground): the parcels of the year's
    state cut by the polygons in force that year of each layer named for the overlay (all of them for
    all_four: 耕地 ∩ 永农 ∩ 高标准 ∩ 功能区). Only overlays with 耕地 under them are listed."""
    state = delivery.state(year).values()
    out: dict[tuple[str, str], tuple[float, shapely.Geometry]] = {}
    for county in delivery.counties:
        cultivated = [p for p in state if p.county == county and p.is_cultivated]
        for overlay, layers in OVERLAY_LAYERS.items():
            covers = [
                _union(p for p in delivery.control_in_force(year, layer) if p.county == county)
                for layer in layers
            ]
            cover = shapely.intersection_all(covers)
            ground = shapely.union_all([shapely.intersection(p.geom, cover) for p in cultivated])
            if ground.area > 0:
                out[(county, overlay)] = (cultivated_under(cultivated, cover), ground)
    return out


# --------------------------------------------------------------------------------------------- findings


def pr08(delivery: Delivery) -> set[tuple[str, int]]:
    """进出平衡 broken: (county, year) where 耕地 → 其他农用地 exceeds the way back."""
    return {
        (admin, year)
        for (admin, year), row in in_out_balance(delivery).items()
        if admin != CITY and not row["balanced"]
    }


def _loss_records(delivery: Delivery, to_kind) -> dict[tuple[str, int], list[Piece]]:
    """Change records (BGHTBBSM, year) taking 耕地 to a class of `to_kind`, with their pieces."""
    records: dict[tuple[str, int], list[Piece]] = defaultdict(list)
    for change in delivery.changes:
        for piece in change.pieces:
            if piece.before is None or piece.after is None or piece.xzqtzlx != "0":
                continue
            if piece.before.is_cultivated and not piece.after.is_cultivated and to_kind(piece.after.dlbm):
                records[(str(piece.after.bsm), change.year)].append(piece)
    return records


def pr09(delivery: Delivery) -> set[tuple[str, int]]:
    """永农 turned into other agricultural land: change records 耕地 → 其他农用地 whose pieces lie
    inside 永农 in force in the change year by more than the tolerance."""
    flagged = set()
    for (entity, year), pieces in _loss_records(delivery, is_other_agricultural).items():
        inside = 0.0
        for piece in pieces:
            cover = _union(
                p for p in delivery.control_in_force(year, "YJJBNT") if p.county == piece.before.county
            )
            inside += shapely.intersection(piece.geom, cover).area
        if inside > TOLERANCE_M2:
            flagged.add((entity, year))
    return flagged


def pr10(delivery: Delivery) -> set[tuple[str, int]]:
    """耕地 → construction not covered by the red line of a 建设用地 approval of the county approved on or
    before the change date (GXSJ): a change record whose uncovered ground exceeds the tolerance."""
    flagged = set()
    for key, pieces in _loss_records(delivery, is_construction).items():
        uncovered = 0.0
        for piece in pieces:
            changed_on = piece.record()["GXSJ"]
            cover = shapely.union_all(
                [
                    a.red_line
                    for a in delivery.approvals
                    if a.land_use_type == "建设用地" and a.county == piece.before.county
                    and a.approved_on <= changed_on
                ]
            )  # fmt: skip
            uncovered += shapely.difference(piece.geom, cover).area
        if uncovered > TOLERANCE_M2:
            flagged.add(key)
    return flagged


def pr11(delivery: Delivery) -> set[tuple[str, int]]:
    """非粮化 on protected land: 耕地 inside 永农 or 粮食生产功能区 in force (beyond a sliver) not
    sown to grain (LS/LYFL/XG), and any 撂荒 (WG) 耕地, per survey year."""
    flagged = set()
    for year in delivery.survey_years:
        layers = delivery.control_in_force(year, "YJJBNT") + delivery.control_in_force(year, "LSGNQ")
        for p in delivery.state(year).values():
            if not p.is_cultivated:
                continue
            pbf = _union(c for c in layers if c.layer == "YJJBNT" and c.county == p.county)
            zone = _union(c for c in layers if c.layer == "LSGNQ" and c.county == p.county)
            protected = (
                shapely.intersection(p.geom, pbf).area > TOLERANCE_M2
                or shapely.intersection(p.geom, zone).area > TOLERANCE_M2
            )
            if (protected and p.zzsxdm not in GRAIN_CODES) or p.zzsxdm == ABANDONED:
                flagged.add((str(p.bsm), year))
    return flagged


def pr12(delivery: Delivery) -> set[tuple[str, int]]:
    """多田套合: a 新建 high-standard block less than 95 % inside 永农, an 改造提升 block less than
    95 % inside a grain zone — against the layers delivered with the block (its latest delivery)."""
    latest: dict[str, tuple[int, ControlPolygon]] = {}
    for year, polygons in delivery.control.items():
        for p in polygons:
            if p.layer == "GBZNT" and (p.ident not in latest or latest[p.ident][0] < year):
                latest[p.ident] = (year, p)
    flagged = set()
    for ident, (year, block) in latest.items():
        required = {"新建": "YJJBNT", "改造提升": "LSGNQ"}[block.build_type]
        cover = _union(p for p in delivery.control[year] if p.layer == required and p.county == block.county)
        share = shapely.intersection(block.geom, cover).area / block.geom.area
        if share < MIN_SHARE_INSIDE:
            flagged.add((str(ident), block.since))
    return flagged


# ---------------------------------------------------------------------------------- occupation_balance

# PR03–PR07: the 占补平衡 and the 耕地开垦费 bind 非农建设占用耕地 (001 §三(六)); a 临时用地 is restored by
# its 复垦期限 instead (PR24) and a 设施农业用地 stays farmland (PR25): for them the balance does not apply.
BALANCE_BINDS = frozenset({"建设用地"})
GRAIN_CAPACITY_CSV = TARGETS_CSV.with_name("ref_grain_capacity.csv")


def _capacity_kg_per_mu(grade: int) -> float:
    with GRAIN_CAPACITY_CSV.open(encoding="utf-8") as handle:
        return next(
            float(r["capacity_kg_per_mu"]) for r in csv.DictReader(handle) if int(r["quality_grade"]) == grade
        )


def occupation_balance(delivery: Delivery) -> dict[str, dict[str, bool | None]]:
    """批准文号 → whether the balances apply and, where they do, whether each is met; where they do not,
    None (not applicable), never False. The deliveries link no quota: nothing is supplied."""
    rows = {}
    for approval in delivery.approvals:
        record = approval.record()
        applies = approval.land_use_type in BALANCE_BINDS
        occupied, paddy = record["占用耕地面积(亩)"], record["其中水田(亩)"]
        capacity = occupied * _capacity_kg_per_mu(record["占用耕地平均等别"])
        supplied = 0.0
        rows[approval.number] = {
            "balance_applies": applies,
            "quantity_balanced": supplied >= occupied if applies else None,
            "paddy_balanced": supplied >= paddy if applies else None,
            "capacity_balanced": supplied >= capacity if applies else None,
            "supplied_before_approval": None,  # nothing linked, or not applicable
            "has_reason": not applies,
        }
    return rows


# ---------------------------------------------------------------------------------- enforcement cases

# The survey findings a case may answer (ref_survey_finding_matching, read for its meaning): the rule's
# problem categories, and the day the finding counts from.
CASE_CATEGORIES = {
    "PR09": {"non_grain", "other"}, "PR10": {"non_agricultural", "other"}, "PR11": {"non_grain", "other"},
}  # fmt: skip


def case_is_open(case: EnforcementCase, day: datetime.date) -> bool:
    """未结案 on a day: found on or before it and not 销号 by then (a rectified case is still open:
    000 §三(三)3 整改销号)."""
    return case.found_on <= day and (case.closed_on is None or case.closed_on > day)


def open_cases(delivery: Delivery, day: datetime.date) -> dict[str, int]:
    """Open cases per county on a day."""
    counts: dict[str, int] = defaultdict(int)
    for case in delivery.cases:
        if case_is_open(case, day):
            counts[case.county] += 1
    return dict(counts)


def survey_findings(delivery: Delivery) -> list[tuple[datetime.date, str, str, str]]:
    """(day it counts from, rule, entity, village) of every PR09 / PR10 / PR11 finding, once each."""
    findings = []
    for rule_id, flagged, to_kind in (("PR09", pr09, is_other_agricultural), ("PR10", pr10, is_construction)):
        records = _loss_records(delivery, to_kind)
        for entity, year in flagged(delivery):
            piece = records[(entity, year)][0]
            village = village_code(piece.before.county, piece.before.village)
            findings.append((piece.record()["GXSJ"], rule_id, entity, village))
    first_year: dict[str, int] = {}
    for entity, year in pr11(delivery):
        first_year[entity] = min(year, first_year.get(entity, year))
    for entity, year in first_year.items():
        parcel = delivery.state(year)[int(entity)]
        findings.append(
            (datetime.date(year, 1, 1), "PR11", entity, village_code(parcel.county, parcel.village))
        )
    return sorted(findings)


def case_answers(delivery: Delivery) -> dict[str, tuple[str, str]]:
    """案件编号 → (rule, entity) of the survey finding the case answers: each finding chooses the case of
    its village, of a problem category the rule allows, found between the day the finding counts from and
    31 December of the year after; a case chosen by several answers the first of them. (Each finding of
    these deliveries has at most one candidate, so the preference among several — closest 其中耕地, then
    earliest — is not exercised.)"""
    answers: dict[str, tuple[str, str]] = {}
    for start, rule_id, entity, village in survey_findings(delivery):
        candidates = sorted(
            (case.found_on, case.number)
            for case in delivery.cases
            if case.village_code == village
            and case.category in CASE_CATEGORIES[rule_id]
            and start <= case.found_on <= datetime.date(start.year + 1, 12, 31)
        )
        if candidates and candidates[0][1] not in answers:
            answers[candidates[0][1]] = (rule_id, entity)
    return answers
