"""Microsoft Partner Center new-commerce invoice reconciliation file.

Seats in use at period end are the net position per subscription: every row carries a whole
seat position and its direction comes from the sign of ``Subtotal`` (falling back to ``Total``),
so a seat change's refund row for the old quantity and charge row for the new one net out to
the new quantity. A record is one charge: subscription, charge type, charge period, direction and order. Zero-amount rows (trials, free offers) and credits that are not seat changes
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


def _joined(first: reading.Distinct, second: reading.Distinct) -> reading.Distinct:
    """Per row, ``first:second``, each text made once per distinct pair."""
    width = len(second.values)
    pairs = reading.distinct(first.codes.astype(np.int64) * width + second.codes)
    return pairs.converted(
        lambda pair: f"{first.values[pair // width]}:{second.values[pair % width]}"
    )


def _sign(amount: Decimal | None) -> int:
    return 0 if amount is None else int(amount.compare(Decimal(0)))


def read_new_commerce(table: RawTable, context: ReadContext) -> pd.DataFrame:
    customer_id = reading.distinct_cells(table, reading.column(table, "CustomerId"))
    customer_name = reading.distinct_cells(table, reading.column(table, "CustomerName"))
    product_id = reading.distinct_cells(table, reading.column(table, "ProductId"))
    sku_id = reading.distinct_cells(table, reading.column(table, "SkuId"))
    sku_name = reading.distinct_cells(table, reading.column(table, "SkuName"))
    charge_type = reading.distinct_cells(table, reading.column(table, "ChargeType"))
    subtotal = reading.amount_cells(table, reading.column(table, "Subtotal"))
    grand_total = reading.amount_cells(table, reading.column(table, "Total"))
    seats = reading.integer_array(table, reading.column(table, "Quantity"))
    # M/D/YYYY as Partner Center writes them; a file re-saved day-first is read so once a day
    # over 12 proves it, else in the workspace's order.
    charge_period = {
        name: reading.date_cells(table, found, "auto", fallback=context.date_order)
        for name in ("ChargeStartDate", "ChargeEndDate")
        if (found := reading.optional_column(table, name))
    }

    # The direction is the Subtotal's sign, the Total's when the Subtotal is zero or blank.
    direction = subtotal.converted(_sign).per_row(np.int64)
    direction = np.where(direction != 0, direction, grand_total.converted(_sign).per_row(np.int64))
    credit = charge_type.converted(
        lambda kind: reading.header_key(kind) in _NOT_SEAT_CHANGES
    ).per_row(bool)
    # Per row, its reason: none, a zero amount, or (from 2 on) its charge type's credit.
    reason = np.zeros(len(table.frame), dtype=np.intp)
    reason[direction == 0] = 1
    reason[credit] = 2 + charge_type.codes[credit]
    reasons = reading.Distinct(
        [
            "",
            "zero-amount row: trial or free offer, not billable usage",
            *(f"{kind} row: a credit, not a seat change" for kind in charge_type.values),
        ],
        reason,
    )
    counted = ~credit & (direction != 0)
    quantities = np.where(counted, direction * np.abs(seats), 0)
    skus = _joined(product_id, sku_id)
    # A row is one charge: its customer's subscription of a SKU, charge type, charge period and
    # direction (a seat change is a refund row and a charge row of one type, period and order),
    # and its order when the file shows one (two seat changes on one day are two orders).
    subscription = reading.stripped(table, reading.column(table, "SubscriptionId"))
    order = reading.optional_column(table, "OrderId")
    customer_key = customer_id.converted(str.casefold)
    keys = reading.key_column(
        customer_key,
        reading.casefolded(subscription),
        skus,
        charge_type.converted(reading.header_key),
        reading.distinct(direction).converted(lambda sign: "refund" if sign < 0 else "charge"),
        *charge_period.values(),
        *([reading.casefolded(reading.stripped(table, order))] if order else []),
        prefix=context.key_prefix,
    )
    reading.let_go(table)  # every column is converted: not held beside the records made below
    return pd.DataFrame(
        {
            **reading.provenance_columns(
                table,
                context.source_file,
                reasons,
                keys,
                # An addQuantity or removeQuantity row starts the day the seats changed.
                charge_period.get("ChargeStartDate"),
            ),
            "vendor": reading.repeated_text(VENDOR, len(table.frame)),
            "customer_key": customer_key.text_per_row(),
            "customer_name": customer_name.text_per_row(),
            "sku": skus.text_per_row(),
            "sku_name": sku_name.text_per_row(),
            "quantity": quantities.astype(np.int64),
            # A blank Subtotal is a zero charge, as reading.amounts has it.
            "amount": subtotal.map(lambda amount: Decimal(0) if amount is None else amount),
        },
        index=pd.RangeIndex(len(table.frame)),
        copy=False,
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
    columns=("ChargeStartDate", "ChargeEndDate", "OrderId"),
    prefixes_keys=True,
)
