"""Decide a period's lines in Excel, then apply the decisions to the ledger.

Every workbook the workbench writes with a Decision column has the same Review sheet
(:mod:`workbench.outputs.excel`, written from a :class:`~workbench.outputs.excel.DecisionSheet`
made by :func:`decision_sheet`): the review workbook of ``workbench export``
(:func:`write_review_workbook`, the Review sheet alone), the batch's client and all-clients
workbooks and the dashboard's download. It has one row per line to review
(:meth:`Ledger.review`: the proposed billing changes and bundle findings, biggest money
first); its columns Line ID to Why are locked by sheet protection; Decision (a list: approve,
adjust, dismiss), Adjusted qty and Note are the reviewer's, prefilled with the decisions
already in the ledger.

:func:`apply_review_workbook` (``workbench apply``) reads any of them back. Before anything is
written it checks that the workbook is of the same workspace, period and run (the inputs' and
mappings' checksums are kept in the About sheet), that it holds the lines of the clients it
was written for (all of them, or one client's), that no row was added or removed, that no
locked cell was edited and that every decision is one the ledger knows; the first problem found
is refused with the file, row and column. Only rows whose Decision, Adjusted qty or Note differ
from what the workbook was written with are recorded, so a decision made meanwhile in the
dashboard on a line the reviewer left alone is kept. Emptying a row's Decision takes the line
back to pending.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zipfile import BadZipFile

import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from workbench.errors import InputError, WorkbenchError
from workbench.formula_guard import safe_text
from workbench.ledger import DECISIONS, Choice, Ledger, ledger_path
from workbench.outputs.excel import (
    ABOUT_LABELS,
    ABOUT_SHEET,
    ALL_CLIENTS,
    LOCKED_COLUMNS,
    NOTHING_TO_DECIDE,
    REVIEW_HEADERS,
    REVIEW_SHEET,
    WORKBOOK_KIND,
    WRITTEN_COLUMNS,
    WRITTEN_SHEET,
    DecisionSheet,
    write_workbook,
)
from workbench.outputs.psa_import import ImportFiles, import_files, write_import_files
from workbench.period import Period
from workbench.result import Reconciliation
from workbench.sources.reading import MAX_COUNT, file_checksum
from workbench.workspace import Workspace

#: The Review sheet's columns, in order (the one decision layout of every workbook).
HEADERS = REVIEW_HEADERS


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
        recorded = ", ".join(f"{n} {d}" for d, n in self.counts.items())
        return (
            f"{workbook.name}: {_count(len(self.decided), 'decision')} recorded for "
            f"{self.period}" + (f" ({recorded})" if recorded else "") + ", "
            f"{_count(len(self.cleared), 'line')} back to pending, "
            f"{_count(self.unchanged, 'row')} unchanged."
        )


def _count(number: int, word: str) -> str:
    """``1 row``, ``2 rows``, ``0 rows``."""
    return f"{number} {word}" if number == 1 else f"{number} {word}s"


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


def decision_sheet(
    result: Reconciliation,
    review: pd.DataFrame,
    workspace: Workspace,
    *,
    clients: Sequence[str] = (),
    run: str = "",
) -> DecisionSheet:
    """What a workbook needs to carry the Review sheet that ``workbench apply`` reads back.

    Parameters
    ----------
    result
        The reconciliation the workbook is written from (the whole run's, or one client's).
    review
        :meth:`workbench.ledger.Ledger.review` of ``result``: the lines to decide.
    workspace
        The workspace the decisions go to (named in the About sheet).
    clients
        The company ids the workbook covers; empty for every client of the run.
    run
        The run's fingerprint when the caller has it already (a batch writing many workbooks);
        else worked out here (:func:`run_fingerprint`).

    Returns
    -------
    DecisionSheet
        For :func:`workbench.outputs.excel.write_workbook` or ``workbook_bytes``.
    """
    return DecisionSheet(
        review=review,
        workspace_name=workspace.name,
        workspace_folder=str(workspace.root),
        run=run or run_fingerprint(result, workspace),
        clients=tuple(clients),
    )


def write_review_workbook(
    result: Reconciliation, review: pd.DataFrame, workspace: Workspace, path: Path
) -> Path:
    """Write the review workbook: the Review sheet, its About sheet and the hidden Written one.

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
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_workbook(
        result,
        path,
        title=f"{workspace.name} \u2014 review \u2014 {result.period}",
        decisions=decision_sheet(result, review, workspace),
        review_only=True,
    )


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
        skipped = self.imports.skipped
        for client, service, reason in zip(
            skipped["company_name"], skipped["service_name"], skipped["reason"], strict=True
        ):
            said.append(f"No import row for {client}, {service}: {reason}")
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
    """Read a workbook's decisions into the workspace's ledger.

    Parameters
    ----------
    path
        A workbook with the Review sheet (the review workbook, the batch's client or
        all-clients workbook, the dashboard's download) edited by a reviewer.
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
    about, written, rows_read = _read_workbook(path)
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
            expected="a workbook of the current run: write it again (workbench export, "
            "workbench run, or the dashboard's Prepare workbook) and copy your decisions over",
        )
    with Ledger.open(ledger_path(opened)) as ledger:
        review = _of_clients(ledger.review(result), about["Clients"])
        rows = _read_rows(rows_read, path, review, written)
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


_Written = dict[str, tuple[str, Decimal | None, str, str]]


def _read_workbook(path: Path) -> tuple[dict[str, str], _Written, list[tuple[Any, ...]]]:
    """The About sheet's values, the Written sheet's rows by line id, and the Review sheet's
    rows (its header first), read once; the workbook's other sheets are not read at all."""
    if not path.exists():
        raise WorkbenchError(f"{path} does not exist: give the workbook's path")
    try:
        # Read-only: a batch workbook's Evidence sheets are never parsed.
        book = load_workbook(path, read_only=True)
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError) as exc:
        raise InputError(path, f"not an Excel workbook ({exc})", expected="an .xlsx file") from None
    try:
        if REVIEW_SHEET not in book.sheetnames or ABOUT_SHEET not in book.sheetnames:
            raise InputError(
                path,
                "this workbook has no decisions to apply: its Review or About sheet is missing",
                expected="a workbook with a Review sheet: the review workbook of workbench "
                "export, a client's or the all-clients workbook of workbench run, or the "
                "dashboard's",
            )
        about = _about(list(book[ABOUT_SHEET].iter_rows(max_col=2, values_only=True)), path)
        if WRITTEN_SHEET not in book.sheetnames:
            raise InputError(
                path,
                f"its hidden {WRITTEN_SHEET} sheet is missing, so the decisions cannot be "
                "told from what it was written with",
                expected="a workbook as the workbench wrote it",
            )
        written = _written(book[WRITTEN_SHEET].iter_rows(values_only=True))
        rows = list(book[REVIEW_SHEET].iter_rows(values_only=True))
    finally:
        book.close()
    return about, written, rows


def _written(rows: Iterable[tuple[Any, ...]]) -> _Written:
    """Line id -> Decision, Adjusted qty, Note and State as the workbook was written."""
    found = {}
    for values in rows:
        padded = [*values, *[None] * len(WRITTEN_COLUMNS)]
        line_id, decision, quantity, note, state = padded[: len(WRITTEN_COLUMNS)]
        if line_id is None:
            continue
        amount = _quantity(str(quantity or ""))
        found[str(line_id)] = (str(decision or ""), amount, str(note or "").strip(), str(state))
    return found


def _of_clients(review: pd.DataFrame, clients: str) -> pd.DataFrame:
    """The lines of the clients a workbook was written for (a client's workbook holds its own)."""
    if clients == ALL_CLIENTS:
        return review
    wanted = review["company_id"].astype(str).isin(clients.split(","))
    return review[wanted].reset_index(drop=True)


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


def _about(rows: list[tuple[Any, ...]], path: Path) -> dict[str, str]:
    found = {}
    for row, label in enumerate(ABOUT_LABELS, start=1):
        values = (*(rows[row - 1] if row <= len(rows) else ()), None, None)
        if row == 1 and values[0] == label and values[1] != WORKBOOK_KIND:
            # Checked first: another version's About sheet has other labels below.
            raise InputError(
                path,
                f"written by another version of the workbench ({values[1]!r})",
                row=1,
                column="B",
                expected="a workbook of this version: write it again (workbench export, "
                "workbench run or the dashboard's Prepare workbook)",
            )
        if values[0] != label:
            raise InputError(
                path,
                "the About sheet has been changed",
                row=row,
                column="A",
                expected=f"{label!r}, as the workbook was written",
            )
        found[label] = "" if values[1] is None else str(values[1])
    return found


def _read_rows(
    sheet_rows: list[tuple[Any, ...]],
    path: Path,
    review: pd.DataFrame,
    written: _Written,
) -> list[tuple[int, dict[str, Any]]]:
    """Every row's line id and reviewer's values, after checking rows and locked cells.

    Locked cells are compared with the line as it is now (the same run, so the same figures),
    but State with what it was when written: a decision made since changes the ledger's state.
    """
    headers = list(sheet_rows[0]) if sheet_rows else []
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
    for row, values in enumerate(sheet_rows[1:], start=2):
        cells = [*values[: len(HEADERS)], *[None] * (len(HEADERS) - len(values))]
        if all(value is None or str(value).strip() == "" for value in cells):
            continue
        line_id = "" if cells[0] is None else str(cells[0])
        if line_id == NOTHING_TO_DECIDE and not written and row == 2:
            continue  # the words of a Review sheet with no line
        if line_id not in lines.index or line_id not in written:
            raise InputError(
                path,
                f"row {row} is not a line of this review"
                + (f" (line {line_id!r})" if line_id else ""),
                row=row,
                column="Line ID",
                expected="only the rows the workbook was written with: rows cannot be added",
            )
        line = lines.loc[line_id]
        if line_id in seen:
            raise InputError(
                path,
                f"{_named(line)} is on rows {seen[line_id]} and {row}",
                row=row,
                column="Line ID",
                expected="each line once: rows cannot be copied",
            )
        seen[line_id] = row
        for column, (header, name, kind) in enumerate(LOCKED_COLUMNS):
            value = written[line_id][3] if name == "state" else line[name]
            if not _same(cells[column], value, kind):
                raise InputError(
                    path,
                    f"locked cell edited: {header} of {_named(line)} was "
                    f"{_text(value)!r}, now {_text(cells[column])!r}",
                    row=row,
                    column=header,
                    expected="locked columns as written; decide with Decision, Adjusted "
                    "qty and Note",
                )
        rows.append((row, _reviewer_values(path, row, line, cells)))
    missing = [line_id for line_id in lines.index if line_id not in seen]
    if missing:
        first = _named(lines.loc[missing[0]])
        raise InputError(
            path,
            f"the row of {first} was removed"
            if len(missing) == 1
            else f"{len(missing)} rows were removed, the first of {first}",
            column="Line ID",
            expected="every row the workbook was written with: rows cannot be deleted",
        )
    return rows


def _named(line: Any) -> str:
    """A line as a person knows it: ``Bluewater Logistics, Managed workstation``."""
    return f"{_text(line['company_name'])}, {_text(line['service_name'])}"


def _reviewer_values(path: Path, row: int, line: Any, cells: Sequence[Any]) -> dict[str, Any]:
    line_id, named = str(line["line_id"]), _named(line)
    decision_cell, quantity_cell, note_cell = cells[len(LOCKED_COLUMNS) :]
    decision = "" if decision_cell is None else str(decision_cell).strip().lower()
    known = [str(d) for d in DECISIONS]
    if decision and decision not in known:
        raise InputError(
            path,
            f"{named}: {decision_cell!r} is not a decision",
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
            f"{named}: {quantity_cell!r} is not a quantity to bill",
            row=row,
            column="Adjusted qty",
            expected=f"a whole number of units, 0 or more and below {MAX_COUNT:,}",
        )
    note = "" if note_cell is None else str(note_cell).strip()
    if not decision and (quantity is not None or note):
        raise InputError(
            path,
            f"{named} has an Adjusted qty or Note but no Decision",
            row=row,
            column="Decision",
            expected="a Decision, or empty Adjusted qty and Note too",
        )
    if decision == "adjust" and quantity is None:
        raise InputError(
            path,
            f"{named} is to be adjusted but has no Adjusted qty",
            row=row,
            column="Adjusted qty",
            expected="the quantity to bill, 0 or more",
        )
    if decision in ("approve", "dismiss") and quantity is not None:
        raise InputError(
            path,
            f"{named} has an Adjusted qty of {quantity} with {decision}",
            row=row,
            column="Adjusted qty",
            expected="adjust to bill that quantity, or an empty Adjusted qty",
        )
    return {"line_id": line_id, "decision": decision, "quantity": quantity, "note": note}


def _same(cell: object, value: object, kind: str) -> bool:
    if _shown(value) is None:
        return cell is None or str(cell).strip() == ""
    if kind in ("text", "long"):
        return isinstance(cell, str) and cell == safe_text(str(value))
    try:
        return Decimal(str(cell)) == Decimal(str(value))
    except InvalidOperation:
        return False


def _text(value: object) -> str:
    shown = _shown(value)
    return "" if shown is None else str(shown)
