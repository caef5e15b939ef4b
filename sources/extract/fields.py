"""Delivered fields onto a layer's canonical ones: which column is which field, and the SQL casting it.

Delivered names match case-insensitively, under the 三调 name or a listed alias. Values are cast to the
canonical types in SQL over the delivered Arrow columns, each with a 'was present' test, so a value that
was delivered but cannot be read (an integer field holding '12.5') is told apart from an empty one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa

from sources.extract.sql import quote_text
from sources.layers import DATE, INT, REAL, TEXT, Layer

TYPE_WORDS = {INT: "an integer", REAL: "a number", DATE: "a date", TEXT: "text"}


def map_fields(layer: Layer, delivered: Sequence[str]) -> tuple[dict[str, int], list[int]]:
    """Match delivered field names to canonical ones: ({canonical: column index}, [extra column indexes]).

    Case-insensitive; the canonical name wins over an alias, and the first of several aliases wins; a
    delivered field that maps nowhere (or loses to another) is kept verbatim in `_extra`.
    """
    upper = [name.upper() for name in delivered]
    mapping: dict[str, int] = {}
    for canonical in layer.fields:
        candidates = [canonical, *layer.alias_names(canonical)]
        for candidate in candidates:
            if candidate in upper:
                mapping[canonical] = upper.index(candidate)
                break
    used = set(mapping.values())
    extras = [i for i in range(len(delivered)) if i not in used]
    return mapping, extras


def missing_fields_reason(
    layer: Layer, source_file: str, delivered: Sequence[str], mapping: dict[str, int], extras: list[int]
) -> str | None:
    """Why the file lacks a field its figures or rules read (rule DQ15), naming the unrecognised fields
    that may be it under another name; None when every required field is there."""
    missing = [name for name in layer.required if name not in mapping]
    if not missing:
        return None
    named = []
    for name in missing:
        aliases = layer.alias_names(name)
        named.append(name + (f" (or {' / '.join(aliases)})" if aliases else ""))
    unknown = [delivered[i] for i in extras if delivered[i].upper() not in layer.fields]
    return (
        f"{Path(source_file).name}: {layer.code} lacks the field(s) {', '.join(named)}, which "
        "figures and rules read"
        + (f"; fields not recognised: {', '.join(unknown)}" if unknown else "")
        + ". Deliver the layer with every field of SOURCES.md under its 三调 name (or a listed alias)"
    )


def cast_sql(column: str, source: pa.DataType, target: str) -> tuple[str, str]:
    """(SQL value cast to `target`, SQL 'was present in the delivery') for one delivered column."""
    if pa.types.is_string(source) or pa.types.is_large_string(source) or pa.types.is_string_view(source):
        text = f"NULLIF(trim({column}), '')"
        present = f"{text} IS NOT NULL"
        if target == TEXT:
            return column, f"{column} IS NOT NULL"
        if target == INT:
            # '12.0' is an integer; '12.5' is not (TRY_CAST would round it).
            as_double = f"TRY_CAST({text} AS DOUBLE)"
            value = (
                f"COALESCE(TRY_CAST({text} AS BIGINT), "
                f"CASE WHEN {as_double} = trunc({as_double}) THEN TRY_CAST({as_double} AS BIGINT) END)"
            )
            return value, present
        if target == REAL:
            return f"TRY_CAST({text} AS DOUBLE)", present
        if target == DATE:
            formats = ["%Y/%m/%d", "%Y年%m月%d日", "%Y%m%d", "%Y.%m.%d"]
            tries = ", ".join(f"TRY_STRPTIME({text}, {quote_text(f)})::DATE" for f in formats)
            # Every form begins with a four-digit year and the compact one has exactly eight digits:
            # '24-03-05' is not the year 24, and '2024115' may be 5 November or 15 January.
            written = f"regexp_matches({text}, '^[0-9]{{4}}([^0-9]|[0-9]{{4}}$)')"
            return f"CASE WHEN {written} THEN COALESCE(TRY_CAST({text} AS DATE), {tries}) END", present
    present = f"{column} IS NOT NULL"
    if pa.types.is_floating(source):
        if target == INT:
            return f"CASE WHEN {column} = trunc({column}) THEN TRY_CAST({column} AS BIGINT) END", present
        if target == TEXT:
            # Integer-valued numbers (a code delivered as 330402.0) become '330402', not '330402.0'.
            return (
                f"CASE WHEN {column} = trunc({column}) AND abs({column}) < 1e15 "
                f"THEN CAST({column}::BIGINT AS VARCHAR) ELSE CAST({column} AS VARCHAR) END"
            ), present
    if pa.types.is_timestamp(source) and target == DATE:
        return f"CAST({column} AS DATE)", present
    if (pa.types.is_integer(source) or pa.types.is_decimal(source)) and target == DATE:
        digits = f"CAST({column} AS VARCHAR)"
        # 20240305 only: a number of another length (2024115) does not say which digits are the month
        eight_digits = f"regexp_matches({digits}, '^[0-9]{{8}}$')"
        return f"CASE WHEN {eight_digits} THEN TRY_STRPTIME({digits}, '%Y%m%d')::DATE END", present
    if target == TEXT:
        return f"CAST({column} AS VARCHAR)", present
    return f"TRY_CAST({column} AS {target})", present


def json_object_sql(pairs: list[tuple[str, str]]) -> str:
    """SQL building a JSON object of (key, SQL value) pairs; NULL when there are none."""
    if not pairs:
        return "NULL::JSON"
    return "json_object(" + ", ".join(f"{quote_text(key)}, {expr}" for key, expr in pairs) + ")"
