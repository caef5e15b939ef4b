"""Quoting of names and text spliced into the loaders' SQL (delivered field names may hold anything)."""

from __future__ import annotations


def quote_name(name: str) -> str:
    """A SQL identifier: `a"b` becomes `"a""b"`."""
    return '"' + name.replace('"', '""') + '"'


def quote_text(text: str) -> str:
    """A SQL string literal: `it's` becomes `'it''s'`."""
    return "'" + text.replace("'", "''") + "'"
