"""Huntress organizations export: one row per organization, three billable metrics each.

A record is one organization's metric, known by the organization's ``id`` and the metric. An
organization may name the Microsoft 365 tenant it watches (``microsoft_365_tenant_id``): a link
to the Partner Center customer of that tenant (:func:`tenant_links`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.errors import InputError
from workbench.sources import reading
from workbench.sources.formats import Format, ReadContext
from workbench.sources.reading import RawTable

VENDOR = "huntress"

#: Metric column -> (usage SKU key, what it counts).
METRICS = {
    "agents_count": ("agents", "EDR agents"),
    "billable_identity_count": ("identities", "ITDR billable identities"),
    "sat_learner_count": ("sat_learners", "Security awareness learners"),
}


def read_organizations(table: RawTable, context: ReadContext) -> pd.DataFrame:
    org_id = reading.texts(table, reading.column(table, "id"))
    org_name = reading.texts(table, reading.column(table, "name"))
    counts = {metric: reading.integers(table, reading.column(table, metric)) for metric in METRICS}

    rows = len(table.frame)
    negatives = [
        (position, metric, quantity)
        for metric, values in counts.items()
        for position, quantity in enumerate(values)
        if quantity < 0
    ]
    if negatives:
        position, metric, quantity = min(negatives, key=lambda found: found[0])
        raise InputError(
            table.path,
            f"{quantity} is negative",
            row=table.row_number(position),
            column=metric,
            expected="a count of 0 or more",
        )
    # One record per organization and metric, organization by organization.
    provenance = pd.DataFrame(reading.provenance_columns(table, context.source_file))
    each = np.repeat(np.arange(rows), len(METRICS))
    skus = [sku for sku, _ in METRICS.values()] * rows
    return pd.DataFrame(
        {
            **{name: column.to_numpy()[each] for name, column in provenance.items()},
            "record_key": reading.record_keys(
                np.asarray(org_id, dtype=object)[each].tolist(), skus
            ),
            "vendor": VENDOR,
            "customer_key": np.asarray(org_id, dtype=object)[each],
            "customer_name": np.asarray(org_name, dtype=object)[each],
            "sku": skus,
            "sku_name": [sku_name for _, sku_name in METRICS.values()] * rows,
            "quantity": np.column_stack(
                [np.asarray(values, dtype=np.int64) for values in counts.values()]
            ).ravel(),
            "amount": None,
        },
        index=pd.RangeIndex(rows * len(METRICS)),
    )


#: The column naming the Microsoft 365 tenant an organization watches.
TENANT_COLUMN = "microsoft_365_tenant_id"


def tenant_links(table: RawTable) -> list[tuple[str, str]]:
    """``(organization id, tenant id)`` of each organization naming its Microsoft 365 tenant
    (none when the export has no tenant column)."""
    tenant_column = reading.optional_column(table, TENANT_COLUMN)
    if tenant_column is None:
        return []
    org_id = reading.texts(table, reading.column(table, "id"))
    tenants = reading.texts(table, tenant_column)
    return [(org, tenant) for org, tenant in zip(org_id, tenants, strict=True) if org and tenant]


ORGANIZATIONS = Format(
    key="huntress-organizations",
    title="Huntress organizations export",
    side="usage",
    signature=("id", "name", "agents_count", "billable_identity_count", "sat_learner_count"),
    read=read_organizations,
)
