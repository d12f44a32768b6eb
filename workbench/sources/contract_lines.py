"""Cell readers shared by the PSA importers that yield contract lines directly.

A blank cell in a required column is an error unless its whole row is blank (blank rows stay in
the frame, excluded, so the row count still adds up).
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from workbench.errors import InputError
from workbench.money import ZERO
from workbench.sources import reading
from workbench.sources.reading import RawTable
from workbench.sources.schemas import CONTRACT_LINE_COLUMNS


def required_texts(table: RawTable, name: str, blank: list[bool], expected: str) -> list[str]:
    """A column's cells as text; a blank cell is an error unless its whole row is blank."""
    values = reading.texts(table, name)
    for position, text in enumerate(values):
        if not text and not blank[position]:
            raise InputError(
                table.path,
                "the cell is blank",
                row=table.row_number(position),
                column=name,
                expected=expected,
            )
    return values


def units(table: RawTable, name: str, blank: list[bool], *, required: bool = True) -> list[int]:
    """Whole, non-negative units ("5.00" is 5; "2.5" seats is an error); blank cells count as
    0 where the column is optional, and in blank rows."""
    if required:
        required_texts(table, name, blank, "a whole number of units")
    values = reading.integers(table, name, allow_blank_as_zero=True)
    for position, value in enumerate(values):
        if value < 0:
            raise InputError(
                table.path,
                f"{value} units is negative",
                row=table.row_number(position),
                column=name,
                expected="0 or more units",
            )
    return values


def money(table: RawTable, name: str, blank: list[bool], *, required: bool) -> list[Decimal]:
    """Exact amounts; a blank optional cell is 0.00."""
    if required:
        required_texts(table, name, blank, "an amount such as 12.50")
    return [ZERO if value is None else value for value in reading.optional_amounts(table, name)]


def lines_frame(records: list[dict[str, object]]) -> pd.DataFrame:
    """Canonical contract lines, typed even when the export has no rows."""
    frame = pd.DataFrame.from_records(records, columns=CONTRACT_LINE_COLUMNS)
    return frame.astype({"source_row": "int64", "quantity": "int64"})
