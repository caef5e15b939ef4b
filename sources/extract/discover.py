"""Find the survey and control layers in a landing folder (SOURCES.md "Landing zone layout").

`survey/<year>/DLTB.shp`, `control/<year>/YJJBNTBHTB_330402.gpkg`, `control/<year>/管控图层.gdb` (a FileGDB
holding several layers): each matching layer becomes one `Delivery`. Everything else (projects/, funds/,
demo_manifest.json, sidecar files) is not a spatial survey/control layer and is left to other extractors.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from sources.formats import format_of, list_layer_names
from sources.layers import FORMATS, LAYERS, Layer, layer_for_name

log = logging.getLogger(__name__)

LAYER_FOLDERS = tuple(sorted({layer.folder for layer in LAYERS}))  # ("control", "survey")
_YEAR = re.compile(r"^\d{4}$")


@dataclass(frozen=True)
class Delivery:
    """One delivered layer of one year: a file (or a layer inside a GeoPackage/FileGDB) to load."""

    layer: Layer
    year: int | None  # the <year> folder it was delivered in (None for project boundary layers)
    path: Path  # the file (.shp, .parquet, .gpkg) or the .gdb directory
    format: str  # a value of sources.layers.FORMATS
    layer_name: str | None = None  # the layer inside a GeoPackage/FileGDB (None for single-layer files)
    source_file: str = ""  # lineage key: path relative to the landing folder (posix)


def year_folder(source_file: str) -> int | None:
    """The <year> folder of a landing-relative path such as `survey/2023/DLTBGX.gpkg`."""
    parts = source_file.split("/")
    return int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else None


def match_layer(name: str) -> Layer | None:
    """The layer a delivered name stands for: `<LAYER>` or `<LAYER>_<anything>` (case-insensitive)."""
    return layer_for_name(name) or layer_for_name(name.split("_", 1)[0])


def _candidates(year_dir: Path) -> list[Path]:
    """Layer files under a year folder; a .gdb directory counts as one file and is not descended into."""
    found: list[Path] = []
    stack = [year_dir]
    while stack:
        directory = stack.pop()
        for entry in sorted(directory.iterdir()):
            if entry.name.startswith("."):
                continue
            suffix = entry.suffix.lower()
            if entry.is_dir():
                if suffix == ".gdb":
                    found.append(entry)
                else:
                    stack.append(entry)
            elif suffix in FORMATS and suffix != ".gdb":
                found.append(entry)
    return found


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


def discover(landing: Path) -> list[Delivery]:
    """Every survey/control layer delivered under `landing`, ordered by layer, year and path."""
    landing = Path(landing)
    deliveries: list[Delivery] = []
    for folder in LAYER_FOLDERS:
        base = landing / folder
        if not base.is_dir():
            continue
        yearly = any(layer.yearly for layer in LAYERS if layer.folder == folder)
        if yearly:
            scopes = [(d, int(d.name)) for d in sorted(base.iterdir()) if d.is_dir() and _YEAR.match(d.name)]
        else:
            scopes = [(base, None)]  # projects/: boundary layers beside the record files, not per year
        for year_dir, year in scopes:
            for path in _candidates(year_dir):
                rel = path.relative_to(landing).as_posix()
                if path.suffix.lower() in (".gpkg", ".gdb"):
                    found = _container_deliveries(path, year, folder, rel)
                else:
                    layer = match_layer(path.stem)
                    found = (
                        [Delivery(layer, year, path, format_of(path), None, rel)]
                        if layer is not None and layer.folder == folder
                        else []
                    )
                if not found:
                    log.info("%s: not a %s layer; ignored", rel, folder)
                deliveries.extend(found)
    deliveries.sort(key=lambda d: (d.layer.code, d.year or 0, d.source_file))
    return deliveries
