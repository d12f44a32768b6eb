"""PSA import files (``workbench.outputs.psa_import``), compared with golden files.

Golden files live in ``tests/golden/``; regenerate them with ``UPDATE_GOLDEN=1`` and review the
diff. Two cases:

``demo`` (Autotask, billed in arrears with proration) decides the 13 demo discrepancies:
10 approved, Riverbend's backup adjusted to what is billed (5: nothing to change, skipped),
Yardley's Keeper adjusted to 51 (one seat, not two), Quarry Hill's identity seats dismissed.
That writes 10 changes and 1 proposed new line (Cedar Ridge's 12 identity seats, on its contract
1000079). Zephyr's identity threat detection, on its contract at 0 units, is one of the changes
(+1 on contract service 1000979), never a new line. Four changes start on the vendor's date with Autotask's prorated price: Acme 2 seats
from 15 October at 14.48 (26.40 x 17/31), Ironwood -3 from 20 October at 10.22, Dunmore -5 from
3 October at 4.49, Yardley +1 from 18 October at 2.03 (4.50 x 14/31).

``connectwise`` (the ConnectWise sample, billed in advance) approves its three discrepancies:
Acme +2 Business Premium seats, Bluewater -1 managed workstation and Cedar Ridge +1 Business
Standard (an addition at 0 on its agreement), from 1 November at the full price.
``hostile_connectwise`` is the same sample with Acme's and Bluewater's agreements renamed
:data:`DDE_AGREEMENT` and :data:`MINUS_AGREEMENT`, names a spreadsheet would run as formulas.
"""

from __future__ import annotations

import csv
import dataclasses
import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tests.conftest import DEMO, PERIOD, ROOT
from tests.test_excel import libreoffice_convert
from workbench import Reconciliation, Workspace, reconcile_workspace
from workbench.formula_guard import csv_text
from workbench.ledger import Ledger
from workbench.outputs.psa_import import (
    IMPORT_COLUMNS,
    ImportFiles,
    PsaImport,
    import_csv,
    import_files,
    write_import_files,
)
from workbench.workspace import BillingSettings, Timing

GOLDEN = Path(__file__).resolve().parent / "golden"
CONNECTWISE = ROOT / "demo" / "psa-samples" / "connectwise"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

DDE_AGREEMENT = "=cmd|' /C calc'!A0"
MINUS_AGREEMENT = "-2+3+cmd|' /C calc'!A0"

ADJUSTED = {"29600219:29683411": 5, "29600261:29683413": 51}
DISMISSED = "29600212:29683408"


def matches_golden(path: Path, name: str) -> None:
    golden = GOLDEN / name
    text = path.read_text(encoding="utf-8") if path.suffix == ".csv" else workbook_text(path)
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8", newline="")
    assert golden.exists(), f"{golden} is missing: run with UPDATE_GOLDEN=1 and review it"
    assert text == golden.read_text(encoding="utf-8"), f"{path.name} differs from {golden}"


def workbook_text(path: Path) -> str:
    """Every sheet's cells as text: value, its type and number format, one cell a line."""
    book = openpyxl.load_workbook(path)
    out = []
    for sheet in book.worksheets:
        out.append(f"[{sheet.title}] freeze={sheet.freeze_panes}")
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is not None:
                    out.append(
                        f"{cell.coordinate} {type(cell.value).__name__} {cell.value!r}"
                        f" {cell.number_format}"
                    )
    return "\n".join(out) + "\n"


def decide_demo(ledger: Ledger, result: Reconciliation) -> None:
    lines = result.lines.set_index("line_id", drop=False)
    adjustments = list(result.adjustments["line_id"])
    approved = [i for i in adjustments if i not in ADJUSTED and i != DISMISSED]
    ledger.decide_many(PERIOD, [lines.loc[i] for i in approved], "approve", who="dana")
    for line_id, quantity in ADJUSTED.items():
        ledger.decide(PERIOD, lines.loc[line_id], "adjust", quantity=quantity, who="dana")
    ledger.decide(PERIOD, lines.loc[DISMISSED], "dismiss", note="trial seats", who="dana")


@pytest.fixture
def arrears_prorated() -> Workspace:
    return dataclasses.replace(
        Workspace.open(DEMO), billing=BillingSettings(Timing.ARREARS, prorate=True)
    )


@pytest.fixture
def demo_import(
    tmp_path: Path, demo_result: Reconciliation, arrears_prorated: Workspace
) -> ImportFiles:
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        decide_demo(ledger, demo_result)
        review = ledger.review(demo_result)
    return import_files(review, demo_result, arrears_prorated)


def test_demo_import_files_match_the_golden_files(demo_import: ImportFiles, tmp_path: Path) -> None:
    assert [each.psa for each in demo_import.imports] == ["autotask"]
    autotask = demo_import.imports[0]
    assert (len(autotask.changes), len(autotask.new_lines), demo_import.rows) == (10, 1, 11)
    written = write_import_files(autotask, tmp_path / "out")
    assert [path.name for path in written] == [
        "autotask-contract-service-adjustments-2026-10.csv",
        "autotask-new-lines-proposed-2026-10.csv",
        "autotask-import-2026-10.xlsx",
    ]
    for path in written:
        matches_golden(path, path.name + (".txt" if path.suffix == ".xlsx" else ""))


def test_the_import_workbook_prints_set_up_with_number_headers_on_the_right(
    demo_import: ImportFiles, tmp_path: Path
) -> None:
    written = write_import_files(demo_import.imports[0], tmp_path / "out")
    book = openpyxl.load_workbook(written[-1])
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape", sheet.title
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0), sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert sheet.print_title_rows == "$1:$1", sheet.title
    changes = book.worksheets[0]
    aligned = {str(cell.value): cell.alignment.horizontal for cell in changes[1]}
    assert aligned["contractID"] is None  # an id, written as text
    assert aligned["unitChange"] == aligned["adjustedUnitPrice"] == "right"


def test_billed_in_advance_every_change_starts_next_month_at_the_full_price(
    tmp_path: Path, demo_result: Reconciliation
) -> None:
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        decide_demo(ledger, demo_result)
        found = import_files(ledger.review(demo_result), demo_result, Workspace.open(DEMO))
    autotask = found.imports[0]
    assert set(autotask.changes["effectiveDate"]) == {"2026-11-01"}
    assert list(autotask.changes["adjustedUnitPrice"]) == [
        Decimal(price)
        for price in ("95", "45", "135", "26.40", "65", "26.40", "3", "4.80", "4.50", "4")
    ]
    for path in write_import_files(autotask, tmp_path / "out")[:2]:
        matches_golden(path, f"advance-{path.name}")


def test_every_decided_line_writes_a_row_or_says_why(demo_import: ImportFiles) -> None:
    autotask = demo_import.imports[0]
    assert list(demo_import.skipped["line_id"]) == ["29600219:29683411"]
    assert list(demo_import.skipped["reason"]) == ["billing stays at 5: nothing to change"]
    written = set(autotask.lines["line_id"])
    assert DISMISSED not in written
    assert len(written) + len(demo_import.skipped) == 12  # 13 decided, 1 dismissed
    new_line = autotask.lines[autotask.lines["kind"] == "new line"].iloc[0]
    assert (new_line["line_id"], new_line["contract_id"], new_line["change"]) == (
        "29600114:29683408",
        "1000079",
        Decimal(12),
    )
    by_line = autotask.lines.set_index("line_id")
    yardley = by_line.loc["29600261:29683413"]
    assert (yardley["new_quantity"], yardley["change"]) == (Decimal(51), Decimal(1))
    # On the contract at 0 units: a change to its own contract service, not a new line.
    zephyr = by_line.loc["29600268:29683408"]
    assert (zephyr["kind"], zephyr["status"], zephyr["contract_id"], zephyr["change"]) == (
        "change",
        "under-billed",
        "1000967",
        Decimal(1),
    )


def test_pending_dismissed_and_changed_lines_write_nothing(
    tmp_path: Path, demo_result: Reconciliation, arrears_prorated: Workspace
) -> None:
    lines = demo_result.lines.set_index("line_id", drop=False)
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        assert import_files(ledger.review(demo_result), demo_result, arrears_prorated).rows == 0
        ledger.decide(PERIOD, lines.loc["29600100:29683404"], "dismiss", who="dana")
        assert import_files(ledger.review(demo_result), demo_result, arrears_prorated).rows == 0
        # Approved when Acme was billed for 24 seats: the line has moved since.
        before = lines.loc["29600100:29683404"].copy()
        before["billed_quantity"] = 24
        ledger.decide(PERIOD, before, "approve", who="dana")
        found = import_files(ledger.review(demo_result), demo_result, arrears_prorated)
    assert found.rows == 0
    assert list(found.skipped["reason"]) == [
        "the line changed since it was decided: decide it again"
    ]


def approve_every_change(workspace: Workspace, ledger_file: Path) -> ImportFiles:
    """The import rows once every proposed change of the period is approved."""
    result = reconcile_workspace(workspace, PERIOD)
    with Ledger.open(ledger_file) as ledger:
        ledger.decide_many(
            PERIOD, [row for _, row in result.adjustments.iterrows()], "approve", who="sam"
        )
        return import_files(ledger.review(result), result, workspace)


def test_connectwise_additions_match_the_golden_files(tmp_path: Path) -> None:
    found = approve_every_change(Workspace.open(CONNECTWISE), tmp_path / "ledger.sqlite")
    assert [each.psa for each in found.imports] == ["connectwise"]
    connectwise = found.imports[0]
    assert list(connectwise.changes.columns) == IMPORT_COLUMNS["connectwise"]
    assert connectwise.changes.to_dict("records") == [
        {
            "agreementId": "Acme Dental Group - Managed",
            "productIdentifier": "M365-BP",
            "quantity": Decimal(2),
            "unitPrice": Decimal("26.40"),
            "unitCost": Decimal("22.00"),
            "billCustomer": "Billable",
            "effectiveDate": "2026-11-01T00:00:00Z",
        },
        {
            "agreementId": "Bluewater Logistics - Managed",
            "productIdentifier": "WS-MANAGED",
            "quantity": Decimal(-1),
            "unitPrice": Decimal("45.00"),
            "unitCost": Decimal("12.00"),
            "billCustomer": "Billable",
            "effectiveDate": "2026-11-01T00:00:00Z",
        },
        {
            "agreementId": "Cedar Ridge Veterinary - Managed",
            "productIdentifier": "M365-BS",
            "quantity": Decimal(1),
            "unitPrice": Decimal("15.00"),
            "unitCost": Decimal("12.50"),
            "billCustomer": "Billable",
            "effectiveDate": "2026-11-01T00:00:00Z",
        },
    ]
    assert connectwise.new_lines.empty
    for path in write_import_files(connectwise, tmp_path / "out"):
        matches_golden(path, path.name + (".txt" if path.suffix == ".xlsx" else ""))


def test_text_that_looks_like_a_formula_stays_text(
    demo_import: ImportFiles, tmp_path: Path
) -> None:
    autotask = demo_import.imports[0]
    lines = autotask.lines.copy()
    lines.loc[0, "company_name"] = '=HYPERLINK("http://example.com","x")'
    tampered = dataclasses.replace(autotask, lines=lines)
    workbook = write_import_files(tampered, tmp_path)[-1]
    cell = openpyxl.load_workbook(workbook)["Lines"]["C2"]
    assert (cell.data_type, cell.value) == ("s", '=HYPERLINK("http://example.com","x")')
    assert pd.read_csv(tmp_path / "autotask-contract-service-adjustments-2026-10.csv").shape == (
        10,
        6,
    )


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Acme Dental Group - Managed", "Acme Dental Group - Managed"),
        ("1-2", "1-2"),
        ("'quoted", "'quoted"),
        ("", ""),
    ],
)
def test_a_csv_text_field_starting_like_a_formula_gets_an_apostrophe(
    text: str, written: str
) -> None:
    assert csv_text(text) == written


def test_import_csv_prefixes_text_never_numbers() -> None:
    rows = pd.DataFrame(
        [
            ("=HYPERLINK(1)", "@x", Decimal(-42), Decimal("-29.50"), -3),
            ("\tTab Co", "+Plus", Decimal(2), Decimal("0.00"), 7),
        ],
        columns=["agreementId", "productIdentifier", "quantity", "unitPrice", "units"],
    )

    read_back = list(csv.reader(import_csv(rows).splitlines()))

    assert read_back == [
        ["agreementId", "productIdentifier", "quantity", "unitPrice", "units"],
        ["'=HYPERLINK(1)", "'@x", "-42", "-29.50", "-3"],
        ["'\tTab Co", "'+Plus", "2", "0.00", "7"],
    ]


def _rename_agreements(workspace: Path, names: dict[str, str]) -> None:
    export = workspace / "periods" / PERIOD / "inputs" / "connectwise" / "connectwise-export.csv"
    with export.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    for row in rows:
        row["Agreement"] = names.get(row["Agreement"], row["Agreement"])
    assert {row["Agreement"] for row in rows} >= set(names.values())
    with export.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture
def hostile_connectwise(tmp_path: Path) -> PsaImport:
    """The ConnectWise sample with both changed agreements renamed to formulas, approved."""
    workspace_folder = tmp_path / "connectwise"
    shutil.copytree(CONNECTWISE, workspace_folder)
    subprocess.run(["chmod", "-R", "u+w", str(workspace_folder)], check=True)
    _rename_agreements(
        workspace_folder,
        {
            "Acme Dental Group - Managed": DDE_AGREEMENT,
            "Bluewater Logistics - Managed": MINUS_AGREEMENT,
        },
    )
    found = approve_every_change(Workspace.open(workspace_folder), tmp_path / "ledger.sqlite")
    return found.imports[0]


def test_a_formula_agreement_name_reaches_the_csv_as_text(
    hostile_connectwise: PsaImport, tmp_path: Path
) -> None:
    changes, _, workbook = write_import_files(hostile_connectwise, tmp_path / "out")

    with changes.open(encoding="utf-8", newline="") as file:
        read_back = list(csv.reader(file))

    assert read_back == [
        IMPORT_COLUMNS["connectwise"],
        ["'" + DDE_AGREEMENT, "M365-BP", "2", "26.40", "22.00", "Billable", "2026-11-01T00:00:00Z"],
        [
            "'" + MINUS_AGREEMENT,
            "WS-MANAGED",
            "-1",
            "45.00",
            "12.00",
            "Billable",
            "2026-11-01T00:00:00Z",
        ],
        [
            "Cedar Ridge Veterinary - Managed",
            "M365-BS",
            "1",
            "15.00",
            "12.50",
            "Billable",
            "2026-11-01T00:00:00Z",
        ],
    ]
    # The workbook's cells are text cells: the name as it is, no apostrophe needed.
    sheet = openpyxl.load_workbook(workbook)["Agreement additions"]
    assert [(cell.value, cell.data_type) for cell in (sheet["A2"], sheet["A3"])] == [
        (DDE_AGREEMENT, "s"),
        (MINUS_AGREEMENT, "s"),
    ]


@pytest.mark.libreoffice
def test_libreoffice_opens_the_csv_with_the_names_as_text(
    hostile_connectwise: PsaImport, tmp_path: Path
) -> None:
    changes = write_import_files(hostile_connectwise, tmp_path / "out")[0]
    # The same rows with the names raw: LibreOffice makes the first a formula, so the check bites.
    raw = tmp_path / "raw.csv"
    raw.write_text(changes.read_text(encoding="utf-8").replace("\n'", "\n"), encoding="utf-8")
    libreoffice_convert([changes, raw], "xlsx", tmp_path / "opened")

    def cells(path: Path) -> list[tuple[object, str]]:
        sheet = openpyxl.load_workbook(tmp_path / "opened" / f"{path.stem}.xlsx").active
        assert sheet is not None
        return [(cell.value, cell.data_type) for cell in (sheet["A2"], sheet["A3"], sheet["C3"])]

    assert cells(changes) == [("'" + DDE_AGREEMENT, "s"), ("'" + MINUS_AGREEMENT, "s"), (-1, "n")]
    assert cells(raw)[0][1] == "f"  # a DDE formula (LibreOffice rewrites its text)
