"""PSA importers that yield contract lines directly: ConnectWise, HaloPSA, Syncro, Autotask UI.

The billing period is October 2026. Each fixture below is written into ``tmp_path`` by the test
that reads it; its rows (spreadsheet row numbers, header = row 1) and their known outcomes are:

ConnectWise agreement additions (``CW_ROWS``): 9 rows, 4 counted.
    2  Acme M365-BP 12 less 2 included, ISO dates            counted, 10 units
    3  Acme WS-MANAGED 3 less 5 included, M/D/YYYY            counted, 0 units (never below 0)
    4  Acme BACKUP-100 DoNotBill                              excluded
    5  Bluewater AV-EDR NoCharge                              excluded
    6  Bluewater M365-BP cancelled 2026-10-01 (period start)  excluded
    7  Bluewater WS-MANAGED cancelled 10/15/2026 (during)     counted, 6 units
    8  (blank)                                                excluded
    9  Cedar M365-BP effective 11/1/2026                      excluded
    10 Cedar SEC-AWARE effective 2026-10-31 (last day)        counted, 7 units

HaloPSA recurring invoice lines (``HALO_ROWS``, ``id`` = invoice id): 5 rows, 3 counted.
    2  Acme (7) item 30 "... $MONTH $YEAR", qty "10.00"       counted, 10 units
    3  Acme (7) item 31 "... ($STARTDATE-$ENDDATE)", "5.00"   counted, 5 units
    4  Acme (7) item 0, a free-text credit                    excluded
    5  (blank)                                                excluded
    6  Bluewater (9) item 32 "Backup per 100 GB - $MONTH"     counted, 3 units, cost blank -> 0.00

Syncro schedule lines in cents (``SYNCRO_ROWS``): 5 rows, 3 counted.
    2  Acme (555) product 30, "10.0", 2640 / 2200 cents       counted, 26.40 / 22.00
    3  Acme (555) product 31, "4.0", 4500 / 1199 cents        counted, 45.00 / 11.99
    4  Acme (555) no product, travel                          excluded
    5  Bluewater (556) product 32, "0.0"                      counted, 0 units
    6  (blank)                                                excluded

Autotask UI exports: ``Company Name`` without ids (3 rows, 1 counted: one row in September, one
blank), and ``Account Name`` with Contract, Contract Service and Service IDs (2 rows, 1 counted:
one row in November).

Each end-to-end workspace bills Acme Dental Group for Microsoft 365 Business Premium at 26.40
while Partner Center shows 10 seats in use (one ``cycleCharge`` row of 220.00).
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import workbench.sources
from tests.builders import TENANT, ms_row, write_mappings, write_ms, write_workspace
from workbench import Status, reconcile_workspace
from workbench.errors import InputError
from workbench.sources import autotask_ui, connectwise, detect, halopsa, syncro
from workbench.sources.formats import Format, ReadContext
from workbench.sources.reading import read_table
from workbench.sources.schemas import CONTRACT_LINE_COLUMNS, ContractLineSchema
from workbench.workspace import period_bounds

START, END = period_bounds("2026-10")
PSA_FORMATS = (*connectwise.FORMATS, *halopsa.FORMATS, *syncro.FORMATS, *autotask_ui.FORMATS)
ALL_FORMATS = workbench.sources.FORMATS  # the PSA formats are registered there

CW_HEADER = ["Company", "Agreement", "Agreement Type", "Product ID", "Description", "Quantity",
             "Less Included", "Unit Price", "Unit Cost", "Bill Customer", "Effective Date",
             "Cancelled Date", "Agreement Status"]  # fmt: skip
CW_ROWS = [
    ["Acme Dental Group", "Acme - Managed", "MSP", "M365-BP", "Microsoft 365 Business Premium",
     "12", "2", "26.40", "22.00", "Billable", "2024-01-01T00:00:00Z", "", "Active"],
    ["Acme Dental Group", "Acme - Managed", "MSP", "WS-MANAGED", "Managed workstation",
     "3", "5", "45.00", "12.00", "Billable", "1/15/2025", "", "Active"],
    ["Acme Dental Group", "Acme - Managed", "MSP", "BACKUP-100", "Backup per 100 GB",
     "4", "0", "9.99", "4.00", "DoNotBill", "2024-01-01T00:00:00Z", "", "Active"],
    ["Bluewater Logistics", "Bluewater - Managed", "MSP", "AV-EDR", "Endpoint protection",
     "20", "", "5.50", "3.10", "NoCharge", "2024-03-01T00:00:00Z", "", "Active"],
    ["Bluewater Logistics", "Bluewater - Managed", "MSP", "M365-BP", "Microsoft 365 Business Premium",
     "8", "0", "26.40", "22.00", "Billable", "2024-03-01T00:00:00Z", "2026-10-01T00:00:00Z", "Active"],
    ["Bluewater Logistics", "Bluewater - Managed", "MSP", "WS-MANAGED", "Managed workstation",
     "6", "0", "45.00", "12.00", "Billable", "3/1/2024", "10/15/2026", "Active"],
    [],
    ["Cedar Ridge Veterinary", "Cedar - Managed", "MSP", "M365-BP", "Microsoft 365 Business Premium",
     "5", "0", "26.40", "22.00", "Billable", "11/1/2026", "", "Active"],
    ["Cedar Ridge Veterinary", "Cedar - Managed", "MSP", "SEC-AWARE", "Security awareness training",
     "7", "0", "3.00", "1.20", "Billable", "2026-10-31T00:00:00Z", "", "Active"],
]  # fmt: skip

HALO_HEADER = ["id", "client_id", "client_name", "item_id", "item_shortdescription",
               "item_longdescription", "qty_order", "unit_price", "unit_cost", "net_amount"]  # fmt: skip
HALO_ROWS = [
    ["101", "7", "Acme Dental Group", "30", "Microsoft 365 Business Premium $MONTH $YEAR",
     "Licences for $MONTH", "10.00", "26.40", "22.00", "264.00"],
    ["101", "7", "Acme Dental Group", "31", "Managed workstation ($STARTDATE-$ENDDATE)",
     "", "5.00", "45.00", "12.00", "225.00"],
    ["101", "7", "Acme Dental Group", "0", "Onboarding credit", "", "1", "-50.00", "", "-50.00"],
    [],
    ["102", "9", "Bluewater Logistics", "32", "Backup per 100 GB - $MONTH", "", "3", "9.99", "",
     "29.97"],
]  # fmt: skip

SYNCRO_HEADER = ["customer_id", "customer_business_then_name", "schedule_id", "product_id",
                 "name", "description", "quantity", "retail_cents", "cost_cents"]  # fmt: skip
SYNCRO_ROWS = [
    ["555", "Acme Dental Group", "9001", "30", "Microsoft 365 Business Premium", "Monthly",
     "10.0", "2640", "2200"],
    ["555", "Acme Dental Group", "9001", "31", "Managed workstation", "", "4.0", "4500", "1199"],
    ["555", "Acme Dental Group", "9001", "", "Travel", "On-site visit", "1.0", "7550", ""],
    ["556", "Bluewater Logistics", "9002", "32", "Backup per 100 GB", "", "0.0", "999", "400"],
    [],
]  # fmt: skip

UI_COMPANY_HEADER = ["Company Name", "Contract Name", "Service Name", "Units", "Unit Price",
                     "Unit Cost", "Start Date", "End Date"]  # fmt: skip
UI_COMPANY_ROWS = [
    ["Acme Dental Group", "Acme - Managed", "Microsoft 365 Business Premium", "10", "26.40",
     "22.00", "10/1/2026", "10/31/2026"],
    ["Acme Dental Group", "Acme - Managed", "Managed workstation", "4", "45.00", "12.00",
     "9/1/2026", "9/30/2026"],
    [],
]  # fmt: skip

UI_ACCOUNT_HEADER = ["ID", "Account Name", "Contract ID", "Contract Name", "Contract Service ID",
                     "Service ID", "Service Name", "Units", "Unit Price", "Unit Cost",
                     "Start Date", "End Date"]  # fmt: skip
UI_ACCOUNT_ROWS = [
    ["50", "Acme Dental Group", "20", "Acme - Managed", "40", "30",
     "Microsoft 365 Business Premium", "10.00", "26.40", "22.00", "10/1/2026 12:00:00 AM",
     "10/31/2026 12:00:00 AM"],
    ["51", "Acme Dental Group", "20", "Acme - Managed", "41", "31", "Managed workstation", "4",
     "45.00", "12.00", "11/1/2026", "11/30/2026"],
]  # fmt: skip

#: The canonical columns every test compares, in this order.
COMPARED = ["source_row", "excluded_reason", "company_id", "company_name", "contract_id",
            "contract_name", "contract_service_id", "service_id", "service_name", "quantity",
            "unit_price", "unit_cost"]  # fmt: skip


def write_rows(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    """A CSV as the PSA writes it; an empty list is an empty line."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def replaced(rows: list[list[str]], index: int, column: int, value: str) -> list[list[str]]:
    """A copy of ``rows`` with one cell changed."""
    copy = [list(row) for row in rows]
    copy[index][column] = value
    return copy


def read(fmt: Format, path: Path) -> pd.DataFrame:
    """Read with one format, check the canonical schema and the provenance every row shares."""
    frame = fmt.read(read_table(path), ReadContext(path.name, START, END))
    ContractLineSchema.validate(frame[CONTRACT_LINE_COLUMNS])
    assert set(frame["source_file"]) == {path.name}
    assert set(frame["source_sheet"]) == {""}
    return frame


def rows_of(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    return list(frame[COMPARED].itertuples(index=False, name=None))


def d(text: str) -> Decimal:
    return Decimal(text)


def test_connectwise_additions_bill_quantity_less_included_within_the_period(
    tmp_path: Path,
) -> None:
    frame = read(
        connectwise.AGREEMENT_ADDITIONS, write_rows(tmp_path / "cw.csv", CW_HEADER, CW_ROWS)
    )
    acme, blue, cedar = "Acme Dental Group", "Bluewater Logistics", "Cedar Ridge Veterinary"
    acme_c, blue_c, cedar_c = "Acme - Managed", "Bluewater - Managed", "Cedar - Managed"
    m365 = "Microsoft 365 Business Premium"
    assert rows_of(frame) == [
        (2, "", acme, acme, acme_c, acme_c, f"{acme_c}|M365-BP|2", "M365-BP", m365, 10, d("26.40"), d("22.00")),
        (3, "", acme, acme, acme_c, acme_c, f"{acme_c}|WS-MANAGED|3", "WS-MANAGED", "Managed workstation", 0, d("45.00"), d("12.00")),
        (4, "not billed to the customer: DoNotBill", acme, acme, acme_c, acme_c, f"{acme_c}|BACKUP-100|4", "BACKUP-100", "Backup per 100 GB", 4, d("9.99"), d("4.00")),
        (5, "not billed to the customer: NoCharge", blue, blue, blue_c, blue_c, f"{blue_c}|AV-EDR|5", "AV-EDR", "Endpoint protection", 20, d("5.50"), d("3.10")),
        (6, "cancelled before the billing period", blue, blue, blue_c, blue_c, f"{blue_c}|M365-BP|6", "M365-BP", m365, 8, d("26.40"), d("22.00")),
        (7, "", blue, blue, blue_c, blue_c, f"{blue_c}|WS-MANAGED|7", "WS-MANAGED", "Managed workstation", 6, d("45.00"), d("12.00")),
        (8, "blank row", "", "", "", "", "||8", "", "", 0, d("0.00"), d("0.00")),
        (9, "starts after the billing period", cedar, cedar, cedar_c, cedar_c, f"{cedar_c}|M365-BP|9", "M365-BP", m365, 5, d("26.40"), d("22.00")),
        (10, "", cedar, cedar, cedar_c, cedar_c, f"{cedar_c}|SEC-AWARE|10", "SEC-AWARE", "Security awareness training", 7, d("3.00"), d("1.20")),
    ]  # fmt: skip
    assert set(frame["psa"]) == {"connectwise"}
    assert frame["unit_price"].map(lambda value: str(value)).tolist()[:2] == ["26.40", "45.00"]


def test_connectwise_bill_customer_values_read_in_any_spelling(tmp_path: Path) -> None:
    rows = replaced(replaced(CW_ROWS, 2, 9, "Do Not Bill"), 3, 9, "no charge")
    frame = read(connectwise.AGREEMENT_ADDITIONS, write_rows(tmp_path / "cw.csv", CW_HEADER, rows))
    assert frame["excluded_reason"].tolist()[2:4] == [
        "not billed to the customer: DoNotBill",
        "not billed to the customer: NoCharge",
    ]


def test_slashed_dates_follow_the_workspace_date_order(tmp_path: Path) -> None:
    """Under DMY, 1/11/2026 is 1 November (after the period) and 15/10/2026 is 15 October."""
    cw = [replaced(CW_ROWS, 0, 10, "1/11/2026")[0], replaced(CW_ROWS, 5, 11, "15/10/2026 00:00")[5]]
    ui = replaced(replaced(UI_COMPANY_ROWS, 0, 6, "1/11/2026"), 0, 7, "30/11/2026")[:1]
    context = ReadContext("in.csv", START, END, date_order="DMY")
    cw_frame = connectwise.AGREEMENT_ADDITIONS.read(
        read_table(write_rows(tmp_path / "cw.csv", CW_HEADER, cw)), context
    )
    ui_frame = autotask_ui.SERVICE_UNITS_COMPANY.read(
        read_table(write_rows(tmp_path / "ui.csv", UI_COMPANY_HEADER, ui)), context
    )
    assert cw_frame["excluded_reason"].tolist() == ["starts after the billing period", ""]
    assert ui_frame["excluded_reason"].tolist() == ["outside the billing period"]


def test_halopsa_lines_lose_their_date_tokens_and_free_text_lines_are_excluded(
    tmp_path: Path,
) -> None:
    frame = read(
        halopsa.RECURRING_INVOICE_LINES, write_rows(tmp_path / "halo.csv", HALO_HEADER, HALO_ROWS)
    )
    acme, blue = "Acme Dental Group", "Bluewater Logistics"
    free_text = "a free-text line with no item: nothing to reconcile it against"
    assert rows_of(frame) == [
        (2, "", "7", acme, "101", "Recurring invoice 101", "101|30|2", "30", "Microsoft 365 Business Premium", 10, d("26.40"), d("22.00")),
        (3, "", "7", acme, "101", "Recurring invoice 101", "101|31|3", "31", "Managed workstation", 5, d("45.00"), d("12.00")),
        (4, free_text, "7", acme, "101", "Recurring invoice 101", "101|0|4", "0", "Onboarding credit", 1, d("-50.00"), d("0.00")),
        (5, "blank row", "", "", "", "Recurring invoice", "||5", "", "", 0, d("0.00"), d("0.00")),
        (6, "", "9", blue, "102", "Recurring invoice 102", "102|32|6", "32", "Backup per 100 GB", 3, d("9.99"), d("0.00")),
    ]  # fmt: skip
    assert set(frame["psa"]) == {"halopsa"}


def test_halopsa_without_ids_keys_clients_and_invoices_by_the_client_name(tmp_path: Path) -> None:
    header = ["client", "item_id", "item_shortdescription", "item_longdescription", "qty_order",
              "unit_price", "unit_cost", "net_amount"]  # fmt: skip
    rows = [["Acme Dental Group", "30", "$STARTDATE to $ENDDATE: Microsoft 365", "", "2", "26.40",
             "22.00", "52.80"]]  # fmt: skip
    frame = read(halopsa.RECURRING_INVOICE_LINES, write_rows(tmp_path / "halo.csv", header, rows))
    acme = "Acme Dental Group"
    assert rows_of(frame) == [
        (2, "", acme, acme, acme, "Recurring invoice", f"{acme}|30|2", "30", "Microsoft 365", 2, d("26.40"), d("22.00")),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("description", "service_name"),
    [
        ("Managed workstation $MONTH $YEAR", "Managed workstation"),
        ("Microsoft 365 ($STARTDATE-$ENDDATE)", "Microsoft 365"),
        ("Backup $STARTDATE - $ENDDATE per GB", "Backup per GB"),
        ("$25 setup fee", "$25 setup fee"),
    ],
)
def test_halopsa_date_tokens(description: str, service_name: str) -> None:
    assert halopsa.without_date_tokens(description) == service_name


def test_syncro_cents_become_exact_amounts(tmp_path: Path) -> None:
    frame = read(
        syncro.SCHEDULE_LINES_CENTS, write_rows(tmp_path / "sy.csv", SYNCRO_HEADER, SYNCRO_ROWS)
    )
    acme, blue = "Acme Dental Group", "Bluewater Logistics"
    free_text = "a free-text line with no product: nothing to reconcile it against"
    assert rows_of(frame) == [
        (2, "", "555", acme, "9001", "Invoice schedule 9001", "9001|30|2", "30", "Microsoft 365 Business Premium", 10, d("26.40"), d("22.00")),
        (3, "", "555", acme, "9001", "Invoice schedule 9001", "9001|31|3", "31", "Managed workstation", 4, d("45.00"), d("11.99")),
        (4, free_text, "555", acme, "9001", "Invoice schedule 9001", "9001||4", "", "Travel", 1, d("75.50"), d("0.00")),
        (5, "", "556", blue, "9002", "Invoice schedule 9002", "9002|32|5", "32", "Backup per 100 GB", 0, d("9.99"), d("4.00")),
    ]  # fmt: skip
    assert [str(value) for value in frame["unit_price"]] == [
        "26.40",
        "45.00",
        "75.50",
        "9.99",
    ]
    assert set(frame["psa"]) == {"syncro"}


def test_syncro_decimal_prices_and_business_name(tmp_path: Path) -> None:
    header = ["business_name", "product_id", "name", "description", "quantity", "price_retail",
              "price_cost"]  # fmt: skip
    rows = [["Acme Dental Group", "30", "", "Microsoft 365", "3.0", "26.4", "22"]]
    frame = read(syncro.SCHEDULE_LINES_PRICES, write_rows(tmp_path / "sy.csv", header, rows))
    acme = "Acme Dental Group"
    assert rows_of(frame) == [
        (2, "", acme, acme, acme, "Invoice schedule", f"{acme}|30|2", "30", "Microsoft 365", 3, d("26.40"), d("22.00")),
    ]  # fmt: skip


def test_autotask_ui_export_with_company_name_and_no_ids(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "at.csv", UI_COMPANY_HEADER, UI_COMPANY_ROWS)
    frame = read(autotask_ui.SERVICE_UNITS_COMPANY, path)
    acme, contract = "Acme Dental Group", "Acme - Managed"
    m365, ws = "Microsoft 365 Business Premium", "Managed workstation"
    assert rows_of(frame) == [
        (2, "", acme, acme, contract, contract, f"{contract}|{m365}|2", m365, m365, 10, d("26.40"), d("22.00")),
        (3, "outside the billing period", acme, acme, contract, contract, f"{contract}|{ws}|3", ws, ws, 4, d("45.00"), d("12.00")),
    ]  # fmt: skip
    assert set(frame["psa"]) == {"autotask"}


def test_autotask_ui_export_with_account_name_and_ids(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "at.csv", UI_ACCOUNT_HEADER, UI_ACCOUNT_ROWS)
    frame = read(autotask_ui.SERVICE_UNITS_ACCOUNT, path)
    acme, contract = "Acme Dental Group", "Acme - Managed"
    assert rows_of(frame) == [
        (2, "", acme, acme, "20", contract, "40", "30", "Microsoft 365 Business Premium", 10, d("26.40"), d("22.00")),
        (3, "outside the billing period", acme, acme, "20", contract, "41", "31", "Managed workstation", 4, d("45.00"), d("12.00")),
    ]  # fmt: skip


FIXTURES = {
    "cw.csv": (CW_HEADER, CW_ROWS),
    "halo.csv": (HALO_HEADER, HALO_ROWS),
    "syncro.csv": (SYNCRO_HEADER, SYNCRO_ROWS),
    "ui-company.csv": (UI_COMPANY_HEADER, UI_COMPANY_ROWS),
    "ui-account.csv": (UI_ACCOUNT_HEADER, UI_ACCOUNT_ROWS),
}


@pytest.mark.parametrize(
    ("name", "key", "also_complete"),
    [
        ("cw.csv", "connectwise-agreement-additions", set()),
        ("halo.csv", "halopsa-recurring-invoice-lines", set()),
        ("syncro.csv", "syncro-schedule-lines-cents", set()),
        ("ui-company.csv", "autotask-ui-service-units", set()),
        # Its ID columns make it a complete API ContractServiceUnits header too: the longer
        # UI signature must win.
        (
            "ui-account.csv",
            "autotask-ui-service-units-account",
            {"autotask-contract-service-units"},
        ),
    ],
)
def test_each_export_is_detected_as_its_own_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, key: str, also_complete: set[str]
) -> None:
    header, rows = FIXTURES[name]
    table = read_table(write_rows(tmp_path / name, header, rows))
    complete = {fmt.key for fmt in ALL_FORMATS if not fmt.missing(table)}
    assert complete == {key} | also_complete
    assert detect(table).key == key


def test_format_keys_are_unique() -> None:
    assert set(PSA_FORMATS) <= set(ALL_FORMATS)
    keys = [fmt.key for fmt in ALL_FORMATS]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize(
    ("fmt", "name", "index", "column", "value", "problem"),
    [
        (connectwise.AGREEMENT_ADDITIONS, "cw.csv", 1, "Quantity", "three", "'three' is not a whole number"),
        (connectwise.AGREEMENT_ADDITIONS, "cw.csv", 0, "Quantity", "2.5", "'2.5' is not a whole number"),
        (connectwise.AGREEMENT_ADDITIONS, "cw.csv", 2, "Bill Customer", "Maybe", "'Maybe' is not a Bill Customer value"),
        (connectwise.AGREEMENT_ADDITIONS, "cw.csv", 5, "Effective Date", "2024/03/01", "'2024/03/01' is not a date"),
        (connectwise.AGREEMENT_ADDITIONS, "cw.csv", 5, "Cancelled Date", "13/15/2026", "'13/15/2026' is not a date"),
        (connectwise.AGREEMENT_ADDITIONS, "cw.csv", 0, "Company", "", "the cell is blank"),
        (halopsa.RECURRING_INVOICE_LINES, "halo.csv", 1, "qty_order", "2.50", "'2.50' is not a whole number"),
        (halopsa.RECURRING_INVOICE_LINES, "halo.csv", 0, "qty_order", "-1", "-1 units is negative"),
        (syncro.SCHEDULE_LINES_CENTS, "syncro.csv", 1, "quantity", "4.5", "'4.5' is not a whole number"),
        (syncro.SCHEDULE_LINES_CENTS, "syncro.csv", 0, "retail_cents", "26.40", "'26.40' is not a whole number of cents"),
        (autotask_ui.SERVICE_UNITS_COMPANY, "ui-company.csv", 0, "Units", "ten", "'ten' is not a whole number"),
        (autotask_ui.SERVICE_UNITS_COMPANY, "ui-company.csv", 1, "Start Date", "Sept 1", "'Sept 1' is not a date"),
    ],
)  # fmt: skip
def test_a_bad_cell_names_file_row_and_column(
    tmp_path: Path, fmt: Format, name: str, index: int, column: str, value: str, problem: str
) -> None:
    header, rows = FIXTURES[name]
    path = write_rows(tmp_path / name, header, replaced(rows, index, header.index(column), value))
    with pytest.raises(InputError) as caught:
        fmt.read(read_table(path), ReadContext(name, START, END))
    error = caught.value
    assert (error.file, error.row, error.column, error.problem) == (
        str(path),
        index + 2,
        column,
        problem,
    )


# End to end: each PSA's export next to a Partner Center file showing 10 seats in use.

PREMIUM_SKU = "CFQ7TTC0LCHC:0002"


def reconciled_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    export: tuple[str, list[str], list[list[str]]],
    company_id: str,
    service_id: str,
) -> pd.Series:
    """Reconcile October 2026 with ``export`` and the 10-seat Partner Center file."""
    inputs = write_workspace(tmp_path)
    name, header, rows = export
    write_rows(inputs / name, header, rows)
    write_ms(inputs / "ms.csv", [ms_row("cycleCharge", 10, "220.00")])
    write_mappings(
        tmp_path / "mappings.xlsx",
        customers=[["Microsoft", TENANT, "Acme Dental Group", company_id, "Acme Dental Group", ""]],
        services=[["Microsoft", PREMIUM_SKU, "Business Premium", service_id, "M365 BP", 1, ""]],
    )
    result = reconcile_workspace(tmp_path, "2026-10")
    line: pd.Series = result.lines.set_index("line_id").loc[f"{company_id}:{service_id}"]
    return line


def test_connectwise_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """10 - 2 included = 8 billed; the cancelled addition's 8 do not count: under-billed 2 x 26.40."""
    rows = [
        [*CW_ROWS[0][:5], "10", *CW_ROWS[0][6:]],
        replaced(CW_ROWS, 4, 0, "Acme Dental Group")[4],
    ]
    line = reconciled_line(
        tmp_path, monkeypatch, ("cw.csv", CW_HEADER, rows), "Acme Dental Group", "M365-BP"
    )
    assert (line["status"], line["billed_quantity"], line["revenue_impact"]) == (
        Status.UNDER_BILLED, 8, Decimal("52.80"),
    )  # fmt: skip


def test_halopsa_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two lines of item 30 (6.00 + 2.00) bill 8: under-billed 2 x 26.40."""
    rows = [replaced(HALO_ROWS, 0, 6, "6.00")[0], replaced(HALO_ROWS, 0, 6, "2.00")[0]]
    line = reconciled_line(tmp_path, monkeypatch, ("halo.csv", HALO_HEADER, rows), "7", "30")
    assert (line["status"], line["billed_quantity"], line["revenue_impact"]) == (
        Status.UNDER_BILLED, 8, Decimal("52.80"),
    )  # fmt: skip


def test_syncro_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """12 seats billed at 2640 cents against 10 in use: over-billed 2 x 26.40."""
    rows = [replaced(SYNCRO_ROWS, 0, 6, "12.0")[0]]
    line = reconciled_line(tmp_path, monkeypatch, ("sy.csv", SYNCRO_HEADER, rows), "555", "30")
    assert (line["status"], line["billed_quantity"], line["revenue_impact"]) == (
        Status.OVER_BILLED, 12, Decimal("-52.80"),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("export", "company_id", "service_id"),
    [
        # ConnectWise: 4 units, all of them included: the addition bills 0.
        (("cw.csv", CW_HEADER, [[*CW_ROWS[0][:5], "4", "4", *CW_ROWS[0][7:]]]),
         "Acme Dental Group", "M365-BP"),
        (("halo.csv", HALO_HEADER, [replaced(HALO_ROWS, 0, 6, "0.00")[0]]), "7", "30"),
        (("sy.csv", SYNCRO_HEADER, [replaced(SYNCRO_ROWS, 0, 6, "0.0")[0]]), "555", "30"),
        (("at.csv", UI_ACCOUNT_HEADER, [replaced(UI_ACCOUNT_ROWS, 0, 7, "0")[0]]),
         "Acme Dental Group", "30"),
    ],
    ids=["connectwise", "halopsa", "syncro", "autotask-ui"],
)  # fmt: skip
def test_a_line_at_0_units_with_usage_is_under_billed_in_every_psa(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    export: tuple[str, list[str], list[list[str]]],
    company_id: str,
    service_id: str,
) -> None:
    """The line is on the contract at 0 units and 10 seats are in use: under-billed
    10 x 26.40 = 264.00 on that line's contract, never unbilled usage."""
    line = reconciled_line(tmp_path, monkeypatch, export, company_id, service_id)
    assert (line["status"], line["billed_quantity"], line["revenue_impact"]) == (
        Status.UNDER_BILLED, 0, Decimal("264.00"),
    )  # fmt: skip
    assert line["contract_id"] != ""
    assert line["reason"].endswith("on the contract at 0 units")


def test_autotask_ui_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """9 units billed in October (the September row does not count): under-billed 1 x 26.40."""
    rows = [
        replaced(UI_ACCOUNT_ROWS, 0, 7, "9")[0],
        replaced(UI_ACCOUNT_ROWS, 0, 10, "9/1/2026")[0],
    ]
    rows[1][11] = "9/30/2026"
    line = reconciled_line(
        tmp_path, monkeypatch, ("at.csv", UI_ACCOUNT_HEADER, rows), "Acme Dental Group", "30"
    )
    assert (line["status"], line["billed_quantity"], line["revenue_impact"]) == (
        Status.UNDER_BILLED, 9, Decimal("26.40"),
    )  # fmt: skip
