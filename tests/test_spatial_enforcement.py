"""Spatial enforcement on the demo: overlays checked against an independent shapely computation,
永农 patches, the case lifecycle, the risk index and the county scorecard (issue 5)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from datetime import date
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
import shapely

from tests.test_pipeline import query
from warehouse.connection import connect

TOLERANCE_M2 = 0.01


def geometries(path, sql) -> tuple[list[tuple], np.ndarray]:
    """Rows of `sql` whose last column is ST_AsWKB(geom): (the other columns, shapely geometries)."""
    rows = query(path, sql)
    return [r[:-1] for r in rows], shapely.from_wkb([bytes(r[-1]) for r in rows])


@pytest.fixture(scope="module")
def state_2025(demo_build):
    """The 2025 land-use state's cultivated parcels: (county, TBDLMJ) and polygons."""
    return geometries(
        demo_build.warehouse,
        """select s.county_code, cast(s.land_class_area_m2 as double), st_aswkb(v.geom)
           from intermediate.int_survey__land_use_state as s
           join intermediate.int_survey__parcel_versions as v using (parcel_version_id)
           where s.survey_year = 2025 and s.is_cultivated""",
    )


@pytest.fixture(scope="module")
def protection_2025(demo_build):
    """The protection polygons in force in 2025, by layer: (county, polygon id, delivered area), polygons."""
    rows, geoms = geometries(
        demo_build.warehouse,
        """select p.layer, p.county_code, p.polygon_id, cast(p.delivered_area_m2 as double), st_aswkb(p.geom)
           from intermediate.int_control__polygons p
           join intermediate.int_control__polygons_in_force f
             using (layer, polygon_id, control_year)
           where f.year = 2025""",
    )
    layers = defaultdict(lambda: ([], []))
    for (layer, *rest), geom in zip(rows, geoms, strict=True):
        layers[layer][0].append(tuple(rest))
        layers[layer][1].append(geom)
    return {k: (v[0], np.array(v[1])) for k, v in layers.items()}


def cultivated_under(parcels, polygons) -> dict[str, float]:
    """Per county: Σ over cultivated parcels × polygons of the same county of
    area(parcel ∩ polygon) × TBDLMJ / area(parcel) — 耕地 under the polygons, computed with shapely."""
    (attrs, parcel_geoms), (poly_attrs, poly_geoms) = parcels, polygons
    tree = shapely.STRtree(poly_geoms)
    i, j = tree.query(parcel_geoms, predicate="intersects")
    same = np.array([attrs[a][0] == poly_attrs[b][0] for a, b in zip(i, j, strict=True)], dtype=bool)
    i, j = i[same], j[same]
    overlap = shapely.area(shapely.intersection(parcel_geoms[i], poly_geoms[j]))
    share = np.array([attrs[a][1] for a in i]) / shapely.area(parcel_geoms[i])
    totals: dict[str, float] = defaultdict(float)
    for a, value in zip(i, overlap * share, strict=True):
        totals[attrs[a][0]] += value
    return dict(totals)


@pytest.mark.parametrize(
    ("layer", "column"),
    [
        ("permanent_farmland", "cultivated_in_pbf_mu"),
        ("high_standard_farmland", "cultivated_in_high_standard_mu"),
        ("grain_zone", "cultivated_in_grain_zone_mu"),
    ],
)
def test_cultivated_land_under_each_layer_agrees_with_shapely(
    demo_build, state_2025, protection_2025, layer, column
):
    expected = cultivated_under(state_2025, protection_2025[layer])
    found = dict(
        query(
            demo_build.warehouse,
            f"""select admin_code, {column} / 0.0015 from marts.field_overlay
                where admin_level = 'county' and year = 2025""",
        )
    )
    assert expected
    off = {
        c: (found.get(c, 0.0), m2) for c, m2 in expected.items() if abs(found.get(c, 0.0) - m2) > TOLERANCE_M2
    }
    assert not off


def test_all_four_overlay_agrees_with_shapely(demo_build, state_2025, protection_2025):
    """耕地 ∩ 永农 ∩ 高标准 ∩ 功能区: the core polygons built independently, then cultivated land on them."""
    core_attrs, core_geoms = [], []
    layers = protection_2025
    (hs, hs_g), (pbf, pbf_g), (gz, gz_g) = (
        layers["high_standard_farmland"], layers["permanent_farmland"], layers["grain_zone"]
    )  # fmt: skip
    i, j = shapely.STRtree(pbf_g).query(hs_g, predicate="intersects")
    for a, b in zip(i, j, strict=True):
        if hs[a][0] != pbf[b][0]:
            continue
        piece = shapely.intersection(hs_g[a], pbf_g[b])
        for k in shapely.STRtree(gz_g).query(piece, predicate="intersects"):
            if gz[k][0] == hs[a][0]:
                core = shapely.intersection(piece, gz_g[k])
                if core.area > 0:
                    core_attrs.append((hs[a][0],))
                    core_geoms.append(core)
    expected = cultivated_under(state_2025, (core_attrs, np.array(core_geoms)))
    found = dict(
        query(
            demo_build.warehouse,
            "select admin_code, all_four_mu / 0.0015 from marts.field_overlay "
            "where admin_level = 'county' and year = 2025",
        )
    )
    assert sum(expected.values()) > 0
    assert all(abs(found[c] - expected.get(c, 0.0)) <= TOLERANCE_M2 for c in found)


def test_permanent_farmland_patches_match_an_independent_component_search(demo_build):
    rows, geoms = geometries(
        demo_build.warehouse,
        """select county_code, polygon_id, cast(delivered_area_m2 as double), st_aswkb(geom)
           from intermediate.int_control__polygons where layer = 'permanent_farmland'""",
    )
    parent = list(range(len(rows)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    i, j = shapely.STRtree(geoms).query(geoms, predicate="dwithin", distance=5.0)
    for a, b in zip(i, j, strict=True):
        # to the millimetre, as the model: a 5.00 m road between centimetre coordinates is not < 5 m
        if a < b and rows[a][0] == rows[b][0] and round(shapely.distance(geoms[a], geoms[b]), 3) < 5.0:
            parent[find(a)] = find(b)
    members: dict[int, list[int]] = defaultdict(list)
    for k in range(len(rows)):
        members[find(k)].append(k)
    expected = {
        min((rows[k][1] for k in ks), key=lambda bsm: (len(bsm), bsm)): sorted(rows[k][1] for k in ks)
        for ks in members.values()
    }
    found = {
        patch: sorted(ids)
        for patch, ids in query(
            demo_build.warehouse,
            "select patch_id, polygon_ids from intermediate.int_control__permanent_farmland_patches",
        )
    }
    assert found == expected


def test_the_planted_pairs_are_one_patch_at_3_m_and_two_at_8_m(demo_build):
    pairs = demo_build.manifest["pbf_patches"]
    patch_of = {
        member: patch
        for patch, ids in query(
            demo_build.warehouse,
            "select patch_id, polygon_ids from intermediate.int_control__permanent_farmland_patches",
        )
        for member in ids
    }
    connected, separate = ([str(b) for b in pairs[k]] for k in ("connected_pair", "separate_pair"))
    assert patch_of[connected[0]] == patch_of[connected[1]]
    assert patch_of[separate[0]] != patch_of[separate[1]]


def test_permanent_farmland_mart_counts_the_fragmented_patches_and_the_quarantined_polygon(demo_build):
    pr13 = [p for p in demo_build.manifest["planted"] if p["rule_id"] == "PR13"]
    by_county: dict[str, int] = defaultdict(int)
    for p in pr13:
        by_county[p["admin_code"]] += 1
    rows = dict(
        query(
            demo_build.warehouse,
            "select admin_code, patches_under_20mu from marts.permanent_farmland "
            "where admin_level = 'county' and year = 2025",
        )
    )
    assert {c: n for c, n in rows.items() if n} == dict(by_county)
    dq05 = [p for p in demo_build.manifest["planted"] if p["rule_id"] == "DQ05" and p["layer"] == "YJJBNT"]
    quarantined = dict(
        query(
            demo_build.warehouse,
            "select admin_code, pbf_quarantined_polygons from marts.permanent_farmland "
            "where admin_level = 'county' and year = 2025 and pbf_quarantined_polygons > 0",
        )
    )
    assert dq05 and quarantined == {dq05[0]["admin_code"]: len(dq05)}
    in_overlay = dict(
        query(
            demo_build.warehouse,
            "select admin_code, quarantined_control_polygons from marts.field_overlay "
            "where admin_level = 'county' and year = 2025 and quarantined_control_polygons > 0",
        )
    )
    assert in_overlay == quarantined


def test_findings_name_the_entity_the_area_and_the_clause(demo_build):
    rows = query(
        demo_build.warehouse,
        """select rule_id, entity_id, detail, source_doc, source_clause from quality.violations
           where rule_id in ('PR09', 'PR10', 'PR11', 'PR12', 'PR13', 'PR17', 'PR24', 'PR25')""",
    )
    area_keys = {
        "PR09": "inside_pbf_m2", "PR10": "uncovered_m2", "PR11": "cultivated_mu", "PR12": "inside_m2",
        "PR13": "patch_area_mu", "PR17": "gained_mu", "PR24": "cultivated_inside_mu",
        "PR25": "facility_inside_mu",
    }  # fmt: skip
    assert {r[0] for r in rows} == set(area_keys)
    for rule_id, entity_id, detail, doc, clause in rows:
        assert entity_id and doc and clause, rule_id
        assert json.loads(detail)[area_keys[rule_id]] is not None, rule_id


def test_the_case_lifecycle_carries_the_planted_colours(demo_build):
    """Each planted finding is one row of case_lifecycle, in the year it was found, with its case; its
    colour at every year end since is case_progress, the year found being the finding's own."""
    truth = demo_build.manifest["records"]["truth"]["case_lifecycle"]
    findings = query(
        demo_build.warehouse, "select rule_id, entity_id, year, case_no from marts.case_lifecycle"
    )
    progress = query(
        demo_build.warehouse,
        "select rule_id, entity_id, year, colour, is_found_year from marts.case_progress",
    )
    colours: dict[tuple[str, str], dict] = defaultdict(dict)
    found_in: dict[tuple[str, str], list[int]] = defaultdict(list)
    for rule_id, entity_id, year, colour, is_found_year in progress:
        colours[(rule_id, entity_id)][str(year)] = colour
        if is_found_year:
            found_in[(rule_id, entity_id)].append(year)
    expected = {
        (t["rule_id"], str(t["entity_id"])): {
            "year": min(int(y) for y in t["colours"]),
            "case": t["case_number"],
            "colours": t["colours"],
        }
        for t in truth
    }
    assert len(findings) == len({(r, e) for r, e, *_ in findings})  # one row per finding
    assert {(r, e): {"year": y, "case": c, "colours": colours[(r, e)]} for r, e, y, c in findings} == expected
    assert {key: years for key, years in found_in.items()} == {
        key: [f["year"]] for key, f in expected.items()
    }
    assert {c for t in truth for c in t["colours"].values()} == {"yellow", "red", "blue", "green"}


def _delivered_cases(demo_build) -> list[tuple]:
    """(案件编号, county, 发现日期, 销号日期) of every delivered case row that was not quarantined."""
    return query(
        demo_build.warehouse,
        """select c."案件编号", left(c."县级行政区代码", 6), c."发现日期", c."销号日期"
           from raw.enforcement_cases c
           where not exists (select 1 from raw.rejects r where r.layer = 'enforcement_cases'
                             and r.source_file = c._source_file and r.source_row = c._source_row)""",
    )


def _open(cases: list[tuple], day: date) -> dict[str, int]:
    """未结案 per county on a day, as the policy words it: found by then and not 销号 by then."""
    counts: dict[str, int] = defaultdict(int)
    for _, county, found, closed in cases:
        if found <= day and (closed is None or closed > day):
            counts[county] += 1
    return counts


def test_every_enforcement_case_is_published_with_one_meaning_of_open(demo_build):
    """case_status holds every delivered case, matched to a survey finding or not; a case is open
    (未结案) at a day when found by then and not 销号 by then, and the scorecard (year ends), the risk
    index (quarter ends) and case_status count exactly those."""
    cases = _delivered_cases(demo_build)
    published = query(demo_build.published, "select case_no, is_open, as_of, rule_id from marts.case_status")
    assert sorted(c[0] for c in published) == sorted(c[0] for c in cases)
    as_of = published[0][2]
    open_now = {
        number for number, _, found, closed in cases if found <= as_of and (closed is None or closed > as_of)
    }
    assert {number for number, is_open, *_ in published if is_open} == open_now
    # cases answering a survey finding, and open cases no finding of the survey explains, are both published
    assert any(rule_id is not None for *_, rule_id in published)
    assert any(is_open and rule_id is None for _, is_open, _, rule_id in published)

    scorecard = query(
        demo_build.published,
        "select admin_code, year, open_cases from marts.county_scorecard where admin_level = 'county'",
    )
    for county, year, open_cases in scorecard:
        assert open_cases == _open(cases, date(year, 12, 31)).get(county, 0), (county, year)
    city = dict(
        query(
            demo_build.published,
            "select year, open_cases from marts.county_scorecard where admin_level = 'city'",
        )
    )
    assert city[as_of.year] == len(open_now)

    risk = query(demo_build.published, "select county_code, quarter_end, open_cases from marts.risk_index")
    for county, quarter_end, open_cases in risk:
        assert open_cases == _open(cases, quarter_end).get(county, 0), (county, quarter_end)


def test_findings_count_once_in_the_year_found_and_stand_open_until_closed(demo_build):
    """The scorecard's new findings of a year are the findings of case_lifecycle of that year (a parcel
    found again is not new), its open findings those not green at the year end in case_progress."""
    new = dict(
        ((county, year), n)
        for county, year, n in query(
            demo_build.published, "select county_code, year, count(*) from marts.case_lifecycle group by all"
        )
    )
    standing = dict(
        ((county, year), n)
        for county, year, n in query(
            demo_build.published,
            """select county_code, year, count(*) filter (where colour <> 'green')
               from marts.case_progress group by all""",
        )
    )
    rows = query(
        demo_build.published,
        """select admin_code, year, new_findings, open_findings from marts.county_scorecard
           where admin_level = 'county' and year in (select year from marts.cultivated_land)""",
    )
    assert rows
    for county, year, new_findings, open_findings in rows:
        assert new_findings == new.get((county, year), 0), (county, year)
        assert open_findings == standing.get((county, year), 0), (county, year)
    refound = query(
        demo_build.published, "select count(*) from marts.case_lifecycle where last_found_year > year"
    )
    assert refound[0][0] > 0  # parcels found again in later years are still one finding each


def test_risk_index_ranks_counties_by_their_score_within_0_and_100(demo_build):
    rows = query(demo_build.warehouse, "select quarter, score, risk_index, rank from marts.risk_index")
    assert rows
    by_quarter: dict[str, list] = defaultdict(list)
    for quarter, score, index, rank in rows:
        assert 0 <= index <= 100
        assert (score == 0) == (index == 0)
        by_quarter[quarter].append((score, index, rank))
    for quarter, entries in by_quarter.items():
        ordered = sorted(entries, key=lambda e: e[2])
        assert [e[0] for e in ordered] == sorted((e[0] for e in entries), reverse=True), quarter
        assert [e[1] for e in ordered] == sorted((e[1] for e in entries), reverse=True), quarter
        # it ranks: no county at the cap, and counties whose scores differ by 1 % read different indices
        assert all(e[1] < 100 for e in entries), quarter
        for (score_a, index_a, _), (score_b, index_b, _) in combinations(entries, 2):
            if max(score_a, score_b) >= 1 and abs(score_a - score_b) >= 0.01 * max(score_a, score_b):
                assert index_a != index_b, (quarter, score_a, score_b)


def test_the_scorecard_fails_a_rule_exactly_where_it_found_something(demo_build):
    columns = [f"pr{n:02d}_pass" for n in range(1, 26)]
    rows = query(
        demo_build.warehouse,
        f"select admin_code, admin_level, year, violations, {', '.join(columns)} from marts.county_scorecard",
    )
    findings = query(
        demo_build.warehouse,
        """select rule_id, admin_code, year from quality.violations
           where rule_id like 'PR%' and year is not null""",
    )
    failing = {(r.lower(), a, y) for r, a, y in findings}
    region = dict(query(demo_build.warehouse, "select admin_code, region_code from reference.ref_region"))
    failing |= {(r, region[a], y) for r, a, y in failing if a in region and region[a] != a}
    assert rows
    for admin, _, year, _, *passes in rows:
        for column, passed in zip(columns, passes, strict=True):
            assert passed == ((column[:4], admin, year) not in failing), (admin, year, column)


def test_every_overlay_runs_one_spatial_join_per_county(demo_build, tmp_path):
    """The R-tree join is planned for every county; no pair-testing nested loop sneaks in."""
    from orchestration.resources import WarehouseResource
    from quality.catalog import dbt_vars
    from warehouse.config import TRANSFORMS_DIR

    counties = query(
        demo_build.warehouse, "select count(*) from reference.ref_region where admin_level = 'county'"
    )[0][0]
    # The pipeline compiles the parcel overlays one county at a time (county partitions); compiled
    # region-wide, as a plain `dbt build` runs them, every county's join is in one statement. dbt opens
    # its warehouse for writing, which the session's readers of the shared build would refuse: it
    # compiles against a copy under the same name.
    copy = tmp_path / "copy" / demo_build.warehouse.name
    copy.parent.mkdir()
    shutil.copy(demo_build.warehouse, copy)
    env = {**os.environ, **WarehouseResource(warehouse=str(copy)).dbt_profile_env()}
    command = [
        str(Path(sys.executable).with_name("dbt")), "compile", "--quiet",
        "--profiles-dir", str(TRANSFORMS_DIR), "--target-path", str(tmp_path / "target"),
        "--vars", dbt_vars(),
        "--select", "path:models/intermediate/control path:models/intermediate/enforcement",
    ]  # fmt: skip
    completed = subprocess.run(command, cwd=TRANSFORMS_DIR, env=env, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    compiled = tmp_path / "target" / "compiled" / "farmland" / "models" / "intermediate"
    latest = {path.name: path for path in compiled.rglob("*.sql")}
    models = [
        p
        for p in latest.values()
        if re.search(r"on st_(intersects|dwithin)\(", p.read_text(encoding="utf-8"))
    ]
    assert len(models) >= 6

    def operators(node: dict) -> list[tuple[str, str]]:
        """(operator, its condition text) for the node and everything below it."""
        here = (node.get("name", ""), json.dumps(node.get("extra_info", {})).lower())
        return [here, *(op for child in node.get("children", []) for op in operators(child))]

    con = connect(demo_build.warehouse, read_only=True)
    try:
        for path in models:
            sql = re.sub(r"(?m)^\s*--.*$", "", path.read_text(encoding="utf-8"))
            plan = json.loads(con.execute("explain (format json) " + sql).fetchall()[0][1])
            ops = [op for root in plan for op in operators(root)]
            assert [name for name, _ in ops].count("SPATIAL_JOIN") >= counties, path.name
            # a nested loop may serve a 3-row seed lookup, never a spatial predicate
            pair_tests = [
                name for name, condition in ops
                if name in {"NESTED_LOOP_JOIN", "BLOCKWISE_NL_JOIN", "CROSS_PRODUCT"} and "st_" in condition
            ]  # fmt: skip
            assert not pair_tests, path.name
    finally:
        con.close()


def test_uncovered_occupation_agrees_with_shapely(demo_build):
    """PR10's measure: each 耕地 → construction piece minus the red lines of 建设用地 approvals approved
    on or before its change date, recomputed with shapely."""
    pieces, piece_geoms = geometries(
        demo_build.warehouse,
        """select p.change_year, p.piece_id, p.updated_on, p.county_code, st_aswkb(g.geom)
           from intermediate.int_enforcement__occupation_cover p
           join staging.stg_survey__change_pieces g using (piece_id)""",
    )
    lines, line_geoms = geometries(
        demo_build.warehouse,
        """select a.approved_on, a.county_code, st_aswkb(b.geom)
           from staging.stg_projects__approval_boundaries b
           join staging.stg_records__land_approvals a using (approval_no)
           where a.land_use_type = 'construction'""",
    )
    tree = shapely.STRtree(line_geoms)
    expected = {}
    for (year, bsm, changed_on, county), geom in zip(pieces, piece_geoms, strict=True):
        cover = [
            line_geoms[k]
            for k in tree.query(geom, predicate="intersects")
            if lines[k][0] <= changed_on and lines[k][1] == county
        ]
        rest = shapely.difference(geom, shapely.union_all(cover)) if cover else geom
        expected[(year, bsm)] = rest.area
    found = {
        (year, bsm): float(m2)
        for year, bsm, m2 in query(
            demo_build.warehouse,
            """select change_year, piece_id, uncovered_planar_m2
               from intermediate.int_enforcement__occupation_cover""",
        )
    }
    assert expected and set(found) == set(expected)
    assert all(abs(found[k] - expected[k]) <= TOLERANCE_M2 for k in expected)
    assert sum(1 for v in expected.values() if v > 1.0) == len(
        [p for p in demo_build.manifest["records"]["planted"] if p["rule_id"] == "PR10"]
    )


def test_change_pieces_inside_permanent_farmland_agree_with_shapely(demo_build):
    """PR09's measure: the planar area of each piece leaving 耕地 inside 永农 in force in its change year."""
    pieces, piece_geoms = geometries(
        demo_build.warehouse,
        """select p.change_year, p.piece_id, p.county_code, st_aswkb(g.geom)
           from intermediate.int_enforcement__cultivated_loss_pieces p
           join staging.stg_survey__change_pieces g using (piece_id)""",
    )
    pbf, pbf_geoms = geometries(
        demo_build.warehouse,
        """select county_code, in_force_from, st_aswkb(geom)
           from intermediate.int_control__polygons where layer = 'permanent_farmland'""",
    )
    tree = shapely.STRtree(pbf_geoms)
    found = {
        (year, bsm): float(m2)
        for year, bsm, m2 in query(
            demo_build.warehouse,
            """select change_year, piece_id, inside_pbf_planar_m2
               from intermediate.int_enforcement__cultivated_loss_pieces""",
        )
    }
    inside_somewhere = 0
    for (year, bsm, county), geom in zip(pieces, piece_geoms, strict=True):
        hits = [
            k for k in tree.query(geom, predicate="intersects") if pbf[k][0] == county and pbf[k][1] <= year
        ]
        area = sum(shapely.intersection(geom, pbf_geoms[k]).area for k in hits)
        inside_somewhere += area > 1.0
        assert abs(found[(year, bsm)] - area) <= TOLERANCE_M2, (year, bsm)
    assert inside_somewhere >= 2  # the PR09 plants, at least
