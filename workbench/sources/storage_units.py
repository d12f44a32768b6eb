"""Storage sizes as vendors write them, normalised to whole gigabytes.

Backup vendors report storage in whatever unit suits the number (bytes, MB, TB...). Services are
priced per GB or per 100 GB, and the mapping's factor (0.01 for "per 100 GB") converts from GB, so
every storage metric is turned into whole GB here, rounded up: a started gigabyte is used storage.

Units step by 1024 (1 GB = 1024 MB = 1024**3 bytes), and the SI spellings (``KB``, ``MB``,
``GB``, ``TB``, ``PB``) are read as the binary ones (``KiB``...): the backup consoles label binary
sizes with SI names, as Windows does, so a size copied from the console and one computed from
bytes give the same GB.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

from workbench.errors import InputError
from workbench.sources import reading
from workbench.sources.reading import RawTable

BYTES_PER_GB = 1024**3

#: Normalised unit name -> bytes in one unit.
_BYTES_PER_UNIT = {
    **dict.fromkeys(("b", "byte", "bytes"), 1),
    **dict.fromkeys(("kb", "kib", "kilobyte", "kilobytes"), 1024),
    **dict.fromkeys(("mb", "mib", "megabyte", "megabytes"), 1024**2),
    **dict.fromkeys(("gb", "gib", "gigabyte", "gigabytes"), 1024**3),
    **dict.fromkeys(("tb", "tib", "terabyte", "terabytes"), 1024**4),
    **dict.fromkeys(("pb", "pib", "petabyte", "petabytes"), 1024**5),
}

#: The storage units accepted, as error messages list them.
SUPPORTED_UNITS = "B, KB, MB, GB, TB or PB (1024 steps)"


def bytes_per_unit(unit: str) -> int | None:
    """Bytes in one ``unit`` (``"GB"``, ``"bytes"``, ``"TiB"``...), or None if not a storage unit."""
    return _BYTES_PER_UNIT.get(reading.header_key(unit))


def whole_gigabytes(size: Decimal, unit_bytes: int) -> int:
    """``size`` units of ``unit_bytes`` bytes each, in GB rounded up (exact, never a float)."""
    return math.ceil(Fraction(size) * unit_bytes / BYTES_PER_GB)


def numbers(table: RawTable, name: str) -> list[Decimal | None]:
    """A column of sizes or counts as exact decimals in the file's decimal mark; blank is None.

    Raises
    ------
    InputError
        Naming the row and column of the first cell that is not a number.
    """
    values: list[Decimal | None] = []
    for position, text in enumerate(reading.texts(table, name)):
        if not text:
            values.append(None)
            continue
        try:
            value = reading.parse_number(text, table.decimal_mark)
        except ValueError:
            value = Decimal("NaN")
        if not value.is_finite():
            raise InputError(
                table.path,
                f"{text!r} is not a number",
                row=table.row_number(position),
                column=name,
                expected="a number such as 12 or 1.5"
                if table.decimal_mark == "."
                else "a number such as 12 or 1,5",
            )
        values.append(value)
    return values


def storage_gigabytes(
    table: RawTable,
    position: int,
    size: Decimal | None,
    unit: str,
    size_column: str,
    unit_column: str,
) -> int:
    """One cell pair (size, unit) in whole GB; a blank or zero size may have a blank unit.

    Raises
    ------
    InputError
        If the size is negative (naming ``size_column``) or the unit is not a storage unit
        (naming ``unit_column``).
    """
    if (size is None or size == 0) and not unit.strip():
        return 0
    if size is not None and size < 0:
        raise InputError(
            table.path,
            f"{size} is negative",
            row=table.row_number(position),
            column=size_column,
            expected="a size of 0 or more",
        )
    unit_bytes = bytes_per_unit(unit)
    if unit_bytes is None:
        raise InputError(
            table.path,
            f"{unit!r} is not a storage unit",
            row=table.row_number(position),
            column=unit_column,
            expected=SUPPORTED_UNITS,
        )
    gigabytes = 0 if size is None else whole_gigabytes(size, unit_bytes)
    reading.check_count(table, position, size_column, gigabytes)
    return gigabytes
