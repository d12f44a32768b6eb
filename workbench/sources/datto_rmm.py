"""Datto RMM device export: one row per device, counted per site by device category.

Deleted and suspended devices and devices in the ``_NotBillable_`` group stay in the frame,
excluded with the reason.
"""

from __future__ import annotations

import pandas as pd

from workbench.sources import reading
from workbench.sources.formats import Format, ReadContext
from workbench.sources.reading import RawTable

VENDOR = "datto_rmm"
NOT_BILLABLE_GROUP = "_notbillable_"


def read_devices(table: RawTable, context: ReadContext) -> pd.DataFrame:
    rows = len(table.frame)
    site_uid = reading.texts(table, reading.column(table, "siteUid"))
    site_name = reading.texts(table, reading.column(table, "siteName"))
    category = reading.texts(table, reading.column(table, "deviceType.category", "deviceType"))
    deleted = reading.flags(table, reading.column(table, "deleted"))
    suspended_column = reading.optional_column(table, "suspended")
    suspended = reading.flags(table, suspended_column) if suspended_column else [False] * rows
    groups_column = reading.optional_column(table, "groups", "deviceGroups")
    groups = reading.texts(table, groups_column) if groups_column else [""] * rows

    records = []
    for position in range(rows):
        in_not_billable = NOT_BILLABLE_GROUP in {
            g.strip().casefold() for g in groups[position].split(";")
        }
        if deleted[position]:
            reason = "deleted device"
        elif in_not_billable:
            reason = "device in the _NotBillable_ group"
        elif suspended[position]:
            reason = "device suspended in the RMM"
        else:
            reason = ""
        device_category = category[position]
        records.append(
            {
                **reading.provenance(table, context.source_file, position, reason),
                "vendor": VENDOR,
                "customer_key": site_uid[position],
                "customer_name": site_name[position],
                "sku": device_category,
                "sku_name": f"{device_category} devices",
                "quantity": 0 if reason else 1,
                "amount": None,
            }
        )
    return pd.DataFrame.from_records(records)


DEVICES = Format(
    key="datto-rmm-devices",
    title="Datto RMM device export",
    side="usage",
    signature=("uid", "siteUid", "siteName", "hostname", "deviceClass", "deleted"),
    read=read_devices,
)
