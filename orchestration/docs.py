"""dbt's documentation site (`make docs`): the models', seeds' and sources' descriptions, lineage and SQL,
with every relation's columns and types read from a built warehouse (dbt's catalog), as one page,
static_index.html, that opens from the file system without a server.

    python -m orchestration.docs [--warehouse FILE] [--target-path DIR]   # prints the page's path
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from warehouse.config import TRANSFORMS_DIR, warehouse_path

# Beside dbt's other artefacts, never committed (transforms/target/ is ignored); a folder of its own, so
# the manifest the pipeline's asset graph reads (transforms/target/manifest.json) stays the pipeline's.
DOCS_TARGET = TRANSFORMS_DIR / "target" / "docs"
# transforms/profiles.yml: the warehouse opened read-only
PROFILE_TARGET = "docs"
STATIC_PAGE = "static_index.html"


def generate_docs(warehouse: Path, target_path: Path = DOCS_TARGET) -> Path:
    """Run `dbt docs generate --static` on the dbt project with its catalog read from `warehouse` (a
    working file a build wrote), into `target_path`; returns the static page's path.

    dbt runs in a process of its own: in this one it would open the warehouse with a configuration
    other than that of a connection the process may hold (DuckDB refuses), and its parse would replace
    the one the pipeline's in-process dbt keeps."""
    from orchestration.resources import WarehouseResource
    from quality.catalog import dbt_vars

    warehouse = Path(warehouse).resolve()
    if not warehouse.is_file():
        raise FileNotFoundError(
            f"{warehouse} does not exist: dbt's docs read the columns of a built warehouse "
            "(farmland demo, or farmland build --warehouse FILE)"
        )
    target_path = Path(target_path).resolve()
    page = target_path / STATIC_PAGE
    # a failed run must not leave the last run's page looking like this one's
    page.unlink(missing_ok=True)
    environment = {
        **os.environ,
        **WarehouseResource(warehouse=str(warehouse)).dbt_profile_env(),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    dbt = shutil.which("dbt", path=str(Path(sys.executable).parent)) or "dbt"
    command = [
        dbt, "docs", "generate", "--static",
        "--project-dir", str(TRANSFORMS_DIR), "--profiles-dir", str(TRANSFORMS_DIR),
        "--target", PROFILE_TARGET, "--vars", dbt_vars(), "--no-use-colors",
        "--target-path", str(target_path), "--log-path", str(target_path),
    ]  # fmt: skip
    done = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not page.is_file():
        raise RuntimeError(
            f"dbt docs generate failed (its log: {target_path / 'dbt.log'}):\n"
            f"{done.stdout[-4000:]}{done.stderr}"
        )
    return page


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m orchestration.docs", description="dbt's documentation site as one static page."
    )
    parser.add_argument(
        "--warehouse",
        type=Path,
        default=warehouse_path(),
        help="the built working file whose columns the docs show (default: %(default)s)",
    )
    parser.add_argument(
        "--target-path",
        type=Path,
        default=DOCS_TARGET,
        help="where dbt writes the site (default: %(default)s)",
    )
    arguments = parser.parse_args(argv)
    try:
        page = generate_docs(arguments.warehouse, arguments.target_path)
    except (FileNotFoundError, RuntimeError) as error:
        sys.exit(str(error))
    print(page)


if __name__ == "__main__":
    main()
