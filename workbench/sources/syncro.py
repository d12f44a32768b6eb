"""Syncro invoice schedule lines.

Each line (``name, description, quantity, product_id`` and its prices) becomes one contract line
billing ``quantity`` units of ``product_id``. Syncro keeps prices as integer cents
(``retail_cents, cost_cents``) and shows them as decimals (``price_retail, price_cost``); a file
may hold either pair, and when it holds both the cents are read, being exact by construction.
``quantity`` is text such as ``"5.0"``: whole values only.

The customer is named by ``customer_business_then_name`` (the name Syncro itself shows: the
business name, else the person's), else ``customer_name``, else ``business_name``; when
``customer_id`` is present it is the company id, otherwise the name is. The schedule is
``schedule_id`` when present; otherwise a customer's lines are taken as one schedule, keyed by
the customer.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from workbench.errors import InputError
from workbench.money import ZERO
from workbench.sources import contract_lines, reading
from workbench.sources.formats import Format, ReadContext
from workbench.sources.reading import RawTable

PSA = "syncro"


def _cents(table: RawTable, name: str, blank: list[bool], *, required: bool) -> list[Decimal]:
    """Integer cents as exact amounts: ``1250`` -> ``12.50``."""
    if required:
        contract_lines.required_texts(table, name, blank, "whole cents such as 1250")
    values = []
    for position, text in enumerate(reading.texts(table, name)):
        if not text:
            values.append(ZERO)
            continue
        try:
            cents = Decimal(text.replace(",", ""))
        except ArithmeticError:
            cents = Decimal("NaN")
        if not cents.is_finite() or cents != cents.to_integral_value():
            raise InputError(
                table.path,
                f"{text!r} is not a whole number of cents",
                row=table.row_number(position),
                column=name,
                expected="whole cents such as 1250",
            )
        reading.check_amount(table, position, name, cents.scaleb(-2))
        values.append(Decimal(int(cents)).scaleb(-2))
    return values


def _prices(table: RawTable, blank: list[bool]) -> tuple[list[Decimal], list[Decimal]]:
    """Unit prices and costs, from the cents columns when the file has them."""
    retail_cents = reading.optional_column(table, "retail_cents")
    if retail_cents:
        return (
            _cents(table, retail_cents, blank, required=True),
            _cents(table, reading.column(table, "cost_cents"), blank, required=False),
        )
    return (
        contract_lines.money(table, reading.column(table, "price_retail"), blank, required=True),
        contract_lines.money(table, reading.column(table, "price_cost"), blank, required=False),
    )


def read_schedule_lines(table: RawTable, context: ReadContext) -> pd.DataFrame:
    """Invoice schedule lines as contract lines, one per row.

    ``contract_service_id`` is ``"{schedule}|{product id}|{row}"``: a line's own id is not in
    every export, and one schedule may bill the same product on two lines.
    """
    blank = reading.blank_rows(table)
    customer = contract_lines.required_texts(
        table,
        reading.column(table, "customer_business_then_name", "customer_name", "business_name"),
        blank,
        "the customer's name",
    )
    customer_id_column = reading.optional_column(table, "customer_id")
    company_id = (
        contract_lines.required_texts(table, customer_id_column, blank, "the customer's id")
        if customer_id_column
        else customer
    )
    schedule_column = reading.optional_column(table, "schedule_id")
    schedule = (
        contract_lines.required_texts(table, schedule_column, blank, "the invoice schedule's id")
        if schedule_column
        else company_id
    )
    name = reading.texts(table, reading.column(table, "name"))
    description = reading.texts(table, reading.column(table, "description"))
    product = reading.texts(table, reading.column(table, "product_id"))
    quantity = contract_lines.units(table, reading.column(table, "quantity"), blank)
    unit_price, unit_cost = _prices(table, blank)

    # The export has no line id and one schedule may bill a product on two lines alike but for
    # their quantity: only a line repeated whole is known to be the same line.
    keys = reading.record_keys(
        schedule, product, name, description, quantity, unit_price, unit_cost
    )

    records: list[dict[str, object]] = []
    for position in range(len(table.frame)):
        if blank[position]:
            reason = "blank row"
        elif not product[position]:
            reason = "a free-text line with no product: nothing to reconcile it against"
        else:
            reason = ""
        records.append(
            {
                **reading.provenance(table, context.source_file, position, reason, keys[position]),
                "psa": PSA,
                "company_id": company_id[position],
                "company_name": customer[position],
                "contract_id": schedule[position],
                "contract_name": f"Invoice schedule {schedule[position]}"
                if schedule_column and schedule[position]
                else "Invoice schedule",
                "contract_service_id": (
                    f"{schedule[position]}|{product[position]}|{table.row_number(position)}"
                ),
                "service_id": product[position],
                "service_name": name[position] or description[position] or product[position],
                "quantity": quantity[position],
                "unit_price": unit_price[position],
                "unit_cost": unit_cost[position],
            }
        )
    return contract_lines.lines_frame(records)


_LINE_COLUMNS = ("name", "description", "quantity", "product_id")
SCHEDULE_LINES_CENTS = Format(
    key="syncro-schedule-lines-cents",
    title="Syncro invoice schedule lines (cents)",
    side="contract",
    signature=(*_LINE_COLUMNS, "retail_cents", "cost_cents"),
    read=read_schedule_lines,
)
SCHEDULE_LINES_PRICES = Format(
    key="syncro-schedule-lines-prices",
    title="Syncro invoice schedule lines (prices)",
    side="contract",
    signature=(*_LINE_COLUMNS, "price_retail", "price_cost"),
    read=read_schedule_lines,
)
FORMATS = (SCHEDULE_LINES_CENTS, SCHEDULE_LINES_PRICES)
