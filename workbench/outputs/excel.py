"""The adjustment workbook: a reconciliation as an Excel file a finance person can work through.

Sheets, in order:

``Summary``
    The mapping warnings (when there are any), headline figures, lines by status, a per-client
    table (when there is more than one client), what became of every input record, and how to
    use the workbook.
``Review``
    Only when the workbook is written with a :class:`DecisionSheet`: one row per line that
    needs a decision (the proposed billing changes and the bundle findings), with Decision,
    Adjusted qty and Note to fill, the other columns locked. ``workbench apply`` reads it back
    (:mod:`workbench.outputs.workbook_review`): the hidden ``Written`` sheet keeps what the
    decision columns were written with, and ``About`` the workspace, period, clients and the
    run's fingerprint the workbook was written from.
``Adjustments``
    One row per proposed billing change, with its contract, price and cost, and the totals.
``Bundles``
    Bundle findings: bundle units sold without a component, and vendor licences in no bundle.
``Lines``
    Only when the evidence is that of the lines to decide (the all-clients workbook of a month):
    every line, matches included, with its figures and why.
``Evidence``
    The source rows behind every line (file, sheet and row), so each figure can be traced; or,
    with ``evidence="lines to decide"``, behind the lines that need a decision only.
``Excluded``
    Source rows left out on purpose, with the reason.
``Unmapped``
    Vendor customers and SKUs not mapped to the PSA, and vendor customers matched with a note.
``About``, ``Written``
    With a :class:`DecisionSheet` only, as above.

The review workbook of ``workbench export`` is the Review, About and Written sheets alone: one
decision layout, whichever workbook a person decides in.

The all-clients workbook of a big month is written with ``evidence="lines to decide"``: at 2,000
clients the source rows of every line are two million rows (92 MB, three to eight minutes to write),
while a reviewer needs those of the few dozen lines to decide. The rest stay in each client's
workbook and in the period store, and the Summary says so.

A sheet holds at most 1,048,576 rows; Evidence and Excluded rows beyond that continue on
``Evidence (2)``, ``Evidence (3)`` and so on, each with the same header.

Wrapped text (Why, Note, reasons) gets rows tall enough for it, and every sheet prints
landscape, one page wide, with its first row repeated on each page.

Every text cell is written as text: a client called ``=HYPERLINK(...)`` stays a name and never
becomes a formula, in Excel or in LibreOffice. The workbook holds no formulas at all; totals are
exact decimal sums written as values, so they equal the sum of the lines to the cent.

The file is written with XlsxWriter. A workbook of more than :data:`STREAMED_ROWS` rows is
written row by row with rows flushed as they are finished (``constant_memory``), which keeps
millions of evidence rows out of memory and writes a 100,000-row Adjustments sheet in about a
third of openpyxl's time; a smaller one (a client's) is built in memory, where each repeated
text is stored once, a fifth faster.
"""

from __future__ import annotations

import io
import math
import os
import re
import tempfile
import textwrap
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from numbers import Integral, Real
from pathlib import Path
from typing import Any, BinaryIO, Literal

import pandas as pd
from xlsxwriter import Workbook
from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_rowcol_to_cell_fast
from xlsxwriter.worksheet import CellBlankTuple, CellNumberTuple, CellStringTuple, Worksheet

from workbench.formula_guard import FORMULA_STARTS, safe_text
from workbench.ledger import DECISIONS, REVIEW_STATUSES
from workbench.mapping import VENDOR_TITLES
from workbench.money import share, total
from workbench.result import (
    ADJUSTMENT_STATUSES,
    BUNDLE_STATUSES,
    COVERAGE_COLUMNS,
    COVERAGE_OUTCOMES,
    Reconciliation,
    Status,
    Summary,
)
from workbench.sources.reading import MAX_COUNT

__all__ = [
    "EVIDENCE_SCOPES",
    "DecisionSheet",
    "EvidenceScope",
    "safe_name",
    "workbook_bytes",
    "workbook_file_name",
    "write_workbook",
]

#: Whose source rows the Evidence sheet holds: every line's (a client's workbook), or only
#: those of the lines that need a decision (the all-clients workbook, which then lists every
#: line on a Lines sheet instead).
EvidenceScope = Literal["every line", "lines to decide"]
EVIDENCE_SCOPES: tuple[EvidenceScope, ...] = ("every line", "lines to decide")

#: What a reviewer may put in the Decision column: the ledger's own words.
DECISION_LABELS = tuple(str(decision) for decision in DECISIONS)

#: The decision sheet and the two sheets ``workbench apply`` checks it against.
REVIEW_SHEET = "Review"
ABOUT_SHEET = "About"
WRITTEN_SHEET = "Written"
#: What the hidden Written sheet keeps of each row.
WRITTEN_COLUMNS = ("line_id", "decision", "quantity", "note", "state")
#: Marks a workbook ``workbench apply`` can read (bumped whenever the layout changes).
WORKBOOK_KIND = "workbench review workbook 2"
#: About sheet labels, in column A, with their value in column B.
ABOUT_LABELS = ("Kind", "Workspace", "Folder", "Period", "Run", "Clients", "Lines", "Written with")
#: The About sheet's Clients of a workbook of every client of the run.
ALL_CLIENTS = "all"
#: Row 2 of a Review sheet with no line to decide.
NOTHING_TO_DECIDE = "No line needs a decision: nothing to decide in this workbook."

#: Rows a worksheet can hold (Excel's limit); longer tables continue on a numbered sheet.
SHEET_ROWS = 1_048_576
#: Lines, evidence and excluded rows above which a workbook is streamed to disk as it is written.
STREAMED_ROWS = 50_000

_CREATOR = "MSP billing workbench"
_WINDOWS_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{n}" for n in range(1, 10)),
    *(f"LPT{n}" for n in range(1, 10)),
}

_HEADER_STYLE = {"bold": True, "font_color": "#FFFFFF", "bg_color": "#305496", "valign": "vcenter"}
_INPUT_FILL = "#FFF2CC"  # cells the reviewer fills in
_PERCENT = "0.0%"
_QUANTITY = "#,##0"

_MIN_WIDTH = 8
_MAX_WIDTH = 50
_LONG_MIN_WIDTH = 30
_LONG_WIDTH = 60  # Why, Note, reasons: wrapped at this width
_FILE_WIDTH = 80  # a file name is read whole: "periods/2026-10/inputs/microsoft/Reconcil..."
# Row height of one line of text in points (Calibri 11, the default font), and the characters
# a wrapped line is counted at: two fewer than the column's width in digits, as a word that
# does not fit goes to the next line, and capitals are wider than digits.
_LINE_POINTS = 15
_WRAP_SLACK = 2
# A column's width is stored in characters of 7 pixels (the default font's digit). XlsxWriter's
# set_column adds 5 pixels of padding to a width in characters; widths are given in pixels so
# the file stores exactly the width chosen here.
_DIGIT_PIXELS = 7

# text: one line; long: wrapped (Why, Note, reasons); file: a file name, kept whole; number: a
# plain number (a factor such as 0.01); quantity, money, percent: numbers in their format.
_Kind = Literal["text", "long", "file", "number", "quantity", "money", "percent"]
_NUMBER_KINDS = ("number", "quantity", "money", "percent")
# How a cell stands out: a title, a section heading, a label, a note, a table header, a total,
# a remark beside a figure (set off from the number before it).
_Emphasis = Literal["title", "section", "bold", "italic", "header", "total", "aside"]
_EMPHASIS_STYLES: dict[str, dict[str, Any]] = {
    "title": {"bold": True, "font_size": 14},
    "section": {"bold": True, "font_size": 12},
    "bold": {"bold": True},
    "italic": {"italic": True},
    "header": _HEADER_STYLE,
    "total": {"bold": True, "top": 1},
    "aside": {"indent": 1},
}


@dataclass(frozen=True)
class DecisionSheet:
    """What makes a workbook's decisions applicable with ``workbench apply``.

    Build it with :func:`workbench.outputs.workbook_review.decision_sheet`.

    Attributes
    ----------
    review
        :meth:`workbench.ledger.Ledger.review` of the workbook's lines: the lines to decide,
        biggest money first, with the decisions in force (prefilled).
    workspace_name, workspace_folder
        The workspace the decisions go to.
    run
        The fingerprint of the run the workbook is written from
        (:func:`~workbench.outputs.workbook_review.run_fingerprint`).
    clients
        The company ids the workbook covers, or empty for every client of the run.
    """

    review: pd.DataFrame
    workspace_name: str
    workspace_folder: str
    run: str
    clients: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Column:
    """One column of a table: its header, how its cells look, and whether the reviewer fills it."""

    header: str
    kind: _Kind = "text"
    to_fill: bool = False


def safe_name(name: str, *, limit: int = 80) -> str:
    """A name (a client's) as a file or folder name that is safe on Windows, macOS and Linux.

    Characters that are forbidden or special in paths become spaces, runs of spaces collapse,
    leading dots and trailing dots or spaces go, and reserved device names get a suffix.
    """
    text = unicodedata.normalize("NFC", name)
    text = re.sub(r'[<>:"/\\|?*\x00-\x1f\x7f]', " ", text)
    # Spaces as well as dots at the start: "../../evil" leaves " .. evil" above.
    text = " ".join(text.split()).lstrip(". ").rstrip(". ")[:limit].rstrip(". ")
    if not text:
        text = "client"
    if text.split(".")[0].upper() in _WINDOWS_RESERVED:
        text += " (client)"
    return text


def workbook_file_name(scope_name: str, period: str) -> str:
    """``Acme Dental Group - 2026-10.xlsx``: the name of a client's (or all clients') workbook,
    the same in the batch's folders and the dashboard's download (:func:`safe_name`)."""
    return f"{safe_name(scope_name)} - {period}.xlsx"


def workbook_bytes(
    result: Reconciliation,
    *,
    title: str,
    evidence: EvidenceScope = "every line",
    decisions: DecisionSheet | None = None,
) -> bytes:
    """The adjustment workbook of a reconciliation, in memory.

    Parameters
    ----------
    result
        The whole reconciliation (consolidated workbook) or ``result.for_client(company_id)``
        (one client's workbook).
    title
        Heading of the Summary sheet and the workbook's title, e.g.
        ``"Acme Dental — October 2026"``.
    evidence
        ``"every line"`` (the default) puts the source rows of every line on the Evidence
        sheet; ``"lines to decide"`` only those of the lines that need a decision, adds the
        Lines sheet, and says on the Summary where the rest is.
    decisions
        The lines to decide and the run they belong to: the workbook then has the Review sheet
        to decide in, which ``workbench apply`` reads back. Without it the workbook has no
        Decision column at all.

    Returns
    -------
    bytes
        The ``.xlsx`` file's content.
    """
    buffer = io.BytesIO()
    _write(result, buffer, title, evidence, decisions)
    return buffer.getvalue()


def write_workbook(
    result: Reconciliation,
    path: Path,
    *,
    title: str,
    evidence: EvidenceScope = "every line",
    decisions: DecisionSheet | None = None,
    review_only: bool = False,
    summary: Summary | None = None,
) -> Path:
    """Write the adjustment workbook to a file, atomically.

    The workbook is written to a temporary file in the same folder and then moved over
    ``path``, so a reader never sees a half-written file and a failed run leaves any previous
    workbook untouched.

    Parameters
    ----------
    result
        The whole reconciliation or one client's (``result.for_client(company_id)``).
    path
        Where the ``.xlsx`` goes; its folder must exist.
    title
        Heading of the Summary sheet, e.g. ``"Northwind MSP — all clients — October 2026"``.
    evidence
        Whose source rows the Evidence sheet holds, as for :func:`workbook_bytes`.
    decisions
        The lines to decide, as for :func:`workbook_bytes`.
    review_only
        Write the Review, About and Written sheets only (the review workbook of ``workbench
        export``); needs ``decisions``.
    summary
        ``result.summary()``, when the caller has it already (a batch shows it in the client's
        notebook too); None works it out.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    # mkstemp creates the file readable by its owner only; keep the mode of a workbook being
    # replaced, and make a new one readable by the team like any other file.
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            _write(
                result, file, title, evidence, decisions, review_only=review_only, summary=summary
            )
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        if exc.filename is None:  # say which workbook could not be written
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        raise
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _write(
    result: Reconciliation,
    file: BinaryIO,
    title: str,
    evidence: EvidenceScope,
    decisions: DecisionSheet | None,
    *,
    review_only: bool = False,
    summary: Summary | None = None,
) -> None:
    """Write every sheet, in order, to an open binary file."""
    if evidence not in EVIDENCE_SCOPES:
        raise ValueError(f"evidence is one of {', '.join(EVIDENCE_SCOPES)}, not {evidence!r}")
    if review_only and decisions is None:
        raise ValueError("a review workbook needs the lines to decide (decisions)")
    shown = _evidence_shown(result, evidence)
    rows = len(result.lines) + len(shown) + len(result.excluded)
    if review_only:
        rows = len(decisions.review) if decisions is not None else 0
    book = Workbook(
        file,
        {
            "constant_memory": rows > STREAMED_ROWS,
            # A workbook built in memory is also packed from memory, not from a temporary file
            # per part (a client's workbook has two dozen).
            "in_memory": rows <= STREAMED_ROWS,
            # Text is stored exactly as given: never turned into a number, formula or link.
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    try:
        book.set_properties({"author": _CREATOR, "title": safe_text(title)})
        styles = _Styles(book, _money_format(result.currency))
        if review_only and decisions is not None:
            _write_review(_Sheet.add(book, REVIEW_SHEET, styles), decisions)
            _write_about(_Sheet.add(book, ABOUT_SHEET, styles), result, decisions)
            _write_written(_Sheet.add(book, WRITTEN_SHEET, styles), decisions)
            return
        summary_sheet = _Sheet.add(book, "Summary", styles)
        _write_summary(
            summary_sheet,
            result,
            title,
            evidence,
            len(shown),
            decisions,
            summary or result.summary(),
        )
        if decisions is not None:
            _write_review(_Sheet.add(book, REVIEW_SHEET, styles), decisions)
        _write_adjustments(_Sheet.add(book, "Adjustments", styles), result)
        _write_bundles(_Sheet.add(book, "Bundles", styles), result)
        if evidence == "lines to decide":
            _write_lines(_Sheet.add(book, "Lines", styles), result)
        _write_evidence(book, styles, shown, evidence)
        _write_excluded(book, styles, result)
        _write_unmapped(_Sheet.add(book, "Unmapped", styles), result)
        if decisions is not None:
            _write_about(_Sheet.add(book, ABOUT_SHEET, styles), result, decisions)
            _write_written(_Sheet.add(book, WRITTEN_SHEET, styles), decisions)
        # The workbook opens on its Summary.
        summary_sheet.worksheet.activate()
    finally:
        try:
            book.close()
        except FileCreateError as exc:
            # XlsxWriter wraps the OSError (a full disk, a folder that is not writable): give
            # the caller an OSError that says what happened to which file.
            cause = exc.args[0] if exc.args else None
            if not isinstance(cause, OSError):
                raise
            _abandon_archive(cause)
            raise OSError(cause.errno, cause.strerror) from None


def _abandon_archive(error: BaseException) -> None:
    """Forget the zip archive XlsxWriter left open when the disk refused it.

    Closing it later, when it is garbage collected, would write to a file already closed and
    print a second, confusing error after ours.
    """
    trace = error.__traceback__
    while trace is not None:
        for value in trace.tb_frame.f_locals.values():
            if isinstance(value, zipfile.ZipFile):
                value.fp = None
        trace = trace.tb_next


# Summary -----------------------------------------------------------------------------------

_HOW_TO = (
    "1. Open the Review sheet. Each row is a line that needs a decision: a proposed change to "
    "what a client is billed, or a bundle finding, biggest amount first.",
    "2. Read Why; the Adjustments sheet has each change's contract, price and cost, and the "
    "Evidence sheet the source file and row behind the numbers (look up the same Line ID).",
    "3. In Decision pick approve (bill the Used qty the vendors show), adjust (bill the quantity "
    "you put in Adjusted qty: whole units, 0 or more) or dismiss (leave billing as it is this "
    "month). Leave it empty to keep the line pending.",
    "4. Use Note for anything the next person should know, such as why a line was dismissed.",
    "5. Save the workbook and run: workbench apply <this file> --who <your name>. Only the rows "
    "you changed are recorded; the other columns are locked and rows cannot be added or deleted.",
    "The Bundles sheet lists bundle units sold without one of their components, and vendor "
    "licences paid for but in no bundle: fix the delivery or the bundle.",
    "The Unmapped sheet lists vendor customers and SKUs the PSA does not know yet: map them so "
    "next month's run can check them.",
)
#: The Summary's words when the workbook has no Review sheet (written without the ledger).
_HOW_TO_READ = (
    "This workbook is for reading: it has no Decision column. Decide in the dashboard's Review, "
    "or in the review workbook of workbench export, then run workbench apply.",
    "The Adjustments sheet lists each proposed change to what a client is billed, biggest "
    "amount first, with Why; the Evidence sheet has the source file and row behind the numbers.",
    *_HOW_TO[-2:],
)

# The file's format goes last: it is long, and column B holds the Summary's figures.
_COVERAGE_COLUMNS = [
    _Column("Input file", "file"),
    _Column("Rows read", "quantity"),
    _Column("Records", "quantity"),
    _Column("Matched", "quantity"),
    _Column("Not reconciled", "quantity"),
    _Column("Unmapped customer", "quantity"),
    _Column("Unmapped SKU", "quantity"),
    _Column("Excluded", "quantity"),
    _Column("Same record as another row", "quantity"),
    _Column("Reference", "quantity"),
    _Column("Format"),
]
# What became of the records of a file; together they must make up its records.
_COVERAGE_ORDER = [COVERAGE_COLUMNS[0], *COVERAGE_COLUMNS[2:], COVERAGE_COLUMNS[1]]
# One client's records, by what became of them: the source rows behind its lines (by the
# line's status) and its rows left out.
_CLIENT_COVERAGE_COLUMNS = [
    _Column("Input file", "file"),
    _Column("Records", "quantity"),
    _Column("Matched", "quantity"),
    _Column("To decide", "quantity"),
    _Column("Not reconciled", "quantity"),
    _Column("Unmapped SKU", "quantity"),
    _Column("Excluded", "quantity"),
]


def _write_summary(
    sheet: _Sheet,
    result: Reconciliation,
    title: str,
    evidence: EvidenceScope,
    shown: int,
    decisions: DecisionSheet | None,
    summary: Summary,
) -> None:
    # Running text (the title, sentences) may spill over and must not widen column A.
    sheet.put(1, 1, title, emphasis="title", sized=False)
    row = 2
    facts = [
        ("Period", _period_words(result.period)),
        ("Prepared for", _clients_words(result.clients)),
        ("Currency", result.currency),
    ]
    for label, words in facts:
        row += 1
        sheet.put(row, 1, label, emphasis="bold")
        # Words, not figures: they spill over the empty cells beside them instead of widening
        # column B, which holds the figures below.
        sheet.put(row, 2, words, sized=False)

    if result.mapping_warnings:
        # Before the figures: a mis-defined bundle makes some of them false findings.
        row += 2
        sheet.put(row, 1, "Check the mappings first", emphasis="section", sized=False)
        for warning in result.mapping_warnings:
            row += 1
            sheet.put(row, 1, str(warning), sized=False)

    row += 2
    sheet.put(row, 1, "Key figures", emphasis="section", sized=False)
    figures: list[tuple[str, object, _Kind, str]] = [
        (
            "Revenue leaking per month",
            summary.revenue_leaking,
            "money",
            "Under-billed lines (lines at 0 units too) and usage with no line on the contract",
        ),
        (
            "Over-billing risk per month",
            summary.over_billing_risk,
            "money",
            "Over-billed lines and lines billed with nothing in use",
        ),
        (
            "Unmapped vendor spend",
            summary.unmapped_spend,
            "money",
            "Vendor charges for customers or SKUs not mapped to the PSA",
        ),
        ("Billed revenue per month", summary.billed_revenue, "money", "All contract lines billed"),
        (
            "Share of billed revenue checked against usage",
            share(summary.checked_revenue, summary.billed_revenue),
            "percent",
            "The rest has no usage source to compare with (rounded down to 0.1%)",
        ),
        ("Lines", summary.lines, "quantity", "Client services plus unmapped vendor items"),
        ("Discrepancies", summary.discrepancies, "quantity", "Rows on the Adjustments sheet"),
        (
            "Bundle findings",
            summary.bundle_findings,
            "quantity",
            "Bundle gaps and licences outside any bundle: rows on the Bundles sheet",
        ),
    ]
    if decisions is not None:
        states = Counter(str(state) for state in decisions.review["state"])
        figures.append(
            (
                "Lines to decide",
                len(decisions.review),
                "quantity",
                f"Rows on the Review sheet: {states['pending']} pending, {states['decided']} "
                f"decided, {states['changed']} changed since decided",
            )
        )
    for label, value, kind, meaning in figures:
        row += 1
        sheet.put(row, 1, label, emphasis="bold")
        sheet.put(row, 2, value, kind)
        # Set off from the figure before it, and spilling over the empty cells to its right.
        sheet.put(row, 3, meaning, emphasis="aside", sized=False)

    row = _write_table(
        sheet,
        row + 2,
        [_Column("Status"), _Column("Lines", "quantity")],
        [(status, summary.counts[status]) for status in Status],
        title="Lines by status",
    )

    if len(result.clients) > 1:
        row = _write_table(
            sheet,
            row + 2,
            [
                _Column("Client"),
                _Column("Lines", "quantity"),
                _Column("Discrepancies", "quantity"),
                _Column("Revenue impact / month", "money"),
            ],
            _client_rows(result),
            title="By client",
        )
        row = _write_table(
            sheet,
            row + 2,
            _COVERAGE_COLUMNS,
            result.coverage[_COVERAGE_ORDER].itertuples(index=False),
            title="What became of every input record (whole run, all clients)",
            empty="No input files were read.",
        )
        row += 1
        sheet.put(row, 1, _accounted_words(result.coverage), emphasis="bold", sized=False)
    else:
        row = _write_table(
            sheet,
            row + 2,
            _CLIENT_COVERAGE_COLUMNS,
            _client_coverage_rows(result),
            title=f"What became of {_clients_words(result.clients)}'s records, by input file",
            empty="No source rows behind this client's lines, and none left out.",
        )
        row += 1
        sheet.put(
            row,
            1,
            "Records = matched + to decide + not reconciled + unmapped SKU + excluded: the source "
            "rows behind this client's lines, by what the line found, and its rows left out. The "
            "files' other rows belong to other clients.",
            emphasis="bold",
            sized=False,
        )

    if evidence == "lines to decide":
        row += 2
        sheet.put(row, 1, "Where the evidence is", emphasis="section", sized=False)
        for line in _where_the_evidence_is(result, shown):
            row += 1
            sheet.put(row, 1, line, sized=False)

    row += 2
    sheet.put(row, 1, "How to use this workbook", emphasis="section", sized=False)
    for line in _HOW_TO if decisions is not None else _HOW_TO_READ:
        row += 1
        sheet.put(row, 1, line, sized=False)
    sheet.finish()


def _client_coverage_rows(result: Reconciliation) -> list[tuple[object, ...]]:
    """Per input file, what became of one client's records (the rows of the Evidence and
    Excluded sheets), each counted once."""
    # A client has some hundreds of source rows: counted in one pass over plain lists, which
    # costs less than the frames, mapping and grouping it would take in pandas.
    outcomes = {
        str(line_id): _client_outcome(str(status))
        for line_id, status in zip(result.lines["line_id"], result.lines["status"], strict=True)
    }
    evidence = result.evidence
    by_file: dict[str, Counter[str]] = {}
    for file, line_id in zip(
        evidence["source_file"].astype(str).tolist(),
        evidence["line_id"].astype(str).tolist(),
        strict=True,
    ):
        # A row of a line the client does not have counts as not reconciled, as before.
        found = by_file.setdefault(file, Counter())
        found[outcomes.get(line_id, "Not reconciled")] += 1
    for file in result.excluded["source_file"].astype(str).tolist():
        by_file.setdefault(file, Counter())["Excluded"] += 1
    names = [column.header for column in _CLIENT_COVERAGE_COLUMNS[2:]]
    return [
        (file, found.total(), *(found[name] for name in names))
        for file, found in sorted(by_file.items())
    ]


def _client_outcome(status: object) -> str:
    if status == Status.MATCH:
        return "Matched"
    if status in REVIEW_STATUSES:
        return "To decide"
    if status == Status.UNMAPPED_SKU:
        return "Unmapped SKU"
    return "Not reconciled"


def _where_the_evidence_is(result: Reconciliation, shown: int) -> list[str]:
    """The Summary's note, in a finance person's words, on the evidence this workbook leaves
    out and where to find it."""
    to_decide = int(result.lines["status"].isin(REVIEW_STATUSES).sum())
    every = len(result.evidence)
    return [
        f"The Lines sheet lists every line of the month, matches included: {len(result.lines):,}.",
        "The Evidence sheet holds the source rows behind the lines that need a decision: "
        f"{to_decide:,} lines, {shown:,} source rows.",
        "The source rows behind the other lines (mostly matches) are left out to keep this "
        f"workbook quick to open: {every - shown:,} of the month's {every:,} source rows. Each "
        "client's own workbook, in that client's folder beside this one, holds every source row "
        "behind that client's lines.",
        "The workbench also keeps every source row with the month, in the workspace folder "
        f"periods/{result.period}/store/ (data files that Python, Power BI or DuckDB can open).",
    ]


def _client_rows(result: Reconciliation) -> list[tuple[object, ...]]:
    lines = result.lines
    # One pass over the lines for all clients: a consolidated month has thousands of clients.
    by_client = lines.assign(
        discrepancy=lines["status"].isin(ADJUSTMENT_STATUSES).astype("int64")
    ).groupby("company_id", sort=False)
    counts = by_client.size()
    discrepancies = by_client["discrepancy"].sum()
    impacts = by_client["revenue_impact"].agg(total)
    return [
        (
            company_name,
            int(counts.get(company_id, 0)),
            int(discrepancies.get(company_id, 0)),
            impacts.get(company_id, total([])),
        )
        for company_id, company_name in result.clients[["company_id", "company_name"]].itertuples(
            index=False
        )
    ]


def _accounted_words(coverage: pd.DataFrame) -> str:
    short = coverage[coverage[COVERAGE_OUTCOMES].sum(axis=1) != coverage["records"]]
    if short.empty:
        return (
            "Every record is accounted for: in each file, records = matched + not reconciled "
            "+ unmapped customer + unmapped SKU + excluded + same record as another row "
            "+ reference."
        )
    files = ", ".join(str(name) for name in short["source_file"])
    return (
        f"Not every record is accounted for: the outcomes do not add up to the records of {files}."
    )


def _clients_words(clients: pd.DataFrame) -> str:
    if len(clients) == 1:
        return str(clients["company_name"].iloc[0])
    return f"All clients ({len(clients)})"


def _period_words(period: str) -> str:
    try:
        month = datetime.strptime(period, "%Y-%m")
    except ValueError:
        return period
    return f"{month:%B %Y} ({period})"


# Review, About, Written: the one decision layout -------------------------------------------

#: The Review sheet's locked columns: header, the review frame's column, how the cell looks.
LOCKED_COLUMNS: tuple[tuple[str, str, _Kind], ...] = (
    ("Line ID", "line_id", "text"),
    ("Client", "company_name", "text"),
    ("Service", "service_name", "text"),
    ("Status", "status", "text"),
    ("State", "state", "text"),
    ("Billed qty", "billed_quantity", "quantity"),
    ("Used qty", "expected_quantity", "quantity"),
    ("Revenue impact / month", "revenue_impact", "money"),
    ("Why", "reason", "long"),
)
#: The reviewer's columns, the review frame's column they are prefilled from, how they look.
EDITABLE_COLUMNS: tuple[tuple[str, str, _Kind], ...] = (
    ("Decision", "decision", "text"),
    ("Adjusted qty", "quantity", "quantity"),
    ("Note", "note", "long"),
)
REVIEW_HEADERS = [header for header, _, _ in (*LOCKED_COLUMNS, *EDITABLE_COLUMNS)]
_REVIEW_COLUMNS = [
    *(_Column(header, kind) for header, _, kind in LOCKED_COLUMNS),
    *(_Column(header, kind, to_fill=True) for header, _, kind in EDITABLE_COLUMNS),
]
_ABOUT_HOW_TO = (
    "How to review: on the Review sheet, for each line pick a Decision: approve (bill the Used "
    "qty the vendors show), adjust (bill the Adjusted qty you enter: whole units, 0 or more) or "
    "dismiss (leave billing as it is this month). Add a Note for the next person. Leave a "
    "Decision empty to keep the line pending.",
    "Only the yellow columns are yours: the others are locked; do not add or delete rows. When "
    "done, save and run: workbench apply <this file> --who <your name>",
)


def _write_review(sheet: _Sheet, decisions: DecisionSheet) -> None:
    """The lines to decide, locked but for Decision, Adjusted qty and Note (prefilled with the
    decisions in force)."""
    names = [name for _, name, _ in (*LOCKED_COLUMNS, *EDITABLE_COLUMNS)]
    rows = ([line[name] for name in names] for line in decisions.review.to_dict("records"))
    last = _write_table(sheet, 1, _REVIEW_COLUMNS, rows, empty=NOTHING_TO_DECIDE, filtered=True)
    if not decisions.review.empty:
        decision = REVIEW_HEADERS.index("Decision")
        sheet.worksheet.data_validation(
            1,
            decision,
            last - 1,
            decision,
            {
                "validate": "list",
                "source": list(DECISION_LABELS),
                "ignore_blank": True,
                "show_error": True,
                "error_title": "Decision",
                "error_message": "Pick approve, adjust or dismiss, or leave it empty.",
                "show_input": True,
                "input_title": "Decision",
                "input_message": "approve, adjust (then fill Adjusted qty) or dismiss.",
            },
        )
        adjusted = REVIEW_HEADERS.index("Adjusted qty")
        sheet.worksheet.data_validation(
            1,
            adjusted,
            last - 1,
            adjusted,
            {
                "validate": "integer",
                "criteria": "between",
                "minimum": 0,
                "maximum": MAX_COUNT - 1,
                "ignore_blank": True,
                "show_error": True,
                "show_input": False,
                "error_title": "Adjusted qty",
                "error_message": "The quantity to bill: a whole number of units, 0 or more.",
            },
        )
    sheet.worksheet.freeze_panes(1, 1)  # the Line ID stays in view beside the decisions
    sheet.protect()
    sheet.finish()


def _write_about(sheet: _Sheet, result: Reconciliation, decisions: DecisionSheet) -> None:
    """What ``workbench apply`` checks the workbook against, and how to use it."""
    values: tuple[str | int, ...] = (
        WORKBOOK_KIND,
        decisions.workspace_name,
        decisions.workspace_folder,
        result.period,
        decisions.run,
        ",".join(decisions.clients) or ALL_CLIENTS,
        len(decisions.review),
        _CREATOR,
    )
    for row, (label, value) in enumerate(zip(ABOUT_LABELS, values, strict=True), start=1):
        sheet.put(row, 1, label, emphasis="bold")
        sheet.put(row, 2, value, sized=label not in ("Folder", "Run"))
    for row, text in enumerate(_ABOUT_HOW_TO, start=len(ABOUT_LABELS) + 2):
        sheet.put(row, 1, text, sized=False)
    sheet.protect()
    sheet.finish()


def _write_written(sheet: _Sheet, decisions: DecisionSheet) -> None:
    """What the reviewer's columns were written with, so only rows the reviewer changed are
    recorded (a decision made meanwhile in the dashboard on an untouched row stands)."""
    for row, line in enumerate(decisions.review.to_dict("records"), start=1):
        for column, name in enumerate(WRITTEN_COLUMNS, start=1):
            sheet.put(row, column, _written_text(line[name]), sized=False)
    sheet.worksheet.very_hidden()
    sheet.protect()
    sheet.finish()


def _written_text(value: object) -> str:
    shown = _plain(value)
    return "" if shown is None else str(shown)


# Adjustments -------------------------------------------------------------------------------

_ADJUSTMENT_COLUMNS = [
    _Column("Line ID"),
    _Column("Client"),
    _Column("Service"),
    _Column("Status"),
    _Column("Contract"),
    _Column("Billed qty", "quantity"),
    _Column("Used qty", "quantity"),
    _Column("Difference", "quantity"),
    _Column("Unit price", "money"),
    _Column("Revenue impact / month", "money"),
    _Column("Cost impact / month", "money"),
    _Column("Proposed qty", "quantity"),
    _Column("Why", "long"),
]


def _column_number(columns: Sequence[_Column], header: str) -> int:
    return [column.header for column in columns].index(header) + 1


def _write_adjustments(sheet: _Sheet, result: Reconciliation) -> None:
    adjustments = result.adjustments
    rows = [
        (
            line.line_id,
            line.company_name,
            line.service_name,
            line.status,
            line.contract_name or line.contract_id,
            line.billed_quantity,
            line.expected_quantity,
            line.difference,
            line.unit_price,
            line.revenue_impact,
            line.cost_impact,
            line.expected_quantity,
            line.reason,
        )
        for line in adjustments.itertuples(index=False)
    ]
    last = _write_table(
        sheet,
        1,
        _ADJUSTMENT_COLUMNS,
        rows,
        empty="No adjustments: every line compared with usage matches what is billed.",
        filtered=True,
    )
    if not adjustments.empty:
        # A blank row keeps the totals out of the filter range.
        totals = last + 2
        sums = {
            _column_number(_ADJUSTMENT_COLUMNS, "Revenue impact / month"): total(
                adjustments["revenue_impact"]
            ),
            _column_number(_ADJUSTMENT_COLUMNS, "Cost impact / month"): total(
                adjustments["cost_impact"]
            ),
        }
        for number in range(1, len(_ADJUSTMENT_COLUMNS) + 1):
            value = "Total" if number == 1 else sums.get(number)
            kind: _Kind = "money" if number in sums else "text"
            sheet.put(row=totals, column=number, value=value, kind=kind, emphasis="total")
    sheet.finish()


# Bundles -----------------------------------------------------------------------------------

_BUNDLE_COLUMNS = [
    _Column("Line ID"),
    _Column("Client"),
    _Column("Bundle"),
    _Column("Component"),
    _Column("Status"),
    _Column("Required by the bundle", "quantity"),
    _Column("Vendor count", "quantity"),
    _Column("Gap", "quantity"),
    _Column("Vendor spend / month", "money"),
    _Column("Reason", "long"),
]


def _write_bundles(sheet: _Sheet, result: Reconciliation) -> None:
    lines = result.lines
    findings = lines[lines["status"].isin(BUNDLE_STATUSES)].sort_values(
        ["company_name", "line_id"], kind="stable"
    )
    rows = []
    for line in findings.itertuples(index=False):
        # Component lines are ``company:bundle:component`` and named "Bundle: component".
        component = str(line.line_id).split(":", 2)[-1]
        bundle = str(line.service_name).removesuffix(f": {component}")
        difference = _plain(line.difference)
        gap = None if difference is None else abs(int(difference))
        rows.append(
            (
                line.line_id,
                line.company_name,
                bundle,
                component,
                line.status,
                line.billed_quantity,
                line.expected_quantity,
                gap,
                line.vendor_spend,
                line.reason,
            )
        )
    _write_table(
        sheet,
        1,
        _BUNDLE_COLUMNS,
        rows,
        empty="No bundle findings: every bundle's components match what the vendors count.",
        filtered=True,
    )
    sheet.finish()


# Lines -------------------------------------------------------------------------------------

_LINE_COLUMNS = [
    _Column("Line ID"),
    _Column("Client"),
    _Column("Service"),
    _Column("Status"),
    _Column("Contract"),
    _Column("Vendor"),
    _Column("Billed qty", "quantity"),
    _Column("Used qty", "quantity"),
    _Column("Difference", "quantity"),
    _Column("Unit price", "money"),
    _Column("Revenue impact / month", "money"),
    _Column("Vendor spend / month", "money"),
    _Column("Why", "long"),
]


def _write_lines(sheet: _Sheet, result: Reconciliation) -> None:
    lines = result.lines.sort_values(["company_name", "line_id"], kind="stable")
    rows = zip(
        lines["line_id"],
        lines["company_name"],
        lines["service_name"],
        lines["status"],
        lines["contract_name"].where(lines["contract_name"] != "", lines["contract_id"]),
        lines["vendor"].map(_system_title),
        lines["billed_quantity"],
        lines["expected_quantity"],
        lines["difference"],
        lines["unit_price"],
        lines["revenue_impact"],
        lines["vendor_spend"],
        lines["reason"],
        strict=True,
    )
    _write_table(sheet, 1, _LINE_COLUMNS, rows, empty="No lines this month.", filtered=True)
    sheet.finish()


# Evidence, Excluded, Unmapped --------------------------------------------------------------

_EVIDENCE_COLUMNS = [
    _Column("Line ID"),
    _Column("Side"),
    _Column("System"),
    _Column("Customer"),
    _Column("Item"),
    _Column("Quantity", "quantity"),
    _Column("Factor", "number"),
    _Column("Amount", "money"),
    _Column("Source file", "file"),
    _Column("Sheet"),
    _Column("Row"),
]


def _evidence_shown(result: Reconciliation, scope: EvidenceScope) -> pd.DataFrame:
    """The source rows the Evidence sheet holds."""
    if scope == "every line":
        return result.evidence
    lines = result.lines
    to_decide = lines.loc[lines["status"].isin(REVIEW_STATUSES), "line_id"]
    return result.evidence[result.evidence["line_id"].isin(to_decide)]


def _write_evidence(
    book: Workbook, styles: _Styles, shown: pd.DataFrame, scope: EvidenceScope
) -> None:
    # Billed rows before used rows of the same line, so each line reads top to bottom.
    evidence = shown.sort_values(["line_id", "side"], kind="stable")
    rows = zip(
        evidence["line_id"],
        evidence["side"],
        evidence["system"].map(_system_title),
        evidence["customer"],
        evidence["item"],
        evidence["quantity"],
        evidence["factor"].map(_factor),
        evidence["amount"],
        evidence["source_file"],
        evidence["source_sheet"],
        evidence["source_row"],
        strict=True,
    )
    empty = (
        "No source rows behind any line."
        if scope == "every line"
        else "No line needs a decision, so no source rows are shown here: see the Summary."
    )
    _write_long_table(book, styles, "Evidence", _EVIDENCE_COLUMNS, rows, empty=empty)


_EXCLUDED_COLUMNS = [
    _Column("System"),
    _Column("Customer"),
    _Column("Item"),
    _Column("Quantity", "quantity"),
    _Column("Reason", "long"),
    _Column("Source file", "file"),
    _Column("Sheet"),
    _Column("Row"),
]


def _factor(text: object) -> Decimal | None:
    """A factor as the number it is: the evidence keeps it as text, exactly (``1/100`` for
    "per 100 GB"), or empty when there is none."""
    if text is None or text is pd.NA or str(text).strip() == "":
        return None
    exact = Fraction(str(text).strip())
    return Decimal(exact.numerator) / Decimal(exact.denominator)


def _write_excluded(book: Workbook, styles: _Styles, result: Reconciliation) -> None:
    excluded = result.excluded
    rows = zip(
        excluded["system"].map(_system_title),
        excluded["customer"],
        excluded["item"],
        excluded["quantity"],
        excluded["reason"],
        excluded["source_file"],
        excluded["source_sheet"],
        excluded["source_row"],
        strict=True,
    )
    _write_long_table(
        book, styles, "Excluded", _EXCLUDED_COLUMNS, rows, empty="No source rows were left out."
    )


_UNMAPPED_COLUMNS = [
    _Column("Status"),
    _Column("Vendor"),
    _Column("Vendor customer ID"),
    _Column("Vendor customer name"),
    _Column("Client"),
    _Column("Vendor SKU"),
    _Column("Vendor SKU name"),
    _Column("Quantity", "quantity"),
    _Column("Vendor spend", "money"),
    _Column("Reason", "long"),
]
_MATCH_METHODS = {
    "id": "by vendor customer ID",
    "exact name": "by exact name",
    "unmapped": "not mapped",
    "excluded": "excluded in the mappings",
}
_MATCH_COLUMNS = [
    _Column("Vendor"),
    _Column("Vendor customer ID"),
    _Column("Vendor customer name"),
    _Column("Matched to"),
    _Column("How"),
    _Column("Note", "long"),
]


def _write_unmapped(sheet: _Sheet, result: Reconciliation) -> None:
    rows = [
        (
            line.status,
            _system_title(line.vendor),
            line.vendor_customer_key,
            line.vendor_customer_name,
            line.company_name,
            line.vendor_sku,
            line.vendor_sku_name,
            line.expected_quantity,
            line.vendor_spend,
            line.reason,
        )
        for line in result.unmapped.itertuples(index=False)
    ]
    last = _write_table(
        sheet,
        1,
        _UNMAPPED_COLUMNS,
        rows,
        empty="Every vendor customer and SKU with usage is mapped.",
        filtered=True,
    )
    matches = result.customer_matches
    worth_a_look = matches[(matches["method"] == "unmapped") | (matches["note"] != "")]
    match_rows = [
        (
            _system_title(match.vendor),
            match.customer_key,
            match.customer_name,
            match.company_name,
            _MATCH_METHODS.get(str(match.method), match.method),
            match.note,
        )
        for match in worth_a_look.itertuples(index=False)
    ]
    # No filter here: a sheet holds one auto filter, and it belongs to the table above.
    _write_table(
        sheet,
        last + 2,
        _MATCH_COLUMNS,
        match_rows,
        title="Vendor customers to look at: not mapped, excluded, or renamed at the vendor",
        empty="None: every vendor customer is mapped, none renamed.",
    )
    sheet.finish()


# The billed side of the evidence names the PSA, which is not a vendor.
_SYSTEM_TITLES = {**VENDOR_TITLES, "autotask": "Autotask"}


def _system_title(system: object) -> object:
    return _SYSTEM_TITLES.get(system, system) if isinstance(system, str) else system


# Cells and tables --------------------------------------------------------------------------


class _Styles:
    """The workbook's cell formats, each created once and shared by every cell that looks alike."""

    def __init__(self, book: Workbook, money: str) -> None:
        self._book = book
        self._money = money
        self._made: dict[tuple[str, bool, str | None, bool], Format] = {}

    def get(self, kind: str, to_fill: bool, emphasis: str | None, quoted: bool) -> Format:
        key = (kind, to_fill, emphasis, quoted)
        made = self._made.get(key)
        if made is None:
            made = self._book.add_format(self._properties(*key))
            self._made[key] = made
        return made

    def _properties(
        self, kind: str, to_fill: bool, emphasis: str | None, quoted: bool
    ) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        if emphasis != "header":
            properties["valign"] = "top"
            if kind == "long":
                properties["text_wrap"] = True
        elif kind in _NUMBER_KINDS:
            properties["align"] = "right"  # over the numbers, which Excel aligns right
        formats = {"money": self._money, "percent": _PERCENT, "quantity": _QUANTITY}
        if kind in formats and emphasis != "header":
            properties["num_format"] = formats[kind]
        if to_fill:
            # The reviewer's cells: yellow, and open to editing on a protected sheet.
            properties.update(bg_color=_INPUT_FILL, pattern=1, locked=False)
        if emphasis is not None:
            properties.update(_EMPHASIS_STYLES[emphasis])
        if quoted:
            properties["quote_prefix"] = True  # so editing the cell in Excel keeps it text
        return properties


class _Worksheet(Worksheet):  # type: ignore[misc]
    """XlsxWriter's worksheet, writing out its commonest cells in one step.

    A client's workbook is some 12,000 cells, nearly all a styled text, number or blank; for
    each, XlsxWriter's own writer builds a list of attributes, escapes each in turn (a cell
    reference and a style number never need it) and joins them: a third of the workbook's
    time. Here those cells are written as one string, byte for byte what XlsxWriter writes;
    every other cell (a formula, a date, a text written in place when streamed, a cell without
    a style) is left to XlsxWriter.
    """

    def _write_cell(self, row: int, col: int, cell: Any) -> None:
        kind = type(cell)
        style = cell.format
        if (
            not style
            or kind not in _PLAIN_CELLS
            or (kind is CellStringTuple and self.constant_memory)
        ):
            super()._write_cell(row, col, cell)
            return
        xml = self.fh
        assert xml is not None  # open while XlsxWriter writes the sheet's cells
        start = f'<c r="{xl_rowcol_to_cell_fast(row, col)}" s="{style._get_xf_index()}"'
        if kind is CellStringTuple:  # the index of a shared string
            xml.write(f'{start} t="s"><v>{cell.string}</v></c>')
        elif kind is CellNumberTuple:
            xml.write(f"{start}><v>{cell.number:.16G}</v></c>")
        else:
            xml.write(f"{start}/>")


_PLAIN_CELLS = (CellStringTuple, CellNumberTuple, CellBlankTuple)


@dataclass
class _Sheet:
    """A worksheet being written top to bottom, cells by 1-based row and column.

    It remembers what each column holds so :meth:`finish` can size the columns without reading
    the cells back: the longest text, the widest numbers, and whether its text wraps.
    """

    worksheet: Worksheet
    styles: _Styles
    #: Rows go to disk as the next row starts (XlsxWriter's constant_memory): a row's height
    #: is set as it is finished, for wrapped columns at their widest.
    streamed: bool = False
    text_widths: dict[int, int] = field(default_factory=dict)
    number_extremes: dict[int, tuple[float, float]] = field(default_factory=dict)
    long_columns: set[int] = field(default_factory=set)
    file_columns: set[int] = field(default_factory=set)
    #: Per row, the wrapped texts that may need more than one line: (column, text).
    wrapped: dict[int, list[tuple[int, str]]] = field(default_factory=dict)

    @classmethod
    def add(cls, book: Workbook, name: str, styles: _Styles) -> _Sheet:
        worksheet = book.add_worksheet(name, worksheet_class=_Worksheet)
        return cls(worksheet, styles, streamed=bool(book.constant_memory))

    def put(
        self,
        row: int,
        column: int,
        value: object,
        kind: _Kind = "text",
        *,
        to_fill: bool = False,
        emphasis: _Emphasis | None = None,
        sized: bool = True,
    ) -> None:
        """Write one value with the look of its column; ``sized`` cells count for its width.

        Headings (title and sections) never count: they may spill over the next columns.
        """
        value = _plain(value)
        sized = sized and emphasis not in ("title", "section")
        if sized and kind == "long":
            self.long_columns.add(column)
        if sized and kind == "file":
            self.file_columns.add(column)
        if isinstance(value, str) and value:
            text = safe_text(value)
            quoted = text.startswith(FORMULA_STARTS)
            style = self.styles.get(kind, to_fill, emphasis, quoted)
            self.worksheet.write_string(row - 1, column - 1, text, style)
            if (
                kind == "long"
                and emphasis != "header"
                and (len(text) > _LONG_MIN_WIDTH - _WRAP_SLACK or "\n" in text)
            ):
                self.wrapped.setdefault(row, []).append((column, text))
            if sized:
                shown = max(map(len, text.split("\n"))) if "\n" in text else len(text)
                if shown > self.text_widths.get(column, 0):
                    self.text_widths[column] = shown
            return
        style = self.styles.get(kind, to_fill, emphasis, False)
        if value is None or value == "":  # an empty text is an empty cell, as Excel keeps it
            self.worksheet.write_blank(row - 1, column - 1, None, style)
            return
        number = float(value)
        self.worksheet.write_number(row - 1, column - 1, number, style)
        if not sized:
            return
        if kind == "percent":
            self.text_widths[column] = max(self.text_widths.get(column, 0), 6)
            return
        extremes = self.number_extremes.get(column)
        if extremes is None:
            self.number_extremes[column] = (number, number)
        elif number < extremes[0] or number > extremes[1]:
            self.number_extremes[column] = (min(extremes[0], number), max(extremes[1], number))

    def freeze_header(self) -> None:
        self.worksheet.freeze_panes(1, 0)

    def protect(self) -> None:
        """Lock every cell not written ``to_fill``; sorting, filtering and resizing stay
        allowed."""
        self.worksheet.protect(
            "",
            {"autofilter": True, "sort": True, "format_columns": True, "format_rows": True},
        )

    def row_done(self, row: int) -> None:
        """A row is complete: a streamed sheet sets its height now, before it goes to disk
        (wrapped columns are then as wide as they get)."""
        if self.streamed and row in self.wrapped:
            self._fit_row(row, {column: _LONG_WIDTH for column in self.long_columns})

    def _fit_row(self, row: int, widths: dict[int, int]) -> None:
        """Make a row tall enough for the lines its wrapped cells take at these widths."""
        lines = max(
            _wrapped_lines(text, widths.get(column, _LONG_WIDTH))
            for column, text in self.wrapped.pop(row)
        )
        if lines > 1:
            self.worksheet.set_row(row - 1, lines * _LINE_POINTS)

    def finish(self) -> None:
        """Size the columns to their content, the rows to their wrapped text, and set up
        printing.

        Each column gets the width of its content, capped; columns of wrapped text (Why, Note,
        reasons) get at least room to write a sentence in, even when empty: the reviewer's Note
        column starts empty. A file name's column is wider, so the name is read whole. Each
        row with wrapped text is as tall as its longest cell's lines. Sheets print landscape,
        one page wide, repeating their first row (a table's header) on every page.
        """
        widths = dict(self.text_widths)
        for column, (low, high) in self.number_extremes.items():
            widths[column] = max(widths.get(column, 0), _number_width(low, high))
        for column in self.long_columns:
            widths.setdefault(column, 0)
        fitted_widths = {}
        for column, width in widths.items():
            if column in self.long_columns:
                # A streamed row was made tall enough for _LONG_WIDTH: a text longer than this
                # width makes it _LONG_WIDTH, and a shorter one took one line either way.
                fitted = min(max(width + 2, _LONG_MIN_WIDTH), _LONG_WIDTH)
            elif column in self.file_columns:
                fitted = min(max(width + 2, _MIN_WIDTH), _FILE_WIDTH)
            else:
                fitted = min(max(width + 2, _MIN_WIDTH), _MAX_WIDTH)
            fitted_widths[column] = fitted
            self.worksheet.set_column_pixels(column - 1, column - 1, fitted * _DIGIT_PIXELS)
        for row in list(self.wrapped):
            self._fit_row(row, fitted_widths)
        self.worksheet.set_landscape()
        self.worksheet.fit_to_pages(1, 0)
        self.worksheet.repeat_rows(0)


class _ColumnWriter:
    """:meth:`_Sheet.put` for the cells of one table column, at a fraction of its cost.

    A table's columns repeat their texts (a client's evidence names a handful of files, items
    and lines over a thousand rows): what depends on the text alone (made safe, its style,
    whether it wraps, its width) is worked out once per distinct text. Blanks, whole numbers and
    decimals are written directly; any other value goes through :meth:`_Sheet.put`, which
    every cell written here matches exactly. (The header's ``put`` has already marked the column
    as one of long text or of file names.) Cells go to XlsxWriter's own undecorated writers:
    its public ones first try each row number as an ``A1`` reference.
    """

    def __init__(self, sheet: _Sheet, column: int, kind: _Kind, to_fill: bool) -> None:
        self.sheet, self.column, self.kind, self.to_fill = sheet, column, kind, to_fill
        self.texts: dict[str, tuple[str, Format, bool]] = {}
        # Numbers and blanks look the same: the column's plain style.
        self.plain_style = sheet.styles.get(kind, to_fill, None, False)

    def write(self, row: int, value: object) -> None:
        """Write one cell of the column, as ``put(row, column, value, kind, to_fill=...)``."""
        of = type(value)
        if of is str and value:
            known = self.texts.get(value)  # type: ignore[call-overload]
            if known is None:
                known = self._text(value)  # type: ignore[arg-type]
            text, style, wraps = known
            self.sheet.worksheet._write_string(row - 1, self.column - 1, text, style)
            if wraps:
                self.sheet.wrapped.setdefault(row, []).append((self.column, text))
        elif value is None or value is pd.NA or of is str:  # the empty text too
            self.sheet.worksheet._write_blank(row - 1, self.column - 1, None, self.plain_style)
        elif (of is int or of is Decimal) and self.kind != "percent":
            number = float(value)  # type: ignore[arg-type]
            self.sheet.worksheet._write_number(row - 1, self.column - 1, number, self.plain_style)
            extremes = self.sheet.number_extremes.get(self.column)
            if extremes is None:
                self.sheet.number_extremes[self.column] = (number, number)
            elif number < extremes[0] or number > extremes[1]:
                self.sheet.number_extremes[self.column] = (
                    min(extremes[0], number),
                    max(extremes[1], number),
                )
        else:
            self.sheet.put(row, self.column, value, self.kind, to_fill=self.to_fill)

    def _text(self, value: str) -> tuple[str, Format, bool]:
        """What :meth:`_Sheet.put` works out for a text, remembered; its width counted."""
        sheet, column = self.sheet, self.column
        text = safe_text(value)
        style = sheet.styles.get(self.kind, self.to_fill, None, text.startswith(FORMULA_STARTS))
        wraps = self.kind == "long" and (len(text) > _LONG_MIN_WIDTH - _WRAP_SLACK or "\n" in text)
        shown = max(map(len, text.split("\n"))) if "\n" in text else len(text)
        if shown > sheet.text_widths.get(column, 0):
            sheet.text_widths[column] = shown
        self.texts[value] = known = (text, style, wraps)
        return known


def _wrapped_lines(text: str, width: int) -> int:
    """The lines a cell wrapped at ``width`` characters shows ``text`` on (a word longer than a
    line is broken, as LibreOffice and Excel do)."""
    per_line = max(width - _WRAP_SLACK, 1)
    lines = 0
    for paragraph in text.split("\n"):
        if len(paragraph) <= per_line:
            lines += 1
        else:
            lines += len(textwrap.wrap(paragraph, per_line)) or 1
    return lines


def _number_width(low: float, high: float) -> int:
    """Digits and thousands separators of the widest number, plus sign and currency."""
    return max(len(f"{low:,.2f}"), len(f"{high:,.2f}")) + 5


def _write_table(
    sheet: _Sheet,
    top: int,
    columns: Sequence[_Column],
    rows: Iterable[Sequence[object]],
    *,
    title: str | None = None,
    empty: str = "No rows.",
    filtered: bool = False,
    limit: int = SHEET_ROWS,
) -> int:
    """Write a table from row ``top`` and return the last row written.

    A table at the top of its sheet gets its header frozen; a ``filtered`` table with rows gets
    the sheet's auto filter. A table without rows says so in words. At most ``limit`` rows of
    the sheet are used: rows beyond it are left in ``rows`` for the caller.
    """
    if title is not None:
        sheet.put(top, 1, title, emphasis="section")
        top += 1
    for number, column in enumerate(columns, start=1):
        sheet.put(top, number, column.header, column.kind, emphasis="header")
    if top == 1:
        sheet.freeze_header()
    last = top
    writers = [
        _ColumnWriter(sheet, number, column.kind, column.to_fill)
        for number, column in enumerate(columns, 1)
    ]
    for values in rows:
        last += 1
        for writer, value in zip(writers, values, strict=True):
            writer.write(last, value)
        sheet.row_done(last)
        if last == limit:
            break
    if last == top:
        last += 1
        sheet.put(last, 1, empty, emphasis="italic")
    elif filtered:
        sheet.worksheet.autofilter(top - 1, 0, last - 1, len(columns) - 1)
    return last


def _write_long_table(
    book: Workbook,
    styles: _Styles,
    name: str,
    columns: Sequence[_Column],
    rows: Iterable[Sequence[object]],
    *,
    empty: str,
) -> None:
    """A table on a sheet of its own, continued on ``name (2)`` and on past Excel's row limit."""
    remaining: Iterator[Sequence[object]] = iter(rows)
    number = 1
    while True:
        sheet = _Sheet.add(book, name if number == 1 else f"{name} ({number})", styles)
        last = _write_table(
            sheet, 1, columns, remaining, empty=empty, filtered=True, limit=SHEET_ROWS
        )
        sheet.finish()
        if last < SHEET_ROWS:
            return
        following = next(remaining, None)
        if following is None:
            return
        remaining = _chain_one(following, remaining)
        number += 1


def _chain_one(
    first: Sequence[object], rest: Iterator[Sequence[object]]
) -> Iterator[Sequence[object]]:
    yield first
    yield from rest


def _plain(value: object) -> str | int | float | Decimal | None:
    """A frame value as a cell takes it: None when missing, else str, int, Decimal or float."""
    if value is None or value is pd.NA:
        return None
    if type(value) is int:  # the commonest number, and cheaper to tell than an Integral
        return value
    if isinstance(value, str):
        return str(value)  # a Status becomes its plain value
    if isinstance(value, Decimal):
        return value
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        number = float(value)
        return None if math.isnan(number) else number
    return str(value)


def _money_format(currency: str) -> str:
    if currency == "USD":
        return '"$"#,##0.00;[Red]-"$"#,##0.00'
    code = currency.replace('"', "")
    return f'#,##0.00 "{code}";[Red]-#,##0.00 "{code}"'
