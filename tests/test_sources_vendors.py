"""Vendor usage importers: Pax8, Acronis, Datto BCDR and Microsoft legacy licence-based files.

Every fixture is a few rows in the vendor's documented layout (``/work/shared/FORMATS.md``),
written for October 2026 (10/1 to 10/31), and every assertion lists the exact canonical records:
source row, customer key, SKU key, signed quantity, amount and excluded reason.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import workbench.sources
from demodata.layouts import (
    ACRONIS_HEADER,
    BCDR_HEADER,
    LEGACY_HEADER,
    PAX8_ITEMS_HEADER,
    write_csv,
)
from tests.builders import ms_row, write_autotask, write_mappings, write_ms, write_workspace
from workbench import Status, reconcile_workspace
from workbench.errors import InputError
from workbench.sources import acronis, datto_bcdr, detect, microsoft_legacy, pax8
from workbench.sources.formats import Format, ReadContext
from workbench.sources.reading import read_table
from workbench.sources.schemas import USAGE_COLUMNS, UsageSchema

START, END = date(2026, 10, 1), date(2026, 10, 31)
VENDOR_FORMATS = (*pax8.FORMATS, *acronis.FORMATS, *datto_bcdr.FORMATS, *microsoft_legacy.FORMATS)

PAX8_COMPANY = "C0FFEE00-1234-4ABC-8DEF-0123456789AB"
PAX8_SUBSCRIPTIONS_HEADER = [
    "id", "companyId", "productId", "quantity", "price", "billingTerm", "status", "startDate",
    "endDate",
]  # fmt: skip


def read(fmt: Format, path: Path) -> pd.DataFrame:
    """Read ``path`` as ``fmt`` for October 2026 and check the canonical schema."""
    frame = fmt.read(read_table(path), ReadContext(path.name, START, END))
    UsageSchema.validate(frame[USAGE_COLUMNS])
    assert set(frame["source_file"]) == {path.name}
    return frame


def records(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """``(source_row, customer_key, sku, quantity, amount, excluded_reason)`` per record."""
    columns = ["source_row", "customer_key", "sku", "quantity", "amount", "excluded_reason"]
    return [tuple(row) for row in frame[columns].itertuples(index=False)]


def counted(frame: pd.DataFrame) -> dict[str, int]:
    """Net quantity per SKU over the records that count."""
    kept = frame[frame["excluded_reason"] == ""]
    return {str(sku): int(total) for sku, total in kept.groupby("sku")["quantity"].sum().items()}


# --- Pax8 invoice items -----------------------------------------------------------------------


def pax8_item(kind: str, start: str, end: str, quantity: str, total: str, **extra: str) -> dict:
    row = {
        "id": f"item-{kind}-{start}",
        "companyId": PAX8_COMPANY,
        "companyName": "Acme Dental Group",
        "type": kind,
        "startPeriod": start,
        "endPeriod": end,
        "quantity": quantity,
        "unitOfMeasure": "User",
        "term": "Monthly",
        "sku": "MST-365-BP-M",
        "description": "Microsoft 365 Business Premium",
        "productId": "5e3f0f5a-0000-4000-8000-00000000bp01",
        "productName": "Microsoft 365 Business Premium",
        "rateType": "Partner Buy Rate",
        "chargeType": "per_unit",
        "price": "22.00",
        "total": total,
        "currencyCode": "USD",
    }
    row.update(extra)
    return row


#: October invoice items for one company (rows as a spreadsheet numbers them):
#:
#: 2   subscription 10/1..10/31, 10 seats, 220.00     -> +10
#: 3   prorate 10/15..10/31, 2 seats added, 24.13     -> +2 (reaches the period end)
#: 4   prorate 10/20..10/31, 1 seat, total -8.52      -> -1 (a removal: negative total)
#: 5   prorate 10/25..10/31, quantity -1, total -4.26 -> -1 (the sign is not applied twice)
#: 6   prorate 9/10..9/30, 3 seats, 15.00             -> excluded: an earlier period
#: 7   prorate 10/5..10/12, 1 seat, 2.00              -> excluded: ends before the period end
#: 8   service_credit -5.00                           -> excluded, amount kept
#: 9   rebate -3.50 (no quantity)                     -> excluded, amount kept
#: 10  one_time 50.00                                 -> excluded, amount kept
#: 11  subscription 11/1..11/30, blank SKU, 4 seats   -> excluded: another period; SKU = productId
#:
#: Net Business Premium seats at period end: 10 + 2 - 1 - 1 = 10.
PAX8_ITEMS = [
    pax8_item("subscription", "2026-10-01", "2026-10-31", "10", "220.00"),
    pax8_item("prorate", "2026-10-15", "2026-10-31", "2", "24.13"),
    pax8_item("prorate", "2026-10-20", "2026-10-31", "1", "-8.52"),
    pax8_item("prorate", "2026-10-25", "2026-10-31", "-1", "-4.26"),
    pax8_item("prorate", "2026-09-10", "2026-09-30", "3", "15.00"),
    pax8_item("prorate", "2026-10-05", "2026-10-12", "1", "2.00"),
    pax8_item("service_credit", "2026-10-01", "2026-10-31", "1", "-5.00"),
    pax8_item("rebate", "", "", "", "-3.50"),
    pax8_item("one_time", "2026-10-01", "2026-10-01", "1", "50.00", sku="PAX8-ONBOARD"),
    pax8_item("subscription", "2026-11-01", "2026-11-30", "4", "88.00", sku=""),
]
BP = "MST-365-BP-M"
KEY = PAX8_COMPANY.casefold()


def test_pax8_invoice_items_net_prorates_to_the_period_end_and_keep_credits(
    tmp_path: Path,
) -> None:
    path = tmp_path / "pax8-invoice.csv"
    write_csv(path, PAX8_ITEMS_HEADER, PAX8_ITEMS)
    frame = read(pax8.INVOICE_ITEMS, path)
    assert records(frame) == [
        (2, KEY, BP, 10, Decimal("220.00"), ""),
        (3, KEY, BP, 2, Decimal("24.13"), ""),
        (4, KEY, BP, -1, Decimal("-8.52"), ""),
        (5, KEY, BP, -1, Decimal("-4.26"), ""),
        (6, KEY, BP, 0, Decimal("15.00"),
         "prorate for 2026-09-10..2026-09-30, outside the period: already in the period's "
         "subscription seats"),
        (7, KEY, BP, 0, Decimal("2.00"), "prorate ending 2026-10-12: not in use at period end"),
        (8, KEY, BP, 0, Decimal("-5.00"), "credit, not a seat count"),
        (9, KEY, BP, 0, Decimal("-3.50"), "rebate: money back, not a seat count"),
        (10, KEY, "PAX8-ONBOARD", 0, Decimal("50.00"), "one-time charge, not a seat count"),
        (11, KEY, "5e3f0f5a-0000-4000-8000-00000000bp01", 0, Decimal("88.00"),
         "subscription billed for 2026-11-01..2026-11-30, outside the period"),
    ]  # fmt: skip
    assert counted(frame) == {BP: 10}
    assert set(frame["customer_name"]) == {"Acme Dental Group"}


def test_pax8_invoice_dates_in_the_workspace_order_are_read_too(tmp_path: Path) -> None:
    """The same subscription and prorate rows with M/D/YYYY dates: 10 + 2 = 12."""
    path = tmp_path / "pax8-invoice.csv"
    write_csv(
        path,
        PAX8_ITEMS_HEADER,
        [
            pax8_item("subscription", "10/1/2026", "10/31/2026", "10", "220.00"),
            pax8_item("prorate", "10/15/2026", "10/31/2026", "2", "24.13"),
        ],
    )
    assert counted(read(pax8.INVOICE_ITEMS, path)) == {BP: 12}


def test_pax8_unknown_item_type_is_excluded_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "pax8-invoice.csv"
    write_csv(path, PAX8_ITEMS_HEADER, [pax8_item("usage", "2026-10-01", "2026-10-31", "3", "9")])
    assert records(read(pax8.INVOICE_ITEMS, path)) == [
        (2, KEY, BP, 0, Decimal("9"), "invoice item type 'usage' is not known: not counted")
    ]


# --- Pax8 subscriptions -----------------------------------------------------------------------


def pax8_subscription(status: str, quantity: str, product: str, start: str = "2025-03-01") -> dict:
    return {
        "id": f"sub-{status}-{product}",
        "companyId": PAX8_COMPANY,
        "productId": product,
        "quantity": quantity,
        "price": "22.00",
        "billingTerm": "Monthly",
        "status": status,
        "startDate": start,
        "endDate": "",
    }


def test_pax8_subscriptions_count_active_and_pending_cancel_only(tmp_path: Path) -> None:
    """Rows 2-7: Active 10 and PendingCancel 3 count; Trial, Cancelled, PendingManual and a
    subscription starting after the period are excluded. No companyName: the id is the name."""
    path = tmp_path / "pax8-subscriptions.csv"
    write_csv(
        path,
        PAX8_SUBSCRIPTIONS_HEADER,
        [
            pax8_subscription("Active", "10", "bp"),
            pax8_subscription("PendingCancel", "3", "exo"),
            pax8_subscription("Trial", "25", "copilot"),
            pax8_subscription("Cancelled", "5", "visio"),
            pax8_subscription("Active", "2", "project", start="2026-11-05"),
            pax8_subscription("PendingManual", "1", "teams"),
        ],
    )
    frame = read(pax8.SUBSCRIPTIONS, path)
    assert records(frame) == [
        (2, KEY, "bp", 10, None, ""),
        (3, KEY, "exo", 3, None, ""),
        (4, KEY, "copilot", 0, None, "trial: not billable usage"),
        (5, KEY, "visio", 0, None, "cancelled subscription"),
        (6, KEY, "project", 0, None, "starts 2026-11-05, after the period"),
        (7, KEY, "teams", 0, None, "PendingManual status: not in use"),
    ]
    assert set(frame["customer_name"]) == {PAX8_COMPANY}


# --- Acronis --------------------------------------------------------------------------------

TENANT = "8A1B2C3D-0000-4000-8000-00000000AC01"


def acronis_row(usage: str, value: str, edition: str, unit: str) -> dict[str, str]:
    return {
        "tenant_id": TENANT,
        "tenant_name": "Acme Dental Group",
        "usage_name": usage,
        "value": value,
        "edition": edition,
        "measurement_unit": unit,
    }


def test_acronis_editions_are_separate_skus_and_storage_becomes_whole_gb(tmp_path: Path) -> None:
    """2: exactly 1 GiB in bytes -> 1; 3: one byte more -> 2 (rounded up); 4-5: counts per
    edition; 6: 1.5 TB, no edition -> 1536 GB; 7: 250 MB -> 1 GB; 8: unit written "Quantity"."""
    path = tmp_path / "acronis.csv"
    write_csv(
        path,
        ACRONIS_HEADER,
        [
            acronis_row("storage", "1073741824", "Cyber Protect Standard", "bytes"),
            acronis_row("storage", "1073741825", "Cyber Protect Advanced", "bytes"),
            acronis_row("workstations", "12", "Cyber Protect Standard", "quantity"),
            acronis_row("workstations", "0", "Cyber Protect Advanced", "quantity"),
            acronis_row("local_storage", "1.5", "", "TB"),
            acronis_row("storage", "250", "Cyber Backup", "MB"),
            acronis_row("mailboxes", "7", "Cyber Protect Standard", "Quantity"),
        ],
    )
    frame = read(acronis.USAGE, path)
    key = TENANT.casefold()
    assert records(frame) == [
        (2, key, "storage:Cyber Protect Standard", 1, None, ""),
        (3, key, "storage:Cyber Protect Advanced", 2, None, ""),
        (4, key, "workstations:Cyber Protect Standard", 12, None, ""),
        (5, key, "workstations:Cyber Protect Advanced", 0, None, ""),
        (6, key, "local_storage", 1536, None, ""),
        (7, key, "storage:Cyber Backup", 1, None, ""),
        (8, key, "mailboxes:Cyber Protect Standard", 7, None, ""),
    ]
    assert list(frame["sku_name"])[:2] == [
        "storage (Cyber Protect Standard), GB",
        "storage (Cyber Protect Advanced), GB",
    ]
    assert set(frame["customer_name"]) == {"Acme Dental Group"}


def test_acronis_without_tenant_name_uses_the_id(tmp_path: Path) -> None:
    path = tmp_path / "acronis.csv"
    header = [name for name in ACRONIS_HEADER if name != "tenant_name"]
    write_csv(path, header, [acronis_row("workstations", "3", "", "quantity")])
    frame = read(acronis.USAGE, path)
    assert (frame.at[0, "customer_name"], frame.at[0, "sku"]) == (TENANT, "workstations")


# --- Datto BCDR -----------------------------------------------------------------------------


def bcdr_device(serial: str, model: str, org: str, client: str, **extra: str) -> dict[str, str]:
    row = {
        "serialNumber": serial,
        "name": f"bcdr-{serial}",
        "model": model,
        "clientCompanyName": client,
        "organizationName": org,
        "servicePlan": "Infinite Cloud Retention",
        "agentCount": "4",
        "localStorageUsed.size": "2.5",
        "localStorageUsed.units": "TB",
        "offsiteStorageUsed.size": "1.5",
        "offsiteStorageUsed.units": "TB",
    }
    row.update(extra)
    return row


#: Devices (rows 2-5), three records each:
#:
#: 2  SIRIS S5-2, org Acme, 4 agents, 1.5 TB offsite   -> devices:S5-2 1, agents 4, 1536 GB
#: 3  no model, org blank, client "Bluewater", blank agents, 512 MB -> devices:<plan>, 0, 1 GB
#: 4  ALTO, no org or client                            -> 3 records, all excluded
#: 5  S5-2, org Acme, 2 agents, offsite 0 with no unit  -> 0 GB
BCDR_DEVICES = [
    bcdr_device("A1", "S5-2", "Acme Dental Group", "Acme (old name)"),
    bcdr_device("B2", "", "", "Bluewater Logistics", agentCount=""),
    bcdr_device("C3", "ALTO 4", "", ""),
    bcdr_device("D4", "S5-2", "Acme Dental Group", "", agentCount="2"),
]
BCDR_DEVICES[1].update({"offsiteStorageUsed.size": "512", "offsiteStorageUsed.units": "MB"})
BCDR_DEVICES[3].update({"offsiteStorageUsed.size": "0", "offsiteStorageUsed.units": ""})


@pytest.mark.parametrize("separator", [".", "_"])
def test_bcdr_devices_yield_device_agent_and_offsite_gb_records(
    tmp_path: Path, separator: str
) -> None:
    path = tmp_path / "bcdr.csv"
    header = [name.replace(".", separator) for name in BCDR_HEADER]
    rows = [{k.replace(".", separator): v for k, v in row.items()} for row in BCDR_DEVICES]
    write_csv(path, header, rows)
    frame = read(datto_bcdr.DEVICES, path)
    acme, bluewater = "acme dental group", "bluewater logistics"
    nobody = "device with no organization or client company"
    assert records(frame) == [
        (2, acme, "devices:S5-2", 1, None, ""),
        (2, acme, "agents", 4, None, ""),
        (2, acme, "offsite_gb", 1536, None, ""),
        (3, bluewater, "devices:Infinite Cloud Retention", 1, None, ""),
        (3, bluewater, "agents", 0, None, ""),
        (3, bluewater, "offsite_gb", 1, None, ""),
        (4, "", "devices:ALTO 4", 0, None, nobody),
        (4, "", "agents", 0, None, nobody),
        (4, "", "offsite_gb", 0, None, nobody),
        (5, acme, "devices:S5-2", 1, None, ""),
        (5, acme, "agents", 2, None, ""),
        (5, acme, "offsite_gb", 0, None, ""),
    ]
    assert counted(frame) == {
        "agents": 6,
        "devices:Infinite Cloud Retention": 1,
        "devices:S5-2": 2,
        "offsite_gb": 1537,
    }


def test_bcdr_sizes_follow_the_file_decimal_mark(tmp_path: Path) -> None:
    """An export re-saved in a European locale (";" and decimal commas): 1,5 TB is 1536 GB."""
    path = tmp_path / "bcdr.csv"
    values = {**BCDR_DEVICES[0], "localStorageUsed.size": "2,5", "offsiteStorageUsed.size": "1,5"}
    path.write_text(
        ";".join(BCDR_HEADER)
        + "\n"
        + ";".join(values.get(name, "") for name in BCDR_HEADER)
        + "\n",
        encoding="utf-8",
    )
    table = read_table(path)
    frame = datto_bcdr.DEVICES.read(table, ReadContext(path.name, START, END))
    assert records(frame)[2] == (2, "acme dental group", "offsite_gb", 1536, None, "")


# --- Microsoft legacy licence-based ---------------------------------------------------------

LEGACY_TENANT = "3F2504E0-4F89-11D3-9A0C-0305E82C3301"
E3 = "91fd106f-4b2c-4938-95ac-f54f74e9a239"


def legacy_row(
    subscription: str, charge: str, start: str, end: str, seats: int, amount: str
) -> dict[str, str]:
    return {
        "CustomerId": LEGACY_TENANT,
        "CustomerName": "Acme Dental Group",
        "SubscriptionId": subscription,
        "OfferId": "796B6B5F-613C-4E24-A17C-EBA730D49C02",
        "DurableOfferId": E3,
        "OfferName": "Office 365 E3",
        "ChargeStartDate": start,
        "ChargeEndDate": end,
        "ChargeType": charge,
        "UnitPrice": "20.00",
        "Quantity": str(seats),
        "Amount": amount,
        "Subtotal": amount,
        "TotalForCustomer": amount,
        "Currency": "USD",
    }


#: October invoice, five subscriptions of one offer (rows 2-10):
#:
#: A  2  Cycle fee 10/1..10/31, 10 seats, 200.00                 -> +10
#:    3  Prorate fees when cancel 10/15..10/31, 10, -109.68       -> -10
#:    4  Prorate fees when purchase 10/15..10/31, 12, 131.61      -> +12   (A ends at 12)
#:    5  Prorate fees when cancel 9/20..9/30, 9, -66.00           -> excluded: earlier cycle
#:    6  Prorate fees when purchase 9/20..9/30, 10, 73.33         -> excluded: earlier cycle
#: B  7  Cycle fee 9/15..10/14 (anniversary, next not invoiced), 5 -> +5 (read at 10/14)
#: C  8  Prorate fees when cancel 10/10..10/31, 3, -6.00 (no fee) -> excluded: earlier invoice
#: D  9  Cycle fee 10/1..10/31, 25 seats, 0.00                    -> excluded: zero amount
#: E  10 Cycle fee 11/1..11/30, 2 seats, 40.00                    -> excluded: after period end
#:
#: Office 365 E3 seats at period end: 12 + 5 = 17.
LEGACY_ROWS = [
    legacy_row("A", "Cycle fee", "10/1/2026", "10/31/2026", 10, "200.00"),
    legacy_row("A", "Prorate fees when cancel", "10/15/2026", "10/31/2026", 10, "-109.68"),
    legacy_row("A", "Prorate fees when purchase", "10/15/2026", "10/31/2026", 12, "131.61"),
    legacy_row("A", "Prorate fees when cancel", "9/20/2026", "9/30/2026", 9, "-66.00"),
    legacy_row("A", "Prorate fees when purchase", "9/20/2026", "9/30/2026", 10, "73.33"),
    legacy_row("B", "Cycle fee", "9/15/2026", "10/14/2026", 5, "100.00"),
    legacy_row("C", "Prorate fees when cancel", "10/10/2026", "10/31/2026", 3, "-6.00"),
    legacy_row("D", "Cycle fee", "10/1/2026", "10/31/2026", 25, "0.00"),
    legacy_row("E", "Cycle fee", "11/1/2026", "11/30/2026", 2, "40.00"),
]


def test_ms_legacy_seat_changes_net_to_the_position_at_period_end(tmp_path: Path) -> None:
    path = tmp_path / "legacy.csv"
    write_csv(path, LEGACY_HEADER, LEGACY_ROWS, bom=True)
    frame = read(microsoft_legacy.LICENSE_BASED, path)
    key = LEGACY_TENANT.casefold()
    superseded = "superseded by the subscription's later rows"
    assert records(frame) == [
        (2, key, E3, 10, Decimal("200.00"), ""),
        (3, key, E3, -10, Decimal("-109.68"), ""),
        (4, key, E3, 12, Decimal("131.61"), ""),
        (5, key, E3, 0, Decimal("-66.00"), f"charge for 2026-09-20..2026-09-30: {superseded}"),
        (6, key, E3, 0, Decimal("73.33"), f"charge for 2026-09-20..2026-09-30: {superseded}"),
        (7, key, E3, 5, Decimal("100.00"), ""),
        (8, key, E3, 0, Decimal("-6.00"),
         "refund of seats charged on an earlier invoice, not in this file"),
        (9, key, E3, 0, Decimal("0.00"),
         "zero-amount row: trial or free offer, not billable usage"),
        (10, key, E3, 0, Decimal("40.00"),
         "charge for 2026-11-01..2026-11-30: starts after the period end"),
    ]  # fmt: skip
    assert counted(frame) == {E3: 17}
    assert set(frame["vendor"]) == {"microsoft"}


def test_ms_legacy_sku_falls_back_to_the_offer_id(tmp_path: Path) -> None:
    path = tmp_path / "legacy.csv"
    row = legacy_row("A", "Cycle fee", "10/1/2026", "10/31/2026", 3, "60.00")
    write_csv(path, LEGACY_HEADER, [{**row, "DurableOfferId": ""}])
    assert read(microsoft_legacy.LICENSE_BASED, path).at[0, "sku"] == row["OfferId"]


# --- Detection ------------------------------------------------------------------------------


def test_each_layout_is_detected_as_itself_and_never_as_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {
        "pax8-invoice-items": (PAX8_ITEMS_HEADER, PAX8_ITEMS),
        "pax8-subscriptions": (PAX8_SUBSCRIPTIONS_HEADER, [pax8_subscription("Active", "1", "x")]),
        "acronis-usage": (ACRONIS_HEADER, [acronis_row("storage", "1", "", "GB")]),
        "datto-bcdr-devices": (BCDR_HEADER, BCDR_DEVICES),
        "microsoft-legacy": (LEGACY_HEADER, LEGACY_ROWS),
    }
    found = {}
    for key, (header, rows) in files.items():
        path = tmp_path / f"{key}.csv"
        write_csv(path, header, rows)
        found[key] = detect(read_table(path)).key
    nce = write_ms(tmp_path / "nce.csv", [ms_row("cycleCharge", 10, "220.00")])
    found["microsoft-nce"] = detect(read_table(nce)).key
    write_autotask(tmp_path / "autotask")
    units = read_table(tmp_path / "autotask" / "ContractServiceUnits.csv")
    found["autotask-contract-service-units"] = detect(units).title
    assert found == {
        "pax8-invoice-items": "pax8-invoice-items",
        "pax8-subscriptions": "pax8-subscriptions",
        "acronis-usage": "acronis-usage",
        "datto-bcdr-devices": "datto-bcdr-devices",
        "microsoft-legacy": "microsoft-legacy",
        "microsoft-nce": "microsoft-nce",
        "autotask-contract-service-units": "Autotask ContractServiceUnits",
    }
    # No layout's header holds another's signature, so "the most specific wins" never decides.
    for path in tmp_path.glob("*.csv"):
        table = read_table(path)
        assert [fmt.key for fmt in workbench.sources.FORMATS if not fmt.missing(table)] == [
            detect(table).key
        ]


# --- Bad cells ------------------------------------------------------------------------------


def where(caught: pytest.ExceptionInfo[InputError]) -> tuple[str, int | None, str | None]:
    return Path(caught.value.file).name, caught.value.row, caught.value.column


def test_negative_seats_on_a_pax8_subscription_name_the_cell(tmp_path: Path) -> None:
    path = tmp_path / "subs.csv"
    write_csv(
        path,
        PAX8_SUBSCRIPTIONS_HEADER,
        [pax8_subscription("Active", "4", "bp"), pax8_subscription("Active", "-2", "exo")],
    )
    with pytest.raises(InputError, match="negative") as caught:
        read(pax8.SUBSCRIPTIONS, path)
    assert where(caught) == ("subs.csv", 3, "quantity")


def test_text_in_a_pax8_quantity_names_the_cell(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    write_csv(
        path,
        PAX8_ITEMS_HEADER,
        [
            pax8_item("rebate", "", "", "n/a", "-3.50"),  # not a seat row: its quantity is unread
            pax8_item("subscription", "2026-10-01", "2026-10-31", "ten", "220.00"),
        ],
    )
    with pytest.raises(InputError, match="'ten' is not a whole number") as caught:
        read(pax8.INVOICE_ITEMS, path)
    assert where(caught) == ("items.csv", 3, "quantity")


def test_text_in_a_legacy_quantity_names_the_cell(tmp_path: Path) -> None:
    path = tmp_path / "legacy.csv"
    row = legacy_row("A", "Cycle fee", "10/1/2026", "10/31/2026", 3, "60.00")
    write_csv(path, LEGACY_HEADER, [row, {**row, "Quantity": "3 seats"}])
    with pytest.raises(InputError, match="not a whole number") as caught:
        read(microsoft_legacy.LICENSE_BASED, path)
    assert where(caught) == ("legacy.csv", 3, "Quantity")


def test_an_unknown_acronis_unit_names_the_cell(tmp_path: Path) -> None:
    path = tmp_path / "acronis.csv"
    write_csv(
        path,
        ACRONIS_HEADER,
        [acronis_row("storage", "5", "", "GB"), acronis_row("storage", "0", "", "furlongs")],
    )
    with pytest.raises(InputError, match="'furlongs' is not a storage unit") as caught:
        read(acronis.USAGE, path)
    assert where(caught) == ("acronis.csv", 3, "measurement_unit")


def test_a_fractional_acronis_count_names_the_cell(tmp_path: Path) -> None:
    path = tmp_path / "acronis.csv"
    write_csv(path, ACRONIS_HEADER, [acronis_row("workstations", "2.5", "", "quantity")])
    with pytest.raises(InputError, match=r"'2\.5' is not a count") as caught:
        read(acronis.USAGE, path)
    assert where(caught) == ("acronis.csv", 2, "value")


def test_an_unknown_bcdr_unit_names_the_cell_by_its_own_header(tmp_path: Path) -> None:
    path = tmp_path / "bcdr.csv"
    header = [name.replace(".", "_") for name in BCDR_HEADER]
    row = {k.replace(".", "_"): v for k, v in BCDR_DEVICES[0].items()}
    write_csv(path, header, [row, {**row, "offsiteStorageUsed_units": "XB"}])
    with pytest.raises(InputError, match="'XB' is not a storage unit") as caught:
        read(datto_bcdr.DEVICES, path)
    assert where(caught) == ("bcdr.csv", 3, "offsiteStorageUsed_units")


def test_a_negative_bcdr_size_names_the_cell(tmp_path: Path) -> None:
    path = tmp_path / "bcdr.csv"
    write_csv(path, BCDR_HEADER, [{**BCDR_DEVICES[0], "offsiteStorageUsed.size": "-1"}])
    with pytest.raises(InputError, match="negative") as caught:
        read(datto_bcdr.DEVICES, path)
    assert where(caught) == ("bcdr.csv", 2, "offsiteStorageUsed.size")


# --- End to end -----------------------------------------------------------------------------


def test_a_pax8_invoice_reconciles_against_autotask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Autotask bills Acme 10 seats of service 30 at 26.40. The Pax8 invoice is ``PAX8_ITEMS``
    (10 seats at period end) plus a prorate adding 1 seat on 10/28: 11 in use, so the line is
    under-billed by 1 seat, 26.40 of revenue."""
    inputs = write_workspace(tmp_path)
    write_autotask(inputs / "autotask", lines={"30": 10})
    write_csv(
        inputs / "pax8" / "invoice-items.csv",
        PAX8_ITEMS_HEADER,
        [*PAX8_ITEMS, pax8_item("prorate", "2026-10-28", "2026-10-31", "1", "2.84")],
    )
    write_mappings(
        tmp_path / "mappings.xlsx",
        customers=[["Pax8", PAX8_COMPANY, "Acme Dental Group", "10", "Acme Dental Group", ""]],
        services=[["Pax8", BP, "Business Premium", "30", "Microsoft 365 Business Premium", 1, ""]],
    )
    result = reconcile_workspace(tmp_path, "2026-10")
    found = result.lines.set_index("line_id").loc["10:30"]
    assert (
        found["status"],
        found["billed_quantity"],
        found["expected_quantity"],
        found["revenue_impact"],
    ) == (Status.UNDER_BILLED, 10, 11, Decimal("26.40"))
