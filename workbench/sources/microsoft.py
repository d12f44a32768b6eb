"""Microsoft Partner Center new-commerce invoice reconciliation file.

Seats in use at period end are the net position per subscription: every row carries a whole
seat position and its direction comes from the sign of ``Subtotal`` (falling back to ``Total``),
so a seat change's refund row for the old quantity and charge row for the new one net out to
the new quantity. A record is one charge: subscription, charge type, charge period, direction and order. Zero-amount rows (trials, free offers) and credits that are not seat changes
are kept but excluded, with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd

from workbench.sources import reading
from workbench.sources.formats import Format, ReadContext
from workbench.sources.reading import RawTable

VENDOR = "microsoft"

#: Charge types that move money without moving seats.
_NOT_SEAT_CHANGES = {"customercredit"}


def _record_keys(
    table: RawTable,
    customer: list[str],
    sku: list[str],
    charge_type: list[str],
    directions: list[int],
    charge_period: list[list[date | None]],
) -> list[str]:
    """A row is one charge: its customer's subscription of a SKU, charge type, charge period and
    direction (a seat change is a refund row and a charge row of one type, period and order),
    and its order when the file shows one (two seat changes on one day are two orders)."""
    subscription = reading.texts(table, reading.column(table, "SubscriptionId"))
    parts: list[Sequence[object]] = [
        [text.casefold() for text in customer],
        [text.casefold() for text in subscription],
        sku,
        [reading.header_key(kind) for kind in charge_type],
        ["refund" if direction < 0 else "charge" for direction in directions],
    ]
    parts.extend(charge_period)
    order = reading.optional_column(table, "OrderId")
    if order:
        parts.append([text.casefold() for text in reading.texts(table, order)])
    return reading.record_keys(*parts)


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
    # M/D/YYYY as Partner Center writes them; a file re-saved day-first is read so once a day
    # over 12 proves it, else in the workspace's order.
    charge_period = [
        reading.dates(table, found, "auto", fallback=context.date_order)
        for name in ("ChargeStartDate", "ChargeEndDate")
        if (found := reading.optional_column(table, name))
    ]

    reasons: list[str] = []
    quantities: list[int] = []
    directions: list[int] = []
    for kind, amount, total, count in zip(charge_type, subtotal, grand_total, seats, strict=True):
        direction = (amount or total).compare(Decimal(0))
        directions.append(int(direction))
        if reading.header_key(kind) in _NOT_SEAT_CHANGES:
            reasons.append(f"{kind} row: a credit, not a seat change")
        elif direction == 0:
            reasons.append("zero-amount row: trial or free offer, not billable usage")
        else:
            reasons.append("")
        quantities.append(0 if reasons[-1] else int(direction) * abs(count))
    skus = [f"{product}:{sku}" for product, sku in zip(product_id, sku_id, strict=True)]
    keys = _record_keys(table, customer_id, skus, charge_type, directions, charge_period)
    amounts = np.empty(len(subtotal), dtype=object)
    amounts[:] = subtotal
    return pd.DataFrame(
        {
            **reading.provenance_columns(
                table,
                context.source_file,
                reasons,
                keys,
                # An addQuantity or removeQuantity row starts the day the seats changed.
                charge_period[0] if reading.optional_column(table, "ChargeStartDate") else None,
            ),
            "vendor": VENDOR,
            "customer_key": [key.casefold() for key in customer_id],
            "customer_name": customer_name,
            "sku": skus,
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
