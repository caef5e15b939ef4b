"""Do a file's coordinates fit the CRS it declares? (rule DQ14, 坐标系与坐标一致)

A declaration that is merely wrong does not fail any transformation: zone-40 coordinates declared as
zone 39 (EPSG:4527 instead of 4528) transform without error and land 700 km away, where every overlay
with the other layers silently comes out empty. Two checks catch it before a row is loaded:

- every feature lies inside the declared CRS's area of use (a 3-degree Gauss-Krüger zone, or China
  for geographic CRS), with a margin for counties that straddle a zone edge; for Gauss-Krüger CRSs
  whose false easting carries the zone number, the zone the coordinates carry is named in the message;
- after transformation, every feature lies inside the region CRS's area of use.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
from pyproj import CRS, Transformer

# Beyond a zone's edge a county may still be mapped in its home zone; a zone is 3° wide (~290 km at 30°N),
# so a 100 km margin keeps straddling counties and still refuses a neighbouring zone's coordinates.
MARGIN_PROJECTED_M = 100_000.0
MARGIN_GEOGRAPHIC_DEG = 1.0

# CGCS2000 3-degree Gauss-Krüger zones with the zone number in the false easting: EPSG:4513 (zone 25)
# to EPSG:4533 (zone 45).
_CGCS2000_ZONE_EPSG_OFFSET = 4488
_CGCS2000_ZONES = range(25, 46)


@dataclass(frozen=True)
class Extent:
    xmin: float
    ymin: float
    xmax: float
    ymax: float

    def widened(self, margin: float) -> Extent:
        return Extent(self.xmin - margin, self.ymin - margin, self.xmax + margin, self.ymax + margin)

    def sql_outside(self, geom: str) -> str:
        """SQL: the geometry reaches outside this extent."""
        return (
            f"(ST_XMin({geom}) < {self.xmin!r} OR ST_XMax({geom}) > {self.xmax!r} "
            f"OR ST_YMin({geom}) < {self.ymin!r} OR ST_YMax({geom}) > {self.ymax!r})"
        )


def area_of_use(crs: CRS) -> Extent | None:
    """The CRS's area of use in its own coordinates (easting/northing order), widened by the margin."""
    area = crs.area_of_use
    if area is None:
        return None
    if crs.is_geographic:
        return Extent(area.west, area.south, area.east, area.north).widened(MARGIN_GEOGRAPHIC_DEG)
    to_crs = Transformer.from_crs(CRS.from_epsg(4490), crs, always_xy=True)
    xmin, ymin, xmax, ymax = to_crs.transform_bounds(area.west, area.south, area.east, area.north)
    return Extent(xmin, ymin, xmax, ymax).widened(MARGIN_PROJECTED_M)


def _false_easting_zone(crs: CRS) -> int | None:
    """The zone number a Gauss-Krüger CRS writes into its false easting (40 for 40 500 000 m), if any."""
    operation = crs.coordinate_operation
    if operation is None:
        return None
    for param in operation.params:
        if param.name.lower() == "false easting" and param.value >= 1_000_000:
            return int(param.value // 1_000_000)
    return None


def _zone_hint(crs: CRS, xmin: float, xmax: float) -> str:
    declared_zone = _false_easting_zone(crs)
    data_zone = int(xmin // 1_000_000)
    if declared_zone is None or data_zone != int(xmax // 1_000_000) or data_zone == declared_zone:
        return ""
    hint = f"; the x coordinates carry zone number {data_zone}, the declared CRS is zone {declared_zone}"
    if data_zone in _CGCS2000_ZONES:
        code = _CGCS2000_ZONE_EPSG_OFFSET + data_zone
        hint += f": declare EPSG:{code} (CGCS2000 3-degree zone {data_zone})"
    return hint


def coordinates_problem(
    con: duckdb.DuckDBPyConnection,
    staged: str,
    declared: CRS,
    region_epsg: int,
    file_name: str,
    *,
    declared_geom: str,
    region_geom: str = "geom",
) -> str | None:
    """Why the staged features' coordinates contradict the declared CRS or the region, or None."""
    declared_extent = area_of_use(declared)
    region_crs = CRS.from_epsg(region_epsg)
    region_extent = area_of_use(region_crs)
    outside = []
    if declared_extent is not None:
        outside.append(declared_extent.sql_outside(declared_geom))
    if region_extent is not None:
        outside.append(region_extent.sql_outside(region_geom))
    if not outside:
        return None
    counted = con.execute(
        f"""SELECT count(*) FILTER (WHERE {" OR ".join(outside)}), count(*),
                   min(ST_XMin({declared_geom})), max(ST_XMax({declared_geom})),
                   min(ST_YMin({declared_geom})), max(ST_YMax({declared_geom}))
            FROM {staged}
            WHERE {declared_geom} IS NOT NULL AND NOT ST_IsEmpty({declared_geom})"""
    ).fetchone()
    bad, total, xmin, xmax, ymin, ymax = counted
    if not bad:
        return None
    declared_name = declared.name
    code = declared.to_epsg()
    declared_label = f"EPSG:{code} ({declared_name})" if code else declared_name
    return (
        f"{file_name}: {bad} of {total} feature(s) lie outside the area of the declared {declared_label} "
        f"or of the region's EPSG:{region_epsg} ({region_crs.name}); "
        f"coordinates x {xmin:,.0f} – {xmax:,.0f}, y {ymin:,.0f} – {ymax:,.0f}"
        f"{_zone_hint(declared, xmin, xmax)}. "
        "Fix the CRS declaration (.prj / CRS metadata) or reproject the file, and deliver it again"
    )
