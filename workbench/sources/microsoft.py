"""Microsoft Partner Center new-commerce invoice reconciliation file.

Seats in use at period end are the net position per subscription: every row carries a whole
seat position and its direction comes from the sign of ``Subtotal`` (falling back to ``Total``),
so a seat change's refund row for the old quantity and charge row for the new one net out to
the new quantity. Zero-amount rows (trials, free offers) and credits that are not seat changes
are kept but excluded, with the reason.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
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

    reasons: list[str] = []
    quantities: list[int] = []
    for kind, amount, total, count in zip(charge_type, subtotal, grand_total, seats, strict=True):
        direction = (amount or total).compare(Decimal(0))
        if reading.header_key(kind) in _NOT_SEAT_CHANGES:
            reasons.append(f"{kind} row: a credit, not a seat change")
        elif direction == 0:
            reasons.append("zero-amount row: trial or free offer, not billable usage")
        else:
            reasons.append("")
        quantities.append(0 if reasons[-1] else int(direction) * abs(count))
    amounts = np.empty(len(subtotal), dtype=object)
    amounts[:] = subtotal
    return pd.DataFrame(
        {
            **reading.provenance_columns(table, context.source_file, reasons),
            "vendor": VENDOR,
            "customer_key": [key.casefold() for key in customer_id],
            "customer_name": customer_name,
            "sku": [f"{product}:{sku}" for product, sku in zip(product_id, sku_id, strict=True)],
            "sku_name": sku_name,
            "quantity": np.array(quantities, dtype=np.int64),
            "amount": amounts,
        },
        index=pd.RangeIndex(len(table.frame)),
    )


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
