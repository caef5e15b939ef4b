"""The demo's default size and seed, apart from the generator so that the CLI can name them in its help
without loading it."""

DEFAULT_SCALE = 300  # base-year parcels (DLTB) per county
DEFAULT_SEED = 20251231
