"""The adjustment workbook, written to real files and read back with openpyxl and LibreOffice.

Every figure asserted here comes from the hand-written reconciliation of :func:`build_result`,
whose docstring lists its lines and their amounts.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import shutil
import stat
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from tests.builders import reconciliation_line
from workbench.formula_guard import safe_text
from workbench.outputs import excel, workbook_bytes, write_workbook
from workbench.result import (
    BUNDLE_STATUSES,
    COVERAGE_COLUMNS,
    EVIDENCE_COLUMNS,
    EXCLUDED_COLUMNS,
    LINE_COLUMNS,
    Reconciliation,
    Status,
)

USD = '"$"#,##0.00;[Red]-"$"#,##0.00'
TITLE = "Northwind MSP — all clients — October 2026"

ADJUSTMENT_IDS = ["C200:M365BP", "C200:BACKUP", "C100:M365BP", "C100:EDR"]
REVENUE_TOTAL = Decimal("46.55")
COST_TOTAL = Decimal("64.45")
ACME_REVENUE_TOTAL = Decimal("30.50")
ACME_COST_TOTAL = Decimal("28.40")

ADJUSTMENT_HEADERS = [
    "Line ID",
    "Client",
    "Service",
    "Status",
    "Contract",
    "Billed qty",
    "Used qty",
    "Difference",
    "Unit price",
    "Revenue impact / month",
    "Cost impact / month",
    "Proposed qty",
    "Why",
]

# Text a hostile or careless export could hold; none of it may become a formula.
HYPERLINK = '=HYPERLINK("http://x","y")'
ATTACKS = {
    "acme": HYPERLINK,
    "birch": "+1+1",
    "premium": "-2+3",
    "edr": "@SUM(A1)",
    "zeta": "=cmd|' /C calc'!A0",
    "lab": "\t=1+2",
}


_line = reconciliation_line


def _service(
    company: tuple[str, str],
    service: tuple[str, str],
    status: Status,
    *,
    billed: int,
    used: int | None,
    price: str,
    cost: str,
    revenue: str = "0.00",
    cost_impact: str = "0.00",
    reason: str = "",
    contract: str = "Managed services 2026",
) -> dict[str, object]:
    company_id, company_name = company
    service_id, service_name = service
    return _line(
        f"{company_id}:{service_id}",
        status,
        company_id=company_id,
        company_name=company_name,
        service_id=service_id,
        service_name=service_name,
        contract_id="" if billed == 0 else f"K-{company_id}",
        contract_name="" if billed == 0 else contract,
        billed_quantity=billed,
        expected_quantity=used,
        difference=None if used is None else used - billed,
        unit_price=Decimal(price),
        unit_cost=Decimal(cost),
        revenue_impact=Decimal(revenue),
        cost_impact=Decimal(cost_impact),
        reason=reason or f"usage shows {used}; the contract bills {billed}",
    )


def build_result(
    *,
    acme: str = "Acme Dental",
    birch: str = "Birch Legal",
    premium: str = "Microsoft 365 Business Premium",
    edr: str = "Managed EDR",
    zeta: str = "Zeta Corp",
    lab: str = "Test VM",
    only_matches: bool = False,
) -> Reconciliation:
    """A hand-written reconciliation of period 2026-10, in USD.

    Names can be replaced (to test hostile text); ``only_matches`` keeps the match line alone.
    Revenue and cost impacts are per month::

        line            price / cost  client      status           billed used revenue    cost
        C100:M365BP    22.00 / 18.70  Acme Dental under-billed         10   12   44.00   37.40
        C100:RMM       35.00 / 20.00  Acme Dental match                15   15    0.00    0.00
        C100:EDR         4.50 / 3.00  Acme Dental over-billed          20   17  -13.50   -9.00
        C200:M365BP    22.00 / 18.70  Birch Legal unbilled usage        0    3   66.00   56.10
        C200:BACKUP      9.99 / 4.01  Birch Legal billed w/o usage      5    0  -49.95  -20.05
        C200:HELPDESK  150.00 / 0.00  Birch Legal not reconciled        1    -    0.00    0.00
        unmapped:microsoft:T-999:SPE_E3 (no client), unmapped customer: 4 used, spend 88.80
        unmapped-sku:C100:huntress:sat (Acme Dental), unmapped SKU: 12 used, no spend

    So the Adjustments sheet has 4 rows, biggest revenue first: C200:M365BP, C200:BACKUP,
    C100:M365BP, C100:EDR; revenue impact totals 46.55 and cost impact 64.45. Revenue leaking
    is 110.00, over-billing risk 63.45, unmapped vendor spend 88.80, billed revenue 1,034.95 of
    which 884.95 was compared with usage. Acme Dental alone: 2 adjustments, totals 30.50 and
    28.40; Birch Legal's net revenue impact is 16.05.

    Five evidence rows (C100:M365BP has a billed row, 220.00, and a used row, 211.20), one
    excluded row, three input files that all add up, and four customer matches: one renamed at
    the vendor (T-200) and one unmapped (T-999).
    """
    a, b = ("C100", acme), ("C200", birch)
    lines = [
        _service(a, ("M365BP", premium), Status.UNDER_BILLED, billed=10, used=12,
                 price="22.00", cost="18.70", revenue="44.00", cost_impact="37.40"),
        _service(a, ("RMM", "Managed workstation"), Status.MATCH, billed=15, used=15,
                 price="35.00", cost="20.00"),
        _service(a, ("EDR", edr), Status.OVER_BILLED, billed=20, used=17,
                 price="4.50", cost="3.00", revenue="-13.50", cost_impact="-9.00"),
        _service(b, ("M365BP", premium), Status.UNBILLED_USAGE, billed=0, used=3,
                 price="22.00", cost="18.70", revenue="66.00", cost_impact="56.10",
                 reason="Microsoft shows 3; the contract bills 0: used but not on the contract"),
        _service(b, ("BACKUP", "Cloud backup"), Status.BILLED_WITHOUT_USAGE, billed=5, used=0,
                 price="9.99", cost="4.01", revenue="-49.95", cost_impact="-20.05"),
        _service(b, ("HELPDESK", "Helpdesk"), Status.NOT_RECONCILED, billed=1, used=None,
                 price="150.00", cost="0.00", reason="no usage source is mapped to this service"),
        _line("unmapped:microsoft:T-999:SPE_E3", Status.UNMAPPED_CUSTOMER, vendor="microsoft",
              vendor_customer_key="T-999", vendor_customer_name=zeta, vendor_sku="SPE_E3",
              vendor_sku_name="Office 365 E3", expected_quantity=4,
              vendor_spend=Decimal("88.80"),
              reason="Microsoft customer is not mapped to a PSA company"),
        _line("unmapped-sku:C100:huntress:sat", Status.UNMAPPED_SKU, company_id="C100",
              company_name=acme, vendor="huntress", vendor_customer_key="H-1",
              vendor_customer_name=acme, vendor_sku="sat", vendor_sku_name="SAT learners",
              expected_quantity=12, reason="Huntress SKU is not mapped to a PSA service"),
    ]  # fmt: skip
    if only_matches:
        lines = [line for line in lines if line["status"] == Status.MATCH]
    line_frame = pd.DataFrame.from_records(lines, columns=LINE_COLUMNS)
    for column in ("billed_quantity", "tolerance"):
        line_frame[column] = line_frame[column].astype("int64")
    for column in ("expected_quantity", "difference"):
        line_frame[column] = line_frame[column].astype("Int64")

    invoice, contract = "microsoft/invoice-2026-10.csv", "autotask/contract-services.csv"
    evidence = pd.DataFrame.from_records(
        [
            ("C100:M365BP", "used", invoice, "", 14, "microsoft", acme, premium, 12, "1", Decimal("211.20")),
            ("C100:M365BP", "billed", contract, "", 5, "autotask", acme, premium, 10, "", Decimal("220.00")),
            ("C200:M365BP", "used", invoice, "", 22, "microsoft", birch, premium, 3, "1", None),
            ("C100:EDR", "used", "huntress/agents.xlsx", "Agents", 3, "huntress", acme, edr, 17, "1", None),
            ("unmapped:microsoft:T-999:SPE_E3", "used", invoice, "", 30, "microsoft", zeta, "Office 365 E3", 4, "", Decimal("88.80")),
        ],
        columns=EVIDENCE_COLUMNS,
    )  # fmt: skip
    if only_matches:
        evidence = evidence.iloc[0:0]
    excluded = pd.DataFrame.from_records(
        [("datto/devices.csv", "", 8, "datto_rmm", acme, lab, 1, "device is in the lab site", "C100")],
        columns=EXCLUDED_COLUMNS,
    )  # fmt: skip
    coverage = pd.DataFrame.from_records(
        [
            (contract, "Autotask contract services", 6, 6, 5, 1, 0, 0, 0, 0, 0),
            (invoice, "Microsoft NCE invoice", 40, 40, 35, 0, 4, 0, 1, 0, 0),
            ("autotask/companies.csv", "Autotask companies", 3, 3, 0, 0, 0, 0, 0, 0, 3),
        ],
        columns=COVERAGE_COLUMNS,
    )
    clients = pd.DataFrame({"company_id": ["C100", "C200"], "company_name": [acme, birch]})
    customer_matches = pd.DataFrame.from_records(
        [
            ("microsoft", "T-100", acme, "C100", acme, "id", ""),
            ("microsoft", "T-200", birch, "C200", birch, "id", "renamed at the vendor: was 'Birch Law'"),
            ("microsoft", "T-999", zeta, "", "", "unmapped", "no customer mapping by id"),
            ("huntress", "H-1", acme, "C100", acme, "exact name", ""),
        ],
        columns=["vendor", "customer_key", "customer_name", "company_id", "company_name", "method", "note"],
    )  # fmt: skip
    return Reconciliation(
        period="2026-10",
        currency="USD",
        lines=line_frame,
        evidence=evidence,
        coverage=coverage,
        excluded=excluded,
        clients=clients,
        customer_matches=customer_matches,
    )


def open_workbook(content: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(content))


def sheet(book: openpyxl.Workbook, name: str) -> Worksheet:
    found = book[name]
    assert isinstance(found, Worksheet)
    return found


def row_values(worksheet: Worksheet, row: int) -> list[object]:
    return [cell.value for cell in worksheet[row]]


def money(value: object) -> Decimal:
    """A money cell as read back: openpyxl gives a float; its repr is the written decimal."""
    assert isinstance(value, int | float), value
    return Decimal(str(value))


def column_width(worksheet: Worksheet, letter: str) -> float:
    """A column's width as written, whether openpyxl keeps it alone or in a group of columns
    of the same width."""
    number = openpyxl.utils.column_index_from_string(letter)
    for dimension in worksheet.column_dimensions.values():
        if dimension.min <= number <= dimension.max:
            return float(dimension.width)
    raise AssertionError(f"column {letter} of {worksheet.title} has no width")


def labelled(worksheet: Worksheet) -> dict[str, object]:
    """Column B of the Summary sheet by the label in column A."""
    return {
        str(row[0].value): row[1].value for row in worksheet.iter_rows() if row[0].value is not None
    }


@pytest.fixture
def book() -> openpyxl.Workbook:
    return open_workbook(workbook_bytes(build_result(), title=TITLE))


def test_sheets_come_in_order(book: openpyxl.Workbook) -> None:
    assert book.sheetnames == [
        "Summary",
        "Adjustments",
        "Bundles",
        "Evidence",
        "Excluded",
        "Unmapped",
    ]
    assert book.properties.creator == "MSP billing workbench"
    assert book.properties.title == TITLE


def test_adjustments_hold_one_row_per_proposed_change(book: openpyxl.Workbook) -> None:
    adjustments = sheet(book, "Adjustments")
    assert row_values(adjustments, 1) == ADJUSTMENT_HEADERS
    assert [adjustments.cell(row, 1).value for row in range(2, 6)] == ADJUSTMENT_IDS
    assert adjustments.cell(6, 1).value is None  # the blank row before the totals
    assert row_values(adjustments, 2) == [
        "C200:M365BP",
        "Birch Legal",
        "Microsoft 365 Business Premium",
        "unbilled usage",
        None,  # no contract bills it
        0,
        3,
        3,
        22,
        66,
        56.1,
        3,
        "Microsoft shows 3; the contract bills 0: used but not on the contract",
    ]
    assert row_values(adjustments, 5)[:12] == [
        "C100:EDR",
        "Acme Dental",
        "Managed EDR",
        "over-billed",
        "Managed services 2026",
        20,
        17,
        -3,
        4.5,
        -13.5,
        -9,
        17,
    ]
    assert adjustments["M2"].alignment.wrap_text
    assert adjustments["A1"].font.bold
    assert adjustments["A1"].fill.fgColor.rgb[-6:] == "305496"  # ARGB: any alpha byte


def test_without_the_ledger_no_sheet_has_a_decision_column(book: openpyxl.Workbook) -> None:
    """A workbook written without a DecisionSheet cannot be applied, so it offers no decision."""
    for worksheet in book.worksheets:
        headers = {str(cell.value) for row in worksheet.iter_rows() for cell in row}
        assert not headers & {"Decision", "Adjusted qty"}, worksheet.title
        assert worksheet.data_validations.dataValidation == [], worksheet.title
    texts = [row[0] for row in sheet(book, "Summary").iter_rows(values_only=True)]
    assert (
        "This workbook is for reading: it has no Decision column. Decide in the dashboard's "
        "Review, or in the review workbook of workbench export, then run workbench apply."
    ) in texts


def test_headers_are_frozen_and_tables_filtered(book: openpyxl.Workbook) -> None:
    expected = {
        "Adjustments": "A1:M5",
        "Evidence": "A1:K6",
        "Excluded": "A1:H2",
        "Unmapped": "A1:J3",
    }
    for name, ref in expected.items():
        worksheet = sheet(book, name)
        assert worksheet.freeze_panes == "A2", name
        assert worksheet.auto_filter.ref == ref, name
    assert sheet(book, "Summary").auto_filter.ref is None


def test_money_is_exact_numbers_in_currency_format(book: openpyxl.Workbook) -> None:
    adjustments = sheet(book, "Adjustments")
    revenue = [money(adjustments.cell(row, 10).value) for row in range(2, 6)]
    cost = [money(adjustments.cell(row, 11).value) for row in range(2, 6)]
    assert revenue == [Decimal("66.00"), Decimal("-49.95"), Decimal("44.00"), Decimal("-13.50")]
    assert cost == [Decimal("56.10"), Decimal("-20.05"), Decimal("37.40"), Decimal("-9.00")]
    for row in range(2, 6):
        for column in (9, 10, 11):
            assert adjustments.cell(row, column).data_type == "n"
            assert adjustments.cell(row, column).number_format == USD
        assert adjustments.cell(row, 6).number_format == "#,##0"
    evidence = sheet(book, "Evidence")
    assert money(evidence["H3"].value) == Decimal("220.00")  # billed
    assert money(evidence["H4"].value) == Decimal("211.20")  # used
    assert evidence["H2"].value is None  # Huntress states no charge
    assert evidence["H4"].number_format == USD


def test_totals_equal_the_sum_of_the_lines_to_the_cent(book: openpyxl.Workbook) -> None:
    adjustments = sheet(book, "Adjustments")
    assert adjustments["A7"].value == "Total"
    assert adjustments["A7"].font.bold
    assert money(adjustments["J7"].value) == REVENUE_TOTAL
    assert money(adjustments["K7"].value) == COST_TOTAL
    assert sum(money(adjustments.cell(row, 10).value) for row in range(2, 6)) == REVENUE_TOTAL
    assert sum(money(adjustments.cell(row, 11).value) for row in range(2, 6)) == COST_TOTAL
    assert adjustments["J7"].number_format == USD
    assert adjustments.max_row == 7


def test_summary_states_the_figures(book: openpyxl.Workbook) -> None:
    summary = sheet(book, "Summary")
    figures = labelled(summary)
    assert summary["A1"].value == TITLE
    assert figures["Period"] == "October 2026 (2026-10)"
    assert figures["Prepared for"] == "All clients (2)"
    assert money(figures["Revenue leaking per month"]) == Decimal("110.00")
    assert money(figures["Over-billing risk per month"]) == Decimal("63.45")
    assert money(figures["Unmapped vendor spend"]) == Decimal("88.80")
    assert money(figures["Billed revenue per month"]) == Decimal("1034.95")
    share = figures["Share of billed revenue checked against usage"]
    # 85.506...% rounded down to a tenth of a percent, as the dashboard shows it.
    assert share == 0.855
    assert figures["Lines"] == 8
    assert figures["Discrepancies"] == 4
    for status in Status:  # every status listed; the fixture has one line of each but bundles
        assert figures[str(status)] == (0 if status in BUNDLE_STATUSES else 1)
    cells = {cell.value: cell for row in summary.iter_rows() for cell in row}
    assert cells[share].number_format == "0.0%"
    assert cells[Decimal("110.00")].number_format == USD

    texts = [row[0].value for row in summary.iter_rows()]
    by_client = texts.index("By client")
    assert row_values(summary, by_client + 2)[:4] == [
        "Client",
        "Lines",
        "Discrepancies",
        "Revenue impact / month",
    ]
    assert row_values(summary, by_client + 3)[:4] == ["Acme Dental", 4, 2, 30.5]
    assert row_values(summary, by_client + 4)[:4] == ["Birch Legal", 3, 2, 16.05]

    header = texts.index("Input file") + 1
    assert row_values(summary, header)[:11] == [
        "Input file",
        "Rows read",
        "Records",
        "Matched",
        "Not reconciled",
        "Unmapped customer",
        "Unmapped SKU",
        "Excluded",
        "Same record as another row",
        "Reference",
        "Format",
    ]
    assert row_values(summary, header + 2)[:11] == [
        "microsoft/invoice-2026-10.csv",
        40,
        40,
        35,
        0,
        4,
        0,
        1,
        0,
        0,
        "Microsoft NCE invoice",
    ]
    assert texts[header + 3].startswith("Every record is accounted for")
    assert "How to use this workbook" in texts


def test_evidence_excluded_and_unmapped_point_at_their_sources(book: openpyxl.Workbook) -> None:
    evidence = sheet(book, "Evidence")
    assert row_values(evidence, 1) == [
        "Line ID",
        "Side",
        "System",
        "Customer",
        "Item",
        "Quantity",
        "Factor",
        "Amount",
        "Source file",
        "Sheet",
        "Row",
    ]
    # Sorted by line, billed before used.
    assert [evidence.cell(row, 1).value for row in range(2, 7)] == [
        "C100:EDR",
        "C100:M365BP",
        "C100:M365BP",
        "C200:M365BP",
        "unmapped:microsoft:T-999:SPE_E3",
    ]
    assert row_values(evidence, 2) == [
        "C100:EDR",
        "used",
        "Huntress",
        "Acme Dental",
        "Managed EDR",
        17,
        1,  # the factor is a number
        None,
        "huntress/agents.xlsx",
        "Agents",
        3,
    ]
    assert (evidence["B3"].value, evidence["C3"].value) == ("billed", "Autotask")

    excluded = sheet(book, "Excluded")
    assert row_values(excluded, 2) == [
        "Datto RMM",
        "Acme Dental",
        "Test VM",
        1,
        "device is in the lab site",
        "datto/devices.csv",
        None,
        8,
    ]

    unmapped = sheet(book, "Unmapped")
    assert row_values(unmapped, 1)[:10] == [
        "Status",
        "Vendor",
        "Vendor customer ID",
        "Vendor customer name",
        "Client",
        "Vendor SKU",
        "Vendor SKU name",
        "Quantity",
        "Vendor spend",
        "Reason",
    ]
    assert row_values(unmapped, 2)[:9] == [
        "unmapped customer",
        "Microsoft",
        "T-999",
        "Zeta Corp",
        None,
        "SPE_E3",
        "Office 365 E3",
        4,
        88.8,
    ]
    assert unmapped["I2"].number_format == USD
    assert unmapped["I3"].value is None  # Huntress charges nothing per learner
    assert unmapped["A5"].value.startswith("Vendor customers to look at")
    assert [unmapped.cell(row, 2).value for row in (7, 8)] == ["T-200", "T-999"]
    assert row_values(unmapped, 6)[:6] == [
        "Vendor",
        "Vendor customer ID",
        "Vendor customer name",
        "Matched to",
        "How",
        "Note",
    ]
    assert [unmapped.cell(row, 5).value for row in (7, 8)] == [
        "by vendor customer ID",
        "not mapped",
    ]
    assert unmapped["F7"].value == "renamed at the vendor: was 'Birch Law'"
    assert unmapped.max_row == 8


def test_column_widths_follow_content_within_limits(book: openpyxl.Workbook) -> None:
    adjustments = sheet(book, "Adjustments")
    widths = {
        letter: adjustments.column_dimensions[letter].width for letter in ("A", "B", "J", "M")
    }
    assert widths["A"] == len("C200:M365BP") + 2
    assert widths["J"] == len("Revenue impact / month") + 2
    assert widths["M"] == 60  # the longest Why is 69 characters: capped, and wrapped
    for name in ("Summary", "Adjustments", "Evidence", "Excluded", "Unmapped"):
        for dimension in sheet(book, name).column_dimensions.values():
            assert 8 <= dimension.width <= 80, (name, dimension.index)


def test_the_summary_keeps_labels_figures_and_notes_apart(book: openpyxl.Workbook) -> None:
    """Column A holds the labels and the file names, B the figures (narrow, so a figure sits
    beside its label), C the notes, indented so they never touch the figure before them."""
    summary = sheet(book, "Summary")
    widths = {letter: column_width(summary, letter) for letter in "ABC"}
    assert widths == {
        "A": len("Share of billed revenue checked against usage") + 2,
        "B": len("1,034.95") + 5 + 2,  # the widest figure, with its currency sign
        "C": len("Discrepancies") + 2,  # the By client table's header
    }
    note = next(row[2] for row in summary.iter_rows() if row[0].value == "Discrepancies")
    assert (note.value, note.alignment.indent) == ("Rows on the Adjustments sheet", 1)
    # Number headers stand over their numbers, on the right; text headers on the left.
    header = next(row for row in summary.iter_rows() if row[0].value == "Input file")
    assert [cell.alignment.horizontal for cell in header[:3]] == [None, "right", "right"]
    assert header[10].alignment.horizontal is None  # Format


def test_one_clients_workbook_holds_only_that_client() -> None:
    acme = build_result().for_client("C100")
    book = open_workbook(workbook_bytes(acme, title="Acme Dental — October 2026"))
    summary = sheet(book, "Summary")
    figures = labelled(summary)
    assert figures["Prepared for"] == "Acme Dental"
    assert "By client" not in figures
    adjustments = sheet(book, "Adjustments")
    assert [adjustments.cell(row, 1).value for row in (2, 3)] == ["C100:M365BP", "C100:EDR"]
    assert adjustments["A5"].value == "Total"
    assert money(adjustments["J5"].value) == ACME_REVENUE_TOTAL
    assert money(adjustments["K5"].value) == ACME_COST_TOTAL
    # The client's own records, not the whole run's: the 3 Evidence and 1 Excluded rows.
    texts = [row[0].value for row in summary.iter_rows()]
    header = texts.index("Input file") + 1
    assert (
        summary.cell(header - 1, 1).value == "What became of Acme Dental's records, by input file"
    )
    assert [row_values(summary, row)[:7] for row in range(header, header + 5)] == [
        ["Input file", "Records", "Matched", "To decide", "Not reconciled", "Unmapped SKU",
         "Excluded"],
        ["autotask/contract-services.csv", 1, 0, 1, 0, 0, 0],
        ["datto/devices.csv", 1, 0, 0, 0, 0, 1],
        ["huntress/agents.xlsx", 1, 0, 1, 0, 0, 0],
        ["microsoft/invoice-2026-10.csv", 1, 0, 1, 0, 0, 0],
    ]  # fmt: skip
    unmapped = sheet(book, "Unmapped")
    assert unmapped["A2"].value == "unmapped SKU"
    assert unmapped["A3"].value is None
    assert unmapped["A6"].value == "None: every vendor customer is mapped, none renamed."


def test_no_adjustments_is_said_in_words() -> None:
    book = open_workbook(workbook_bytes(build_result(only_matches=True), title=TITLE))
    adjustments = sheet(book, "Adjustments")
    assert row_values(adjustments, 1) == ADJUSTMENT_HEADERS
    assert adjustments["A2"].value == (
        "No adjustments: every line compared with usage matches what is billed."
    )
    assert adjustments.max_row == 2
    assert adjustments.data_validations.dataValidation == []
    assert adjustments.auto_filter.ref is None
    assert sheet(book, "Evidence")["A2"].value == "No source rows behind any line."
    assert sheet(book, "Unmapped")["A2"].value == (
        "Every vendor customer and SKU with usage is mapped."
    )
    assert money(labelled(sheet(book, "Summary"))["Revenue leaking per month"]) == 0


def test_other_currencies_show_their_code() -> None:
    result = build_result()
    euro = dataclasses.replace(result, currency="EUR")
    adjustments = sheet(open_workbook(workbook_bytes(euro, title=TITLE)), "Adjustments")
    assert adjustments["J2"].number_format == '#,##0.00 "EUR";[Red]-#,##0.00 "EUR"'


def test_text_that_looks_like_a_formula_stays_text() -> None:
    book = open_workbook(workbook_bytes(build_result(**ATTACKS), title=HYPERLINK))
    text_cells = {}
    for worksheet in book.worksheets:
        for row in worksheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (worksheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    text_cells.setdefault(cell.value, []).append(cell)
    for attack in ATTACKS.values():
        assert attack in text_cells, attack
        for cell in text_cells[attack]:
            assert cell.data_type == "s"
            assert cell.quotePrefix is True
    assert sheet(book, "Summary")["A1"].value == HYPERLINK
    assert sheet(book, "Adjustments")["B2"].value == "+1+1"
    assert sheet(book, "Adjustments")["C2"].value == "-2+3"
    assert sheet(book, "Excluded")["C2"].value == "\t=1+2"
    # Ordinary text carries no quote prefix.
    assert sheet(book, "Adjustments")["A2"].quotePrefix is False


def test_text_excel_would_read_as_an_error_stays_text() -> None:
    book = open_workbook(workbook_bytes(build_result(lab="#N/A"), title=TITLE))
    cell = sheet(book, "Excluded")["C2"]
    assert (cell.value, cell.data_type) == ("#N/A", "s")


def test_safe_text_keeps_text_a_cell_can_hold() -> None:
    assert safe_text(HYPERLINK) == HYPERLINK
    assert safe_text("line one\r\nline two\rthree") == "line one\nline two\nthree"
    assert safe_text("bell\x07 and null\x00") == "bell\ufffd and null\ufffd"
    long = safe_text("x" * 40_000)
    assert len(long) == 32_767
    assert long.endswith("\u2026")


def test_write_workbook_replaces_the_file_in_one_step(tmp_path: Path) -> None:
    target = tmp_path / "adjustments.xlsx"
    target.write_bytes(b"last month's workbook")
    target.chmod(0o640)
    assert write_workbook(build_result(), target, title=TITLE) == target
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(path.name for path in tmp_path.iterdir()) == ["adjustments.xlsx"]
    assert open_workbook(target.read_bytes()).sheetnames[1] == "Adjustments"

    fresh = write_workbook(build_result(), tmp_path / "new.xlsx", title=TITLE)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o644


def test_a_failed_write_leaves_the_previous_workbook(tmp_path: Path) -> None:
    target = tmp_path / "adjustments.xlsx"
    write_workbook(build_result(), target, title=TITLE)
    before = target.read_bytes()
    broken = build_result()
    broken = dataclasses.replace(broken, lines=broken.lines.drop(columns="reason"))
    with pytest.raises(AttributeError):
        write_workbook(broken, target, title=TITLE)
    assert target.read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["adjustments.xlsx"]


SOFFICE = "/usr/bin/soffice"
CSV_EVERY_SHEET = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"


def libreoffice_convert(
    files: list[Path], to: str, folder: Path
) -> subprocess.CompletedProcess[str]:
    """Open ``files`` in LibreOffice headless and save each as ``to`` (a format or filter) in
    ``folder``; LibreOffice's profile goes beside it, so no test uses a person's own."""
    soffice = shutil.which("soffice") or SOFFICE
    assert os.access(soffice, os.X_OK), "LibreOffice (soffice) is needed for this test"
    completed = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(folder.parent / 'lo').as_uri()}",
            "--headless",
            "--convert-to",
            to,
            "--outdir",
            str(folder),
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed


@pytest.mark.libreoffice
def test_libreoffice_reads_the_same_values(tmp_path: Path) -> None:
    plain = write_workbook(build_result(), tmp_path / "plain.xlsx", title=TITLE)
    hostile = write_workbook(build_result(**ATTACKS), tmp_path / "hostile.xlsx", title=TITLE)
    decide = write_workbook(
        build_result(**ATTACKS), tmp_path / "decide.xlsx", title=TITLE, evidence="lines to decide"
    )
    out = tmp_path / "csv"
    completed = libreoffice_convert([plain, hostile, decide], CSV_EVERY_SHEET, out)

    def rows(name: str) -> list[list[str]]:
        path = out / name
        assert path.exists(), (name, sorted(p.name for p in out.iterdir()), completed.stdout)
        with path.open(encoding="utf-8", newline="") as file:
            return list(csv.reader(file))

    adjustments = rows("plain-Adjustments.csv")
    assert adjustments[0] == ADJUSTMENT_HEADERS
    assert [row[0] for row in adjustments[1:5]] == ADJUSTMENT_IDS
    assert adjustments[1][1] == "Birch Legal"
    assert adjustments[1][6] == "3"  # used quantity
    assert adjustments[6][0] == "Total"
    assert Decimal(adjustments[6][9]) == REVENUE_TOTAL
    assert Decimal(adjustments[6][10]) == COST_TOTAL
    assert rows("plain-Summary.csv")[0][0] == TITLE
    assert rows("plain-Evidence.csv")[1][0] == "C100:EDR"
    assert rows("plain-Excluded.csv")[1][1] == "Acme Dental"
    assert rows("plain-Unmapped.csv")[1][3] == "Zeta Corp"

    # A formula would have been computed: HYPERLINK shows "y", +1+1 shows 2.
    hostile_rows = rows("hostile-Adjustments.csv")
    assert [row[1] for row in hostile_rows[1:5]] == ["+1+1", "+1+1", HYPERLINK, HYPERLINK]
    assert hostile_rows[1][2] == "-2+3"
    assert hostile_rows[4][2] == "@SUM(A1)"

    # The all-clients layout: every line, formulas shown as text; the evidence of 4 lines.
    lines = rows("decide-Lines.csv")
    assert lines[0] == LINE_HEADERS
    assert [row[1] for row in lines[1:9]] == ["", *["+1+1"] * 3, *[HYPERLINK] * 4]
    assert lines[7][:4] == ["C100:RMM", HYPERLINK, "Managed workstation", "match"]
    assert [row[0] for row in rows("decide-Evidence.csv")[1:]] == [
        "C100:EDR",
        "C100:M365BP",
        "C100:M365BP",
        "C200:M365BP",
    ]


def test_every_sheet_prints_one_page_wide_in_landscape(book: openpyxl.Workbook) -> None:
    for worksheet in book.worksheets:
        assert worksheet.page_setup.orientation == "landscape", worksheet.title
        # An absent fitToWidth is 1, the file format's default.
        assert (worksheet.page_setup.fitToWidth or 1, worksheet.page_setup.fitToHeight) == (1, 0)
        setup = worksheet.sheet_properties.pageSetUpPr
        assert setup is not None and setup.fitToPage
    assert book["Adjustments"].print_title_rows == "$1:$1"


def test_bundle_findings_have_their_own_sheet_and_count(demo_result: Reconciliation) -> None:
    """The demo has one bundle finding: Quarry Hill Engineering's Gold bundle is sold for 34
    users, but Huntress counts 31 security awareness learners (3 short)."""
    book = open_workbook(workbook_bytes(demo_result, title=TITLE))
    bundles = sheet(book, "Bundles")
    assert row_values(bundles, 1) == [
        "Line ID",
        "Client",
        "Bundle",
        "Component",
        "Status",
        "Required by the bundle",
        "Vendor count",
        "Gap",
        "Vendor spend / month",
        "Reason",
    ]
    assert row_values(bundles, 2)[:9] == [
        "29600212:29683415:Security awareness training",
        "Quarry Hill Engineering",
        "Gold managed user bundle",
        "Security awareness training",
        "bundle gap",
        34,
        31,
        3,
        None,
    ]
    assert str(row_values(bundles, 2)[9]).startswith("34 bundle units include 34 Security")
    assert bundles.max_row == 2
    assert bundles.freeze_panes == "A2"
    assert bundles.auto_filter.ref == "A1:J2"
    assert labelled(sheet(book, "Summary"))["Bundle findings"] == 1


def test_no_bundle_findings_is_said_in_words(book: openpyxl.Workbook) -> None:
    bundles = sheet(book, "Bundles")
    assert bundles["A2"].value.startswith("No bundle findings")
    assert labelled(sheet(book, "Summary"))["Bundle findings"] == 0


def test_evidence_past_a_sheets_rows_continues_on_the_next_sheet(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Excel's 1,048,576 rows lowered to 3 (a header and 2 rows): the 5 evidence rows fill
    Evidence, Evidence (2) and one row of Evidence (3), in order, each with the header."""
    monkeypatch.setattr(excel, "SHEET_ROWS", 3)
    book = open_workbook(workbook_bytes(build_result(), title=TITLE))
    assert book.sheetnames == [
        "Summary",
        "Adjustments",
        "Bundles",
        "Evidence",
        "Evidence (2)",
        "Evidence (3)",
        "Excluded",
        "Unmapped",
    ]
    pages = [sheet(book, name) for name in ("Evidence", "Evidence (2)", "Evidence (3)")]
    assert [page.max_row for page in pages] == [3, 3, 2]
    for page in pages:
        assert row_values(page, 1)[0] == "Line ID"
        assert page.freeze_panes == "A2"
    assert [page.cell(row, 1).value for page in pages for row in range(2, page.max_row + 1)] == [
        "C100:EDR",
        "C100:M365BP",
        "C100:M365BP",
        "C200:M365BP",
        "unmapped:microsoft:T-999:SPE_E3",
    ]
    assert pages[2].auto_filter.ref == "A1:K2"


def test_a_streamed_workbook_holds_what_an_in_memory_one_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past ``STREAMED_ROWS`` rows the workbook is streamed (texts inline, not shared): the
    cells, their looks, the column widths and the rows' heights stay the same."""

    def cells(content: bytes) -> dict[str, object]:
        book = open_workbook(content)
        return {
            page.title: (
                [
                    [(c.value, c.number_format, c.quotePrefix, c.alignment.wrap_text) for c in row]
                    for row in page.iter_rows()
                ],
                {letter: d.width for letter, d in page.column_dimensions.items()},
                {number: d.height for number, d in page.row_dimensions.items()},
                page.freeze_panes,
                page.auto_filter.ref,
            )
            for page in book.worksheets
        }

    result = build_result()
    in_memory = workbook_bytes(result, title=TITLE)
    monkeypatch.setattr(excel, "STREAMED_ROWS", 0)
    streamed = workbook_bytes(result, title=TITLE)
    assert b"sharedStrings.xml" in in_memory and b"sharedStrings.xml" not in streamed
    assert cells(streamed) == cells(in_memory)


def test_a_table_is_written_as_cell_by_cell_puts_would_write_it() -> None:
    """Tables are written a column at a time (``_ColumnWriter``, which remembers what it
    worked out for each text): the sheet's XML is byte for byte that of one ``put`` per cell,
    for every kind of value a frame hands over, in columns of every kind."""
    kinds = ["text", "long", "file", "number", "quantity", "money", "percent"]
    values: list[object] = [
        "Acme",
        "",
        None,
        pd.NA,
        3,
        -7,
        Decimal("12.50"),
        Decimal("-0.01"),
        2.5,
        float("nan"),
        True,
        Status.OVER_BILLED,
        "=HYPERLINK(1)",
        "-4 licences",
        "two\r\nlines",
        "a reason long enough to wrap in a column of long text, " * 2,
        "bad\x00char",
        "Acme",  # again: from what the writer remembered
        "=HYPERLINK(1)",
    ]
    columns = [excel._Column(f"{kind} column", kind) for kind in kinds]  # type: ignore[arg-type]
    columns.append(excel._Column("to fill", "text", to_fill=True))
    # Columns of numbers alone, wider than their headers: the numbers size them.
    columns += [excel._Column("Qty", "quantity"), excel._Column("Sum", "money")]
    numbers = [1234567890, Decimal("-9876543210.10"), 3, None]
    rows = [
        [value] * (len(columns) - 2) + [numbers[row % 4], numbers[(row + 1) % 4]]
        for row, value in enumerate(values)
    ]

    def sheet_xml(write: str) -> bytes:
        buffer = io.BytesIO()
        book = excel.Workbook(buffer, {"strings_to_numbers": False, "strings_to_formulas": False})
        styles = excel._Styles(book, USD)
        page = excel._Sheet.add(book, "Table", styles)
        if write == "table":
            excel._write_table(page, 1, columns, rows)
        else:
            for number, column in enumerate(columns, 1):
                page.put(1, number, column.header, column.kind, emphasis="header")
            page.freeze_header()
            for row, values_of_row in enumerate(rows, 2):
                for number, (column, value) in enumerate(
                    zip(columns, values_of_row, strict=True), 1
                ):
                    page.put(row, number, value, column.kind, to_fill=column.to_fill)
                page.row_done(row)
        page.finish()
        book.close()
        with zipfile.ZipFile(buffer) as written:
            return written.read("xl/worksheets/sheet1.xml") + written.read("xl/sharedStrings.xml")

    table = sheet_xml("table")
    assert table == sheet_xml("put")
    assert b"HYPERLINK" in table and b' ht="' in table  # a quoted text, a row made taller


@pytest.mark.parametrize("streamed", [False, True])
def test_every_cell_is_written_as_xlsxwriters_own_worksheet_writes_it(
    monkeypatch: pytest.MonkeyPatch, streamed: bool
) -> None:
    """Our worksheets write their plain cells (a styled text, number or blank) in one step
    (``excel._Worksheet``): every part of the workbook is byte for byte what XlsxWriter's own
    cell writer makes of the same cells, kept in memory or streamed, for a whole workbook and
    for a table of every kind of value (texts to escape, formulas, negative, huge and tiny
    numbers, blanks with and without a style)."""
    kinds = ["text", "long", "file", "number", "quantity", "money", "percent"]
    values: list[object] = [
        'Acme & <Sons> "Ltd"',
        "",
        None,
        3,
        -7,
        Decimal("12.50"),
        Decimal("-9876543210.10"),
        1e-20,
        1234567890123456789,
        2.5,
        True,
        "=HYPERLINK(1)",
        "two\r\nlines",
        "bad\x00char",
    ]
    columns = [excel._Column(f"{kind} column", kind) for kind in kinds]  # type: ignore[arg-type]
    rows = [[value] * len(columns) for value in values]

    def parts() -> dict[str, bytes]:
        buffer = io.BytesIO()
        book = excel.Workbook(
            buffer,
            {"strings_to_numbers": False, "constant_memory": streamed, "in_memory": not streamed},
        )
        page = excel._Sheet.add(book, "Table", excel._Styles(book, USD))
        excel._write_table(page, 1, columns, rows)
        page.worksheet.write_formula(len(rows) + 2, 0, "=1+1")
        page.worksheet.write_number(len(rows) + 2, 1, 4)  # no style: the column's
        page.finish()
        book.close()
        whole = workbook_bytes(build_result(), title=TITLE)
        found = {}
        for name, content in (("table", buffer.getvalue()), ("workbook", whole)):
            with zipfile.ZipFile(io.BytesIO(content)) as written:
                found |= {
                    f"{name}/{part}": written.read(part)
                    for part in written.namelist()
                    if part != "docProps/core.xml"  # the time it was written
                }
        return found

    if streamed:
        monkeypatch.setattr(excel, "STREAMED_ROWS", 0)
    ours = parts()
    monkeypatch.setattr(excel._Worksheet, "_write_cell", excel.Worksheet._write_cell)
    assert ours == parts()
    sheet = ours["table/xl/worksheets/sheet1.xml"]
    assert b"<f>1+1</f>" in sheet and (b"inlineStr" in sheet) is streamed


# The all-clients workbook of a month: every line, the evidence of the lines to decide only ----

LINE_HEADERS = [
    "Line ID",
    "Client",
    "Service",
    "Status",
    "Contract",
    "Vendor",
    "Billed qty",
    "Used qty",
    "Difference",
    "Unit price",
    "Revenue impact / month",
    "Vendor spend / month",
    "Why",
]


@pytest.fixture
def decide_book() -> openpyxl.Workbook:
    return open_workbook(workbook_bytes(build_result(), title=TITLE, evidence="lines to decide"))


def test_lines_to_decide_list_every_line_and_only_their_evidence(
    book: openpyxl.Workbook, decide_book: openpyxl.Workbook
) -> None:
    """The fixture's 4 lines to decide (the adjustments) have 4 source rows; the unmapped
    customer's one row is left out; all 8 lines are on the Lines sheet, by client."""
    assert decide_book.sheetnames == [
        "Summary",
        "Adjustments",
        "Bundles",
        "Lines",
        "Evidence",
        "Excluded",
        "Unmapped",
    ]
    evidence = sheet(decide_book, "Evidence")
    assert [evidence.cell(row, 1).value for row in range(2, evidence.max_row + 1)] == [
        "C100:EDR",
        "C100:M365BP",
        "C100:M365BP",
        "C200:M365BP",
    ]
    assert row_values(evidence, 2) == row_values(sheet(book, "Evidence"), 2)
    assert evidence.auto_filter.ref == "A1:K5"

    lines = sheet(decide_book, "Lines")
    assert row_values(lines, 1) == LINE_HEADERS
    assert [lines.cell(row, 1).value for row in range(2, lines.max_row + 1)] == [
        "unmapped:microsoft:T-999:SPE_E3",  # no client: first
        "C100:EDR",
        "C100:M365BP",
        "C100:RMM",
        "unmapped-sku:C100:huntress:sat",
        "C200:BACKUP",
        "C200:HELPDESK",
        "C200:M365BP",
    ]
    assert row_values(lines, 5) == [
        "C100:RMM",
        "Acme Dental",
        "Managed workstation",
        "match",
        "Managed services 2026",
        None,
        15,
        15,
        0,
        35,
        0,
        None,
        "usage shows 15; the contract bills 15",
    ]
    assert row_values(lines, 2)[5] == "Microsoft"
    assert money(lines["L2"].value) == Decimal("88.80")
    assert lines["L2"].number_format == USD
    assert lines["J5"].number_format == USD
    assert lines["G5"].number_format == "#,##0"
    assert lines["M5"].alignment.wrap_text
    assert (lines.freeze_panes, lines.auto_filter.ref) == ("A2", "A1:M9")
    assert lines.page_setup.orientation == "landscape"

    # Everything else is the workbook of every line's evidence, cell for cell.
    for name in ("Adjustments", "Bundles", "Excluded", "Unmapped"):
        assert list(sheet(decide_book, name).values) == list(sheet(book, name).values), name


def test_the_summary_says_where_the_rest_of_the_evidence_is(
    book: openpyxl.Workbook, decide_book: openpyxl.Workbook
) -> None:
    texts = [row[0] for row in sheet(decide_book, "Summary").iter_rows(values_only=True)]
    heading = texts.index("Where the evidence is")
    assert texts[heading + 1 : heading + 5] == [
        "The Lines sheet lists every line of the month, matches included: 8.",
        "The Evidence sheet holds the source rows behind the lines that need a decision: "
        "4 lines, 4 source rows.",
        "The source rows behind the other lines (mostly matches) are left out to keep this "
        "workbook quick to open: 1 of the month's 5 source rows. Each client's own workbook, in "
        "that client's folder beside this one, holds every source row behind that client's lines.",
        "The workbench also keeps every source row with the month, in the workspace folder "
        "periods/2026-10/store/ (data files that Python, Power BI or DuckDB can open).",
    ]
    assert texts[heading + 6] == "How to use this workbook"
    every_line = [row[0] for row in sheet(book, "Summary").iter_rows(values_only=True)]
    assert "Where the evidence is" not in every_line
    assert texts[: heading - 1] == every_line[: heading - 1]


def test_no_line_to_decide_is_said_in_words() -> None:
    result = build_result(only_matches=True)
    book = open_workbook(workbook_bytes(result, title=TITLE, evidence="lines to decide"))
    assert sheet(book, "Evidence")["A2"].value == (
        "No line needs a decision, so no source rows are shown here: see the Summary."
    )
    assert [row[0] for row in sheet(book, "Lines").values] == ["Line ID", "C100:RMM"]


def test_lines_that_look_like_formulas_stay_text() -> None:
    result = build_result(**ATTACKS)
    book = open_workbook(workbook_bytes(result, title=TITLE, evidence="lines to decide"))
    lines = sheet(book, "Lines")
    shown = {cell.value: cell for row in lines.iter_rows() for cell in row}
    for attack in ("+1+1", "-2+3", "@SUM(A1)", HYPERLINK):
        assert (shown[attack].data_type, shown[attack].quotePrefix) == ("s", True), attack
    assert not any(cell.data_type == "f" for row in lines.iter_rows() for cell in row)


def test_an_unknown_evidence_scope_is_refused() -> None:
    with pytest.raises(ValueError, match="every line, lines to decide"):
        workbook_bytes(build_result(), title=TITLE, evidence="some")  # type: ignore[arg-type]
