"""Walking the landing folder, which is not trusted (SOURCES.md "Landing zone layout").

Both discoveries, of the spatial layers (`sources.extract.discover`) and of the record files
(`sources.extract.records`), see the landing folder only through `landed_files`, so these rules hold for
every delivery:

- only the layout is read: the files directly in a layout folder (`survey/<year>/`, `projects/`, …), a
  FileGDB (`.gdb` directory) counting as one file. A file in a folder below one is refused, never loaded,
  and never lost: its refusal names it and says to move it up;
- a link is followed only to a file inside the landing folder. A link out of it, to a folder (inside or
  out) or to nothing is refused naming its target, and nothing behind it is opened: nothing outside the
  landing folder is read, and no walk can loop;
- a file larger than FARMLAND_MAX_FILE_SIZE is refused by its size, unopened;
- archives are not unpacked: an archive is refused, saying to unpack it;
- a device, pipe or socket is refused (opening a pipe would wait for ever).

A refused entry carries its `problem`, which the loaders record as the file's refusal (rule LOAD) without
reading it. An entry that may hold any delivery of its folder (a linked folder, an archive) is `opaque`:
a discovery that cannot tell which delivery it holds by its name refuses it as each of them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sources.formats import SHAPEFILE_SIDECARS as SIDECARS
from warehouse.config import MAX_FILE_SIZE_ENV, max_file_size

ARCHIVE_SUFFIXES = frozenset({".zip", ".rar", ".7z", ".tar", ".gz", ".tgz", ".bz2", ".xz"})
CONTAINER_DIRECTORY = ".gdb"  # a FileGDB: a directory delivered as one file
_YEAR = re.compile(r"^\d{4}$")
_SKIPPED = (".", "~$")  # hidden files, office editors' lock files


@dataclass(frozen=True)
class LandedFile:
    """One entry of a layout folder: a delivered file, or something refused there before it is read."""

    path: Path  # where it lies in the landing folder (a link's own path, never its target)
    source_file: str  # lineage key: path relative to the landing folder (posix); a linked folder's ends in /
    year: int | None  # the <year> folder it lies in (None outside year folders)
    problem: str | None = None  # why it is refused unread
    opaque: bool = False  # may hold any delivery of its folder (a linked folder, an archive)

    @property
    def name(self) -> str:
        """The delivered name; an archive's without its archive suffix (`DLTB.shp.zip` → `DLTB.shp`)."""
        suffix = self.path.suffix
        return self.path.name[: -len(suffix)] if suffix.lower() in ARCHIVE_SUFFIXES else self.path.name


def landed_files(
    landing: Path, folder: str, *, yearly: bool, max_size: int | None = None
) -> list[LandedFile]:
    """Everything in the layout folder `folder` of `landing` (`survey`, `funds/reference`, …) — with
    `yearly`, in its <year> folders — in path order, each refused entry with its problem.

    `max_size` (bytes) defaults to FARMLAND_MAX_FILE_SIZE.
    """
    root = Path(landing).resolve()  # the landing folder itself may be a link (a mounted share)
    limit = max_file_size() if max_size is None else max_size
    base = root
    for part in Path(folder).parts:
        base = base / part
        if base.is_symlink():
            return [_linked_folder(root, base, None)]
    if not base.is_dir():
        return []
    found: list[LandedFile] = []
    scopes: list[tuple[Path, int | None]] = []
    if yearly:
        for entry in _entries(base):
            if not _YEAR.match(entry.name):
                continue
            if entry.is_symlink():
                found.append(_linked_folder(root, entry, int(entry.name)))
            elif entry.is_dir():
                scopes.append((entry, int(entry.name)))
    else:
        scopes.append((base, None))
    for scope, year in scopes:
        for entry in _entries(scope):
            found.extend(_examine(root, scope, entry, year, limit))
    return found


def _entries(directory: Path) -> list[Path]:
    return [entry for entry in sorted(directory.iterdir()) if not entry.name.startswith(_SKIPPED)]


def _relative(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def _linked_folder(root: Path, link: Path, year: int | None) -> LandedFile:
    """A layout folder (`survey/`, `survey/2024/`) that is a link: refused as a whole, never entered."""
    rel = _relative(root, link) + "/"
    problem = (
        f"{rel} is a link to {os.readlink(link)}: links to folders are not followed (one out of the landing "
        f"folder would load files from elsewhere, one back into it files twice or without end). Make {rel} "
        "a folder of the landing folder and copy the files into it"
    )
    return LandedFile(link, rel, year, problem, opaque=True)


def _link_problem(root: Path, link: Path, here: str) -> tuple[str | None, bool]:
    """Why a link may not be followed (None for a link to a file inside the landing folder), and whether
    it links to a folder (a FileGDB is a file)."""
    rel, target = _relative(root, link), os.readlink(link)
    try:
        resolved = link.resolve(strict=True)
    except (OSError, RuntimeError):  # a target that does not exist, or links that lead back to themselves
        return (
            f"{rel} is a link to {target}, which leads nowhere (it does not exist, or links back to itself); "
            f"copy the file itself into {here}"
        ), False
    folder = resolved.is_dir() and resolved.suffix.lower() != CONTAINER_DIRECTORY
    rel = rel + "/" if folder else rel
    if not resolved.is_relative_to(root):
        return (
            f"{rel} is a link to {target}, outside the landing folder: links out of it are not followed. "
            f"Copy {'its files' if folder else 'the file'} into {here} instead of linking to it"
        ), folder
    if resolved.is_dir():
        return (
            f"{rel} is a link to the folder {target}: links to folders are not followed (they can lead back "
            f"into themselves). Copy {'its files' if folder else 'the folder'} into {here}"
        ), folder
    return None, False


def _examine(root: Path, scope: Path, entry: Path, year: int | None, limit: int) -> Iterator[LandedFile]:
    """The landed file `entry` of the layout folder `scope`; the files of a folder below it, refused."""
    rel = _relative(root, entry)
    here = _relative(root, scope) + "/"
    if entry.is_symlink():
        problem, folder = _link_problem(root, entry, here)
        if problem is not None:
            yield LandedFile(entry, rel + "/" if folder else rel, year, problem, opaque=folder)
            return
    elif entry.is_dir() and entry.suffix.lower() != CONTAINER_DIRECTORY:
        # Not part of the layout, but what it holds is refused by name rather than silently left out.
        # A real folder (links are never entered), so the walk ends.
        for child in _entries(entry):
            yield from _examine(root, scope, child, year, limit)
        return
    problem = _file_problem(root, entry, rel, here, limit)
    if problem is None and entry.parent != scope:
        problem = (
            f"{rel} lies in a folder inside {here}, which is not read: the layout (SOURCES.md) takes the "
            f"files directly in {here}. Move it into {here}"
        )
    yield LandedFile(entry, rel, year, problem, opaque=entry.suffix.lower() in ARCHIVE_SUFFIXES)


def _file_problem(root: Path, entry: Path, rel: str, here: str, limit: int) -> str | None:
    """Why a file (or a FileGDB directory) in the landing folder is refused unread, or None."""
    suffix = entry.suffix.lower()
    if suffix in ARCHIVE_SUFFIXES:
        return f"{rel} is an archive, archives are not unpacked: unpack it and deliver its files in {here}"
    if not entry.is_dir() and not entry.is_file():
        return f"{rel} is not a regular file (a device, pipe or socket): deliver the file itself"
    if entry.is_dir():  # a FileGDB: the files and links it holds
        parts = [Path(folder, name) for folder, folders, names in os.walk(entry) for name in names + folders]
    elif suffix == ".shp":  # read with its .dbf, .prj, .cpg beside it
        stem = entry.stem.lower()
        parts = [p for p in entry.parent.iterdir() if p.stem.lower() == stem and p.suffix.lower() in SIDECARS]
    else:
        parts = [entry]
    size = 0
    for part in parts:
        if part.is_symlink():
            problem, _ = _link_problem(root, part, here)
            if problem is not None:
                return problem if part == entry else f"{rel} cannot be read: {problem}"
        if part.is_file():
            size += part.stat().st_size
    if size > limit:
        return (
            f"{rel} is {_bytes(size)}, over the {_bytes(limit)} a delivered file may have "
            f"({MAX_FILE_SIZE_ENV}); it was not opened. Check that it is the file meant for delivery, and if "
            f"it is, raise {MAX_FILE_SIZE_ENV}"
        )
    return None


def _bytes(size: int) -> str:
    for unit, scale in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"
