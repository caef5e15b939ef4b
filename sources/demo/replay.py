"""Replaying the change surveys: state(Y) = state(Y−1) minus every BGQTBBSM, plus DLTBGX (SOURCES.md §1)."""

from __future__ import annotations

import numpy as np

from sources.demo.frame import Table, concat, take


def next_state(previous: Table, gx: Table, gc: Table) -> Table:
    """The parcel state at the end of a change year."""
    removed = np.isin(previous["BSM"], gc["BGQTBBSM"])
    return concat([take(previous, ~removed), {column: gx[column] for column in previous}])


def replay(base: Table, years: list[tuple[Table, Table]]) -> list[Table]:
    """States of the base year and every change year, in order."""
    states = [base]
    for gx, gc in years:
        states.append(next_state(states[-1], gx, gc))
    return states
