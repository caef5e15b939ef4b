"""A rule's parameters reach the models' SQL; the catalog refuses, when it is loaded, any value that is
not of its parameter's declared type, so a threshold cannot smuggle SQL or text into a model."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from quality.catalog import CATALOG_FILE, load_catalog
from quality.parameters import parameter_types


def _catalog_with(tmp_path: Path, rule_id: str, name: str, value: object) -> Path:
    entries = yaml.safe_load(CATALOG_FILE.read_text(encoding="utf-8"))
    for entry in entries:
        if entry["rule_id"] == rule_id:
            entry["parameters"] = {**(entry.get("parameters") or {}), name: value}
    path = tmp_path / "catalog.yml"
    path.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    return path


def test_every_parameter_of_the_catalog_has_a_declared_type():
    declared = parameter_types()
    used = {name for rule in load_catalog().values() for name in rule.parameters}
    assert used <= set(declared), sorted(used - set(declared))


@pytest.mark.parametrize(
    ("rule_id", "name", "value", "said"),
    [
        ("PR13", "min_patch_mu", "20) or (1=1", "must be a number"),
        ("PR13", "min_patch_mu", True, "must be a number"),
        ("PR13", "min_patch_mu", float("nan"), "must be a number"),
        ("PR13", "min_patch_mu", -5, "must lie between 0"),
        ("PR19", "min_cross_township", 2.5, "must be a whole number"),
        ("PR11", "abandoned_code", "WG'; drop table marts.cultivated_land; --", "must be a code"),
        ("PR11", "grain_codes", ["LS", "X' or '1'='1"], "must be a list of codes"),
        ("PR23", "required_authority", "国务院' or '1'='1", "must be a short name"),
        ("PR13", "min_patch_size", 20, "has no declared type"),
    ],
)
def test_a_parameter_of_the_wrong_type_is_refused_when_the_catalog_is_loaded(
    tmp_path, rule_id, name, value, said
):
    path = _catalog_with(tmp_path, rule_id, name, value)
    with pytest.raises(ValueError) as refused:
        load_catalog(path)
    message = str(refused.value)
    assert f"rule {rule_id}" in message and name in message and said in message, message
