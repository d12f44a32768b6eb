"""The review workbook: decide a period's lines in Excel, then apply the decisions to the ledger.

:func:`write_review_workbook` writes one row per line to review (:meth:`Ledger.review`: the
proposed billing changes and bundle findings, biggest money first). The columns Line ID, Client,
Service, Status, State, Billed, Vendor count and Money are locked by sheet protection; Decision
(a list: approve, adjust, dismiss), Adjusted quantity and Note are the reviewer's, prefilled with
the decisions already in the ledger.

:func:`apply_review_workbook` (``workbench apply``) reads it back. Before anything is written it
checks that the workbook is of the same workspace, period and run (the inputs' and mappings'
checksums are kept in the About sheet), that no row was added or removed, that no locked cell
was edited and that every decision is one the ledger knows; the first problem found is refused
with the file, row and column. Only rows whose Decision, Adjusted quantity or Note differ from
what the workbook was written with are recorded, so a decision made meanwhile in the dashboard
on a line the reviewer left alone is kept. Emptying a row's Decision takes the line back to
pending.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zipfile import BadZipFile

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, Protection
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from workbench.errors import InputError, WorkbenchError
from workbench.formula_guard import put_text, safe_text
from workbench.ledger import DECISIONS, Choice, Ledger, ledger_path
from workbench.outputs.cells import (
    INPUT_FILL,
    QUANTITY,
    cell,
    fit_columns,
    put_headers,
    put_value,
)
from workbench.outputs.excel import _money_format
from workbench.outputs.psa_import import ImportFiles, import_files, write_import_files
from workbench.period import Period
from workbench.result import Reconciliation
from workbench.sources.reading import MAX_COUNT, file_checksum
from workbench.workspace import Workspace

REVIEW_SHEET = "Review"
ABOUT_SHEET = "About"
WRITTEN_SHEET = "Written"
#: What the hidden Written sheet keeps of each row.
WRITTEN_COLUMNS = ("line_id", "decision", "quantity", "note", "state")
#: Marks a workbook :func:`apply_review_workbook` can read (bumped if the layout changes).
WORKBOOK_KIND = "workbench review workbook 1"

#: Locked columns: header, the review frame's column, how the cell looks.
LOCKED_COLUMNS = (
    ("Line ID", "line_id", "text"),
    ("Client", "company_name", "text"),
    ("Service", "service_name", "text"),
    ("Status", "status", "text"),
    ("State", "state", "text"),
    ("Billed", "billed_quantity", "quantity"),
    ("Vendor count", "expected_quantity", "quantity"),
    ("Money", "revenue_impact", "money"),
)
#: The reviewer's columns and the review frame's column they are prefilled from.
EDITABLE_COLUMNS = (
    ("Decision", "decision"),
    ("Adjusted quantity", "quantity"),
    ("Note", "note"),
)
HEADERS = [header for header, _, _ in LOCKED_COLUMNS] + [header for header, _ in EDITABLE_COLUMNS]
#: About sheet labels, in column A, with their value in column B.
ABOUT_LABELS = ("Kind", "Workspace", "Folder", "Period", "Run", "Lines", "Written with")

_HOW_TO = (
    "How to review: on the Review sheet, for each line pick a Decision: approve (bill what the "
    "vendors show), adjust (bill the Adjusted quantity you enter) or dismiss (leave billing as "
    "it is this month). Add a Note for the next person. Leave a Decision empty to keep the line "
    "pending.",
    "Only the yellow columns are yours: the others are locked; do not add or delete rows. When done, save and run: "
    "workbench apply <this file> --who <your name>",
)


@dataclass(frozen=True)
class AppliedReview:
    """What :func:`apply_review_workbook` recorded.

    Attributes
    ----------
    period
        The period the workbook reviews.
    decided
        Line ids given a decision (new or changed), in workbook order.
    cleared
        Line ids taken back to pending.
    unchanged
        Rows left as the workbook was written.
    counts
        Decisions recorded, by decision.
    """

    period: str
    decided: tuple[str, ...]
    cleared: tuple[str, ...]
    unchanged: int
    counts: dict[str, int]

    def describe(self, workbook: Path) -> str:
        """One sentence for the person who ran ``workbench apply``."""
        recorded = ", ".join(f"{n} {d}" for d, n in self.counts.items()) or "none"
        return (
            f"{workbook.name}: {len(self.decided)} decisions recorded for {self.period} "
            f"({recorded}), {len(self.cleared)} lines back to pending, {self.unchanged} rows "
            "unchanged."
        )


def run_fingerprint(result: Reconciliation, workspace: Workspace) -> str:
    """A checksum of what a run read: the period, every input file and the mappings.

    Two runs with the same fingerprint produce the same lines, so a workbook written from one
    can be applied after the other.
    """
    digest = hashlib.sha256(f"{result.period}\n".encode())
    read_files = result.files[result.files["side"] != "ignored"]
    for name, checksum in sorted(zip(read_files["source_file"], read_files["sha256"], strict=True)):
        digest.update(f"{name} {checksum}\n".encode())
    if workspace.mappings_file.exists():
        digest.update(f"mappings.xlsx {file_checksum(workspace.mappings_file)}\n".encode())
    return digest.hexdigest()


def write_review_workbook(
    result: Reconciliation, review: pd.DataFrame, workspace: Workspace, path: Path
) -> Path:
    """Write the review workbook.

    Parameters
    ----------
    result
        The reconciliation reviewed.
    review
        :meth:`workbench.ledger.Ledger.review` of it: the lines and the decisions in force.
    workspace
        The workspace it was run in (named in the About sheet, so ``workbench apply`` finds it).
    path
        Where the ``.xlsx`` goes; its folder is created if needed.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = REVIEW_SHEET
    formats = {"text": None, "quantity": QUANTITY, "money": _money_format(result.currency)}
    put_headers(sheet, HEADERS)
    for row, line in enumerate(review.to_dict("records"), start=2):
        for column, (_, name, kind) in enumerate(LOCKED_COLUMNS, start=1):
            put_value(cell(sheet, row, column), _shown(line[name]), formats[kind])
        for column, (_, name) in enumerate(EDITABLE_COLUMNS, start=len(LOCKED_COLUMNS) + 1):
            editable = put_value(cell(sheet, row, column), _shown(line[name]))
            editable.fill = INPUT_FILL
            editable.protection = Protection(locked=False)
    last = len(review) + 1
    decision, quantity = (get_column_letter(len(LOCKED_COLUMNS) + n) for n in (1, 2))
    choices = DataValidation(
        type="list",
        formula1='"' + ",".join(str(d) for d in DECISIONS) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Decision",
        error="Pick approve, adjust or dismiss, or leave it empty.",
    )
    amounts = DataValidation(
        type="whole",
        operator="between",
        formula1="0",
        formula2=str(MAX_COUNT - 1),
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Adjusted quantity",
        error="The quantity to bill: a whole number of units, 0 or more.",
    )
    sheet.add_data_validation(choices)
    sheet.add_data_validation(amounts)
    if last >= 2:
        choices.add(f"{decision}2:{decision}{last}")
        amounts.add(f"{quantity}2:{quantity}{last}")
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(HEADERS))}{last}"
    _protect(sheet)
    fit_columns(sheet)

    about = book.create_sheet(ABOUT_SHEET)
    values: tuple[str | int, ...] = (
        WORKBOOK_KIND,
        workspace.name,
        str(workspace.root),
        result.period,
        run_fingerprint(result, workspace),
        len(review),
        "MSP billing workbench",
    )
    for row, (label, value) in enumerate(zip(ABOUT_LABELS, values, strict=True), start=1):
        put_text(cell(about, row, 1), label).font = Font(bold=True)
        put_value(cell(about, row, 2), value)
    for row, text in enumerate(_HOW_TO, start=len(ABOUT_LABELS) + 2):
        put_text(cell(about, row, 1), text)
    _protect(about)

    # What the reviewer's columns were written with, so only rows the reviewer changed are
    # recorded (a decision made meanwhile in the dashboard on an untouched row stands).
    written = book.create_sheet(WRITTEN_SHEET)
    written.sheet_state = "veryHidden"
    for row, line in enumerate(review.to_dict("records"), start=1):
        for column, name in enumerate(WRITTEN_COLUMNS, start=1):
            put_text(cell(written, row, column), _text(line[name]))
    _protect(written)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Saved beside and moved over, so a reader never meets a half-written workbook.
    partial = path.with_name(f".{path.name}.partial")
    book.save(partial)
    os.replace(partial, path)
    return path


def _protect(sheet: Worksheet) -> None:
    """Lock every cell not unlocked; sorting, filtering and resizing stay allowed."""
    sheet.protection.sheet = True
    sheet.protection.autoFilter = False
    sheet.protection.sort = False
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False


def _shown(value: object) -> object:
    """A review value as the cell shows it: text for decisions, nothing for missing."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return value


@dataclass(frozen=True)
class ExportedReview:
    """What :func:`export_review` wrote.

    Attributes
    ----------
    workbook
        The review workbook.
    import_files
        The PSA import files (CSV and xlsx per PSA).
    review
        The lines to review with their decisions (:meth:`Ledger.review`).
    imports
        The import rows and the decided lines that write none.
    """

    workbook: Path
    import_files: tuple[Path, ...]
    review: pd.DataFrame
    imports: ImportFiles

    def describe(self) -> str:
        """What was written, in a few lines for the person who ran ``workbench export``."""
        states = Counter(self.review["state"])
        decided = Counter(self.review.loc[self.review["state"] == "decided", "decision"])
        said = [
            f"Review workbook: {self.workbook} ({len(self.review)} lines: "
            f"{states['pending']} pending, {states['decided']} decided, "
            f"{states['changed']} changed since decided)",
        ]
        if states["decided"]:
            said.append(
                "Decided: "
                + ", ".join(f"{decided[str(d)]} {d}" for d in DECISIONS if decided[str(d)])
            )
        for each in self.imports.imports:
            said.append(
                f"{each.psa} import: {len(each.changes)} changes, {len(each.new_lines)} proposed "
                f"new lines"
            )
        for line_id, reason in zip(
            self.imports.skipped["line_id"], self.imports.skipped["reason"], strict=True
        ):
            said.append(f"No import row for {line_id}: {reason}")
        said.extend(f"Import file: {path}" for path in self.import_files)
        if not self.imports.imports:
            said.append(
                "No import files: no line is approved or adjusted yet. Decide in the workbook, "
                "run workbench apply, then export again."
            )
        return "\n".join(said)


def export_review(workspace: str | Path | Workspace, period: str, outputs: Path) -> ExportedReview:
    """Reconcile a period and write its review workbook and import files to
    ``outputs/<period>/``.

    The import files hold the lines approved or adjusted in the ledger so far; export again
    after ``workbench apply`` to include new decisions.

    Parameters
    ----------
    workspace
        The workspace (or its folder).
    period
        The billing month, ``YYYY-MM``.
    outputs
        The outputs folder; files go to its ``<period>`` subfolder.

    Returns
    -------
    ExportedReview
        The files written, the review and the import rows.
    """
    month = Period.open(workspace, period)
    workspace, result = month.workspace, month.result()
    with Ledger.open(ledger_path(workspace)) as ledger:
        review = ledger.review(result)
    folder = Path(outputs) / result.period
    workbook = write_review_workbook(result, review, workspace, folder / f"review-{period}.xlsx")
    imports = import_files(review, result, workspace)
    written = [path for each in imports.imports for path in write_import_files(each, folder)]
    return ExportedReview(workbook, tuple(written), review, imports)


def apply_review_workbook(
    path: str | Path, *, who: str, workspace: str | Path | None = None
) -> AppliedReview:
    """Read a review workbook's decisions into the workspace's ledger.

    Parameters
    ----------
    path
        A workbook written by :func:`write_review_workbook` and edited by a reviewer.
    who
        Who decided (recorded with every decision).
    workspace
        The workspace folder, when it has moved since the workbook was written (default: the
        folder named in the About sheet).

    Returns
    -------
    AppliedReview
        What was recorded.

    Raises
    ------
    InputError
        Naming the file, row and column: a workbook of another workspace, period or run, a row
        added or removed, a locked cell edited, an unknown decision, a bad quantity. Nothing is
        recorded then.
    """
    path = Path(path)
    if not who.strip():
        raise WorkbenchError(
            "say who decided (--who NAME): the ledger records it with every decision"
        )
    book = _open(path)
    about = _about(book, path)
    try:
        opened = Workspace.open(workspace if workspace is not None else about["Folder"])
    except WorkbenchError as exc:
        if workspace is not None:
            raise
        raise WorkbenchError(
            f"{exc}. The workbook was exported from {about['Folder']}: if the workspace has "
            "moved, say where with --workspace FOLDER"
        ) from None
    if opened.name != about["Workspace"]:
        raise InputError(
            path,
            f"this workbook reviews workspace {about['Workspace']!r}, not {opened.name!r}",
            expected="the workspace the workbook was exported from (--workspace FOLDER)",
        )
    period = about["Period"]
    result = Period.open(opened, period).result()
    if run_fingerprint(result, opened) != about["Run"]:
        raise InputError(
            path,
            f"this workbook was written from another run of {period}: the inputs or mappings "
            "have changed since",
            expected="a review workbook of the current run: run workbench export again and "
            "copy your decisions over",
        )
    written = _written(book, path)
    with Ledger.open(ledger_path(opened)) as ledger:
        review = ledger.review(result)
        rows = _read_rows(book[REVIEW_SHEET], path, review, written)
        lines = review.set_index("line_id", drop=False)
        edits = [
            values
            for _, values in rows
            if written[values["line_id"]][:3]
            != (values["decision"], values["quantity"], values["note"])
        ]
        choices = [
            Choice(
                lines.loc[values["line_id"]],
                values["decision"],
                quantity=values["quantity"],
                note=values["note"],
            )
            for values in edits
            if values["decision"]
        ]
        # One transaction: a workbook is recorded whole or not at all.
        ledger.decide_all(
            period,
            choices,
            clears=[values["line_id"] for values in edits if not values["decision"]],
            who=who,
        )
        counts = Counter(str(values["decision"]) for values in edits if values["decision"])
    return AppliedReview(
        period=period,
        decided=tuple(v["line_id"] for v in edits if v["decision"]),
        cleared=tuple(v["line_id"] for v in edits if not v["decision"]),
        unchanged=len(rows) - len(edits),
        counts={str(d): counts[str(d)] for d in DECISIONS if counts[str(d)]},
    )


def _open(path: Path) -> Any:
    if not path.exists():
        raise WorkbenchError(f"{path} does not exist: give the review workbook's path")
    try:
        book = load_workbook(path)
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError) as exc:
        raise InputError(path, f"not an Excel workbook ({exc})", expected="an .xlsx file") from None
    if REVIEW_SHEET not in book.sheetnames or ABOUT_SHEET not in book.sheetnames:
        raise InputError(
            path,
            "not a review workbook: the Review or About sheet is missing",
            expected="a workbook written by workbench export",
        )
    return book


def _written(book: Any, path: Path) -> dict[str, tuple[str, Decimal | None, str, str]]:
    """Line id -> Decision, Adjusted quantity, Note and State as the workbook was written."""
    if WRITTEN_SHEET not in book.sheetnames:
        raise InputError(
            path,
            f"not a review workbook: its hidden {WRITTEN_SHEET} sheet is missing",
            expected="a workbook written by workbench export",
        )
    found = {}
    for line_id, decision, quantity, note, state in book[WRITTEN_SHEET].iter_rows(
        max_col=len(WRITTEN_COLUMNS), values_only=True
    ):
        amount = _quantity(str(quantity or ""))
        found[str(line_id)] = (str(decision or ""), amount, str(note or "").strip(), str(state))
    return found


def _quantity(text: str) -> Decimal | None:
    """A quantity cell's number (whole numbers without decimals), None if empty or not one."""
    if not text.strip():
        return None
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _about(book: Any, path: Path) -> dict[str, str]:
    sheet = book[ABOUT_SHEET]
    found = {}
    for row, label in enumerate(ABOUT_LABELS, start=1):
        if sheet.cell(row, 1).value != label:
            raise InputError(
                path,
                "the About sheet has been changed",
                row=row,
                column="A",
                expected=f"{label!r}, as the workbook was written",
            )
        found[label] = "" if sheet.cell(row, 2).value is None else str(sheet.cell(row, 2).value)
    if found["Kind"] != WORKBOOK_KIND:
        raise InputError(
            path,
            f"written by another version of the workbench ({found['Kind']!r})",
            row=1,
            column="B",
            expected="a review workbook of this version: run workbench export again",
        )
    return found


def _read_rows(
    sheet: Worksheet,
    path: Path,
    review: pd.DataFrame,
    written: dict[str, tuple[str, Decimal | None, str, str]],
) -> list[tuple[int, dict[str, Any]]]:
    """Every row's line id and reviewer's values, after checking rows and locked cells.

    Locked cells are compared with the line as it is now (the same run, so the same figures),
    but State with what it was when written: a decision made since changes the ledger's state.
    """
    headers = [sheet.cell(1, column).value for column in range(1, sheet.max_column + 1)]
    while headers and headers[-1] is None:
        headers.pop()
    if headers != HEADERS:
        at = next(
            (i for i, (a, b) in enumerate(zip(headers, HEADERS, strict=False)) if a != b),
            min(len(headers), len(HEADERS)),
        )
        raise InputError(
            path,
            "the Review sheet's columns have been changed",
            row=1,
            column=get_column_letter(at + 1),
            expected=f"the columns {', '.join(HEADERS)}",
        )
    lines = review.set_index("line_id", drop=False)
    seen: dict[str, int] = {}
    rows = []
    last = sheet.max_row
    for row in range(2, last + 1):
        cells = [sheet.cell(row, column).value for column in range(1, len(HEADERS) + 1)]
        if all(value is None or str(value).strip() == "" for value in cells):
            continue
        line_id = "" if cells[0] is None else str(cells[0])
        if line_id not in lines.index or line_id not in written:
            raise InputError(
                path,
                f"row {row} is not a line of this review"
                + (f" (line {line_id!r})" if line_id else ""),
                row=row,
                column="Line ID",
                expected="only the rows the workbook was written with: rows cannot be added",
            )
        if line_id in seen:
            raise InputError(
                path,
                f"line {line_id} is on rows {seen[line_id]} and {row}",
                row=row,
                column="Line ID",
                expected="each line once: rows cannot be copied",
            )
        seen[line_id] = row
        line = lines.loc[line_id]
        for column, (header, name, kind) in enumerate(LOCKED_COLUMNS):
            value = written[line_id][3] if name == "state" else line[name]
            if not _same(cells[column], value, kind):
                raise InputError(
                    path,
                    f"locked cell edited: {header} of line {line_id} was "
                    f"{_text(value)!r}, now {_text(cells[column])!r}",
                    row=row,
                    column=header,
                    expected="locked columns as written; decide with Decision, Adjusted "
                    "quantity and Note",
                )
        rows.append((row, _reviewer_values(path, row, line_id, cells)))
    missing = [line_id for line_id in lines.index if line_id not in seen]
    if missing:
        raise InputError(
            path,
            f"the row of line {missing[0]} was removed"
            if len(missing) == 1
            else f"{len(missing)} rows were removed, the first of line {missing[0]}",
            column="Line ID",
            expected="every row the workbook was written with: rows cannot be deleted",
        )
    return rows


def _reviewer_values(path: Path, row: int, line_id: str, cells: Sequence[Any]) -> dict[str, Any]:
    decision_cell, quantity_cell, note_cell = cells[len(LOCKED_COLUMNS) :]
    decision = "" if decision_cell is None else str(decision_cell).strip().lower()
    known = [str(d) for d in DECISIONS]
    if decision and decision not in known:
        raise InputError(
            path,
            f"{decision_cell!r} is not a decision",
            row=row,
            column="Decision",
            expected="approve, adjust or dismiss (or empty to leave the line pending)",
        )
    quantity_text = "" if quantity_cell is None else str(quantity_cell).strip()
    quantity = _quantity(quantity_text)
    if quantity_text and (
        quantity is None
        or quantity < 0
        or quantity != quantity.to_integral_value()
        or quantity >= MAX_COUNT
    ):
        raise InputError(
            path,
            f"{quantity_cell!r} is not a quantity to bill",
            row=row,
            column="Adjusted quantity",
            expected=f"a whole number of units, 0 or more and below {MAX_COUNT:,}",
        )
    note = "" if note_cell is None else str(note_cell).strip()
    if not decision and (quantity is not None or note):
        raise InputError(
            path,
            f"line {line_id} has an Adjusted quantity or Note but no Decision",
            row=row,
            column="Decision",
            expected="a Decision, or empty Adjusted quantity and Note too",
        )
    if decision == "adjust" and quantity is None:
        raise InputError(
            path,
            f"line {line_id} is to be adjusted but has no Adjusted quantity",
            row=row,
            column="Adjusted quantity",
            expected="the quantity to bill, 0 or more",
        )
    if decision in ("approve", "dismiss") and quantity is not None:
        raise InputError(
            path,
            f"line {line_id} has an Adjusted quantity of {quantity} with {decision}",
            row=row,
            column="Adjusted quantity",
            expected="adjust to bill that quantity, or an empty Adjusted quantity",
        )
    return {"line_id": line_id, "decision": decision, "quantity": quantity, "note": note}


def _same(cell: object, value: object, kind: str) -> bool:
    if _shown(value) is None:
        return cell is None or str(cell).strip() == ""
    if kind == "text":
        return isinstance(cell, str) and cell == safe_text(str(value))
    try:
        return Decimal(str(cell)) == Decimal(str(value))
    except InvalidOperation:
        return False


def _text(value: object) -> str:
    shown = _shown(value)
    return "" if shown is None else str(shown)
