"""Pax8 exports: invoice items and subscriptions, read as seats in use at period end.

Invoice items
    One row per invoice line; ``type`` says what the line is. Each counted row's ``startPeriod``
    .. ``endPeriod`` is compared with the billing period:

    * ``subscription`` rows bill ``quantity`` seats for their service period and count when that
      period overlaps the billing period. Rows for another period (an annual renewal billed
      ahead, last month's line on a late invoice) stay, excluded with the reason.
    * ``prorate`` rows are mid-period seat changes: an addition charges the added seats from the
      change date to the end of the service period, a removal credits them. A prorate moves the
      period-end position only if its range overlaps the period **and reaches the period end**:
      a seat added on the 10th and removed on the 20th yields +1 and -1 (both reach the end) and
      nets to nothing, and a range that stops before the period end was not in use at the end.
      A prorate is a removal when its ``quantity`` or its ``total`` is negative (Pax8 has written
      the minus sign in either), so the sign is never applied twice. Prorates for earlier periods
      are excluded: the seats they changed are already in this period's subscription rows.
    * Rebates, credits, one-time and service charges move money, not seats: they stay with their
      amount, excluded with the reason. An unknown type is excluded and says so, so a new kind of
      line is seen in review rather than guessed at.

    ``amount`` is the row's ``total``. A record is an invoice item, known by its ``id`` (in an
    export without ids, by its company, type, SKU, service period, quantity and total). Dates may be ISO (the API's ``2026-10-01``) or numeric; a
    numeric column whose values do not prove their order is read in the workspace's date order.
Subscriptions
    The current state of each subscription: no history, no invoice. The importer trusts the
    export for the period it is dropped into, so only an export taken at (or just after) that
    period's end gives a true period-end count; a re-run of an old period with today's export
    would count today's seats. ``Active`` and ``PendingCancel`` (in use until the term ends)
    count; every other status stays, excluded with the reason. ``amount`` is None: a
    subscription's price is not a charge for the period. A record is a subscription, known by its
    ``id``.

``customer_key`` is Pax8's ``companyId`` (a UUID, compared case-insensitively), ``sku`` the Pax8
SKU (``productId`` when the SKU is blank). An invoice item may carry the company's ``externalId``,
the id the MSP gave the company in its own systems (usually its PSA company id): a link read by
:func:`external_id_links`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd

from workbench.errors import InputError
from workbench.sources import reading
from workbench.sources.formats import Format, ReadContext
from workbench.sources.reading import RawTable

VENDOR = "pax8"

#: Invoice item types that move money without moving seats, and why they are not counted.
_NOT_SEATS = {
    "rebate": "rebate: money back, not a seat count",
    "onetime": "one-time charge, not a seat count",
    "servicecharge": "service charge, not a seat count",
    "servicecredit": "credit, not a seat count",
    "paymentcredit": "credit, not a seat count",
    "invoicecredit": "credit, not a seat count",
}

#: Subscription statuses that are seats in use; PendingCancel runs until its term ends.
_IN_USE = {"active", "pendingcancel"}
_NOT_IN_USE = {
    "trial": "trial: not billable usage",
    "cancelled": "cancelled subscription",
    "canceled": "cancelled subscription",
}


def _period_dates(table: RawTable, name: str, context: ReadContext) -> list[date | None]:
    """A date column: ISO as the API writes it, or day/month order as the column proves it,
    else the workspace's date order."""
    return reading.dates(table, name, "auto", fallback=context.date_order)


def _required(table: RawTable, name: str, position: int, value: date | None) -> date:
    if value is None:
        raise InputError(
            table.path,
            "the date is blank",
            row=table.row_number(position),
            column=name,
            expected="the start and end of the billed period",
        )
    return value


def _seats(table: RawTable, name: str, position: int, *, signed: bool) -> int:
    """One quantity cell as whole seats (negative only where ``signed``)."""
    text = str(table.frame[name].iloc[position]).strip()
    try:
        number = reading.parse_number(text, table.decimal_mark)
    except ValueError:
        number = Decimal("NaN")
    if not number.is_finite() or number != number.to_integral_value():
        raise InputError(
            table.path,
            f"{text!r} is not a whole number",
            row=table.row_number(position),
            column=name,
            expected="a whole number of seats",
        )
    if number < 0 and not signed:
        raise InputError(
            table.path,
            f"{text} seats is negative",
            row=table.row_number(position),
            column=name,
            expected="0 or more seats",
        )
    reading.check_count(table, position, name, number)
    return int(number)


def _span(start: date, end: date) -> str:
    return f"{start.isoformat()}..{end.isoformat()}"


def read_invoice_items(table: RawTable, context: ReadContext) -> pd.DataFrame:
    """Pax8 invoice items as usage records: seats at period end per company and SKU."""
    company_id = reading.texts(table, reading.column(table, "companyId"))
    company_name = reading.texts(table, reading.column(table, "companyName"))
    item_type = reading.texts(table, reading.column(table, "type"))
    start_column = reading.column(table, "startPeriod")
    end_column = reading.column(table, "endPeriod")
    starts = _period_dates(table, start_column, context)
    ends = _period_dates(table, end_column, context)
    quantity_column = reading.column(table, "quantity")
    sku = reading.texts(table, reading.column(table, "sku"))
    product_id = reading.texts(table, reading.column(table, "productId"))
    product_name = reading.texts(table, reading.column(table, "productName"))
    description = reading.texts(table, reading.column(table, "description"))
    total = reading.optional_amounts(table, reading.column(table, "total"))
    item_id = reading.optional_column(table, "id")
    # An invoice item is known by its id; an export without ids by everything that describes it.
    keys = (
        reading.texts(table, item_id)
        if item_id
        else reading.record_keys(
            [text.casefold() for text in company_id],
            [reading.header_key(text) for text in item_type],
            sku,
            product_id,
            starts,
            ends,
            reading.texts(table, quantity_column),
            total,
        )
    )

    records = []
    for position in range(len(table.frame)):
        kind = reading.header_key(item_type[position])
        amount = total[position]
        quantity, reason = 0, ""
        if kind in _NOT_SEATS:
            reason = _NOT_SEATS[kind]
        elif kind not in {"subscription", "prorate"}:
            reason = f"invoice item type {item_type[position]!r} is not known: not counted"
        else:
            start = _required(table, start_column, position, starts[position])
            end = _required(table, end_column, position, ends[position])
            overlaps = start <= context.period_end and end >= context.period_start
            if kind == "subscription":
                seats = _seats(table, quantity_column, position, signed=False)
                if overlaps:
                    quantity = seats
                else:
                    reason = f"subscription billed for {_span(start, end)}, outside the period"
            else:
                seats = _seats(table, quantity_column, position, signed=True)
                removal = seats < 0 or (amount is not None and amount < 0)
                if not overlaps:
                    reason = (
                        f"prorate for {_span(start, end)}, outside the period: "
                        "already in the period's subscription seats"
                    )
                elif end < context.period_end:
                    reason = f"prorate ending {end.isoformat()}: not in use at period end"
                else:
                    quantity = -abs(seats) if removal else abs(seats)
        records.append(
            {
                # A prorate row starts the day the seats changed.
                **reading.provenance(
                    table, context.source_file, position, reason, keys[position], starts[position]
                ),
                "vendor": VENDOR,
                "customer_key": company_id[position].casefold(),
                "customer_name": company_name[position],
                "sku": sku[position] or product_id[position],
                "sku_name": product_name[position] or description[position],
                "quantity": quantity,
                "amount": amount,
            }
        )
    return pd.DataFrame.from_records(records)


def read_subscriptions(table: RawTable, context: ReadContext) -> pd.DataFrame:
    """Pax8 subscriptions as usage records, trusted as the state at the period's end."""
    company_id = reading.texts(table, reading.column(table, "companyId"))
    name_column = reading.optional_column(table, "companyName")
    company_name = reading.texts(table, name_column) if name_column else company_id
    product_id = reading.texts(table, reading.column(table, "productId"))
    product_name_column = reading.optional_column(table, "productName")
    product_name = reading.texts(table, product_name_column) if product_name_column else product_id
    status = reading.texts(table, reading.column(table, "status"))
    starts = _period_dates(table, reading.column(table, "startDate"), context)
    quantity_column = reading.column(table, "quantity")
    subscription_id = reading.texts(table, reading.column(table, "id"))

    records = []
    for position in range(len(table.frame)):
        seats = _seats(table, quantity_column, position, signed=False)
        state = reading.header_key(status[position])
        start = starts[position]
        if state not in _IN_USE:
            reason = _NOT_IN_USE.get(state, f"{status[position] or 'blank'} status: not in use")
        elif start is not None and start > context.period_end:
            reason = f"starts {start.isoformat()}, after the period"
        else:
            reason = ""
        records.append(
            {
                **reading.provenance(
                    table, context.source_file, position, reason, subscription_id[position]
                ),
                "vendor": VENDOR,
                "customer_key": company_id[position].casefold(),
                "customer_name": company_name[position],
                "sku": product_id[position],
                "sku_name": product_name[position],
                "quantity": 0 if reason else seats,
                "amount": None,
            }
        )
    return pd.DataFrame.from_records(records)


#: The column of the company's id in the MSP's own systems.
EXTERNAL_ID_COLUMN = "externalId"


def external_id_links(table: RawTable) -> list[tuple[str, str]]:
    """``(company id, external id)`` of each row naming the company's external id (none when
    the export has no such column)."""
    external_column = reading.optional_column(table, EXTERNAL_ID_COLUMN)
    if external_column is None:
        return []
    company_id = reading.texts(table, reading.column(table, "companyId"))
    external = reading.texts(table, external_column)
    return [
        (company.casefold(), value)
        for company, value in zip(company_id, external, strict=True)
        if company and value
    ]


INVOICE_ITEMS = Format(
    key="pax8-invoice-items",
    title="Pax8 invoice items",
    side="usage",
    signature=(
        "companyId",
        "companyName",
        "type",
        "startPeriod",
        "endPeriod",
        "quantity",
        "sku",
        "productId",
        "chargeType",
        "total",
    ),
    read=read_invoice_items,
)

SUBSCRIPTIONS = Format(
    key="pax8-subscriptions",
    title="Pax8 subscriptions",
    side="usage",
    signature=(
        "id",
        "companyId",
        "productId",
        "quantity",
        "billingTerm",
        "status",
        "startDate",
        "endDate",
    ),
    read=read_subscriptions,
)

FORMATS: tuple[Format, ...] = (INVOICE_ITEMS, SUBSCRIPTIONS)
