"""Import profiles: any vendor's export, described once in the workspace and reused every month.

A profile is a TOML file in the workspace's ``profiles/`` folder. It names the columns that hold
the vendor's customer, product and quantity; the file is then recognised by those columns like
any built-in format. Example, ``profiles/sentinelone.toml``::

    [profile]
    vendor = "sentinelone"              # the vendor name used in mappings.xlsx
    title = "SentinelOne sites export"
    customer_id = "Site ID"             # the vendor's id for the customer
    customer_name = "Site Name"         # optional: defaults to the id column
    product = "SKU"                     # the column naming the product...
    # product_value = "Complete"        # ...or one fixed product for every row
    quantity = "Active Agents"
    # identify = ["Site ID", "Active Agents", "Expiration"]   # optional: header columns that
    #                                                          # must all be present
    # record_key = ["Site ID", "SKU"]   # optional: the columns that tell one record from another
    [profile.keep]                      # optional: only rows whose column holds one of these
    "Site State" = ["active", "Active"]

Rows a ``keep`` rule leaves out stay in the frame, excluded with the reason. A record is one
customer's product (a profile reads a count per customer and product) unless ``record_key``
names the columns that identify a record: the same record read twice counts once, and twice with
different values stops the month (:mod:`workbench.sources.overlap`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.errors import InputError
from workbench.sources import reading
from workbench.sources.formats import Format, ReadContext
from workbench.sources.reading import RawTable
from workbench.sources.schemas import vendor_key

PROFILE_FOLDER = "profiles"
_KNOWN_KEYS = {
    "vendor",
    "title",
    "customer_id",
    "customer_name",
    "product",
    "product_value",
    "quantity",
    "identify",
    "keep",
    "record_key",
}


@dataclass(frozen=True)
class Profile:
    """What a profile file says."""

    path: Path
    vendor: str
    title: str
    customer_id: str
    quantity: str
    customer_name: str = ""
    product: str = ""
    product_value: str = ""
    identify: tuple[str, ...] = ()
    keep: dict[str, tuple[str, ...]] = field(default_factory=dict)
    record_key: tuple[str, ...] = ()

    @property
    def signature(self) -> tuple[str, ...]:
        if self.identify:
            return self.identify
        named = (
            self.customer_id,
            self.customer_name,
            self.product,
            self.quantity,
            *self.keep,
            *self.record_key,
        )
        return tuple(dict.fromkeys(name for name in named if name))

    def format(self) -> Format:
        return Format(
            key=f"profile:{self.path.stem}",
            title=f"{self.title} (profile {self.path.name})",
            side="usage",
            signature=self.signature,
            read=self.read,
        )

    def read(self, table: RawTable, context: ReadContext) -> pd.DataFrame:
        ids = reading.texts(table, reading.column(table, self.customer_id))
        names = (
            reading.texts(table, reading.column(table, self.customer_name))
            if self.customer_name
            else ids
        )
        if self.product:
            products = reading.texts(table, reading.column(table, self.product))
        else:
            products = [self.product_value] * len(ids)
        quantity_column = reading.column(table, self.quantity)
        kept = {reading.column(table, name): set(values) for name, values in self.keep.items()}
        cells = {name: reading.texts(table, name) for name in kept}
        reasons = []
        for position in range(len(ids)):
            reason = ""
            for name, allowed in kept.items():
                if cells[name][position] not in allowed:
                    reason = (
                        f"left out by profile {self.path.name}: {name} is {cells[name][position]!r}"
                    )
                    break
            reasons.append(reason)
        # Quantities are read only on kept rows: a left-out row may hold anything.
        texts = reading.texts(table, quantity_column)
        quantities = {
            position: _count(table, position, quantity_column, texts[position])
            for position, reason in enumerate(reasons)
            if not reason
        }
        keys = (
            reading.record_keys(
                *(reading.texts(table, reading.column(table, name)) for name in self.record_key)
            )
            if self.record_key
            else reading.record_keys(ids, products)
        )
        records = [
            {
                **reading.provenance(
                    table, context.source_file, position, reasons[position], keys[position]
                ),
                "vendor": self.vendor,
                "customer_key": ids[position],
                "customer_name": names[position],
                "sku": products[position],
                "sku_name": products[position],
                "quantity": quantities.get(position, 0),
                "amount": None,
            }
            for position in range(len(ids))
        ]
        return pd.DataFrame.from_records(records)


def _count(table: RawTable, position: int, column: str, text: str) -> int:
    """A whole, non-negative count, or an error naming the cell."""
    try:
        number = Decimal(text.replace(",", "").strip() or "0")
    except ArithmeticError:
        number = Decimal("NaN")
    if not number.is_finite() or number != number.to_integral_value() or number < 0:
        raise InputError(
            table.path,
            f"{text!r} is not a count",
            row=table.row_number(position),
            column=column,
            expected="a whole number of 0 or more",
        )
    reading.check_count(table, position, column, number)
    return int(number)


def read_profile(path: Path) -> Profile:
    """Read and check one profile file."""
    try:
        content: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8")).get("profile", {})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(
            path, f"not a valid TOML file ({exc})", expected="a [profile] table"
        ) from exc
    unknown = sorted(set(content) - _KNOWN_KEYS)
    if unknown:
        raise InputError(
            path, f"unknown setting {', '.join(unknown)}", expected=", ".join(sorted(_KNOWN_KEYS))
        )
    for required in ("vendor", "customer_id", "quantity"):
        if not str(content.get(required, "")).strip():
            raise InputError(
                path,
                f"the profile has no {required}",
                expected=f'{required} = "..." under [profile]',
            )
    if bool(content.get("product")) == bool(content.get("product_value")):
        raise InputError(
            path,
            "the profile needs exactly one of product and product_value",
            expected='product = "<column>" or product_value = "<name>"',
        )
    keep = content.get("keep", {})
    if not isinstance(keep, dict) or not all(isinstance(v, list) for v in keep.values()):
        raise InputError(
            path, "keep must map columns to lists of values", expected='"Status" = ["Active"]'
        )
    return Profile(
        path=path,
        vendor=vendor_key(str(content["vendor"])),
        title=str(content.get("title", path.stem)),
        customer_id=str(content["customer_id"]),
        quantity=str(content["quantity"]),
        customer_name=str(content.get("customer_name", "")),
        product=str(content.get("product", "")),
        product_value=str(content.get("product_value", "")),
        identify=tuple(str(name) for name in content.get("identify", ())),
        record_key=tuple(str(name) for name in content.get("record_key", ())),
        keep={str(name): tuple(str(v) for v in values) for name, values in keep.items()},
    )


def workspace_formats(workspace_root: Path) -> tuple[Format, ...]:
    """The formats described by a workspace's profiles, in file-name order."""
    folder = workspace_root / PROFILE_FOLDER
    if not folder.is_dir():
        return ()
    return tuple(read_profile(path).format() for path in sorted(folder.glob("*.toml")))


PROFILE_HINT = (
    "To read it anyway, describe it once in the workspace's profiles/ folder, e.g. "
    "profiles/<vendor>.toml with [profile] vendor, customer_id, product (or product_value) and "
    "quantity naming its columns; see workbench/sources/profiles.py"
)
