"""The two reference implementations each overlay model is measured against.

- `geopandas_*`: the overlay as a GeoPandas user writes it (gpd.overlay, sjoin, dissolve), one county at
  a time like the model.
- `floor_*`: the least work that answers the question with shapely 2 on one core: an STRtree query for
  the candidate pairs (intersects / dwithin), then the intersection, distance or difference of exactly
  those pairs and the arithmetic the answer needs (sums, components), nothing else (no prepared
  containment test, no validity checks, no frames).

Both take their inputs already loaded (the load is the baseline child's work, not the overlay's) and
return a frame keyed like the model's output, so the three answers can be compared row by row. The
floors return numpy arrays from the timed part; `*_frame` turns them into a frame afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import shapely

# Imported here, with the module, so that the import is part of the baseline child and not of an
# overlay's measured time (scipy.sparse takes ~0.1 s to import).
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

Columns = dict[str, np.ndarray]  # a floor input: numpy columns, `geom` holding shapely geometries

# (layer, over_layer) pairs int_control__layer_overlaps keeps (多田套合, PR12)
LAYER_PAIRS = (
    ("high_standard_farmland", "permanent_farmland"),
    ("grain_zone", "permanent_farmland"),
    ("high_standard_farmland", "grain_zone"),
)
NO_END_YEAR = 10_000  # valid_to of a parcel version still valid (the models' coalesce(valid_to, 10000))


def _round4(values: Any) -> Any:
    # The models store areas as DECIMAL(18, 4): compare like with like.
    return np.round(np.asarray(values, dtype=np.float64), 4)


def _node(control_year: np.ndarray, polygon_id: np.ndarray) -> np.ndarray:
    # The patch model's node key: numeric ids zero-padded so that they order as numbers.
    return np.array([f"{y}|{p:0>24}" for y, p in zip(control_year, polygon_id, strict=True)], dtype=object)


def _components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _patch_rows(
    polygon_id: np.ndarray, node: np.ndarray, area: np.ndarray, labels: np.ndarray
) -> list[dict[str, object]]:
    order = np.lexsort((node, labels))
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    rows = []
    for members in np.split(order, bounds):
        rows.append(
            {
                "patch_id": polygon_id[members[0]],
                "polygon_count": len(members),
                "members": ",".join(polygon_id[members]),
                "patch_area_m2": float(area[members].sum()),
            }
        )
    return rows


# --------------------------------------------------------------------------------------------- geopandas


def _gpd() -> Any:
    import warnings

    import geopandas as gpd

    # keep_geom_type drops the lines and points where polygons only touch: they have no area.
    warnings.filterwarnings("ignore", message=".*keep_geom_type.*")
    return gpd


def geopandas_cultivated_overlay(d: dict[str, Any]) -> pd.DataFrame:
    gpd = _gpd()
    parcels_all, protection = d["cultivated_parcels"], d["protection_polygons"]
    parts = []
    for county, parcels in parcels_all.groupby("county_code"):
        parcels = parcels.assign(parcel_planar_m2=parcels.area)
        polygons = protection[protection["county_code"] == county]
        ov = gpd.overlay(
            parcels[["parcel_version_id", "land_class_area_m2", "parcel_planar_m2", "geometry"]],
            polygons[["layer", "polygon_id", "geometry"]],
            how="intersection",
            keep_geom_type=True,
        )
        ov["overlap_planar_m2"] = ov.area
        ov = ov[ov["overlap_planar_m2"] > 0]
        ov["overlap_cultivated_m2"] = (
            ov["overlap_planar_m2"] * ov["land_class_area_m2"] / ov["parcel_planar_m2"]
        )
        parts.append(pd.DataFrame(ov.drop(columns="geometry")))
    out = pd.concat(parts, ignore_index=True)
    return out[["parcel_version_id", "layer", "polygon_id", "overlap_planar_m2", "overlap_cultivated_m2"]]


def geopandas_layer_overlaps(d: dict[str, Any]) -> pd.DataFrame:
    gpd = _gpd()
    parts = []
    for _county, polygons in d["control_polygons"].groupby("county_code"):
        for layer, over_layer in LAYER_PAIRS:
            a = polygons[polygons["layer"] == layer]
            b = polygons[polygons["layer"] == over_layer].rename(
                columns={"layer": "over_layer", "polygon_id": "over_polygon_id", "control_year": "over_year"}
            )
            ov = gpd.overlay(
                a[["layer", "polygon_id", "control_year", "delivered_area_m2", "planar_area_m2", "geometry"]],
                b[["over_layer", "over_polygon_id", "over_year", "geometry"]],
                how="intersection",
                keep_geom_type=True,
            )
            ov = ov[ov["control_year"] == ov["over_year"]]
            area = ov.area
            ov["overlap_planar_m2"] = area
            ov["overlap_m2"] = area * ov["delivered_area_m2"] / ov["planar_area_m2"]
            parts.append(pd.DataFrame(ov[_round4(area) > 0].drop(columns="geometry")))
    out = pd.concat(parts, ignore_index=True)
    return out[["layer", "polygon_id", "over_layer", "over_polygon_id", "overlap_planar_m2", "overlap_m2"]]


def geopandas_permanent_farmland_patches(d: dict[str, Any], distance: float) -> pd.DataFrame:
    gpd = _gpd()
    polygons = d["control_polygons"]
    pbf = polygons[polygons["layer"] == "permanent_farmland"]
    rows = []
    for (_county, year), group in pbf.groupby(["county_code", "control_year"]):
        group = group.reset_index(drop=True)
        pairs = gpd.sjoin(group[["geometry"]], group[["geometry"]], predicate="dwithin", distance=distance)
        left, right = pairs.index.to_numpy(), pairs["index_right"].to_numpy()
        other = left != right
        left, right = left[other], right[other]
        gap = group.geometry.iloc[left].distance(group.geometry.iloc[right], align=False).to_numpy()
        # the model's rule: strictly closer than the distance, measured to the millimetre
        close = np.round(gap, 3) < distance
        labels = _components(len(group), left[close], right[close])
        ids = group["polygon_id"].to_numpy(dtype=object)
        node = _node(np.full(len(group), year), ids)
        rows += _patch_rows(ids, node, group["delivered_area_m2"].to_numpy(), labels)
    return pd.DataFrame(rows)


def geopandas_cultivated_loss_pieces(d: dict[str, Any]) -> pd.DataFrame:
    gpd = _gpd()
    pieces_all, pbf_all = d["loss_pieces"], d["pbf_in_force"]
    pieces_all = pieces_all.assign(piece_planar_m2=pieces_all.area)
    parts = []
    for (county, year), pieces in pieces_all.groupby(["county_code", "change_year"]):
        pbf = pbf_all[(pbf_all["county_code"] == county) & (pbf_all["year"] == year)]
        ov = gpd.overlay(
            pieces[["change_year", "piece_id", "geometry"]],
            pbf[["polygon_id", "geometry"]],
            how="intersection",
            keep_geom_type=True,
        )
        ov["inside"] = ov.area
        parts.append(pd.DataFrame(ov[ov["inside"] > 0].drop(columns="geometry")))
    inside = pd.concat(parts).groupby(["change_year", "piece_id"])["inside"].sum()
    out = pd.DataFrame(pieces_all.drop(columns="geometry")).set_index(["change_year", "piece_id"])
    out["inside_pbf_planar_m2"] = inside.reindex(out.index).fillna(0.0)
    out["inside_pbf_cultivated_m2"] = (
        out["cultivated_m2"] * out["inside_pbf_planar_m2"] / out["piece_planar_m2"]
    )
    return out.reset_index()[["change_year", "piece_id", "inside_pbf_planar_m2", "inside_pbf_cultivated_m2"]]


def geopandas_occupation_cover(d: dict[str, Any]) -> pd.DataFrame:
    gpd = _gpd()
    pieces_all, red_all = d["construction_pieces"], d["red_lines"]
    red_all = red_all[red_all["land_use_type"] == "construction"]
    parts = []
    for county, pieces in pieces_all.groupby("county_code"):
        red = red_all[red_all["county_code"] == county]
        pairs = gpd.sjoin(
            pieces[["change_year", "piece_id", "updated_on", "geometry"]],
            red[["approved_on", "geometry"]],
            predicate="intersects",
        )
        pairs = pairs[pairs["approved_on"] <= pairs["updated_on"]]
        cover = gpd.GeoDataFrame(
            {"change_year": pairs["change_year"].to_numpy(), "piece_id": pairs["piece_id"].to_numpy()},
            geometry=red.geometry.loc[pairs["index_right"]].to_numpy(),
            crs=pieces.crs,
        ).dissolve(by=["change_year", "piece_id"])
        indexed = pieces.set_index(["change_year", "piece_id"])
        uncovered = indexed["piece_planar_m2"].copy()
        covered = indexed.loc[cover.index]
        uncovered.loc[cover.index] = covered.geometry.difference(cover.geometry, align=True).area
        frame = indexed[["cultivated_m2", "piece_planar_m2"]].assign(uncovered_planar_m2=uncovered)
        parts.append(frame.reset_index())
    out = pd.concat(parts, ignore_index=True)
    out["uncovered_cultivated_m2"] = (
        out["cultivated_m2"] * out["uncovered_planar_m2"] / out["piece_planar_m2"]
    )
    return out[["change_year", "piece_id", "uncovered_planar_m2", "uncovered_cultivated_m2"]]


def geopandas_approval_ground(d: dict[str, Any]) -> pd.DataFrame:
    gpd = _gpd()
    red_all, parcels_all = d["red_lines"], d["approval_parcels"]
    red_all = red_all[red_all["land_use_type"].isin(["temporary", "facility_agriculture"])]
    years = d["survey_years"]["year"].to_numpy()
    parts = []
    for county, red in red_all.groupby("county_code"):
        parcels = parcels_all[parcels_all["county_code"] == county]
        parcels = parcels.assign(parcel_planar_m2=parcels.area)
        ov = gpd.overlay(
            red[["approval_no", "geometry"]],
            parcels[
                [
                    "valid_from",
                    "valid_to",
                    "is_cultivated",
                    "land_class",
                    "land_class_area_m2",
                    "parcel_planar_m2",
                    "geometry",
                ]
            ],
            how="intersection",
            keep_geom_type=True,
        )
        ov["inside_m2"] = ov["land_class_area_m2"] * ov.area / ov["parcel_planar_m2"]
        parts.append(pd.DataFrame(ov.drop(columns="geometry")))
    inside = pd.concat(parts, ignore_index=True)
    approvals = pd.DataFrame(red_all.drop(columns="geometry")).drop_duplicates("approval_no")
    approval_years = approvals.merge(pd.DataFrame({"year": years}), how="cross")
    approval_years = approval_years[
        approval_years["year"] >= pd.to_datetime(approval_years["approved_on"]).dt.year
    ]
    joined = approval_years[["approval_no", "year"]].merge(inside, on="approval_no")
    valid_to = joined["valid_to"].fillna(NO_END_YEAR)
    joined = joined[(joined["year"] >= joined["valid_from"]) & (joined["year"] < valid_to)]
    joined = joined.assign(
        cultivated_inside_m2=joined["inside_m2"].where(joined["is_cultivated"], 0.0),
        facility_inside_m2=joined["inside_m2"].where(joined["land_class"] == "1202", 0.0),
    )
    sums = joined.groupby(["approval_no", "year"])[["cultivated_inside_m2", "facility_inside_m2"]].sum()
    out = approval_years.set_index(["approval_no", "year"]).join(sums).fillna(0.0).reset_index()
    return out[["approval_no", "year", "cultivated_inside_m2", "facility_inside_m2"]]


# ------------------------------------------------------------------------------------------------- floor


def _intersecting(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (into left, into right) of intersecting geometries; the tree is built on the smaller
    side, as DuckDB's spatial join builds its R-tree on the smaller input."""
    if len(left) <= len(right):
        j, i = shapely.STRtree(left).query(right, predicate="intersects")
        return i, j
    return shapely.STRtree(right).query(left, predicate="intersects")


def _county_groups(*codes: np.ndarray) -> list[tuple[str, list[np.ndarray]]]:
    return [(c, [np.flatnonzero(k == c) for k in codes]) for c in np.unique(np.concatenate(codes))]


def floor_cultivated_overlay(d: dict[str, Columns]) -> dict[str, np.ndarray]:
    parcels, polygons = d["cultivated_parcels"], d["protection_polygons"]
    found = []
    for _county, (pi, qi) in _county_groups(parcels["county_code"], polygons["county_code"]):
        p, q = parcels["geom"][pi], polygons["geom"][qi]
        a, b = _intersecting(p, q)
        area = shapely.area(shapely.intersection(p[a], q[b]))
        keep = area > 0
        found.append((pi[a[keep]], qi[b[keep]], area[keep]))
    i, j, area = (np.concatenate(x) for x in zip(*found, strict=True))
    cultivated = area * parcels["land_class_area_m2"][i] / shapely.area(parcels["geom"][i])
    return {"i": i, "j": j, "area": area, "cultivated": cultivated}


def floor_cultivated_overlay_frame(d: dict[str, Columns], r: dict[str, np.ndarray]) -> pd.DataFrame:
    parcels, polygons = d["cultivated_parcels"], d["protection_polygons"]
    return pd.DataFrame(
        {
            "parcel_version_id": parcels["parcel_version_id"][r["i"]],
            "layer": polygons["layer"][r["j"]],
            "polygon_id": polygons["polygon_id"][r["j"]],
            "overlap_planar_m2": r["area"],
            "overlap_cultivated_m2": r["cultivated"],
        }
    )


def floor_layer_overlaps(d: dict[str, Columns]) -> dict[str, np.ndarray]:
    polygons = d["control_polygons"]
    layer, year, geom = polygons["layer"], polygons["control_year"], polygons["geom"]
    found = []
    for _county, (ci,) in _county_groups(polygons["county_code"]):
        for a_layer, b_layer in LAYER_PAIRS:
            ai, bi = ci[layer[ci] == a_layer], ci[layer[ci] == b_layer]
            a, b = _intersecting(geom[ai], geom[bi])
            a, b = ai[a], bi[b]
            same = year[a] == year[b]
            a, b = a[same], b[same]
            area = shapely.area(shapely.intersection(geom[a], geom[b]))
            keep = _round4(area) > 0
            found.append((a[keep], b[keep], area[keep]))
    i, j, area = (np.concatenate(x) for x in zip(*found, strict=True))
    return {
        "i": i,
        "j": j,
        "area": area,
        "delivered": area * polygons["delivered_area_m2"][i] / polygons["planar_area_m2"][i],
    }


def floor_layer_overlaps_frame(d: dict[str, Columns], r: dict[str, np.ndarray]) -> pd.DataFrame:
    polygons = d["control_polygons"]
    return pd.DataFrame(
        {
            "layer": polygons["layer"][r["i"]],
            "polygon_id": polygons["polygon_id"][r["i"]],
            "over_layer": polygons["layer"][r["j"]],
            "over_polygon_id": polygons["polygon_id"][r["j"]],
            "overlap_planar_m2": r["area"],
            "overlap_m2": r["delivered"],
        }
    )


def floor_permanent_farmland_patches(d: dict[str, Columns], distance: float) -> dict[str, np.ndarray]:
    polygons = d["control_polygons"]
    pbf = np.flatnonzero(polygons["layer"] == "permanent_farmland")
    county, year = polygons["county_code"][pbf], polygons["control_year"][pbf]
    labels = np.empty(len(pbf), dtype=np.int64)
    offset = 0
    for key in np.unique(np.char.add(county.astype(str), year.astype(str))):
        members = np.flatnonzero(np.char.add(county.astype(str), year.astype(str)) == key)
        g = polygons["geom"][pbf[members]]
        a, b = shapely.STRtree(g).query(g, predicate="dwithin", distance=distance)
        once = a < b  # each unordered pair once
        a, b = a[once], b[once]
        close = np.round(shapely.distance(g[a], g[b]), 3) < distance  # to the millimetre, like the model
        group_labels = _components(len(g), a[close], b[close])
        labels[members] = group_labels + offset
        offset += group_labels.max() + 1
    area = np.bincount(labels, weights=polygons["delivered_area_m2"][pbf])
    return {"rows": pbf, "labels": labels, "area": area}


def floor_permanent_farmland_patches_frame(d: dict[str, Columns], r: dict[str, np.ndarray]) -> pd.DataFrame:
    polygons = d["control_polygons"]
    rows = r["rows"]
    ids = polygons["polygon_id"][rows].astype(object)
    node = _node(polygons["control_year"][rows], ids)
    return pd.DataFrame(_patch_rows(ids, node, polygons["delivered_area_m2"][rows], r["labels"]))


def floor_cultivated_loss_pieces(d: dict[str, Columns]) -> dict[str, np.ndarray]:
    pieces, pbf = d["loss_pieces"], d["pbf_in_force"]
    inside = np.zeros(len(pieces["geom"]))
    piece_key = np.char.add(pieces["county_code"].astype(str), pieces["change_year"].astype(str))
    pbf_key = np.char.add(pbf["county_code"].astype(str), pbf["year"].astype(str))
    for key in np.unique(piece_key):
        pi, qi = np.flatnonzero(piece_key == key), np.flatnonzero(pbf_key == key)
        p, q = pieces["geom"][pi], pbf["geom"][qi]
        a, b = _intersecting(p, q)
        area = shapely.area(shapely.intersection(p[a], q[b]))
        keep = area > 0
        inside += np.bincount(pi[a[keep]], weights=area[keep], minlength=len(inside))
    cultivated = pieces["cultivated_m2"] * inside / shapely.area(pieces["geom"])
    return {"inside": inside, "cultivated": cultivated}


def floor_cultivated_loss_pieces_frame(d: dict[str, Columns], r: dict[str, np.ndarray]) -> pd.DataFrame:
    pieces = d["loss_pieces"]
    return pd.DataFrame(
        {
            "change_year": pieces["change_year"],
            "piece_id": pieces["piece_id"],
            "inside_pbf_planar_m2": r["inside"],
            "inside_pbf_cultivated_m2": r["cultivated"],
        }
    )


def floor_occupation_cover(d: dict[str, Columns]) -> dict[str, np.ndarray]:
    pieces, red = d["construction_pieces"], d["red_lines"]
    uncovered = pieces["piece_planar_m2"].astype(np.float64).copy()
    construction = red["land_use_type"] == "construction"
    for _county, (pi, ri) in _county_groups(pieces["county_code"], red["county_code"]):
        ri = ri[construction[ri]]
        p, q = pieces["geom"][pi], red["geom"][ri]
        a, b = _intersecting(p, q)
        in_time = red["approved_on"][ri[b]] <= pieces["updated_on"][pi[a]]
        a, b = a[in_time], b[in_time]
        order = np.argsort(a, kind="stable")  # the red lines of one piece side by side
        a, b = a[order], b[order]
        covered, first, count = np.unique(a, return_index=True, return_counts=True)
        single = count == 1
        rest = shapely.difference(p[covered[single]], q[b[first[single]]])
        uncovered[pi[covered[single]]] = shapely.area(rest)
        for k in np.flatnonzero(~single):  # under several red lines: their union first
            union = shapely.union_all(q[b[first[k] : first[k] + count[k]]])
            uncovered[pi[covered[k]]] = shapely.area(shapely.difference(p[covered[k]], union))
    cultivated = pieces["cultivated_m2"] * uncovered / pieces["piece_planar_m2"]
    return {"uncovered": uncovered, "cultivated": cultivated}


def floor_occupation_cover_frame(d: dict[str, Columns], r: dict[str, np.ndarray]) -> pd.DataFrame:
    pieces = d["construction_pieces"]
    return pd.DataFrame(
        {
            "change_year": pieces["change_year"],
            "piece_id": pieces["piece_id"],
            "uncovered_planar_m2": r["uncovered"],
            "uncovered_cultivated_m2": r["cultivated"],
        }
    )


def floor_approval_ground(d: dict[str, Columns]) -> dict[str, np.ndarray]:
    red, parcels = d["red_lines"], d["approval_parcels"]
    special = np.flatnonzero(np.isin(red["land_use_type"], ["temporary", "facility_agriculture"]))
    years = np.sort(d["survey_years"]["year"])
    valid_to = np.where(np.isnan(parcels["valid_to"].astype(float)), NO_END_YEAR, parcels["valid_to"])
    approved_year = red["approved_on"].astype("datetime64[Y]").astype(int) + 1970
    cultivated = np.zeros((len(special), len(years)))
    facility = np.zeros((len(special), len(years)))
    slot = np.full(len(red["geom"]), -1)
    slot[special] = np.arange(len(special))
    for _county, (ri, vi) in _county_groups(red["county_code"][special], parcels["county_code"]):
        ri = special[ri]
        r, v = red["geom"][ri], parcels["geom"][vi]
        a, b = _intersecting(r, v)
        vb = vi[b]
        inside = parcels["land_class_area_m2"][vb] * shapely.area(shapely.intersection(r[a], v[b]))
        inside /= shapely.area(v[b])
        for y, year in enumerate(years):
            valid = (parcels["valid_from"][vb] <= year) & (year < valid_to[vb])
            rows = slot[ri[a]]
            is_cultivated = parcels["is_cultivated"][vb].astype(bool)
            cultivated[:, y] += np.bincount(
                rows, weights=inside * (valid & is_cultivated), minlength=len(special)
            )
            facility[:, y] += np.bincount(
                rows, weights=inside * (valid & (parcels["land_class"][vb] == "1202")), minlength=len(special)
            )
    return {
        "special": special,
        "years": years,
        "approved_year": approved_year[special],
        "cultivated": cultivated,
        "facility": facility,
    }


def floor_approval_ground_frame(d: dict[str, Columns], r: dict[str, np.ndarray]) -> pd.DataFrame:
    red = d["red_lines"]
    s, y = np.nonzero(r["years"][None, :] >= r["approved_year"][:, None])
    return pd.DataFrame(
        {
            "approval_no": red["approval_no"][r["special"][s]],
            "year": r["years"][y],
            "cultivated_inside_m2": r["cultivated"][s, y],
            "facility_inside_m2": r["facility"][s, y],
        }
    )


GEOPANDAS: dict[str, Callable[..., pd.DataFrame]] = {
    "int_control__cultivated_overlay": geopandas_cultivated_overlay,
    "int_control__layer_overlaps": geopandas_layer_overlaps,
    "int_control__permanent_farmland_patches": geopandas_permanent_farmland_patches,
    "int_enforcement__cultivated_loss_pieces": geopandas_cultivated_loss_pieces,
    "int_enforcement__occupation_cover": geopandas_occupation_cover,
    "int_enforcement__approval_ground": geopandas_approval_ground,
}
FLOOR: dict[str, tuple[Callable[..., dict[str, np.ndarray]], Callable[..., pd.DataFrame]]] = {
    "int_control__cultivated_overlay": (floor_cultivated_overlay, floor_cultivated_overlay_frame),
    "int_control__layer_overlaps": (floor_layer_overlaps, floor_layer_overlaps_frame),
    "int_control__permanent_farmland_patches": (
        floor_permanent_farmland_patches,
        floor_permanent_farmland_patches_frame,
    ),
    "int_enforcement__cultivated_loss_pieces": (
        floor_cultivated_loss_pieces,
        floor_cultivated_loss_pieces_frame,
    ),
    "int_enforcement__occupation_cover": (floor_occupation_cover, floor_occupation_cover_frame),
    "int_enforcement__approval_ground": (floor_approval_ground, floor_approval_ground_frame),
}
