"""Delivery data cannot stop the build through an internal dbt test.

Every model is fed by delivery data, so each of its dbt tests that fails the build (severity error) must
say in the model YAML why a spec-legal delivery cannot make it fail (`config.meta.assured_by`): either an
invariant of our own SQL or loader, or a DQ rule of the catalog that quarantines, refuses or blocks
what would break it, with its reason. Anything else is a warn."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from quality.catalog import load_catalog

MODELS = Path(__file__).resolve().parents[1] / "transforms" / "models"
STOPPING_CONSEQUENCES = {"quarantine_row", "reject_delivery", "block_year"}
ASSURANCE = re.compile(r"^(invariant|DQ\d{2}): \S.*")


def _error_tests() -> list[tuple[str, str, str, dict]]:
    """(file, model, test, config) of every error-severity data test of the models."""
    found = []
    for path in sorted(MODELS.rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []) or []:
            nodes = [(model, "")] + [(c, c["name"]) for c in model.get("columns", []) or []]
            for node, column in nodes:
                for test in node.get("data_tests", []) or []:
                    name, body = (test, {}) if isinstance(test, str) else next(iter(test.items()))
                    config = (body or {}).get("config") or {}
                    if str(config.get("severity", "error")).lower() != "warn":
                        label = f"{model['name']}.{column or '<model>'}: {name}"
                        found.append((path.relative_to(MODELS).as_posix(), model["name"], label, config))
    return found


ERROR_TESTS = _error_tests()


def test_the_models_have_error_tests_to_check():
    assert len(ERROR_TESTS) > 200


@pytest.mark.parametrize(("path", "model", "test", "config"), ERROR_TESTS, ids=[t[2] for t in ERROR_TESTS])
def test_each_error_test_says_what_assures_it(path, model, test, config):
    assured_by = (config.get("meta") or {}).get("assured_by", "")
    assert ASSURANCE.match(assured_by), (
        f"{path} {test}: a test that stops the build needs config.meta.assured_by 'invariant: …' or "
        f"'DQnn: …' (got {assured_by!r}); make it a warn if delivery data can break it"
    )
    kind = assured_by.split(":", 1)[0]
    if kind != "invariant":
        rule = load_catalog().get(kind)
        assert rule is not None, f"{path} {test}: {kind} is not in the rule catalog"
        assert rule.consequence in STOPPING_CONSEQUENCES, (
            f"{path} {test}: {kind} only reports ({rule.consequence}); it does not keep bad rows out"
        )
