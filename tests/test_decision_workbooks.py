"""Decide in whichever workbook you were handed: the batch's and the review workbook, for real.

One batch run of a copy of the demo month (the module's :func:`month`, shared by every test)
writes the all-clients workbook and the 25 clients' own; ``workbench export`` writes the review
workbook beside them. Each test then decides on a copy of that workspace (its ledger empty, its
period store kept), filling the Review sheet with openpyxl as a person would in Excel, and runs
``workbench apply`` (its ``main``, or the command in a process of its own) against the real
SQLite ledger.

The demo month has 14 lines to decide (see :mod:`tests.test_workbook_review`); Quarry Hill
Engineering has 3 of them: its Gold bundle (under-billed, $190.00), its identity threat
detection beyond the bundle (unbilled usage) and the bundle's security awareness gap.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import DEMO, PERIOD, ROOT
from tests.test_workbook_review import AS_SHIPPED, BUNDLE_GAP, DISMISSED, REVIEW_ORDER, RIVERBEND
from workbench.batch import run_batch
from workbench.cli import main
from workbench.ledger import Decided, Ledger, ledger_to_read
from workbench.outputs.workbook_review import HEADERS, export_review
from workbench.workspace import Workspace, reconcile_workspace

QUARRY_HILL = "Quarry Hill Engineering"
QUARRY_HILL_LINES = [
    "29600212:29683415",
    "29600212:29683408",
    "29600212:29683415:Security awareness training",
]
#: The decisions of the review walk-through: 11 approved, Riverbend adjusted to 5, Quarry
#: Hill's identity seats dismissed, the bundle gap left pending.
WALK_THROUGH: dict[str, tuple[str, int | None, str | None]] = {
    **{line_id: ("approve", None, None) for line_id in REVIEW_ORDER[:-1]},
    RIVERBEND: ("Adjust ", 5, "quota up in Nov"),
    DISMISSED: ("dismiss", None, "trial identities"),
}
LAYOUT_SCRIPT = Path(__file__).with_name("libreoffice_layout.py")
SYSTEM_PYTHON = "/usr/bin/python3"  # the Python LibreOffice's uno module is installed for


@dataclass(frozen=True)
class Month:
    """The shared run: its workspace and the workbooks it wrote."""

    workspace: Path
    folder: Path
    review: Path

    @property
    def all_clients(self) -> Path:
        return self.folder / f"All clients - {PERIOD}.xlsx"

    def client(self, name: str) -> Path:
        return self.folder / name / f"{name} - {PERIOD}.xlsx"

    def workbooks(self) -> list[Path]:
        """Every workbook of the run with a Review sheet, the review workbook last."""
        return [self.all_clients, *sorted(self.folder.glob(f"*/* - {PERIOD}.xlsx")), self.review]


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Month:
    root = tmp_path_factory.mktemp("decide")
    workspace = root / "workspace"
    shutil.copytree(DEMO, workspace, **AS_SHIPPED)
    batch = run_batch(workspace, PERIOD, root / "outputs", jobs=2, progress=lambda _: None)
    assert batch.ok, [run.error for run in batch.clients]
    review = export_review(workspace, PERIOD, root / "outputs").workbook
    return Month(workspace, batch.folder, review)


@pytest.fixture
def workspace(month: Month, tmp_path: Path) -> Path:
    """This test's copy of the run's workspace: the same inputs and mappings, its own ledger."""
    copy = tmp_path / "workspace"
    shutil.copytree(month.workspace, copy, copy_function=shutil.copyfile)
    return copy


def decide(
    workbook: Path, to: Path, decisions: dict[str, tuple[str, int | None, str | None]]
) -> Path:
    """Type decisions into a copy of a workbook's Review sheet, by Line ID, as a person in
    Excel would, and save it."""
    book = openpyxl.load_workbook(workbook)
    sheet = book["Review"]
    column = {header: HEADERS.index(header) + 1 for header in ("Decision", "Adjusted qty", "Note")}
    for row in range(2, sheet.max_row + 1):
        chosen = decisions.get(str(sheet.cell(row, 1).value))
        if chosen is None:
            continue
        for header, value in zip(("Decision", "Adjusted qty", "Note"), chosen, strict=True):
            sheet.cell(row, column[header]).value = value
    book.save(to)
    return to


def ledger_decisions(workspace: Path) -> dict[str, Decided]:
    with Ledger.open(ledger_to_read(Workspace.open(workspace))) as ledger:
        return ledger.decisions(PERIOD)


def review_rows(workbook: Path) -> list[tuple[object, ...]]:
    book = openpyxl.load_workbook(workbook, read_only=True)
    try:
        return list(book["Review"].iter_rows(values_only=True))
    finally:
        book.close()


def test_every_workbook_with_a_decision_column_has_the_one_decision_layout(
    month: Month,
) -> None:
    """The all-clients workbook, the 25 clients' and the review workbook: Decision columns on
    the Review sheet only, with the same columns, list, validation, protection and run."""
    workbooks = month.workbooks()
    assert len(workbooks) == 1 + 25 + 1
    clients = reconcile_workspace(month.workspace, PERIOD).clients
    company_ids = dict(zip(clients["company_name"], clients["company_id"], strict=True))
    runs = set()
    for path in workbooks:
        book = openpyxl.load_workbook(path)
        deciding = [
            sheet.title
            for sheet in book.worksheets
            if {"Decision", "Adjusted qty"} & {str(cell.value) for cell in sheet[1]}
        ]
        assert deciding == ["Review"], path.name
        review = book["Review"]
        assert [cell.value for cell in review[1]] == HEADERS, path.name
        last = review.max_row
        validations = {
            (v.type, v.formula1, v.formula2, str(v.sqref))
            for v in review.data_validations.dataValidation
        }
        if review["A2"].value != "No line needs a decision: nothing to decide in this workbook.":
            rows = "2" if last == 2 else f"2:{{}}{last}"  # openpyxl's range of one cell
            assert validations == {
                ("list", '"approve,adjust,dismiss"', None, "J" + rows.format("J")),
                ("whole", "0", "999999999", "K" + rows.format("K")),
            }, path.name
            locked = [review.cell(2, column).protection.locked for column in range(1, 13)]
            assert locked == [True] * 9 + [False] * 3, path.name
        assert review.protection.sheet and book["About"].protection.sheet, path.name
        assert book["Written"].sheet_state == "veryHidden", path.name
        about = {row[0]: row[1] for row in book["About"].iter_rows(max_row=8, values_only=True)}
        assert about["Kind"] == "workbench review workbook 2", path.name
        whole = path in (month.all_clients, month.review)
        assert about["Clients"] == ("all" if whole else company_ids[path.parent.name]), path.name
        runs.add(about["Run"])
    assert len(runs) == 1  # one run, one fingerprint

    # The same lines, in the same order, with the same cells, wherever they are decided.
    every = review_rows(month.all_clients)
    assert review_rows(month.review) == every
    assert [row[0] for row in every[1:]] == REVIEW_ORDER
    quarry_hill = review_rows(month.client(QUARRY_HILL))
    assert quarry_hill == [every[0], *(row for row in every[1:] if row[1] == QUARRY_HILL)]
    assert [row[0] for row in quarry_hill[1:]] == QUARRY_HILL_LINES


def test_decide_in_the_all_clients_workbook_as_in_the_review_workbook(
    month: Month, workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    decided = decide(month.all_clients, tmp_path / "All clients - 2026-10.xlsx", WALK_THROUGH)

    assert main(["apply", str(decided), "--who", "dana", "--workspace", str(workspace)]) == 0

    assert capsys.readouterr().out == (
        "All clients - 2026-10.xlsx: 13 decisions recorded for 2026-10 (11 approve, 1 adjust, "
        "1 dismiss), 0 lines back to pending, 1 row unchanged.\n"
    )
    decisions = ledger_decisions(workspace)
    assert set(decisions) == set(REVIEW_ORDER) - {BUNDLE_GAP}
    assert {act.who for act in decisions.values()} == {"dana"}
    riverbend = decisions[RIVERBEND]
    assert (riverbend.decision, riverbend.quantity, riverbend.note) == (
        "adjust",
        Decimal(5),
        "quota up in Nov",
    )
    assert (decisions[DISMISSED].decision, decisions[DISMISSED].note) == (
        "dismiss",
        "trial identities",
    )
    # The review workbook written now shows them, as the next batch's workbooks will.
    again = export_review(workspace, PERIOD, tmp_path / "again")
    assert list(again.review["state"]).count("decided") == 13
    assert (len(again.imports.imports[0].changes), len(again.imports.imports[0].new_lines)) == (
        10,
        1,
    )


def test_a_clients_workbook_applies_only_its_lines(
    month: Month, workspace: Path, tmp_path: Path
) -> None:
    """Quarry Hill's own workbook, applied by the command in a process of its own: its three
    lines are recorded and no other client's line is touched (nor reported removed)."""
    decided = decide(
        month.client(QUARRY_HILL),
        tmp_path / f"{QUARRY_HILL} - {PERIOD}.xlsx",
        {
            QUARRY_HILL_LINES[0]: ("approve", None, "two new hires"),
            QUARRY_HILL_LINES[1]: ("dismiss", None, None),
            QUARRY_HILL_LINES[2]: ("approve", None, "SAT roll-out booked"),
        },
    )
    finished = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "apply", str(decided), "--who", "lee",
         "--workspace", str(workspace)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert (finished.returncode, finished.stderr) == (0, "")
    assert finished.stdout == (
        f"{QUARRY_HILL} - 2026-10.xlsx: 3 decisions recorded for 2026-10 (2 approve, "
        "1 dismiss), 0 lines back to pending, 0 rows unchanged.\n"
    )
    decisions = ledger_decisions(workspace)
    assert {
        line_id: (str(act.decision), act.note, act.who) for line_id, act in decisions.items()
    } == {
        QUARRY_HILL_LINES[0]: ("approve", "two new hires", "lee"),
        QUARRY_HILL_LINES[1]: ("dismiss", "", "lee"),
        QUARRY_HILL_LINES[2]: ("approve", "SAT roll-out booked", "lee"),
    }


@pytest.mark.parametrize(
    ("sheet", "cells", "message"),
    [
        (
            "Review",
            {"F2": 30},
            ", row 2, column 'Billed qty': locked cell edited: Billed qty of Quarry Hill "
            "Engineering, Gold managed user bundle was '32', now '30' (expected locked columns "
            "as written; decide with Decision, Adjusted qty and Note)",
        ),
        (
            "About",
            {"B6": "all"},
            ", column 'Line ID': 11 rows were removed, the first of Bluewater Logistics, Managed "
            "workstation (expected every row the workbook was written with: rows cannot be "
            "deleted)",
        ),
        (
            "About",
            {"B5": "0" * 64},
            ": this workbook was written from another run of 2026-10: the inputs or mappings have "
            "changed since (expected a workbook of the current run: write it again (workbench "
            "export, workbench run, or the dashboard's Prepare workbook) and copy your decisions "
            "over)",
        ),
    ],
)
def test_a_tampered_workbook_is_refused_and_nothing_is_recorded(
    month: Month,
    workspace: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    sheet: str,
    cells: dict[str, object],
    message: str,
) -> None:
    path = decide(
        month.client(QUARRY_HILL),
        tmp_path / "tampered.xlsx",
        {QUARRY_HILL_LINES[0]: ("approve", None, None)},
    )
    book = openpyxl.load_workbook(path)
    for address, value in cells.items():
        book[sheet][address] = value
    book.save(path)

    assert main(["apply", str(path), "--who", "dana", "--workspace", str(workspace)]) == 2

    assert capsys.readouterr().err == f"error: tampered.xlsx{message}\n"
    assert ledger_decisions(workspace) == {}


def test_a_workbook_of_an_earlier_run_is_refused(
    month: Month, workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The exports changed since the batch wrote the workbook: its lines may have moved, so
    its decisions are refused, with what to do."""
    decided = decide(month.all_clients, tmp_path / "stale.xlsx", WALK_THROUGH)
    usage = workspace / "periods" / PERIOD / "inputs" / "huntress" / "organizations.csv"
    usage.write_bytes(usage.read_bytes() + b"\n")

    assert main(["apply", str(decided), "--who", "dana", "--workspace", str(workspace)]) == 2

    assert capsys.readouterr().err == (
        "error: stale.xlsx: this workbook was written from another run of 2026-10: the inputs "
        "or mappings have changed since (expected a workbook of the current run: write it "
        "again (workbench export, workbench run, or the dashboard's Prepare workbook) and copy "
        "your decisions over)\n"
    )
    assert ledger_decisions(workspace) == {}


@pytest.mark.libreoffice
def test_libreoffice_shows_every_wrapped_text_and_each_sheet_prints_set_up(
    month: Month, tmp_path: Path
) -> None:
    """LibreOffice opens the all-clients, Quarry Hill's and the review workbook; for each row
    with wrapped text (Why, Note, reasons) the height the file sets is at least the height
    LibreOffice needs to show all of its text, and every sheet prints landscape, one page wide,
    its first row repeated on each page."""
    workbooks = [month.all_clients, month.client(QUARRY_HILL), month.review]
    measured = subprocess.run(
        [SYSTEM_PYTHON, str(LAYOUT_SCRIPT), str(tmp_path / "lo"), *map(str, workbooks)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert measured.returncode == 0, measured.stderr
    layout = json.loads(measured.stdout)

    assert sorted(layout) == sorted(path.name for path in workbooks)
    wrapped_rows = 0
    for workbook, sheets in layout.items():
        for name, sheet in sheets.items():
            where = f"{workbook}, {name}"
            assert (sheet["landscape"], sheet["pages_wide"], sheet["pages_tall"]) == (
                True,
                1,
                0,
            ), where
            assert sheet["title_rows"] == [1, 1], where
            for row in sheet["wrapped_rows"]:
                assert row["height"] >= row["needed"], (where, row)
            wrapped_rows += len(sheet["wrapped_rows"])
    # Every line's Why on the Review, Adjustments and Lines sheets, the bundle's reason, ...
    review_sheet = layout[month.all_clients.name]["Review"]["wrapped_rows"]
    assert len(review_sheet) == len(REVIEW_ORDER)
    assert any(len(text) > 120 for row in review_sheet for text in row["texts"])
    # The bundle gap's reason takes several lines, where most Why texts take one.
    one_line = min(row["needed"] for row in review_sheet)
    (reason,) = layout[month.client(QUARRY_HILL).name]["Bundles"]["wrapped_rows"]
    assert reason["needed"] > 2 * one_line
    assert wrapped_rows > 250
