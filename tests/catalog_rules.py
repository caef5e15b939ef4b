"""Which rules a test checks, read from the rule catalog: each rule lists the tests that find it
(`tests:` in quality/rules/catalog.yml), and a test over several rules takes its list from there."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path

import pytest

from quality.catalog import load_catalog
from warehouse.config import REPO_ROOT


def test_pointer(test: Callable) -> str:
    """How the catalog names a test: `tests/<file>.py::<function>`."""
    return f"{Path(inspect.getfile(test)).resolve().relative_to(REPO_ROOT).as_posix()}::{test.__name__}"


def rules_tested_by(test: Callable) -> list[str]:
    """The rules whose catalog entry lists this test, in catalog order."""
    pointer = test_pointer(test)
    rule_ids = [rule.rule_id for rule in load_catalog().values() if pointer in rule.tests]
    if not rule_ids:
        raise LookupError(f"no rule of quality/rules/catalog.yml lists {pointer} among its tests")
    return rule_ids


def for_each_catalog_rule(test: Callable) -> Callable:
    """Parametrize a test with `rule_id` over the rules that list it in the catalog."""
    return pytest.mark.parametrize("rule_id", rules_tested_by(test))(test)
