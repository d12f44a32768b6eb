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


def _excluded_reason(deleted: bool, suspended: bool, groups: str) -> str:
    """Why a device is not counted ("" when it is)."""
    if deleted:
        return "deleted device"
    if NOT_BILLABLE_GROUP in groups.casefold() and NOT_BILLABLE_GROUP in {
        group.strip().casefold() for group in groups.split(";")
    }:
        return "device in the _NotBillable_ group"
    if suspended:
        return "device suspended in the RMM"
    return ""


def read_devices(table: RawTable, context: ReadContext) -> pd.DataFrame:
    rows = len(table.frame)
    device_uid = reading.texts(table, reading.column(table, "uid"))
    site_uid = reading.texts(table, reading.column(table, "siteUid"))
    site_name = reading.texts(table, reading.column(table, "siteName"))
    category = reading.texts(table, reading.column(table, "deviceType.category", "deviceType"))
    deleted = reading.flags(table, reading.column(table, "deleted"))
    suspended_column = reading.optional_column(table, "suspended")
    suspended = reading.flags(table, suspended_column) if suspended_column else [False] * rows
    groups_column = reading.optional_column(table, "groups", "deviceGroups")
    groups = reading.texts(table, groups_column) if groups_column else [""] * rows

    reasons = [_excluded_reason(*device) for device in zip(deleted, suspended, groups, strict=True)]
    return pd.DataFrame(
        {
            **reading.provenance_columns(table, context.source_file, reasons, device_uid),
            "vendor": VENDOR,
            "customer_key": site_uid,
            "customer_name": site_name,
            "sku": category,
            "sku_name": [f"{device_category} devices" for device_category in category],
            "quantity": np.array([0 if reason else 1 for reason in reasons], dtype=np.int64),
            "amount": None,
        },
        index=pd.RangeIndex(rows),
    )


DEVICES = Format(
    key="datto-rmm-devices",
    title="Datto RMM device export",
    side="usage",
    signature=("uid", "siteUid", "siteName", "hostname", "deviceClass", "deleted"),
    read=read_devices,
)
