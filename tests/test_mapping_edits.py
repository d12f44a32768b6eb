"""Edits to the mappings workbook, read back from real ``.xlsx`` files.

Most tests use a small workbook written by :func:`workbench.mapping.mappings_book`:

=========  ==================  ====================  ==========  ==================  ============
sheet      vendor              vendor id / SKU       PSA id      PSA name            note
=========  ==================  ====================  ==========  ==================  ============
Customers  Microsoft           T-ACME                C1          Acme Dental
Customers  Huntress            4217 (a number cell)                                  excluded
Services   Microsoft           M365BP                S-M365      Microsoft 365 BP    factor 1
Tolerances                                           S-M365                          1 unit
=========  ==================  ====================  ==========  ==================  ============

plus two sheets the workbench does not know, ``Contacts`` and ``Price list`` (the second hidden),
with their own styles, widths, a merged cell, a comment and a data validation: every edit must
keep them, and every sheet it does not edit, exactly.

The end-to-end tests copy the demo workspace and pick their vendor customer or SKU from its
reconciliation (the demo data changes; the test data never names it).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table

from tests.conftest import PERIOD
from workbench.errors import WorkbenchError
from workbench.ledger import Ledger
from workbench.mapping import (
    VENDOR_TITLES,
    CustomerMapping,
    Mappings,
    ServiceMapping,
    mappings_book,
)
from workbench.mapping_edits import (
    CustomerChoice,
    exclude_customer,
    exclude_sku,
    lock_files,
    map_customer,
    map_customers,
    map_sku,
)
from workbench.result import Reconciliation, Status
from workbench.workspace import Workspace, read_period_inputs, reconcile_workspace

EDITOR = "lee"
ACME = ["Microsoft", "T-ACME", "Acme Dental", "C1", "Acme Dental", ""]
OWN_ORG = ["Huntress", 4217, "Our own office", "", "", "our own licences"]
M365 = [
    "Microsoft",
    "M365BP",
    "Microsoft 365 Business Premium",
    "S-M365",
    "Microsoft 365 BP",
    1,
    "",
]


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    book = mappings_book([list(ACME), list(OWN_ORG)], [list(M365)], [["S-M365", "M365", 1]])
    contacts = book.create_sheet("Contacts")
    contacts.append(["Vendor name", "PSA company name"])
    contacts.append(["Acme Dental PLLC", "Acme Dental"])
    contacts["A1"].font = Font(bold=True, italic=True, color="7030A0")
    contacts["B2"].fill = PatternFill("solid", fgColor="FFF2CC")
    contacts["B2"].comment = Comment("checked by finance", "Lead")
    contacts.column_dimensions["A"].width = 31.5
    contacts.merge_cells("D1:E1")
    contacts["D1"] = "Notes"
    choice = DataValidation(type="list", formula1='"yes,no"', allow_blank=True)
    contacts.add_data_validation(choice)
    choice.add("C2:C50")
    prices = book.create_sheet("Price list")
    prices.append(["Service", "Service ID", "Price"])
    prices.append(["Secure desk", "S-M365", 2])
    prices.row_dimensions[2].height = 27
    prices.sheet_state = "hidden"
    path = tmp_path / "mappings.xlsx"
    book.save(path)
    return path


def _sheet_snapshot(sheet: Any) -> dict[str, Any]:
    """Everything a person sees in a sheet: values, types, styles, sizes, merges, rules."""
    return {
        "cells": [
            (
                cell.coordinate,
                cell.value,
                cell.data_type,
                cell.number_format,
                cell.font.b,
                cell.font.i,
                str(cell.font.color.rgb) if cell.font.color is not None else None,
                cell.fill.fgColor.rgb,
                cell.quotePrefix,
                cell.comment.text if cell.comment else None,
            )
            for row in sheet.iter_rows()
            for cell in row
        ],
        "widths": {key: dim.width for key, dim in sheet.column_dimensions.items()},
        "heights": {key: dim.height for key, dim in sheet.row_dimensions.items()},
        "merged": sorted(str(merged) for merged in sheet.merged_cells.ranges),
        "validations": [(v.formula1, str(v.sqref)) for v in sheet.data_validations.dataValidation],
        "freeze": sheet.freeze_panes,
        "filter": sheet.auto_filter.ref,
        "state": sheet.sheet_state,
    }


def _snapshot(path: Path) -> dict[str, dict[str, Any]]:
    book = openpyxl.load_workbook(path)
    return {sheet.title: _sheet_snapshot(sheet) for sheet in book.worksheets}


def unmapped_customer_with_suggestion(result: Reconciliation) -> dict[str, Any]:
    """The first (by vendor and id) vendor customer with unmapped lines and a suggestion."""
    unmapped = result.unmapped[result.unmapped["status"] == Status.UNMAPPED_CUSTOMER]
    with_lines = unmapped[["vendor", "vendor_customer_key"]].drop_duplicates()
    suggested = result.customer_matches.merge(
        with_lines,
        left_on=["vendor", "customer_key"],
        right_on=["vendor", "vendor_customer_key"],
    )
    suggested = suggested[suggested["suggested_company_id"] != ""]
    assert not suggested.empty, "the demo has no unmapped customer with a suggestion"
    return dict(suggested.sort_values(["vendor", "customer_key"]).iloc[0])


def company_name_of(workspace: Path, company_id: str) -> str:
    companies = read_period_inputs(workspace, PERIOD).catalogue.companies
    return str(companies.loc[companies["company_id"] == company_id, "company_name"].iat[0])


# --- customers -----------------------------------------------------------------------------


def test_confirming_a_suggestion_moves_the_customer_from_unmapped_to_mapped(
    workspace: Path,
) -> None:
    before = reconcile_workspace(workspace, PERIOD)
    customer = unmapped_customer_with_suggestion(before)
    company_id = str(customer["suggested_company_id"])
    company_name = company_name_of(workspace, company_id)
    vendor, key = str(customer["vendor"]), str(customer["customer_key"])
    lines_of = before.unmapped[
        (before.unmapped["vendor"] == vendor) & (before.unmapped["vendor_customer_key"] == key)
    ]

    saved = map_customer(
        Workspace.open(workspace).mappings_file,
        who=EDITOR,
        vendor=vendor,
        customer_id=key,
        customer_name=str(customer["customer_name"]),
        company_id=company_id,
        company_name=company_name,
    )
    after = reconcile_workspace(workspace, PERIOD)

    match = after.customer_matches[
        (after.customer_matches["vendor"] == vendor)
        & (after.customer_matches["customer_key"] == key)
    ].iloc[0]
    assert (match["method"], match["company_id"]) == ("id", company_id)
    still_unmapped = after.unmapped[after.unmapped["vendor_customer_key"] == key]
    assert still_unmapped.empty
    assert len(after.unmapped) == len(before.unmapped) - len(lines_of)
    # The customer's usage now counts for the company: its source rows are evidence of a line.
    used = after.evidence[after.evidence["customer"] == customer["customer_name"]]
    assert set(used["line_id"].str.split(":").str[0]) == {company_id}
    assert saved.summary == (
        f"Mapped {customer['customer_name']} ({VENDOR_TITLES[vendor]}) to {company_name}"
    )
    assert saved.message.endswith(
        f"mappings.xlsx saved, previous version kept in "
        f"mappings.history/{saved.previous_version.name}."
    )


def test_a_new_customer_row_reads_back_and_the_filter_grows(workbook: Path) -> None:
    map_customer(
        workbook,
        who=EDITOR,
        vendor="datto_rmm",
        customer_id="0042",
        customer_name="Birch Law",
        company_id="C2",
        company_name="Birch Law LLP",
    )

    mappings = Mappings.read(workbook)
    sheet = openpyxl.load_workbook(workbook)["Customers"]
    assert mappings.customers[-1] == CustomerMapping(
        vendor="datto_rmm",
        customer_key="0042",
        customer_name="Birch Law",
        company_id="C2",
        company_name="Birch Law LLP",
    )
    assert len(mappings.customers) == 3
    assert [cell.value for cell in sheet[4]] == [
        "Datto RMM",
        "0042",
        "Birch Law",
        "C2",
        "Birch Law LLP",
        None,
    ]
    assert [cell.number_format for cell in sheet[4]] == ["@"] * 6  # styled like the row above
    assert sheet.auto_filter.ref == "A1:F4"


def test_an_existing_row_is_updated_instead_of_duplicated(workbook: Path) -> None:
    # The Huntress row's id is a number cell (typed in Excel); the id compares as text.
    map_customer(
        workbook,
        who=EDITOR,
        vendor="huntress",
        customer_id="4217",
        customer_name="Our own office",
        company_id="C9",
        company_name="Head office",
    )

    mappings = Mappings.read(workbook)
    sheet = openpyxl.load_workbook(workbook)["Customers"]
    assert [m.customer_key for m in mappings.customers] == ["t-acme", "4217"]
    assert mappings.customers[1] == CustomerMapping(
        "huntress", "4217", "Our own office", "C9", "Head office", ""
    )
    assert sheet.max_row == 3
    assert (sheet["B3"].value, sheet["B3"].data_type) == ("4217", "s")  # now stored as text


def test_several_customers_are_mapped_in_one_change_each_recorded(workbook: Path) -> None:
    original = workbook.read_bytes()

    saved = map_customers(
        workbook,
        [
            CustomerChoice("huntress", "4217", "Our own office", "C9", "Head office"),
            CustomerChoice("datto_rmm", "0042", "Birch Law", "C2", "Birch Law LLP"),
        ],
        who=EDITOR,
    )

    assert [(m.vendor, m.customer_key, m.company_id, m.exclude_reason) for m in
            Mappings.read(workbook).customers] == [
        ("microsoft", "t-acme", "C1", ""),
        ("huntress", "4217", "C9", ""),  # the row there was, its exclusion cleared
        ("datto_rmm", "0042", "C2", ""),  # a new row
    ]  # fmt: skip
    history = list((workbook.parent / "mappings.history").iterdir())
    assert [path.read_bytes() for path in history] == [original]  # one change, one version
    summaries = [
        "Mapped Our own office (Huntress) to Head office",
        "Mapped Birch Law (Datto RMM) to Birch Law LLP",
    ]
    assert saved.changes == tuple(summaries)
    assert saved.summary == "2 changes: " + "; ".join(summaries)
    with Ledger.open(workbook.parent / "ledger.sqlite") as ledger:
        edits = ledger.mapping_edits()
    assert [(e.who, e.summary, e.previous_version) for e in edits] == [
        (EDITOR, summary, f"mappings.history/{history[0].name}") for summary in summaries
    ]


def test_several_customers_are_mapped_all_or_none(workbook: Path) -> None:
    original = workbook.read_bytes()

    with pytest.raises(WorkbenchError, match="Choose a PSA company for Birch Law"):
        map_customers(
            workbook,
            [
                CustomerChoice("huntress", "4217", "Our own office", "C9", "Head office"),
                CustomerChoice("datto_rmm", "0042", "Birch Law", " ", ""),
            ],
            who=EDITOR,
        )
    with pytest.raises(WorkbenchError, match="named twice"):
        map_customers(
            workbook,
            [
                CustomerChoice("microsoft", "T-ACME", "Acme Dental", "C1", "Acme Dental"),
                CustomerChoice("microsoft", "t-acme", "Acme Dental", "C2", "Birch Law LLP"),
            ],
            who=EDITOR,
        )
    with pytest.raises(WorkbenchError, match="No vendor customer to map"):
        map_customers(workbook, [], who=EDITOR)

    assert workbook.read_bytes() == original
    assert not (workbook.parent / "mappings.history").exists()


def test_ids_compare_without_case_as_the_reconciliation_does(workbook: Path) -> None:
    exclude_customer(
        workbook,
        who=EDITOR,
        vendor="microsoft",
        customer_id="t-acme",
        customer_name="Acme Dental",
        reason="  moved to   another MSP ",
    )

    mappings = Mappings.read(workbook)
    assert len(mappings.customers) == 2
    # The reason wins; the company stays written so clearing the reason restores the mapping.
    assert mappings.customers[0] == CustomerMapping(
        "microsoft", "t-acme", "Acme Dental", "C1", "Acme Dental", "moved to another MSP"
    )


def test_excluding_a_customer_takes_it_out_of_the_reconciliation(workspace: Path) -> None:
    before = reconcile_workspace(workspace, PERIOD)
    line = before.unmapped[before.unmapped["status"] == Status.UNMAPPED_CUSTOMER].iloc[0]

    exclude_customer(
        Workspace.open(workspace).mappings_file,
        who=EDITOR,
        vendor=str(line["vendor"]),
        customer_id=str(line["vendor_customer_key"]),
        customer_name=str(line["vendor_customer_name"]),
        reason="lab tenant",
    )
    after = reconcile_workspace(workspace, PERIOD)

    assert line["vendor_customer_key"] not in set(after.unmapped["vendor_customer_key"])
    excluded = after.excluded[after.excluded["customer"] == line["vendor_customer_name"]]
    assert not excluded.empty
    assert set(excluded["reason"]) == {"customer excluded in mappings: lab tenant"}


def test_an_exclusion_needs_a_reason(workbook: Path) -> None:
    content = workbook.read_bytes()

    with pytest.raises(WorkbenchError, match=r"Write why Zeta LLC is excluded"):
        exclude_customer(
            workbook,
            vendor="microsoft",
            customer_id="Z9",
            customer_name="Zeta LLC",
            reason="  ",
            who=EDITOR,
        )

    assert workbook.read_bytes() == content


def test_text_that_looks_like_a_formula_stays_text(workbook: Path) -> None:
    name = '=HYPERLINK("http://evil.example","Click")'

    map_customer(
        workbook,
        who=EDITOR,
        vendor="microsoft",
        customer_id="+T-EVIL",
        customer_name=name,
        company_id="@C3",
        company_name="-Cedar Clinic",
    )

    mappings = Mappings.read(workbook)
    row = openpyxl.load_workbook(workbook)["Customers"][4]
    assert mappings.customers[-1] == CustomerMapping(
        "microsoft", "+t-evil", name, "@C3", "-Cedar Clinic"
    )
    assert [cell.data_type for cell in row[:5]] == ["s"] * 5
    assert [cell.quotePrefix for cell in row[:5]] == [False, True, True, True, True]


# --- saving --------------------------------------------------------------------------------


def test_every_other_sheet_row_and_style_is_kept(workbook: Path) -> None:
    before = _snapshot(workbook)

    map_customer(
        workbook,
        who=EDITOR,
        vendor="huntress",
        customer_id="4217",
        customer_name="Our own office",
        company_id="C9",
        company_name="Head office",
    )
    map_sku(
        workbook,
        who=EDITOR,
        vendor="microsoft",
        sku="PBI",
        sku_name="Power BI Pro",
        service_id="S-PBI",
        service_name="Power BI",
    )

    after = _snapshot(workbook)
    assert list(after) == list(before)
    assert {"Contacts", "Price list"} <= set(after)
    for title in set(after) - {"Customers", "Services"}:
        assert after[title] == before[title], title
    changed = {"B3", "D3", "E3", "F3"}  # the Huntress row: id now text, company, reason
    assert [c for c in after["Customers"]["cells"] if c[0] not in changed] == [
        c for c in before["Customers"]["cells"] if c[0] not in changed
    ]
    services_after = after["Services"]
    assert (
        services_after["cells"][: len(before["Services"]["cells"])] == before["Services"]["cells"]
    )
    assert services_after["filter"] == "A1:G3"
    for title in ("Customers", "Services"):
        assert {k: v for k, v in after[title].items() if k not in ("cells", "filter")} == {
            k: v for k, v in before[title].items() if k not in ("cells", "filter")
        }


def test_the_previous_version_is_kept_byte_for_byte(workbook: Path) -> None:
    original = workbook.read_bytes()

    first = map_customer(
        workbook,
        who=EDITOR,
        vendor="microsoft",
        customer_id="T-B",
        customer_name="Birch Law",
        company_id="C2",
        company_name="Birch Law",
    )
    after_first = workbook.read_bytes()
    second = exclude_sku(
        workbook,
        vendor="microsoft",
        sku="TRIAL",
        sku_name="Trial SKU",
        reason="free trial",
        who=EDITOR,
    )

    history = workbook.parent / "mappings.history"
    assert sorted(history.iterdir()) == sorted([first.previous_version, second.previous_version])
    assert first.previous_version.read_bytes() == original
    assert second.previous_version.read_bytes() == after_first
    assert first.previous_version.name.startswith("mappings-")
    assert (
        Mappings.read(first.previous_version).customers
        == Mappings.read(second.previous_version).customers[:2]
    )
    # No temporary file is left next to the workbook; the ledger beside it says who did what.
    assert sorted(p.name for p in workbook.parent.iterdir()) == [
        "ledger.sqlite",
        "mappings.history",
        "mappings.xlsx",
    ]
    with Ledger.open(workbook.parent / "ledger.sqlite") as ledger:
        edits = ledger.mapping_edits()
    assert [(edit.who, edit.summary, edit.previous_version) for edit in edits] == [
        (EDITOR, first.summary, f"mappings.history/{first.previous_version.name}"),
        (EDITOR, second.summary, f"mappings.history/{second.previous_version.name}"),
    ]
    assert (first.who, second.who) == (EDITOR, EDITOR)
    assert edits[0].summary == "Mapped Birch Law (Microsoft) to Birch Law"
    assert edits[0].edited_at <= edits[1].edited_at


def test_a_change_nobody_is_named_for_is_not_made(workbook: Path) -> None:
    content = workbook.read_bytes()

    with pytest.raises(WorkbenchError, match=r"say who changes mappings\.xlsx"):
        exclude_sku(
            workbook, vendor="microsoft", sku="TRIAL", sku_name="Trial", reason="free", who=" "
        )

    assert workbook.read_bytes() == content
    assert [p.name for p in workbook.parent.iterdir()] == ["mappings.xlsx"]


@pytest.mark.parametrize("lock_name", ["~$mappings.xlsx", ".~lock.mappings.xlsx#"])
def test_a_workbook_open_in_excel_or_libreoffice_is_not_touched(
    workbook: Path, lock_name: str
) -> None:
    lock = workbook.with_name(lock_name)
    lock.write_bytes(b"\x05Alice")
    content = workbook.read_bytes()

    with pytest.raises(WorkbenchError) as raised:
        map_customer(
            workbook,
            who=EDITOR,
            vendor="microsoft",
            customer_id="T-B",
            customer_name="Birch Law",
            company_id="C2",
            company_name="Birch Law",
        )

    message = str(raised.value)
    assert message.startswith(f"mappings.xlsx is open in Excel or LibreOffice ({lock_name} ")
    assert "Close it in Excel and try again." in message
    assert lock_files(workbook) == [lock]
    assert workbook.read_bytes() == content
    assert sorted(p.name for p in workbook.parent.iterdir()) == sorted(["mappings.xlsx", lock_name])


def test_a_workbook_windows_will_not_replace_says_close_it_in_excel(
    workbook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What Windows raises when Excel holds the file open without an owner file in sight
    # (this machine is not Windows, so the failure is brought about here).
    def sharing_violation(source: object, target: object) -> None:
        raise PermissionError(13, "The process cannot access the file", str(target))

    monkeypatch.setattr("workbench.mapping_edits.os.replace", sharing_violation)
    content = workbook.read_bytes()

    with pytest.raises(WorkbenchError, match=r"Close it in Excel and try again; nothing was"):
        map_customer(
            workbook,
            who=EDITOR,
            vendor="microsoft",
            customer_id="T-B",
            customer_name="Birch Law",
            company_id="C2",
            company_name="Birch Law",
        )

    assert workbook.read_bytes() == content
    # Neither the temporary file nor a copy of an unchanged workbook is left behind, and the
    # ledger records no change.
    assert sorted(p.name for p in workbook.parent.rglob("*") if p.is_file()) == [
        "ledger.sqlite",
        "mappings.xlsx",
    ]
    with Ledger.open(workbook.parent / "ledger.sqlite") as ledger:
        assert ledger.mapping_edits() == []


def test_a_workbook_with_formulas_is_refused(workbook: Path) -> None:
    book = openpyxl.load_workbook(workbook)
    book["Price list"]["D2"] = "=C2*2"
    book.save(workbook)
    content = workbook.read_bytes()

    with pytest.raises(WorkbenchError, match=r"formula in sheet 'Price list', cell D2"):
        map_customer(
            workbook,
            who=EDITOR,
            vendor="microsoft",
            customer_id="T-B",
            customer_name="Birch Law",
            company_id="C2",
            company_name="Birch Law",
        )

    assert workbook.read_bytes() == content


def test_an_excel_table_on_the_sheet_grows_with_the_new_row(tmp_path: Path) -> None:
    book = mappings_book([list(ACME)])
    book["Customers"].auto_filter.ref = None
    book["Customers"].add_table(Table(displayName="CustomerMappings", ref="A1:F2"))
    path = tmp_path / "mappings.xlsx"
    book.save(path)

    map_customer(
        path,
        who=EDITOR,
        vendor="microsoft",
        customer_id="T-B",
        customer_name="Birch Law",
        company_id="C2",
        company_name="Birch Law",
    )

    assert openpyxl.load_workbook(path)["Customers"].tables["CustomerMappings"].ref == "A1:F3"
    assert len(Mappings.read(path).customers) == 2


# --- SKUs ----------------------------------------------------------------------------------


def test_mapping_a_sku_with_a_factor_reads_back_exactly(workbook: Path) -> None:
    saved = map_sku(
        workbook,
        who=EDITOR,
        vendor="microsoft",
        sku="STORAGE_100GB",
        sku_name="Extra storage",
        service_id="S-STORE",
        service_name="Cloud storage (GB)",
        factor="0,01",
    )
    map_sku(
        workbook,
        who=EDITOR,
        vendor="microsoft",
        sku="STORAGE_100GB",
        sku_name="Extra storage",
        service_id="S-STORE",
        service_name="Cloud storage (GB)",
        factor="0.02",
    )

    services = Mappings.read(workbook).services
    assert services[-1] == ServiceMapping(
        "microsoft",
        "STORAGE_100GB",
        "Extra storage",
        "S-STORE",
        "Cloud storage (GB)",
        Fraction(1, 50),
    )
    assert len(services) == 2  # the second change updated the row
    assert saved.summary == "Mapped Extra storage (Microsoft) to Cloud storage (GB) (factor 0.01)"


def test_a_sku_may_feed_a_second_service(workbook: Path) -> None:
    map_sku(
        workbook,
        who=EDITOR,
        vendor="microsoft",
        sku="M365BP",
        sku_name="Microsoft 365 Business Premium",
        service_id="S-EMAIL",
        service_name="Email security",
    )

    services = Mappings.read(workbook).services
    assert [(m.sku, m.service_id) for m in services] == [
        ("M365BP", "S-M365"),
        ("M365BP", "S-EMAIL"),
    ]


@pytest.mark.parametrize("factor", ["0", "-1", "ten", ""])
def test_a_factor_must_be_a_positive_number(workbook: Path, factor: str) -> None:
    with pytest.raises(WorkbenchError, match=r"is not a positive number such as 1 or 0.01"):
        map_sku(
            workbook,
            who=EDITOR,
            vendor="microsoft",
            sku="X",
            sku_name="X",
            service_id="S-X",
            service_name="X",
            factor=factor,
        )


def test_mapping_an_unmapped_sku_clears_it_from_the_reconciliation(workspace: Path) -> None:
    before = reconcile_workspace(workspace, PERIOD)
    skus = before.unmapped[before.unmapped["status"] == Status.UNMAPPED_SKU]
    assert not skus.empty, "the demo has no unmapped SKU"
    line = skus.iloc[0]
    services = read_period_inputs(workspace, PERIOD).catalogue.services
    service = services.sort_values("service_id").iloc[0]

    map_sku(
        Workspace.open(workspace).mappings_file,
        who=EDITOR,
        vendor=str(line["vendor"]),
        sku=str(line["vendor_sku"]),
        sku_name=str(line["vendor_sku_name"]),
        service_id=str(service["service_id"]),
        service_name=str(service["service_name"]),
        factor="0.5",
    )
    after = reconcile_workspace(workspace, PERIOD)

    assert line["line_id"] not in set(after.unmapped["line_id"])
    evidence = after.evidence[after.evidence["item"] == line["vendor_sku_name"]]
    mapped = evidence[evidence["line_id"] == f"{line['company_id']}:{service['service_id']}"]
    assert list(mapped["factor"]) == ["1/2"] * len(mapped) and len(mapped) > 0


def test_excluding_a_sku_takes_it_out_of_the_reconciliation(workspace: Path) -> None:
    before = reconcile_workspace(workspace, PERIOD)
    line = before.unmapped[before.unmapped["status"] == Status.UNMAPPED_SKU].iloc[0]

    exclude_sku(
        Workspace.open(workspace).mappings_file,
        who=EDITOR,
        vendor=str(line["vendor"]),
        sku=str(line["vendor_sku"]),
        sku_name=str(line["vendor_sku_name"]),
        reason="included free",
    )
    after = reconcile_workspace(workspace, PERIOD)

    assert line["line_id"] not in set(after.unmapped["line_id"])
    reasons = set(after.excluded.loc[after.excluded["item"] == line["vendor_sku_name"], "reason"])
    assert reasons == {"SKU excluded in mappings: included free"}
