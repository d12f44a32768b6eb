"""Datto RMM device export: one row per device, counted per site by device category.

A record is a device, known by its ``uid``. Deleted and suspended devices and devices in the ``_NotBillable_`` group stay in the frame,
excluded with the reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.sources import reading
from workbench.sources.formats import Format, ReadContext
from workbench.sources.reading import RawTable

VENDOR = "datto_rmm"
NOT_BILLABLE_GROUP = "_notbillable_"


def _in_the_not_billable_group(groups: str) -> bool:
    """Whether a device's groups (``;``-separated) include ``_NotBillable_``."""
    return NOT_BILLABLE_GROUP in groups.casefold() and NOT_BILLABLE_GROUP in {
        group.strip().casefold() for group in groups.split(";")
    }


def read_devices(table: RawTable, context: ReadContext) -> pd.DataFrame:
    rows = len(table.frame)
    device_uid = reading.key_column(
        reading.stripped(table, reading.column(table, "uid")), prefix=context.key_prefix
    )
    site_uid = reading.distinct_cells(table, reading.column(table, "siteUid"))
    site_name = reading.distinct_cells(table, reading.column(table, "siteName"))
    category = reading.distinct_cells(
        table, reading.column(table, "deviceType.category", "deviceType")
    )
    deleted = reading.flag_array(table, reading.column(table, "deleted"))
    suspended_column = reading.optional_column(table, "suspended")
    suspended = (
        reading.flag_array(table, suspended_column)
        if suspended_column
        else np.zeros(rows, dtype=bool)
    )
    groups_column = reading.optional_column(table, "groups", "deviceGroups")
    not_billable = (
        reading.distinct_cells(table, groups_column)
        .converted(_in_the_not_billable_group)
        .per_row(bool)
        if groups_column
        else np.zeros(rows, dtype=bool)
    )
    reading.let_go(table)  # every column is converted: not held beside the records made below

    # Why a device is not counted: the first reason that applies, in this order.
    reason = np.zeros(rows, dtype=np.int8)  # one of four: a byte per row
    reason[suspended] = 1
    reason[not_billable] = 2
    reason[deleted] = 3
    reasons = reading.Distinct(
        ["", "device suspended in the RMM", "device in the _NotBillable_ group", "deleted device"],
        reason,
    )
    return pd.DataFrame(
        {
            **reading.provenance_columns(table, context.source_file, reasons, device_uid),
            "vendor": reading.repeated_text(VENDOR, rows),
            "customer_key": site_uid.text_per_row(),
            "customer_name": site_name.text_per_row(),
            "sku": category.text_per_row(),
            "sku_name": category.converted(
                lambda device_category: f"{device_category} devices"
            ).text_per_row(),
            "quantity": (~(deleted | not_billable | suspended)).astype(np.int64),
            "amount": None,
        },
        index=pd.RangeIndex(rows),
        copy=False,
    )


DEVICES = Format(
    key="datto-rmm-devices",
    title="Datto RMM device export",
    side="usage",
    signature=("uid", "siteUid", "siteName", "hostname", "deviceClass", "deleted"),
    read=read_devices,
    columns=("deviceType.category", "deviceType", "suspended", "groups", "deviceGroups"),
    prefixes_keys=True,
)
