"""One rule, one place: every rule of the catalog points at its subject model (or the extractor code
that enforces it), the code that plants its cases, and the tests that find them; every pointer leads
somewhere real, and the subject model points back at its rule."""

from __future__ import annotations

import ast

import pytest
import yaml

from quality.catalog import Rule, load_catalog
from warehouse.config import REPO_ROOT, TRANSFORMS_DIR

RULES = list(load_catalog().values())
SUBJECT_MODELS = TRANSFORMS_DIR / "models" / "quality"


def _definition(pointer: str) -> ast.FunctionDef | None:
    """The function a `<path>::<function>` (or `<path>::<Class>.<method>`) pointer names, if it exists."""
    path_text, _, name = pointer.partition("::")
    path = REPO_ROOT / path_text
    if not name or not path.is_file():
        return None
    scope: list[ast.stmt] = ast.parse(path.read_text(encoding="utf-8")).body
    *owners, function = name.split(".")
    for owner in owners:
        found = next((n for n in scope if isinstance(n, ast.ClassDef) and n.name == owner), None)
        if found is None:
            return None
        scope = found.body
    return next((n for n in scope if isinstance(n, ast.FunctionDef) and n.name == function), None)


def _source(pointer: str, node: ast.FunctionDef) -> str:
    path = REPO_ROOT / pointer.partition("::")[0]
    return ast.get_source_segment(path.read_text(encoding="utf-8"), node) or ""


def _decorators(node: ast.FunctionDef) -> set[str]:
    return {ast.unparse(d) for d in node.decorator_list}


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.rule_id)
def test_each_rule_points_at_the_tests_that_find_it(rule: Rule):
    assert rule.tests, f"{rule.rule_id} lists no test"
    for pointer in rule.tests:
        assert pointer.startswith("tests/") and "::test_" in pointer, pointer
        node = _definition(pointer)
        assert node is not None, f"{rule.rule_id}: {pointer} does not exist"
        # the test names the rule itself, or takes its rules from the catalog
        source = _source(pointer, node)
        assert (
            rule.rule_id in source
            or "for_each_catalog_rule" in _decorators(node)
            or ("rules_tested_by(" in source)
        ), f"{rule.rule_id}: {pointer} neither names the rule nor reads its rules from the catalog"


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.rule_id)
def test_each_rule_points_at_the_code_that_plants_its_cases(rule: Rule):
    assert rule.plant, f"{rule.rule_id} names no plant"
    node = _definition(rule.plant)
    assert node is not None, f"{rule.rule_id}: {rule.plant} does not exist"
    # a plant in the demo generator is named for its rule; one in the tests is a delivery builder
    if rule.plant.startswith("sources/demo/"):
        assert node.name.startswith(f"plant_{rule.rule_id.lower()}"), rule.plant
        assert (ast.get_docstring(node) or "").startswith(rule.rule_id), rule.plant
    else:
        assert rule.plant.startswith("tests/"), rule.plant


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.rule_id)
def test_each_rule_points_at_what_evaluates_it_and_the_subject_model_points_back(rule: Rule):
    if rule.enforced_by == "extractor":
        assert rule.enforced_in and _definition(rule.enforced_in), f"{rule.rule_id}: {rule.enforced_in}"
        return
    assert rule.enforced_by == "rule_runner", rule.rule_id
    [model] = list(SUBJECT_MODELS.rglob(f"{rule.subject}.sql"))
    assert model.parent.name == {"quarantine_row": "row_quarantine", "block_year": "delivery_gate"}.get(
        rule.consequence, "findings"
    ), f"{rule.rule_id}: the subject's folder decides which dbt step builds it"
    [properties] = list(model.parent.glob("__*.yml"))
    entries = {m["name"]: m for m in yaml.safe_load(properties.read_text(encoding="utf-8"))["models"]}
    assert entries[rule.subject]["config"]["meta"]["rule_id"] == rule.rule_id


def test_every_subject_model_belongs_to_a_rule():
    subjects = {rule.subject for rule in RULES if rule.subject}
    assert {path.stem for path in SUBJECT_MODELS.rglob("*.sql")} == subjects


def test_a_pointer_to_nothing_is_caught():
    assert _definition("tests/test_pipeline.py::test_each_rule_finds_exactly_the_planted_cases")
    assert _definition("tests/test_pipeline.py::test_that_does_not_exist") is None
    assert _definition("sources/demo/nowhere.py::plant_pr10") is None
