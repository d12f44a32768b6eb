"""The review workbook round trip (``workbench.outputs.workbook_review``) and the export/apply CLI.

Each test works on a copy of the demo workspace (its ledger starts empty). The demo month has 14
lines to review: the 13 discrepancies and Quarry Hill's bundle gap, in this order (money at
stake, biggest first)::

    row  2  29600212:29683415   Quarry Hill, Gold bundle          under-billed    190.00
    row  3  29600107:29683401   Bluewater, workstation            over-billed    -135.00
    row  4  29600135:29683402   Foxglove, server                  under-billed    135.00
    ...
    row 11  29600219:29683411   Riverbend, cloud backup           under-billed     12.00
    row 12  29600261:29683413   Yardley, Keeper                   under-billed      9.00
    row 13  29600212:29683408   Quarry Hill, identity threat      unbilled usage    8.00
    row 14  29600268:29683408   Zephyr, identity threat (at 0)    under-billed      4.00
    row 15  29600212:29683415:Security awareness training         bundle gap        0.00

The reviewer of :func:`review_as_a_person_would` approves rows 2-10, 12 and 14, adjusts Riverbend
to 5 (what is billed), dismisses row 13 and leaves the bundle gap pending.
"""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.conftest import DEMO, PERIOD
from tests.test_excel import CSV_EVERY_SHEET, libreoffice_convert
from workbench import Workspace
from workbench.cli import main
from workbench.errors import InputError, WorkbenchError
from workbench.ledger import Ledger, ledger_path
from workbench.outputs.workbook_review import (
    HEADERS,
    apply_review_workbook,
    export_review,
    write_review_workbook,
)
from workbench.workspace import reconcile_workspace

REVIEW_ORDER = [
    "29600212:29683415",
    "29600107:29683401",
    "29600135:29683402",
    "29600156:29683404",
    "29600254:29683416",
    "29600100:29683404",
    "29600114:29683408",
    "29600184:29683409",
    "29600121:29683406",
    "29600219:29683411",
    "29600261:29683413",
    "29600212:29683408",
    "29600268:29683408",
    "29600212:29683415:Security awareness training",
]
BUNDLE_GAP = REVIEW_ORDER[-1]
RIVERBEND, DISMISSED = "29600219:29683411", "29600212:29683408"
DECISION, QUANTITY, NOTE = "J", "K", "L"
#: Copy the demo as shipped: without the ledger and read-only inputs `make demo` leaves.
AS_SHIPPED: dict[str, Any] = {
    "ignore": shutil.ignore_patterns("ledger.sqlite*"),
    "copy_function": shutil.copyfile,
}


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    shutil.copytree(DEMO, tmp_path / "workspace", **AS_SHIPPED)
    return Workspace.open(tmp_path / "workspace")


@pytest.fixture
def workbook(workspace: Workspace, tmp_path: Path) -> Path:
    return export_review(workspace, PERIOD, tmp_path / "outputs").workbook


def edit(path: Path, cells: dict[str, object]) -> None:
    """Open the workbook, type into cells and save, as a person in Excel would."""
    book = openpyxl.load_workbook(path)
    for address, value in cells.items():
        book["Review"][address] = value
    book.save(path)


def review_as_a_person_would(path: Path) -> None:
    typed: dict[str, object] = {f"{DECISION}{row}": "approve" for row in range(2, 15)}
    typed |= {f"{DECISION}11": "Adjust ", f"{QUANTITY}11": 5, f"{NOTE}11": "quota up in Nov"}
    typed |= {f"{DECISION}13": "dismiss", f"{NOTE}13": "trial identities"}
    edit(path, typed)


def refusal(path: Path, workspace: Workspace | None = None) -> str:
    with pytest.raises(InputError) as raised:
        apply_review_workbook(path, who="dana", workspace=workspace.root if workspace else None)
    return str(raised.value)


def test_the_workbook_lists_the_lines_to_review_locked_but_the_decisions(
    workbook: Path,
) -> None:
    book = openpyxl.load_workbook(workbook)
    assert book.sheetnames == ["Review", "About", "Written"]
    assert book["Written"].sheet_state == "veryHidden"
    sheet = book["Review"]
    assert [cell.value for cell in sheet[1]] == HEADERS
    assert [sheet.cell(row, 1).value for row in range(2, 16)] == REVIEW_ORDER
    assert sheet.max_row == 15
    first = [cell.value for cell in sheet[2]]
    assert first == [
        "29600212:29683415",
        "Quarry Hill Engineering",
        "Gold managed user bundle",
        "under-billed",
        "pending",
        32,
        34,
        190,
        "Gold managed user bundle follows 34 Microsoft 365 Business Premium: 34 bundle units; "
        "Microsoft shows 34; the contract bills 32",
        None,
        None,
        None,
    ]
    assert sheet["H2"].number_format == '"$"#,##0.00;[Red]-"$"#,##0.00'
    assert sheet["I2"].alignment.wrap_text and sheet["L2"].alignment.wrap_text
    assert sheet.protection.sheet
    assert [sheet.cell(2, column).protection.locked for column in range(1, 13)] == [True] * 9 + [
        False
    ] * 3
    validations = {
        str(v.sqref): (v.type, v.formula1, v.formula2)
        for v in sheet.data_validations.dataValidation
    }
    assert validations == {
        "J2:J15": ("list", '"approve,adjust,dismiss"', None),
        "K2:K15": ("whole", "0", "999999999"),
    }
    about = book["About"]
    assert [about.cell(row, 2).value for row in (1, 2, 4, 6, 7)] == [
        "workbench review workbook 2",
        "Northwind Managed IT",
        PERIOD,
        "all",
        14,
    ]


def test_round_trip_records_the_decisions_and_prefills_the_next_workbook(
    workspace: Workspace, workbook: Path, tmp_path: Path
) -> None:
    review_as_a_person_would(workbook)
    applied = apply_review_workbook(workbook, who="dana")
    assert applied.counts == {"approve": 11, "adjust": 1, "dismiss": 1}
    assert (len(applied.decided), applied.cleared, applied.unchanged) == (13, (), 1)
    assert applied.describe(workbook) == (
        "review-2026-10.xlsx: 13 decisions recorded for 2026-10 (11 approve, 1 adjust, "
        "1 dismiss), 0 lines back to pending, 1 row unchanged."
    )
    with Ledger.open(ledger_path(workspace)) as ledger:
        decisions = ledger.decisions(PERIOD)
    assert set(decisions) == set(REVIEW_ORDER) - {BUNDLE_GAP}
    riverbend = decisions[RIVERBEND]
    assert (riverbend.decision, riverbend.quantity, riverbend.note, riverbend.who) == (
        "adjust",
        Decimal(5),
        "quota up in Nov",
        "dana",
    )
    assert (decisions[DISMISSED].decision, decisions[DISMISSED].note) == (
        "dismiss",
        "trial identities",
    )

    again = export_review(workspace, PERIOD, tmp_path / "outputs")
    assert list(again.review["state"]).count("decided") == 13
    sheet = openpyxl.load_workbook(again.workbook)["Review"]
    assert [sheet[f"{column}11"].value for column in "EJKL"] == [
        "decided",
        "adjust",
        5,
        "quota up in Nov",
    ]
    # Applying the untouched new workbook records nothing more.
    applied = apply_review_workbook(again.workbook, who="dana")
    assert (applied.decided, applied.cleared, applied.unchanged) == ((), (), 14)
    with Ledger.open(ledger_path(workspace)) as ledger:
        assert len(ledger.history(PERIOD, RIVERBEND)) == 1
    assert [path.name for path in again.import_files] == [
        "autotask-contract-service-adjustments-2026-10.csv",
        "autotask-new-lines-proposed-2026-10.csv",
        "autotask-import-2026-10.xlsx",
    ]
    assert (len(again.imports.imports[0].changes), len(again.imports.imports[0].new_lines)) == (
        10,
        1,
    )


def test_emptying_a_decision_takes_the_line_back_to_pending(
    workspace: Workspace, workbook: Path, tmp_path: Path
) -> None:
    review_as_a_person_would(workbook)
    apply_review_workbook(workbook, who="dana")
    again = export_review(workspace, PERIOD, tmp_path / "outputs").workbook
    edit(again, {f"{DECISION}13": None, f"{NOTE}13": None})
    applied = apply_review_workbook(again, who="lee")
    assert (applied.decided, applied.cleared, applied.unchanged) == ((), (DISMISSED,), 13)
    with Ledger.open(ledger_path(workspace)) as ledger:
        assert DISMISSED not in ledger.decisions(PERIOD)
        assert [act.decision for act in ledger.history(PERIOD, DISMISSED)] == ["dismiss", "clear"]


def test_a_decision_made_meanwhile_in_the_dashboard_on_an_untouched_row_stands(
    workspace: Workspace, workbook: Path
) -> None:
    result = reconcile_workspace(workspace, PERIOD)
    line = result.lines.set_index("line_id", drop=False).loc[BUNDLE_GAP]
    with Ledger.open(ledger_path(workspace)) as ledger:
        ledger.decide(PERIOD, line, "dismiss", note="SAT starts in November", who="lee")
    review_as_a_person_would(workbook)
    apply_review_workbook(workbook, who="dana")
    with Ledger.open(ledger_path(workspace)) as ledger:
        kept = ledger.decisions(PERIOD)[BUNDLE_GAP]
    assert (kept.decision, kept.who, kept.note) == ("dismiss", "lee", "SAT starts in November")


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (
            {"J3": "approved"},
            "review-2026-10.xlsx, row 3, column 'Decision': Bluewater Logistics, Managed "
            "workstation: 'approved' is not a decision (expected approve, adjust or dismiss (or "
            "empty to leave the line pending))",
        ),
        (
            {"J4": "adjust"},
            "review-2026-10.xlsx, row 4, column 'Adjusted qty': Foxglove Architects, Managed "
            "server is to be adjusted but has no Adjusted qty (expected the quantity to bill, 0 "
            "or more)",
        ),
        (
            {"J4": "adjust", "K4": "three"},
            "review-2026-10.xlsx, row 4, column 'Adjusted qty': Foxglove Architects, Managed "
            "server: 'three' is not a quantity to bill (expected a whole number of units, 0 or "
            "more and below 1,000,000,000)",
        ),
        (
            {"J4": "adjust", "K4": -1},
            "review-2026-10.xlsx, row 4, column 'Adjusted qty': Foxglove Architects, Managed "
            "server: -1 is not a quantity to bill (expected a whole number of units, 0 or more "
            "and below 1,000,000,000)",
        ),
        (
            {"J4": "adjust", "K4": 2.5},
            "review-2026-10.xlsx, row 4, column 'Adjusted qty': Foxglove Architects, Managed "
            "server: 2.5 is not a quantity to bill (expected a whole number of units, 0 or more "
            "and below 1,000,000,000)",
        ),
        (
            {"J5": "approve", "K5": 4},
            "review-2026-10.xlsx, row 5, column 'Adjusted qty': Ironwood Manufacturing, "
            "Microsoft 365 Business Premium has an Adjusted qty of 4 with approve (expected "
            "adjust to bill that quantity, or an empty Adjusted qty)",
        ),
        (
            {"L6": "check with Sam"},
            "review-2026-10.xlsx, row 6, column 'Decision': Willow Creek Winery, Managed device "
            "bundle has an Adjusted qty or Note but no Decision (expected a Decision, or empty "
            "Adjusted qty and Note too)",
        ),
        (
            {"F3": 40, "J3": "approve"},
            "review-2026-10.xlsx, row 3, column 'Billed qty': locked cell edited: Billed qty of "
            "Bluewater Logistics, Managed workstation was '43', now '40' (expected locked "
            "columns as written; decide with Decision, Adjusted qty and Note)",
        ),
        (
            {"B2": "Quarry Hill Eng."},
            "review-2026-10.xlsx, row 2, column 'Client': locked cell edited: Client of Quarry "
            "Hill Engineering, Gold managed user bundle was 'Quarry Hill Engineering', now "
            "'Quarry Hill Eng.' (expected locked columns as written; decide with Decision, "
            "Adjusted qty and Note)",
        ),
        (
            {"I3": "bill 40 instead"},
            "review-2026-10.xlsx, row 3, column 'Why': locked cell edited: Why of Bluewater "
            "Logistics, Managed workstation was 'Datto RMM shows 40; the contract bills 43', now "
            "'bill 40 instead' (expected locked columns as written; decide with Decision, "
            "Adjusted qty and Note)",
        ),
        (
            {"A16": "29600999:29683401", "J16": "approve"},
            "review-2026-10.xlsx, row 16, column 'Line ID': row 16 is not a line of this review "
            "(line '29600999:29683401') (expected only the rows the workbook was written with: "
            "rows cannot be added)",
        ),
        (
            {"J17": "approve"},
            "review-2026-10.xlsx, row 17, column 'Line ID': row 17 is not a line of this review "
            "(expected only the rows the workbook was written with: rows cannot be added)",
        ),
        (
            {"H1": "Revenue"},
            "review-2026-10.xlsx, row 1, column 'H': the Review sheet's columns have been "
            "changed (expected the columns " + ", ".join(HEADERS) + ")",
        ),
    ],
)
def test_a_bad_edit_is_refused_naming_row_and_column_and_nothing_is_recorded(
    workspace: Workspace, workbook: Path, cells: dict[str, object], message: str
) -> None:
    edit(workbook, {"J2": "approve", **cells})
    assert refusal(workbook) == message
    with Ledger.open(ledger_path(workspace)) as ledger:
        assert ledger.decisions(PERIOD) == {}


def test_removed_and_copied_rows_are_refused(workbook: Path) -> None:
    book = openpyxl.load_workbook(workbook)
    book["Review"].delete_rows(5)
    book.save(workbook)
    assert refusal(workbook) == (
        "review-2026-10.xlsx, column 'Line ID': the row of Ironwood Manufacturing, Microsoft 365 "
        "Business Premium was removed (expected every row the workbook was written with: rows "
        "cannot be deleted)"
    )
    book = openpyxl.load_workbook(workbook)
    sheet = book["Review"]
    for column in range(1, 13):
        sheet.cell(14, column).value = sheet.cell(2, column).value
    book.save(workbook)
    assert refusal(workbook) == (
        "review-2026-10.xlsx, row 14, column 'Line ID': Quarry Hill Engineering, Gold managed "
        "user bundle is on rows 2 and 14 (expected each line once: rows cannot be copied)"
    )


def test_a_workbook_of_another_run_or_workspace_is_refused(
    workspace: Workspace, workbook: Path, tmp_path: Path
) -> None:
    edit(workbook, {"J2": "approve"})
    usage = workspace.root / "periods" / PERIOD / "inputs" / "huntress" / "organizations.csv"
    original = usage.read_bytes()
    usage.write_bytes(original + b"\n")
    assert refusal(workbook) == (
        "review-2026-10.xlsx: this workbook was written from another run of 2026-10: the "
        "inputs or mappings have changed since (expected a workbook of the current run: write "
        "it again (workbench export, workbench run, or the dashboard's Prepare workbook) and "
        "copy your decisions over)"
    )
    usage.write_bytes(original)
    other = tmp_path / "other"
    shutil.copytree(workspace.root, other)
    settings = other / "workspace.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace("Northwind Managed IT", "Contoso IT"),
        encoding="utf-8",
    )
    assert refusal(workbook, Workspace.open(other)) == (
        "review-2026-10.xlsx: this workbook reviews workspace 'Northwind Managed IT', not "
        "'Contoso IT' (expected the workspace the workbook was exported from (--workspace "
        "FOLDER))"
    )
    # A workbook whose period was changed does not match that period's run.
    shutil.copytree(workspace.root / "periods" / PERIOD, workspace.root / "periods" / "2026-09")
    book = openpyxl.load_workbook(workbook)
    book["About"]["B4"] = "2026-09"
    book.save(workbook)
    assert refusal(workbook).startswith(
        "review-2026-10.xlsx: this workbook was written from another run of 2026-09: "
    )


def test_a_moved_workspace_is_found_with_its_folder(
    workspace: Workspace, workbook: Path, tmp_path: Path
) -> None:
    edit(workbook, {"J2": "approve"})
    moved = workspace.root.rename(tmp_path / "moved")
    with pytest.raises(WorkbenchError) as raised:
        apply_review_workbook(workbook, who="dana")
    assert str(raised.value) == (
        f"{workspace.root} is not a workspace: workspace.toml is missing. The workbook was "
        f"exported from {workspace.root}: if the workspace has moved, say where with "
        "--workspace FOLDER"
    )
    applied = apply_review_workbook(workbook, who="dana", workspace=moved)
    assert applied.decided == ("29600212:29683415",)
    with pytest.raises(WorkbenchError, match=r"say who decided \(--who NAME\)"):
        apply_review_workbook(workbook, who=" ", workspace=moved)


def test_a_file_that_is_not_a_review_workbook_is_refused(workbook: Path, tmp_path: Path) -> None:
    other = tmp_path / "adjustments.xlsx"
    openpyxl.Workbook().save(other)
    assert refusal(other) == (
        "adjustments.xlsx: this workbook has no decisions to apply: its Review or About sheet "
        "is missing (expected a workbook with a Review sheet: the review workbook of workbench "
        "export, a client's or the all-clients workbook of workbench run, or the dashboard's)"
    )
    text = tmp_path / "notes.xlsx"
    text.write_text("not a workbook", encoding="utf-8")
    assert refusal(text).startswith("notes.xlsx: not an Excel workbook")


def test_text_that_looks_like_a_formula_stays_text(workspace: Workspace, tmp_path: Path) -> None:
    result = reconcile_workspace(workspace, PERIOD)
    with Ledger.open(ledger_path(workspace)) as ledger:
        review = ledger.review(result)
    review.loc[0, "company_name"] = '=HYPERLINK("http://example.com","x")'
    review.loc[0, "note"] = "+1+1"
    path = write_review_workbook(result, review, workspace, tmp_path / "hostile.xlsx")
    sheet = openpyxl.load_workbook(path)["Review"]
    for address, text in (("B2", '=HYPERLINK("http://example.com","x")'), ("L2", "+1+1")):
        assert (sheet[address].data_type, sheet[address].value) == ("s", text)
        assert sheet[address].quotePrefix


@pytest.mark.libreoffice
def test_libreoffice_opens_the_review_workbook(workbook: Path, tmp_path: Path) -> None:
    review_as_a_person_would(workbook)
    out = tmp_path / "csv"
    libreoffice_convert([workbook], CSV_EVERY_SHEET, out)
    with (out / "review-2026-10-Review.csv").open(encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == HEADERS
    assert [row[0] for row in rows[1:]] == REVIEW_ORDER
    assert rows[10][5:] == [
        "5",
        "6",
        "12",
        "Acronis shows 6; the contract bills 5",
        "Adjust ",
        "5",
        "quota up in Nov",
    ]
    assert Decimal(rows[3][7]) == Decimal("135")


def test_export_and_apply_from_the_command_line(
    workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = tmp_path / "outputs"
    arguments = ["--workspace", str(workspace.root), "--period", PERIOD]
    assert main(["export", *arguments, "--outputs", str(outputs)]) == 0
    said = capsys.readouterr()
    assert said.out.splitlines() == [
        f"Review workbook: {outputs / PERIOD / 'review-2026-10.xlsx'} (14 lines: 14 pending, "
        "0 decided, 0 changed since decided)",
        "No import files: no line is approved or adjusted yet. Decide in the workbook, run "
        "workbench apply, then export again.",
    ]
    workbook = outputs / PERIOD / "review-2026-10.xlsx"
    edit(workbook, {"J3": "approved"})
    assert main(["apply", str(workbook), "--who", "dana"]) == 2
    assert capsys.readouterr().err == (
        "error: review-2026-10.xlsx, row 3, column 'Decision': Bluewater Logistics, Managed "
        "workstation: 'approved' is not a decision (expected approve, adjust or dismiss (or "
        "empty to leave the line pending))\n"
    )
    review_as_a_person_would(workbook)
    assert main(["apply", str(workbook), "--who", "dana"]) == 0
    assert "13 decisions recorded for 2026-10" in capsys.readouterr().out
    assert main(["export", *arguments, "--outputs", str(outputs)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:4] == [
        "Decided: 11 approve, 1 adjust, 1 dismiss",
        "autotask import: 10 changes, 1 proposed new lines",
        "No import row for Riverbend Credit Union, Cloud backup storage (per 100 GB): billing "
        "stays at 5: nothing to change",
    ]
    assert sorted(path.name for path in (outputs / PERIOD).iterdir()) == [
        "autotask-contract-service-adjustments-2026-10.csv",
        "autotask-import-2026-10.xlsx",
        "autotask-new-lines-proposed-2026-10.csv",
        "review-2026-10.xlsx",
    ]
