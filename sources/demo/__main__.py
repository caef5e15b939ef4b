"""`python -m sources.demo --landing DIR [--scale N] [--seed S]`: write the 嘉兴 demo deliveries."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sources.demo.generate import generate
from sources.demo.size import DEFAULT_SCALE, DEFAULT_SEED


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sources.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--landing", type=Path, required=True, help="landing folder to write into")
    parser.add_argument("--scale", type=int, default=DEFAULT_SCALE, help="base-year parcels per county")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    manifest = generate(args.landing, scale=args.scale, seed=args.seed)
    seconds = time.perf_counter() - started
    print(
        f"demo for {manifest['region_code']} written to {args.landing} in {seconds:.1f} s: "
        f"{len(manifest['files'])} layers, {len(manifest['planted'])} planted violations (demo_manifest.json)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
