"""Survey years (调查年度) as Dagster partitions: one yearly partition per change survey, from the first
survey on the third national land survey's base to the last year whose standard time point (12-31) has
passed.

The yearly raw layer assets are partitioned by survey year, so a bureau can (re)load one year's change
survey on its own; a run over a range of years loads them in one step (single-run backfill policy). The
models downstream are not partitioned: a year's state rests on every year before it.

The partitions are a calendar, not a list kept in the Dagster instance: a fresh instance, the UI's
launchpad and a backfill know every year without a sensor having registered it, and a new year appears
when its standard time point has passed.
"""

from pathlib import Path

import dagster as dg

from sources.extract.discover import discover

# 第三次全国国土调查 (standard time point 2019-12-31) is the base every annual change survey
# (国土变更调查) rests on, with the land classes of ref_land_classes; no earlier year can be delivered.
FIRST_SURVEY_YEAR = 2019

survey_years = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1 *",
    start=str(FIRST_SURVEY_YEAR),
    fmt="%Y",
    timezone="Asia/Shanghai",
)

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def delivered_years(landing: Path) -> list[str]:
    """The <year> folders holding at least one spatial layer delivery, oldest first."""
    return sorted({str(d.year) for d in discover(landing) if d.year is not None})


def undeliverable_years(years: list[str]) -> list[str]:
    """The years among `years` that are no survey year: before the first one, or not yet ended."""
    known = set(survey_years.get_partition_keys())
    return [year for year in years if year not in known]


def delivered_range_tags(landing: Path) -> dict[str, str]:
    """Run tags selecting the survey years delivered in `landing`, first to last; a ValueError names the
    year folders that cannot hold a survey and what to do."""
    years = delivered_years(landing)
    if not years:
        raise ValueError(f"{landing} holds no survey or control layer delivery (see SOURCES.md layout)")
    if wrong := undeliverable_years(years):
        last = survey_years.get_last_partition_key()
        raise ValueError(
            f"{landing}: year folder(s) {', '.join(wrong)} hold no survey year: change surveys start with "
            f"{FIRST_SURVEY_YEAR} and the last one ended is {last} (its standard time point 12-31 has "
            "passed). Move the files to the folder of the year they survey."
        )
    return {RANGE_START: years[0], RANGE_END: years[-1]}
