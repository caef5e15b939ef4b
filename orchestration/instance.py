"""The Dagster instance's folder (DAGSTER_HOME) for `make ui`: `$DAGSTER_HOME` when it is set, else
`.dagster/` in the repository, prepared with telemetry off (a `dagster.yaml` saying so is written when
the folder has none: Dagster reports usage unless told not to, as dbt and great-expectations are told
here too).

    python -m orchestration.instance    # prepares the folder and prints its path
"""

from __future__ import annotations

import os
from pathlib import Path

from warehouse.config import REPO_ROOT

DAGSTER_HOME_ENV = "DAGSTER_HOME"
INSTANCE_CONFIG = "telemetry:\n  enabled: false\n"


def project_home() -> Path:
    """The instance's folder, created with its dagster.yaml if need be."""
    home = Path(os.environ.get(DAGSTER_HOME_ENV) or REPO_ROOT / ".dagster").resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(INSTANCE_CONFIG)
    return home


if __name__ == "__main__":
    print(project_home())
