"""Survey years as Dagster partitions: one partition per `<year>` folder delivered in the landing zone.

The raw layer assets are partitioned by year, so a bureau can (re)load one year's change survey on its
own; a run over the whole range loads every year in one step (single-run backfill policy). The models
downstream are not partitioned: a year's state rests on every year before it.
"""

from pathlib import Path

import dagster as dg

from sources.extract.discover import discover

survey_years = dg.DynamicPartitionsDefinition(name="survey_year")

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def delivered_years(landing: Path) -> list[str]:
    """The <year> folders holding at least one spatial layer delivery, oldest first."""
    return sorted({str(d.year) for d in discover(landing) if d.year is not None})


def range_tags(years: list[str]) -> dict[str, str]:
    """Run tags that select the years from first to last (in the partitions' order of addition)."""
    return {RANGE_START: years[0], RANGE_END: years[-1]}


def whole_range_tags(instance: dg.DagsterInstance) -> dict[str, str]:
    """Run tags that select every registered year in one run."""
    years = instance.get_dynamic_partitions(survey_years.name)
    if not years:
        raise ValueError("no survey year is registered: the landing folder holds no layer delivery")
    return range_tags(list(years))


def register_years(instance: dg.DagsterInstance, years: list[str]) -> list[str]:
    """Add the years Dagster does not know yet as partitions; returns the new ones."""
    known = set(instance.get_dynamic_partitions(survey_years.name))
    new = [y for y in years if y not in known]
    if new:
        instance.add_dynamic_partitions(survey_years.name, new)
    return new
