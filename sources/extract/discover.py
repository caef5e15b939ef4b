"""Find the spatial layers in a landing folder (SOURCES.md "Landing zone layout").

`survey/<year>/DLTB.shp`, `control/<year>/YJJBNTBHTB_330402.gpkg`, `control/<year>/管控图层.gdb` (a FileGDB
holding several layers): each matching layer becomes one `Delivery`. Everything else (projects/ records,
funds/, demo_manifest.json, sidecar files) is not a spatial layer and is left to other extractors.

The landing folder is read through `sources.extract.landing` (the layout only, links not followed out of
it, a size limit). What it refuses comes back as a `Delivery` with its `problem`, of the layer its name
names, so the loader records the refusal without opening the file. Several files delivering one layer for
one year are all refused unless each is another county's file, named by its county code
(`DLTB_330402.gpkg`, `DLTB_330411.gpkg`): loading them all would count the layer twice, and no name says
which one is meant.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

from sources.extract.landing import ARCHIVE_SUFFIXES, LandedFile, landed_files
from sources.formats import format_of, list_layer_names
from sources.layers import FORMATS, LAYERS, Layer, layer_for_name

log = logging.getLogger(__name__)

LAYER_FOLDERS = tuple(sorted({layer.folder for layer in LAYERS}))  # ("control", "projects", "survey")
_COUNTY_FILE = re.compile(r"(?P<layer>.+)_(?P<county>\d{6})")  # <LAYER>_<county code> (GB/T 2260)


@dataclass(frozen=True)
class Delivery:
    """One delivered layer of one year: a file (or a layer inside a GeoPackage/FileGDB) to load."""

    layer: Layer
    year: int | None  # the <year> folder it was delivered in (None for project boundary layers)
    path: Path  # the file (.shp, .parquet, .gpkg) or the .gdb directory
    format: str  # a value of sources.layers.FORMATS ("" for a delivery refused unopened)
    layer_name: str | None = None  # the layer inside a GeoPackage/FileGDB (None for single-layer files)
    source_file: str = ""  # lineage key: path relative to the landing folder (posix)
    problem: str | None = None  # why it is refused without being opened (sources.extract.landing)


def year_folder(source_file: str) -> int | None:
    """The <year> folder of a landing-relative path such as `survey/2023/DLTBGX.gpkg`."""
    parts = source_file.split("/")
    return int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else None


def match_layer(name: str) -> Layer | None:
    """The layer a delivered name stands for: `<LAYER>` or `<LAYER>_<anything>` (case-insensitive)."""
    return layer_for_name(name) or layer_for_name(name.split("_", 1)[0])


def _container_deliveries(path: Path, year: int | None, folder: str, rel: str) -> list[Delivery]:
    fmt = format_of(path)
    try:
        names = list_layer_names(path)
    except Exception as exc:  # a corrupt container: hand it to the loader, which records why it failed
        layer = match_layer(path.stem)
        log.warning("%s: cannot list layers (%s)", rel, exc)
        return [Delivery(layer, year, path, fmt, None, rel)] if layer and layer.folder == folder else []
    by_inner = [(name, match_layer(name)) for name in names]
    matched = [(name, layer) for name, layer in by_inner if layer is not None and layer.folder == folder]
    if not matched:
        # A file named for the layer whose single inner layer is called something else ("layer1").
        layer = match_layer(path.stem)
        if layer is not None and layer.folder == folder and len(names) == 1:
            matched = [(names[0], layer)]
    deliveries = []
    for name, layer in matched:
        # Several layers share one container file: the inner layer name keeps their lineage apart.
        source_file = rel if len(names) == 1 else f"{rel}:{name}"
        deliveries.append(Delivery(layer, year, path, fmt, name, source_file))
    return deliveries


def _refused(landed: LandedFile, folder: str) -> list[Delivery]:
    """The deliveries a refused entry stands for: of the layer its name names, or, for an entry that may
    hold any of them (a linked folder, an archive, a GeoPackage or FileGDB), of every layer of its folder."""
    layer = match_layer(Path(landed.name).stem)
    if layer is not None and layer.folder == folder:
        layers = [layer]
    elif landed.opaque or landed.path.suffix.lower() in (".gpkg", ".gdb"):
        layers = [layer for layer in LAYERS if layer.folder == folder]
    else:
        return []  # not named for a layer: it would not have been read anyway
    return [
        Delivery(layer, landed.year, landed.path, "", None, landed.source_file, landed.problem)
        for layer in layers
    ]


def _delivered(landed: LandedFile, folder: str) -> list[Delivery]:
    """The layers a landed file delivers (several for a container holding several)."""
    path, rel, year = landed.path, landed.source_file, landed.year
    suffix = path.suffix.lower()
    if landed.problem is not None:
        # A refused sidecar (.dbf, .prj) refuses its .shp already; a refused file of no layer format is no
        # layer delivery.
        return (
            _refused(landed, folder)
            if suffix in FORMATS or suffix in ARCHIVE_SUFFIXES or landed.opaque
            else []
        )
    if suffix not in FORMATS:
        return []  # sidecars, notes, record files
    if suffix in (".gpkg", ".gdb"):
        return _container_deliveries(path, year, folder, rel)
    layer = match_layer(path.stem)
    return (
        [Delivery(layer, year, path, format_of(path), None, rel)]
        if layer is not None and layer.folder == folder
        else []
    )


def county_code(delivery: Delivery) -> str | None:
    """The county code a delivery is named by (`DLTB_330402.shp`, or the layer `DLTB_330402` inside a
    container), or None."""
    for name in (delivery.layer_name, delivery.path.stem):
        match = _COUNTY_FILE.fullmatch(name or "")
        if match is not None and layer_for_name(match["layer"]) == delivery.layer:
            return match["county"]
    return None


def _refuse_doubles(deliveries: list[Delivery]) -> list[Delivery]:
    """Refuse every delivery of a layer and year delivered by several files unless each is one county's."""
    groups: dict[tuple[str, int | None], list[Delivery]] = defaultdict(list)
    for delivery in deliveries:
        if delivery.problem is None:
            groups[(delivery.layer.code, delivery.year)].append(delivery)
    refused: dict[tuple[str, str], str] = {}
    for (code, year), group in groups.items():
        counties = [county_code(d) for d in group]
        if len(group) < 2 or (None not in counties and len(set(counties)) == len(counties)):
            continue
        names = ", ".join(d.source_file for d in group)
        suffix, where = group[0].path.suffix, year or f"{group[0].layer.folder}/"
        problem = (
            f"{len(group)} files deliver {code} for {where}: {names}. "
            f"{'Neither' if len(group) == 2 else 'None of them'} is loaded: loading all would count {code} "
            "more than once, and no name says which one is meant. Keep one file per layer and year (remove "
            f"the others), or, for a layer delivered county by county, name each county's file by its county "
            f"code: {code}_<county code>{suffix}, e.g. {code}_330402{suffix}"
        )
        refused |= {(code, d.source_file): problem for d in group}
    return [replace(d, problem=refused.get((d.layer.code, d.source_file), d.problem)) for d in deliveries]


def discover(landing: Path) -> list[Delivery]:
    """Every survey/control/boundary layer delivered under `landing`, ordered by layer, year and path;
    those refused before being opened with their `problem`."""
    deliveries: list[Delivery] = []
    for folder in LAYER_FOLDERS:
        yearly = any(layer.yearly for layer in LAYERS if layer.folder == folder)
        for landed in landed_files(Path(landing), folder, yearly=yearly):
            found = _delivered(landed, folder)
            if not found and landed.path.suffix.lower() in FORMATS:
                log.info("%s: not a %s layer; ignored", landed.source_file, folder)
            deliveries.extend(found)
    deliveries = _refuse_doubles(deliveries)
    deliveries.sort(key=lambda d: (d.layer.code, d.year or 0, d.source_file))
    return deliveries
