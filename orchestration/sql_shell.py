"""`farmland sql`: the DuckDB shell on the published snapshot, read-only, with spatial loaded.

The shell is the binary of the `duckdb-cli` wheel, pinned to the engine's version (one file format, one
extension ABI). It loads spatial from the project's extension directory, where
`warehouse.connection.ensure_extensions_installed()` put it from its wheel, and never installs or
autoloads anything. The snapshot is opened read-only and the session then enters the shell's safe mode,
without which `.open` would reopen the file writable and COPY … TO and `.output` would write files.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from importlib import metadata
from pathlib import Path

CLI_DISTRIBUTION = "duckdb-cli"

# The shell's output modes a result can be printed in (`.mode`); duckbox is the shell's own default,
# which shows the first and last 20 rows of a longer result: csv or json print every row.
OUTPUT_MODES = ("duckbox", "box", "csv", "json", "jsonlines", "line", "list", "markdown", "table")


def shell_binary() -> Path:
    """The DuckDB shell of the installed duckdb-cli wheel, checked to be the engine's version."""
    import duckdb

    try:
        version = metadata.version(CLI_DISTRIBUTION)
        import duckdb_cli
    except (metadata.PackageNotFoundError, ImportError):
        raise SystemExit(
            f"the DuckDB shell is not installed: pip install {CLI_DISTRIBUTION}=={duckdb.__version__} "
            "(it is in requirements.lock)"
        ) from None
    if version != duckdb.__version__:
        # a shell of another version may not read the file and cannot load the extension built for the engine
        raise SystemExit(
            f"{CLI_DISTRIBUTION} {version} does not match the engine, duckdb {duckdb.__version__}: "
            f"pip install {CLI_DISTRIBUTION}=={duckdb.__version__}"
        )
    # the binary itself, not the wheel's `duckdb` script, which adds extension folders of its own
    binary = Path(duckdb_cli.__file__).parent / ("duckdb.exe" if sys.platform == "win32" else "duckdb")
    if not binary.is_file():
        raise SystemExit(f"{binary} is missing: reinstall {CLI_DISTRIBUTION}=={duckdb.__version__}")
    return binary


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def setup_sql(extension_directory: Path) -> str:
    """What the shell runs before anything else: spatial from the project's extension directory, nothing
    fetched from the network, nothing loaded behind the analyst's back."""
    return (
        f"SET extension_directory = {_text(str(extension_directory))}; "
        "SET autoinstall_known_extensions = false; "
        "SET autoload_known_extensions = false; "
        "LOAD spatial;"
    )


def shell_command(
    published: Path, extension_directory: Path, query: str | None = None, mode: str = "duckbox"
) -> list[str]:
    """The command line that opens `published` read-only in the shell: interactive, or running `query`
    and exiting with the shell's status."""
    command = [str(shell_binary()), "-readonly", "-no-init", "-cmd", setup_sql(extension_directory)]
    # Safe mode locks the configuration, so it comes after the setup; from then on no SQL or dot
    # command can reach another file or reopen this one writable.
    command += ["-cmd", ".safe_mode", "-cmd", f".mode {mode}", str(published)]
    if query is not None:
        command += ["-c", query]
    return command


def run_sql(published: Path, query: str | None = None, mode: str = "duckbox") -> int:
    """Open the published snapshot in the shell (run `query`, or hand over the terminal); the shell's
    exit status."""
    if not published.is_file():
        raise SystemExit(
            f"no published snapshot at {published}: run farmland build first (farmland demo builds the demo)"
        )
    from warehouse.connection import ensure_extensions_installed

    command = shell_command(published, ensure_extensions_installed(), query, mode)
    if query is None and sys.stdin.isatty():
        print(
            f"{published} (read-only; schemas marts, quality, reference). .tables lists the tables, "
            ".quit leaves.",
            file=sys.stderr,
        )
    # Ctrl-C belongs to the shell, which cancels the running query; this process only waits for it. A
    # handler, not SIG_IGN: an ignored signal would stay ignored in the shell.
    previous = signal.signal(signal.SIGINT, lambda *_: None)
    try:
        return subprocess.call(command)
    finally:
        signal.signal(signal.SIGINT, previous)
