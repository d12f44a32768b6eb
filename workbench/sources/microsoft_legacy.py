"""Microsoft Partner Center legacy licence-based reconciliation file.

Legacy subscriptions bill in advance per billing cycle, which need not follow the calendar
month (a cycle may run from the 15th to the 14th). A cycle's ``Cycle fee`` row charges the seat
position at the cycle's start; a mid-cycle change adds ``Prorate fees when purchase`` /
``Prorate fee when activate`` rows (charges) and ``Prorate fees when cancel`` rows (refunds),
each over ``ChargeStartDate``..``ChargeEndDate``, the rest of the cycle. As in the new-commerce
file, every row carries a whole seat count and its direction comes from the sign of ``Amount``
(falling back to ``Subtotal``, then ``TotalForCustomer``), whatever its ``ChargeType`` (``Offset
fee`` and ``Cycle instance prorate`` included); a zero-amount row (trial, free offer) is
excluded.

One invoice also holds prorates for changes made late in the previous cycle, whose seats are
already in the new cycle's fee, so rows are not simply summed. Per subscription, the position is
read at one point in time: the period end, or the subscription's last ``ChargeEndDate`` in the
file if that is earlier (an anniversary cycle that ended mid-period, with the next cycle not yet
invoiced). Rows whose charge range covers that point net to the position; the others stay,
excluded with the reason. If the covering rows of a subscription net below zero, its refunds
return seats charged on an earlier invoice that this file does not hold (a cancellation billed a
month late): those refunds are excluded too, so no subscription counts negative seats.

``customer_key`` is the tenant GUID ``CustomerId`` (lower-cased, the same key as in the
new-commerce file), ``sku`` is ``DurableOfferId`` (``OfferId`` when blank): legacy offers are
different SKU keys from new-commerce products and need their own service mappings. ``amount``
is ``Subtotal`` (``Amount`` when blank).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pandas as pd

from workbench.errors import InputError
from workbench.sources import reading
from workbench.sources.formats import Format, ReadContext
from workbench.sources.microsoft import VENDOR
from workbench.sources.reading import RawTable


def _required_dates(table: RawTable, name: str) -> list[date]:
    """Partner Center writes M/D/YYYY; a file re-saved day-first is read so once a day over 12
    proves it (a re-saved file whose days are all 12 or less cannot show its order)."""
    values = reading.dates(table, name, "auto", fallback="MDY")
    for position, value in enumerate(values):
        if value is None:
            raise InputError(
                table.path,
                "the date is blank",
                row=table.row_number(position),
                column=name,
                expected="the charge's start and end dates",
            )
    return [value for value in values if value is not None]


def read_license_based(table: RawTable, context: ReadContext) -> pd.DataFrame:
    """Legacy licence-based rows as usage records: the seat position per subscription."""
    customer_id = reading.texts(table, reading.column(table, "CustomerId"))
    customer_name = reading.texts(table, reading.column(table, "CustomerName"))
    subscription = reading.texts(table, reading.column(table, "SubscriptionId"))
    durable_offer = reading.texts(table, reading.column(table, "DurableOfferId"))
    offer_id = reading.texts(table, reading.column(table, "OfferId"))
    offer_name = reading.texts(table, reading.column(table, "OfferName"))
    seats = reading.integers(table, reading.column(table, "Quantity"))
    amount = reading.amounts(table, reading.column(table, "Amount"))
    subtotal = reading.optional_amounts(table, reading.column(table, "Subtotal"))
    total_column = reading.optional_column(table, "TotalForCustomer")
    customer_total = reading.amounts(table, total_column) if total_column else amount
    starts = _required_dates(table, reading.column(table, "ChargeStartDate"))
    ends = _required_dates(table, reading.column(table, "ChargeEndDate"))

    rows = range(len(table.frame))
    sku = [durable_offer[p] or offer_id[p] for p in rows]
    owner = [subscription[p] or f"{customer_id[p].casefold()}:{sku[p]}" for p in rows]
    direction = [
        (amount[p] or subtotal[p] or customer_total[p] or Decimal(0)).compare(Decimal(0))
        for p in rows
    ]
    reason = [
        "" if direction[p] else "zero-amount row: trial or free offer, not billable usage"
        for p in rows
    ]

    # The point each subscription's position is read at, and the rows covering it.
    last_end: dict[str, date] = {}
    for p in rows:
        if not reason[p]:
            last_end[owner[p]] = max(ends[p], last_end.get(owner[p], ends[p]))
    net: dict[str, int] = defaultdict(int)
    for p in rows:
        if reason[p]:
            continue
        point = min(context.period_end, last_end[owner[p]])
        span = f"{starts[p].isoformat()}..{ends[p].isoformat()}"
        if ends[p] < point:
            reason[p] = f"charge for {span}: superseded by the subscription's later rows"
        elif starts[p] > point:
            reason[p] = f"charge for {span}: starts after the period end"
        else:
            net[owner[p]] += int(direction[p]) * abs(seats[p])
    for p in rows:
        if not reason[p] and direction[p] < 0 and net[owner[p]] < 0:
            reason[p] = "refund of seats charged on an earlier invoice, not in this file"

    order_column = reading.optional_column(table, "OrderId")
    orders = reading.texts(table, order_column) if order_column else [""] * len(table.frame)
    charge_type = [
        reading.header_key(text)
        for text in reading.texts(table, reading.column(table, "ChargeType"))
    ]
    # A row is one charge: its subscription, charge type, charge period, direction (a seat
    # change is a refund row and a charge row of one type and period) and order.
    keys = reading.record_keys(
        [text.casefold() for text in customer_id],
        [text.casefold() for text in owner],
        sku,
        charge_type,
        ["refund" if sign < 0 else "charge" for sign in direction],
        starts,
        ends,
        orders,
    )
    records = []
    for p in rows:
        records.append(
            {
                **reading.provenance(table, context.source_file, p, reason[p], keys[p], starts[p]),
                "vendor": VENDOR,
                "customer_key": customer_id[p].casefold(),
                "customer_name": customer_name[p],
                "sku": sku[p],
                "sku_name": offer_name[p],
                "quantity": 0 if reason[p] else int(direction[p]) * abs(seats[p]),
                "amount": amount[p] if subtotal[p] is None else subtotal[p],
            }
        )
    return pd.DataFrame.from_records(records)


LICENSE_BASED = Format(
    key="microsoft-legacy",
    title="Microsoft Partner Center legacy licence-based reconciliation",
    side="usage",
    signature=(
        "CustomerId",
        "CustomerName",
        "OfferId",
        "DurableOfferId",
        "OfferName",
        "ChargeType",
        "Quantity",
        "Amount",
        "Subtotal",
        "SubscriptionId",
        "ChargeStartDate",
        "ChargeEndDate",
    ),
    read=read_license_based,
)

FORMATS: tuple[Format, ...] = (LICENSE_BASED,)
