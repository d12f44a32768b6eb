"""Reading raw files as text, and turning cells into typed values with precise errors.

Everything is read as text first: a quantity, a GUID or a SKU id with leading zeros must reach
the importer exactly as the vendor wrote it. Conversions then name the file, row and column of
the first cell they cannot read.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd

from workbench.errors import InputError
from workbench.money import parse_amount

#: Row numbers as a spreadsheet shows them: the header is row 1, the first data row is row 2.
FIRST_DATA_ROW = 2


def header_key(name: str) -> str:
    """Normalise a header for comparison: ``Customer Id``, ``customerID`` -> ``customerid``."""
    return re.sub(r"[^0-9a-z]", "", name.strip().lstrip("\ufeff").casefold())


@dataclass(frozen=True)
class RawTable:
    """A file's cells as text, with the original headers and where each row came from."""

    path: Path
    sheet: str
    frame: pd.DataFrame  # all columns str, no NaN
    sha256: str

    @property
    def keys(self) -> dict[str, str]:
        """Normalised header -> original header."""
        return {header_key(column): column for column in self.frame.columns}

    def row_number(self, position: int) -> int:
        return position + FIRST_DATA_ROW


def provenance(
    table: RawTable, source_file: str, position: int, excluded_reason: str = ""
) -> dict[str, str | int]:
    """The provenance columns of one canonical row built from the table's row ``position``."""
    return {
        "source_file": source_file,
        "source_sheet": table.sheet,
        "source_row": table.row_number(position),
        "excluded_reason": excluded_reason,
    }


def file_checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_csv_text(path: Path) -> RawTable:
    """Read a CSV (UTF-8 with or without BOM) with every cell as text."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except UnicodeDecodeError as exc:
        raise InputError(
            path, "the file is not UTF-8 text", expected="a CSV saved as UTF-8"
        ) from exc
    if not rows:
        raise InputError(path, "the file is empty", expected="a header row")
    header = [name.strip() for name in rows[0]]
    body = [row for row in rows[1:]]
    for position, row in enumerate(body):
        if len(row) != len(header) and any(cell.strip() for cell in row):
            raise InputError(
                path,
                f"the row has {len(row)} cells but the header has {len(header)}",
                row=position + FIRST_DATA_ROW,
                expected="one cell per header column",
            )
    frame = pd.DataFrame(
        [row if len(row) == len(header) else [""] * len(header) for row in body],
        columns=header,
        dtype=str,
    )
    return RawTable(path=path, sheet="", frame=frame, sha256=file_checksum(path))


def column(table: RawTable, *names: str) -> str:
    """The original header of the first of ``names`` present, or an error naming them."""
    keys = table.keys
    for name in names:
        if header_key(name) in keys:
            return keys[header_key(name)]
    raise InputError(table.path, f"column {names[0]!r} is missing", expected="a header with it")


def optional_column(table: RawTable, *names: str) -> str | None:
    keys = table.keys
    for name in names:
        if header_key(name) in keys:
            return keys[header_key(name)]
    return None


def texts(table: RawTable, name: str) -> list[str]:
    """A column's cells as stripped text."""
    return [str(cell).strip() for cell in table.frame[name]]


def integers(table: RawTable, name: str, *, allow_blank_as_zero: bool = False) -> list[int]:
    """Whole numbers from a column ("42", "42.0" accepted; "4.5" or "abc" are errors)."""
    values = []
    for position, text in enumerate(table.frame[name]):
        cleaned = text.strip().replace(",", "")
        if not cleaned and allow_blank_as_zero:
            values.append(0)
            continue
        try:
            number = Decimal(cleaned)
        except ArithmeticError:
            number = Decimal("NaN")
        if not number.is_finite() or number != number.to_integral_value():
            raise InputError(
                table.path,
                f"{text!r} is not a whole number",
                row=table.row_number(position),
                column=name,
                expected="a whole number of units",
            )
        values.append(int(number))
    return values


def optional_amounts(table: RawTable, name: str) -> list[Decimal | None]:
    """Exact amounts from a column; blank cells become None."""
    values: list[Decimal | None] = []
    for position, text in enumerate(texts(table, name)):
        if not text:
            values.append(None)
            continue
        try:
            values.append(parse_amount(text))
        except ValueError:
            raise InputError(
                table.path,
                f"{text!r} is not an amount",
                row=table.row_number(position),
                column=name,
                expected="a number such as 12.50",
            ) from None
    return values


def amounts(table: RawTable, name: str) -> list[Decimal]:
    """Exact amounts from a column; a blank cell counts as zero."""
    return [Decimal(0) if value is None else value for value in optional_amounts(table, name)]


def dates(table: RawTable, name: str, order: str) -> list[date | None]:
    """Dates in the file's own convention: ``MDY`` (10/31/2026) or ``ISO`` (2026-10-31).

    A time of day after the date (``10/31/2026 12:00:00 AM``, ``2026-10-31T00:00:00Z``) is
    ignored; blank cells become None.
    """
    pattern = "%m/%d/%Y" if order == "MDY" else "%Y-%m-%d"
    values: list[date | None] = []
    for position, text in enumerate(table.frame[name]):
        cleaned = re.split(r"[ T]", text.strip(), maxsplit=1)[0]
        if not cleaned:
            values.append(None)
            continue
        try:
            values.append(datetime.strptime(cleaned, pattern).date())
        except ValueError:
            raise InputError(
                table.path,
                f"{text!r} is not a date",
                row=table.row_number(position),
                column=name,
                expected="M/D/YYYY" if order == "MDY" else "YYYY-MM-DD",
            ) from None
    return values


def flags(table: RawTable, name: str) -> list[bool]:
    truthy, falsy = {"true", "yes", "1"}, {"false", "no", "0", ""}
    values = []
    for position, text in enumerate(table.frame[name]):
        cleaned = text.strip().casefold()
        if cleaned not in truthy | falsy:
            raise InputError(
                table.path,
                f"{text!r} is not true or false",
                row=table.row_number(position),
                column=name,
                expected="true or false",
            )
        values.append(cleaned in truthy)
    return values
