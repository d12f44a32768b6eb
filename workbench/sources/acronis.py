"""Acronis usage per tenant: one row per usage name and edition.

The same usage name repeats once per edition, so the usage SKU key is ``usage_name:edition``
(just ``usage_name`` when the edition is blank) and each edition maps to its own service.
``value`` is read according to ``measurement_unit``: storage units are normalised to whole GB,
rounded up (see :mod:`workbench.sources.storage_units`), so a mapping factor such as 0.01 for "per
100 GB" applies to every storage usage alike; count units (``quantity``, ``count``, ``items``,
``pieces``, ``units``) stay whole counts. Any other unit is an error naming the row and column,
never a guess. ``customer_key`` is ``tenant_id``; the name is ``tenant_name`` when the export has
it, else the id.
"""

from __future__ import annotations

import pandas as pd

from workbench.errors import InputError
from workbench.sources import reading, storage_units
from workbench.sources.formats import Format, ReadContext
from workbench.sources.reading import RawTable

VENDOR = "acronis"

#: Normalised units whose values are counts of things (workloads, seats, mailboxes).
_COUNT_UNITS = {"quantity", "count", "items", "pieces", "pcs", "units"}


def read_usage(table: RawTable, context: ReadContext) -> pd.DataFrame:
    """Acronis tenant usage as usage records: counts, and storage in whole GB."""
    tenant_id = reading.texts(table, reading.column(table, "tenant_id"))
    name_column = reading.optional_column(table, "tenant_name")
    tenant_name = reading.texts(table, name_column) if name_column else tenant_id
    usage_name = reading.texts(table, reading.column(table, "usage_name"))
    edition = reading.texts(table, reading.column(table, "edition"))
    value_column = reading.column(table, "value")
    values = storage_units.numbers(table, value_column)
    unit_column = reading.column(table, "measurement_unit")
    unit = reading.texts(table, unit_column)

    records = []
    for position in range(len(table.frame)):
        value = values[position]
        if reading.header_key(unit[position]) in _COUNT_UNITS:
            if value is None or value < 0 or value != value.to_integral_value():
                raise InputError(
                    table.path,
                    f"{reading.texts(table, value_column)[position]!r} is not a count",
                    row=table.row_number(position),
                    column=value_column,
                    expected="a whole number of 0 or more",
                )
            reading.check_count(table, position, value_column, value)
            quantity, measure = int(value), ""
        else:
            quantity = storage_units.storage_gigabytes(
                table, position, value, unit[position], value_column, unit_column
            )
            measure = ", GB"
        name, tier = usage_name[position], edition[position]
        records.append(
            {
                # A record is one tenant's usage name in one edition.
                **reading.provenance(
                    table,
                    context.source_file,
                    position,
                    record_key=f"{tenant_id[position].casefold()}|{name}|{tier}",
                ),
                "vendor": VENDOR,
                "customer_key": tenant_id[position].casefold(),
                "customer_name": tenant_name[position],
                "sku": f"{name}:{tier}" if tier else name,
                "sku_name": f"{name} ({tier}){measure}" if tier else f"{name}{measure}",
                "quantity": quantity,
                "amount": None,
            }
        )
    return pd.DataFrame.from_records(records)


USAGE = Format(
    key="acronis-usage",
    title="Acronis tenant usage",
    side="usage",
    signature=("tenant_id", "usage_name", "value", "edition", "measurement_unit"),
    read=read_usage,
)

FORMATS: tuple[Format, ...] = (USAGE,)
