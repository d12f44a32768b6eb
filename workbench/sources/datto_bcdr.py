"""Datto BCDR device export: one row per appliance, three usage records each.

The API nests storage as ``localStorageUsed{size, units}`` and ``offsiteStorageUsed{size,
units}``; exports flatten it as ``offsiteStorageUsed.size`` or ``offsiteStorageUsed_size``
(both read, as headers are compared without punctuation). Each device yields:

* ``devices:<model>`` (``devices:<servicePlan>`` when the model is blank): 1 per device;
* ``agents``: ``agentCount``, the protected machines;
* ``offsite_gb``: offsite storage in whole GB, rounded up, whatever unit the row states (see
  :mod:`workbench.sources.storage_units`). Local storage sits on the MSP's own appliance and is
  not billed by Datto, so it is not a usage record.

The API has no customer id on a device, only names: ``customer_key`` is ``organizationName`` (the
client organisation in the Datto portal), falling back to ``clientCompanyName`` (a free-text field
on the device) when the organisation is blank, compared case-insensitively. A renamed
organisation therefore looks like a new customer until its mapping is updated. A device with
neither name stays, excluded with the reason.
"""

from __future__ import annotations

import pandas as pd

from workbench.errors import InputError
from workbench.sources import reading, storage_units
from workbench.sources.formats import Format, ReadContext
from workbench.sources.reading import RawTable

VENDOR = "datto_bcdr"


def read_devices(table: RawTable, context: ReadContext) -> pd.DataFrame:
    """Datto BCDR devices as usage records: devices by model, agents and offsite GB."""
    organization = reading.texts(table, reading.column(table, "organizationName"))
    client_company = reading.texts(table, reading.column(table, "clientCompanyName"))
    model = reading.texts(table, reading.column(table, "model"))
    service_plan = reading.texts(table, reading.column(table, "servicePlan"))
    agents_column = reading.column(table, "agentCount")
    agents = reading.integers(table, agents_column, allow_blank_as_zero=True)
    size_column = reading.column(table, "offsiteStorageUsed.size")
    unit_column = reading.column(table, "offsiteStorageUsed.units")
    sizes = storage_units.numbers(table, size_column)
    units = reading.texts(table, unit_column)
    serial = reading.texts(table, reading.column(table, "serialNumber"))

    records = []
    for position in range(len(table.frame)):
        if agents[position] < 0:
            raise InputError(
                table.path,
                f"{agents[position]} is negative",
                row=table.row_number(position),
                column=agents_column,
                expected="a count of 0 or more",
            )
        offsite_gb = storage_units.storage_gigabytes(
            table, position, sizes[position], units[position], size_column, unit_column
        )
        customer = organization[position] or client_company[position]
        reason = "" if customer else "device with no organization or client company"
        kind = model[position] or service_plan[position]
        metrics = (
            (f"devices:{kind}" if kind else "devices", f"{kind or 'BCDR'} devices", 1),
            ("agents", "Protected agents", agents[position]),
            ("offsite_gb", "Offsite storage, GB", offsite_gb),
        )
        for sku, sku_name, quantity in metrics:
            records.append(
                {
                    # A record is one appliance's metric, the appliance known by its serial.
                    **reading.provenance(
                        table, context.source_file, position, reason, f"{serial[position]}|{sku}"
                    ),
                    "vendor": VENDOR,
                    "customer_key": customer.casefold(),
                    "customer_name": customer,
                    "sku": sku,
                    "sku_name": sku_name,
                    "quantity": 0 if reason else quantity,
                    "amount": None,
                }
            )
    return pd.DataFrame.from_records(records)


DEVICES = Format(
    key="datto-bcdr-devices",
    title="Datto BCDR device export",
    side="usage",
    signature=(
        "serialNumber",
        "model",
        "clientCompanyName",
        "organizationName",
        "servicePlan",
        "agentCount",
        "offsiteStorageUsed.size",
        "offsiteStorageUsed.units",
    ),
    read=read_devices,
)

FORMATS: tuple[Format, ...] = (DEVICES,)
