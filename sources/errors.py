"""Errors an operator reads when a delivery cannot be taken in as it is."""

from __future__ import annotations


class DeliveryError(Exception):
    """A delivered file (or several) that the warehouse refuses, with a message saying what to fix.

    `source_file` names the offending file (path relative to the landing folder where known) and
    `rule_id` the data-quality rule it breaks (e.g. "DQ14" no CRS) or "LOAD" when it cannot be read.
    """

    def __init__(self, message: str, *, source_file: str | None = None, rule_id: str = "LOAD") -> None:
        super().__init__(message)
        self.message = message
        self.source_file = source_file
        self.rule_id = rule_id

    def __str__(self) -> str:
        return self.message
