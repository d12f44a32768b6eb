"""Microsoft Partner Center new-commerce invoice reconciliation file.

Seats in use at period end are the net position per subscription: every row carries a whole
seat position and its direction comes from the sign of ``Subtotal`` (falling back to ``Total``),
so a seat change's refund row for the old quantity and charge row for the new one net out to
the new quantity. Zero-amount rows (trials, free offers) and credits that are not seat changes
are kept but excluded, with the reason.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from workbench.sources import reading
from workbench.sources.formats import Format, ReadContext
from workbench.sources.reading import RawTable

VENDOR = "microsoft"

#: Charge types that move money without moving seats.
_NOT_SEAT_CHANGES = {"customercredit"}


def read_new_commerce(table: RawTable, context: ReadContext) -> pd.DataFrame:
    customer_id = reading.texts(table, reading.column(table, "CustomerId"))
    customer_name = reading.texts(table, reading.column(table, "CustomerName"))
    product_id = reading.texts(table, reading.column(table, "ProductId"))
    sku_id = reading.texts(table, reading.column(table, "SkuId"))
    sku_name = reading.texts(table, reading.column(table, "SkuName"))
    charge_type = reading.texts(table, reading.column(table, "ChargeType"))
    subtotal = reading.amounts(table, reading.column(table, "Subtotal"))
    grand_total = reading.amounts(table, reading.column(table, "Total"))
    seats = reading.integers(table, reading.column(table, "Quantity"))

    records = []
    for position in range(len(table.frame)):
        amount = subtotal[position]
        direction = (amount or grand_total[position]).compare(Decimal(0))
        kind = reading.header_key(charge_type[position])
        reason = ""
        if kind in _NOT_SEAT_CHANGES:
            reason = f"{charge_type[position]} row: a credit, not a seat change"
        elif direction == 0:
            reason = "zero-amount row: trial or free offer, not billable usage"
        records.append(
            {
                **reading.provenance(table, context.source_file, position, reason),
                "vendor": VENDOR,
                "customer_key": customer_id[position].casefold(),
                "customer_name": customer_name[position],
                "sku": f"{product_id[position]}:{sku_id[position]}",
                "sku_name": sku_name[position],
                "quantity": int(direction) * abs(seats[position]) if not reason else 0,
                "amount": amount,
            }
        )
    return pd.DataFrame.from_records(records)


NEW_COMMERCE = Format(
    key="microsoft-nce",
    title="Microsoft Partner Center new-commerce reconciliation",
    side="usage",
    signature=(
        "CustomerId",
        "CustomerName",
        "ProductId",
        "SkuId",
        "SkuName",
        "ChargeType",
        "Quantity",
        "BillableQuantity",
        "EffectiveUnitPrice",
        "Subtotal",
        "Total",
        "SubscriptionId",
    ),
    read=read_new_commerce,
)
