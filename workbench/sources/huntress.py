"""Huntress organizations export: one row per organization, three billable metrics each."""

from __future__ import annotations

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

    records = []
    for position in range(len(table.frame)):
        for metric, (sku, sku_name) in METRICS.items():
            quantity = counts[metric][position]
            if quantity < 0:
                raise InputError(
                    table.path,
                    f"{quantity} is negative",
                    row=table.row_number(position),
                    column=metric,
                    expected="a count of 0 or more",
                )
            records.append(
                {
                    **reading.provenance(table, context.source_file, position),
                    "vendor": VENDOR,
                    "customer_key": org_id[position],
                    "customer_name": org_name[position],
                    "sku": sku,
                    "sku_name": sku_name,
                    "quantity": quantity,
                    "amount": None,
                }
            )
    return pd.DataFrame.from_records(records)


ORGANIZATIONS = Format(
    key="huntress-organizations",
    title="Huntress organizations export",
    side="usage",
    signature=("id", "name", "agents_count", "billable_identity_count", "sat_learner_count"),
    read=read_organizations,
)
