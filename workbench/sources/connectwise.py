"""ConnectWise PSA (Manage) agreement additions, from the flattened export.

The flattened layout is ``Company, Agreement, Product ID, Description, Quantity, Less Included,
Unit Price, Unit Cost, Bill Customer, Effective Date, Cancelled Date``; other columns (Agreement
Type, Agreement Status, ...) may come and go. Each addition becomes one contract line billing
``Quantity - Less Included`` units (never fewer than 0). Additions that bill nothing this period
stay in the frame, excluded with the reason: DoNotBill and NoCharge additions, additions
cancelled on or before the first day of the period, and additions that take effect after its
last day.

The export carries names, not ids: the company name serves as company id and the agreement name
as contract id, so mappings name ConnectWise companies by their name.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

import pandas as pd

from workbench.errors import InputError
from workbench.sources import contract_lines, reading
from workbench.sources.formats import Format, ReadContext
from workbench.sources.reading import RawTable

PSA = "connectwise"

#: ``billCustomer`` values, by their normalised spelling ("Do Not Bill" reads as DoNotBill).
_BILL_CUSTOMER = {"billable": "Billable", "donotbill": "DoNotBill", "nocharge": "NoCharge"}

#: ConnectWise writes dates as ISO-8601 UTC timestamps (a workbook cell arrives as ISO text with
#: a space before the time); exports re-saved by Excel as M/D/YYYY, sometimes with a time of day.
_ISO_DATE = re.compile(
    r"(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_SLASH_DATE = re.compile(r"(\d{1,2}/\d{1,2}/\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?(?: ?[AaPp][Mm])?)?")
_SLASH_PATTERNS = {"MDY": "%m/%d/%Y", "DMY": "%d/%m/%Y"}


def _dates(table: RawTable, name: str, order: str) -> list[date | None]:
    """Dates written either way, decided per cell: ISO-8601 (``2024-01-01T00:00:00Z``) or slashed.

    Slashed dates follow the workspace's order (M/D/YYYY unless it says DMY). An ISO timestamp
    keeps its own date: ConnectWise stores a date as midnight UTC, and shifting it into a local
    time zone would move it to the day before.
    """
    values: list[date | None] = []
    for position, text in enumerate(reading.texts(table, name)):
        if not text:
            values.append(None)
            continue
        iso, slashed = _ISO_DATE.fullmatch(text), _SLASH_DATE.fullmatch(text)
        try:
            if iso:
                values.append(datetime.strptime(iso.group(1), "%Y-%m-%d").date())
                continue
            if slashed:
                pattern = _SLASH_PATTERNS.get(order, _SLASH_PATTERNS["MDY"])
                values.append(datetime.strptime(slashed.group(1), pattern).date())
                continue
        except ValueError:
            pass
        raise InputError(
            table.path,
            f"{text!r} is not a date",
            row=table.row_number(position),
            column=name,
            expected="an ISO-8601 date such as 2024-01-01T00:00:00Z, or "
            + ("D/M/YYYY" if order == "DMY" else "M/D/YYYY"),
        )
    return values


def _bill_customer(table: RawTable, name: str, blank: list[bool]) -> list[str]:
    values = []
    for position, text in enumerate(reading.texts(table, name)):
        known = _BILL_CUSTOMER.get(reading.header_key(text), "")
        if not known and not blank[position]:
            raise InputError(
                table.path,
                f"{text!r} is not a Bill Customer value",
                row=table.row_number(position),
                column=name,
                expected="Billable, DoNotBill or NoCharge",
            )
        values.append(known)
    return values


def _record_keys(
    table: RawTable,
    company: list[str],
    agreement: list[str],
    product: list[str],
    effective: list[date | None],
    unit_price: list[Decimal],
) -> list[str]:
    """An addition is known by its own id when the export shows one; the flattened export drops
    it, and then an addition is its agreement's product from its effective date at its price (one
    agreement may hold a product twice, at two prices or from two dates)."""
    addition_id = reading.optional_column(table, "Addition ID", "id")
    if addition_id:
        return reading.texts(table, addition_id)
    return reading.record_keys(
        [text.casefold() for text in company],
        [text.casefold() for text in agreement],
        [text.casefold() for text in product],
        effective,
        unit_price,
    )


def read_additions(table: RawTable, context: ReadContext) -> pd.DataFrame:
    """Agreement additions as contract lines, one per row.

    ``contract_service_id`` is ``"{agreement}|{product id}|{row}"``: the flattened export drops
    the addition's own id, and one agreement may hold the same product twice (two additions at
    different prices or dates), so only the row tells additions apart. The id is therefore
    stable within one export, not from one month's export to the next.
    """
    blank = reading.blank_rows(table)
    company = contract_lines.required_texts(
        table, reading.column(table, "Company"), blank, "a company name"
    )
    agreement = contract_lines.required_texts(
        table, reading.column(table, "Agreement"), blank, "an agreement name"
    )
    product = contract_lines.required_texts(
        table, reading.column(table, "Product ID"), blank, "a product id"
    )
    description = reading.texts(table, reading.column(table, "Description"))
    quantity = contract_lines.units(table, reading.column(table, "Quantity"), blank, required=True)
    less_included = contract_lines.units(
        table, reading.column(table, "Less Included"), blank, required=False
    )
    unit_price = contract_lines.money(
        table, reading.column(table, "Unit Price"), blank, required=True
    )
    unit_cost = contract_lines.money(
        table, reading.column(table, "Unit Cost"), blank, required=False
    )
    bill_customer = _bill_customer(table, reading.column(table, "Bill Customer"), blank)
    effective = _dates(table, reading.column(table, "Effective Date"), context.date_order)
    cancelled = _dates(table, reading.column(table, "Cancelled Date"), context.date_order)

    keys = _record_keys(table, company, agreement, product, effective, unit_price)

    records: list[dict[str, object]] = []
    for position in range(len(table.frame)):
        starts, ends = effective[position], cancelled[position]
        if blank[position]:
            reason = "blank row"
        elif bill_customer[position] != "Billable":
            reason = f"not billed to the customer: {bill_customer[position]}"
        elif ends is not None and ends <= context.period_start:
            reason = "cancelled before the billing period"
        elif starts is not None and starts > context.period_end:
            reason = "starts after the billing period"
        else:
            reason = ""
        row = table.row_number(position)
        records.append(
            {
                **reading.provenance(table, context.source_file, position, reason, keys[position]),
                "psa": PSA,
                "company_id": company[position],
                "company_name": company[position],
                "contract_id": agreement[position],
                "contract_name": agreement[position],
                "contract_service_id": f"{agreement[position]}|{product[position]}|{row}",
                "service_id": product[position],
                "service_name": description[position] or product[position],
                "quantity": max(quantity[position] - less_included[position], 0),
                "unit_price": unit_price[position],
                "unit_cost": unit_cost[position],
            }
        )
    return contract_lines.lines_frame(records)


AGREEMENT_ADDITIONS = Format(
    key="connectwise-agreement-additions",
    title="ConnectWise agreement additions export",
    side="contract",
    signature=(
        "Company",
        "Agreement",
        "Product ID",
        "Description",
        "Quantity",
        "Less Included",
        "Unit Price",
        "Unit Cost",
        "Bill Customer",
        "Effective Date",
        "Cancelled Date",
    ),
    read=read_additions,
)
FORMATS = (AGREEMENT_ADDITIONS,)
