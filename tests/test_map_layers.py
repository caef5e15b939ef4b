"""Findings an analyst can trace and map without the pipeline's working file: each finding's delivered
rows in the published snapshot (marts.finding_sources), with geometry in the region's CRS, and every
spatial table exported beside the snapshot as GeoParquet and GeoPackage a GIS opens where it lies."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pyogrio
import pytest

from tests.test_pipeline import query
from warehouse.map_exports import maps_folder
from warehouse.region import region

pytestmark = pytest.mark.builds_warehouse


def test_every_finding_in_the_snapshot_is_traced_to_what_was_delivered(demo_build):
    snapshot = demo_build.published
    findings = set(
        query(snapshot, "select distinct rule_id, entity_type, entity_id, year from quality.violations")
    )
    traced = query(
        snapshot,
        "select rule_id, entity_type, entity_id, year, traced_by, source_file, source_row from "
        "marts.finding_sources",
    )
    assert {row[:4] for row in traced} == findings
    # a policy finding on a parcel, a change record, a patch or a project reaches its delivered rows;
    # only figures over many rows and absences have none
    unrowed = {(rule, kind) for rule, kind, _, _, how, file, row in traced if file is None or row is None}
    assert {kind for _, kind in unrowed} <= {"county", "county_date", "target", "village"}, unrowed
    assert any(rule == "PR10" and file for rule, _, _, _, _, file, _ in traced)


def test_a_change_finding_leads_to_the_delivered_change_pieces_it_names(demo_build):
    """Read back from the delivered file itself (not through the warehouse): each row a PR09/PR10 finding
    is traced to is a DLTBGXGC piece whose parcel after the change is the finding's entity."""
    rows = query(
        demo_build.published,
        "select entity_id, source_file, source_row from marts.finding_sources "
        "where rule_id in ('PR09', 'PR10') and source_layer = 'DLTBGXGC'",
    )
    assert len(rows) >= 3
    for entity_id, source_file, source_row in rows:
        path = demo_build.landing / source_file
        layer = next(name for name, _ in pyogrio.list_layers(path) if "DLTBGXGC" in name.upper())
        _, table = pyogrio.read_arrow(path, layer=layer, read_geometry=False, columns=["BGHTBBSM"])
        delivered = table.column("BGHTBBSM")[source_row - 1].as_py()
        assert str(delivered) == entity_id, (source_file, source_row)


def test_the_snapshots_geometry_carries_the_regions_crs(demo_build):
    crs = f"EPSG:{region().crs_epsg}"
    types = query(
        demo_build.published,
        "select schema_name || '.' || table_name, column_name, data_type from duckdb_columns() "
        "where data_type like 'GEOMETRY%'",
    )
    assert ("marts.finding_sources", "geom", f"GEOMETRY('{crs}')") in types
    assert all(data_type == f"GEOMETRY('{crs}')" for _, _, data_type in types), types
    [(mapped,)] = query(demo_build.published, "select count(geom) from marts.finding_sources")
    assert mapped > 0


def test_every_spatial_table_is_exported_as_geoparquet_and_geopackage_with_its_crs(demo_build):
    snapshot = demo_build.published
    folder = maps_folder(snapshot)
    tables = query(
        snapshot,
        "select distinct schema_name || '.' || table_name from duckdb_columns() "
        "where data_type like 'GEOMETRY%'",
    )
    maps = {"marts.admin_outlines", "marts.permanent_farmland_patches", "marts.field_overlay_areas"}
    assert maps | {"marts.finding_sources"} <= {table for (table,) in tables}
    for (table,) in tables:
        [(count,)] = query(snapshot, f"select count(*) from {table}")
        [(layer, _)] = pyogrio.list_layers(folder / f"{table}.gpkg")
        info = pyogrio.read_info(folder / f"{table}.gpkg", layer=layer)
        assert layer == table and info["crs"] == f"EPSG:{region().crs_epsg}" and info["features"] == count
        parquet = pq.ParquetFile(folder / f"{table}.parquet")
        geo = json.loads(parquet.metadata.metadata[b"geo"])
        crs = geo["columns"][geo["primary_column"]]["crs"]
        assert crs["id"] == {"authority": "EPSG", "code": region().crs_epsg}, crs.get("id")
        assert parquet.metadata.num_rows == count


def test_the_fragmented_permanent_farmland_patches_are_a_map_layer_of_pr13s_findings(demo_build):
    """The 永农 patches under 20 亩 an analyst maps are the patches PR13 finds, each outlined by the union
    of its polygons, whose area is the patch's."""
    snapshot = demo_build.published
    fragmented = query(
        snapshot,
        "select patch_id, control_year, patch_area_m2, ST_Area(geom) from marts.permanent_farmland_patches "
        "where is_fragmented",
    )
    found = set(query(snapshot, "select entity_id, year from quality.violations where rule_id = 'PR13'"))
    assert fragmented and {(patch, year) for patch, year, _, _ in fragmented} == found
    for patch, _, area, outlined in fragmented:
        assert abs(float(area) - outlined) <= 0.01 * float(area), patch


def test_the_field_overlay_ground_is_a_map_layer_with_field_overlays_figures(demo_build):
    """多田套合 as a map: per county, the 耕地 under 永农, 高标准农田, 功能区 and all three in the latest
    reconciled survey year, outlined, with field_overlay's figures for that year; the ground under all
    three lies inside the ground under 永农."""
    snapshot = demo_build.published
    [(year,)] = query(snapshot, "select max(year) from marts.field_overlay where cultivated_mu is not null")
    drawn = query(
        snapshot,
        "select county_code, year, overlay, cultivated_mu, planar_area_m2, ST_Area(geom) "
        "from marts.field_overlay_areas",
    )
    assert {row[1] for row in drawn} == {year}
    assert {row[2] for row in drawn} == {"pbf", "high_standard", "grain_zone", "all_four"}
    mapped = {(county, overlay): mu for county, _, overlay, mu, _, _ in drawn}
    counted = query(
        snapshot,
        "select admin_code, cultivated_in_pbf_mu, cultivated_in_high_standard_mu, "
        "cultivated_in_grain_zone_mu, all_four_mu from marts.field_overlay "
        "where admin_level = 'county' and year = ?",
        [year],
    )
    assert counted
    for county, *figures in counted:
        for overlay, figure in zip(("pbf", "high_standard", "grain_zone", "all_four"), figures, strict=True):
            assert abs(mapped.get((county, overlay), 0.0) - figure) <= 1e-6, (county, overlay)
    for county, _, overlay, _, planar, outlined in drawn:
        assert planar == pytest.approx(outlined) and planar > 0, (county, overlay)
    [(outside,)] = query(
        snapshot,
        """select coalesce(max(ST_Area(ST_Difference(core.geom, pbf.geom))), 0)
           from marts.field_overlay_areas as core
           join marts.field_overlay_areas as pbf using (county_code, year)
           where core.overlay = 'all_four' and pbf.overlay = 'pbf'""",
    )
    assert outside < 0.01


def test_each_finding_names_its_rules_parameters_and_its_clause_by_the_documents_title(demo_build):
    """From a finding in the snapshot to what it rests on, without the working file: the rule's
    parameters, and its clause cited with the document's title, issuer and date (reference seed of the
    policy documents)."""
    rows = query(
        demo_build.published,
        """select v.rule_id, c.parameters, c.clause, c.citation, d.title, d.issuer, d.issued_on
           from quality.violations as v
           join quality.rule_catalog as c using (rule_id)
           join reference.ref_policy_documents as d on d.source_doc = c.source_doc""",
    )
    [(findings,)] = query(demo_build.published, "select count(*) from quality.violations")
    assert len(rows) == findings
    pr13 = next(row for row in rows if row[0] == "PR13")
    assert json.loads(pr13[1])["min_patch_mu"] == 20
    for rule_id, _, clause, citation, title, issuer, issued_on in rows:
        assert title in clause, (rule_id, clause)
        assert issuer in citation and (issued_on is None or str(issued_on) in citation), (rule_id, citation)
        assert ".txt" not in clause + citation, (rule_id, clause)
