"""Rule parameters, typed: each value the rule catalog gives is checked against the type its name has in
`rules/parameter_types.yml` when the catalog is loaded. The values reach the models' SQL through dbt vars
(macro rule_parameter), so a number that is text, a code with a quote in it, or a parameter no type is
declared for is refused before any model runs, naming the rule, the parameter and the fix."""

from __future__ import annotations

import math
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

PARAMETER_TYPES_FILE = Path(__file__).parent / "rules" / "parameter_types.yml"

_CODE = re.compile(r"^[A-Za-z0-9]{1,20}$")
# Chinese or Latin letters and digits: a name such as 国务院, never a quote, semicolon or comment
_TEXT = re.compile(r"^[\w\u4e00-\u9fff]{1,60}$")


@cache
def parameter_types(path: Path = PARAMETER_TYPES_FILE) -> dict[str, dict[str, Any]]:
    """Each parameter's declared type (and range), by name."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def is_number(value: object) -> bool:
    """A finite int or float (not a bool, which YAML also reads from yes/no)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _problem(value: object, declared: dict[str, Any]) -> str | None:
    kind = declared["type"]
    if kind in ("number", "integer"):
        if not is_number(value) or (kind == "integer" and value != int(value)):
            return f"must be {'a whole number' if kind == 'integer' else 'a number'}"
        low, high = declared.get("min", -math.inf), declared.get("max", math.inf)
        if not low <= value <= high:
            return f"must lie between {low} and {high}"
        return None
    if kind == "code":
        ok = isinstance(value, str) and _CODE.match(value)
        return None if ok else "must be a code of letters and digits"
    if kind == "codes":
        ok = isinstance(value, list) and value and all(isinstance(v, str) and _CODE.match(v) for v in value)
        return None if ok else "must be a list of codes of letters and digits"
    if kind == "text":
        ok = isinstance(value, str) and _TEXT.match(value)
        return None if ok else "must be a short name of letters and digits, without punctuation"
    return f"has an unknown type {kind!r} in {PARAMETER_TYPES_FILE.name}"


def checked_parameters(rule_id: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """`parameters` of rule `rule_id` when every value has its declared type; else ValueError naming each
    wrong one and what it must be."""
    types = parameter_types()
    problems = []
    for name, value in parameters.items():
        declared = types.get(name)
        if declared is None:
            problems.append(f"{name} has no declared type: add it to {PARAMETER_TYPES_FILE}")
        elif problem := _problem(value, declared):
            problems.append(f"{name} = {value!r} {problem}")
    if problems:
        raise ValueError(f"rule {rule_id}'s parameters in the catalog are refused: " + "; ".join(problems))
    return parameters
