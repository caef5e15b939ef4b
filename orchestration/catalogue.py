"""How the assets read as a catalogue in the Dagster UI: the groups along the data's path, who answers
for each, and how fresh the annual deliveries must be.

The groups follow the path a delivery takes, so the global lineage reads left to right: delivered (raw,
reference) → row quarantine → staging → intermediate (with the county partitions) → delivery gate →
marts → findings → finding marts → publish. Each group is a stage: nothing in a group reads a later one.

Owners are the teams of a land bureau's data office an operator would call about a stage (Dagster shows
them on each asset); a deployment names its own here.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import dagster as dg


@dataclass(frozen=True)
class Group:
    name: str
    owner: str
    description: str


GROUPS = {
    group.name: group
    for group in (
        Group("raw", "team:survey_data", "deliveries as read: 国土变更调查 layers, control layers, records"),
        Group("reference", "team:survey_data", "reference tables kept in the repository (dbt seeds)"),
        Group("row_quarantine", "team:data_quality", "row-level DQ rules and the rows they quarantine"),
        Group("staging", "team:survey_data", "delivered rows typed, cleaned and keyed"),
        Group("intermediate", "team:indicators", "survey states, overlays and county partitions"),
        Group("delivery_gate", "team:data_quality", "the reconciliation gate (DQ09) before any figure"),
        Group("marts", "team:indicators", "the indicators: 耕地保有量, 永久基本农田, 占补/进出平衡 …"),
        Group("findings", "team:data_quality", "policy rules (PR) and the violations they find"),
        Group("finding_marts", "team:indicators", "findings over time: cases, risk index, scorecard"),
        Group("publish", "team:warehouse", "the snapshot analysts read"),
    )
}

# dbt folders whose models form a group of their own; the others are grouped by their top folder
DBT_FOLDER_GROUPS = {
    ("quality", "row_quarantine"): "row_quarantine",
    ("quality", "delivery_gate"): "delivery_gate",
    ("quality", "findings"): "findings",
    ("marts", "findings"): "finding_marts",
}


def dbt_group(dbt_resource_props: Mapping[str, Any]) -> str:
    """The group of a dbt model or seed, by the folder it lives in."""
    if dbt_resource_props["resource_type"] == "seed":
        return "reference"
    folders = tuple(dbt_resource_props["fqn"][1:-1])
    return DBT_FOLDER_GROUPS.get(folders[:2]) or folders[0]


def owners(group: str) -> list[str]:
    """Who answers for the assets of `group`."""
    return [GROUPS[group].owner]


# The change survey's standard time point is 12-31 and the annual build runs on 1 March
# (orchestration/jobs.py); a year's deliveries and the snapshot built on them are due by 1 April.
ANNUAL_DELIVERY = dg.FreshnessPolicy.cron(
    deadline_cron="0 0 1 4 *", lower_bound_delta=datetime.timedelta(days=365), timezone="Asia/Shanghai"
)
