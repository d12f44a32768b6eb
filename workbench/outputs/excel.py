"""The adjustment workbook: a reconciliation as an Excel file a finance person can work through.

Sheets, in order:

``Summary``
    The mapping warnings (when there are any), headline figures, lines by status, a per-client
    table (when there is more than one client), what became of every input record, and how to
    use the workbook.
``Adjustments``
    One row per proposed billing change, with Decision / Adjusted qty / Note columns to fill.
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

The all-clients workbook of a big month is written with ``evidence="lines to decide"``: at 2,000
clients the source rows of every line are two million rows (92 MB, three to eight minutes to write),
while a reviewer needs those of the few dozen lines to decide. The rest stay in each client's
workbook and in the period store, and the Summary says so.

A sheet holds at most 1,048,576 rows; Evidence and Excluded rows beyond that continue on
``Evidence (2)``, ``Evidence (3)`` and so on, each with the same header.

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
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from numbers import Integral, Real
from pathlib import Path
from typing import Any, BinaryIO, Literal

import pandas as pd
from xlsxwriter import Workbook
from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from workbench.formula_guard import FORMULA_STARTS, safe_text
from workbench.ledger import REVIEW_STATUSES
from workbench.mapping import VENDOR_TITLES
from workbench.money import total
from workbench.result import (
    ADJUSTMENT_STATUSES,
    BUNDLE_STATUSES,
    COVERAGE_COLUMNS,
    COVERAGE_OUTCOMES,
    Reconciliation,
    Status,
)

__all__ = ["EVIDENCE_SCOPES", "EvidenceScope", "workbook_bytes", "write_workbook"]

#: Whose source rows the Evidence sheet holds: every line's (a client's workbook), or only
#: those of the lines that need a decision (the all-clients workbook, which then lists every
#: line on a Lines sheet instead).
EvidenceScope = Literal["every line", "lines to decide"]
EVIDENCE_SCOPES: tuple[EvidenceScope, ...] = ("every line", "lines to decide")

#: What a reviewer may put in the Decision column of the Adjustments sheet.
DECISIONS = ("Approve", "Adjust", "Dismiss")

#: Rows a worksheet can hold (Excel's limit); longer tables continue on a numbered sheet.
SHEET_ROWS = 1_048_576
#: Lines, evidence and excluded rows above which a workbook is streamed to disk as it is written.
STREAMED_ROWS = 50_000

_CREATOR = "MSP billing workbench"

_HEADER_STYLE = {"bold": True, "font_color": "#FFFFFF", "bg_color": "#305496", "valign": "vcenter"}
_INPUT_FILL = "#FFF2CC"  # cells the reviewer fills in
_PERCENT = "0.0%"
_QUANTITY = "#,##0"

_MIN_WIDTH = 8
_MAX_WIDTH = 50
_LONG_MIN_WIDTH = 30
_LONG_WIDTH = 60  # Why, Note, reasons: wrapped at this width
# A column's width is stored in characters of 7 pixels (the default font's digit). XlsxWriter's
# set_column adds 5 pixels of padding to a width in characters; widths are given in pixels so
# the file stores exactly the width chosen here.
_DIGIT_PIXELS = 7

_Kind = Literal["text", "long", "quantity", "money", "percent"]
# How a cell stands out: a title, a section heading, a label, a note, a table header, a total.
_Emphasis = Literal["title", "section", "bold", "italic", "header", "total"]
_EMPHASIS_STYLES: dict[str, dict[str, Any]] = {
    "title": {"bold": True, "font_size": 14},
    "section": {"bold": True, "font_size": 12},
    "bold": {"bold": True},
    "italic": {"italic": True},
    "header": _HEADER_STYLE,
    "total": {"bold": True, "top": 1},
}


@dataclass(frozen=True)
class _Column:
    """One column of a table: its header, how its cells look, and whether the reviewer fills it."""

    header: str
    kind: _Kind = "text"
    to_fill: bool = False


def workbook_bytes(
    result: Reconciliation, *, title: str, evidence: EvidenceScope = "every line"
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

    Returns
    -------
    bytes
        The ``.xlsx`` file's content.
    """
    buffer = io.BytesIO()
    _write(result, buffer, title, evidence)
    return buffer.getvalue()


def write_workbook(
    result: Reconciliation, path: Path, *, title: str, evidence: EvidenceScope = "every line"
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
            _write(result, file, title, evidence)
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


def _write(result: Reconciliation, file: BinaryIO, title: str, evidence: EvidenceScope) -> None:
    """Write every sheet, in order, to an open binary file."""
    if evidence not in EVIDENCE_SCOPES:
        raise ValueError(f"evidence is one of {', '.join(EVIDENCE_SCOPES)}, not {evidence!r}")
    shown = _evidence_shown(result, evidence)
    rows = len(result.lines) + len(shown) + len(result.excluded)
    book = Workbook(
        file,
        {
            "constant_memory": rows > STREAMED_ROWS,
            # Text is stored exactly as given: never turned into a number, formula or link.
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    try:
        book.set_properties({"author": _CREATOR, "title": safe_text(title)})
        styles = _Styles(book, _money_format(result.currency))
        _write_summary(_Sheet.add(book, "Summary", styles), result, title, evidence, len(shown))
        _write_adjustments(_Sheet.add(book, "Adjustments", styles), result)
        _write_bundles(_Sheet.add(book, "Bundles", styles), result)
        if evidence == "lines to decide":
            _write_lines(_Sheet.add(book, "Lines", styles), result)
        _write_evidence(book, styles, shown, evidence)
        _write_excluded(book, styles, result)
        _write_unmapped(_Sheet.add(book, "Unmapped", styles), result)
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
    "1. Open the Adjustments sheet. Each row is a proposed change to what a client is billed, "
    "biggest amount first.",
    "2. Read Why, and look up the same Line ID on the Evidence sheet for the source file and "
    "row behind the numbers.",
    "3. In Decision pick Approve (bill the proposed quantity), Adjust (bill another quantity) "
    "or Dismiss (leave billing as it is).",
    "4. When you pick Adjust, put the quantity to bill in Adjusted qty: a whole number, 0 or more.",
    "5. Use Note for anything the next person should know, such as why a line was dismissed.",
    "Keep Line ID as it is and do not add or delete rows: decisions are read back by Line ID.",
    "The Bundles sheet lists bundle units sold without one of their components, and vendor "
    "licences paid for but in no bundle: fix the delivery or the bundle.",
    "The Unmapped sheet lists vendor customers and SKUs the PSA does not know yet: map them so "
    "next month's run can check them.",
)

_COVERAGE_COLUMNS = [
    _Column("Input file"),
    _Column("Format"),
    _Column("Rows read", "quantity"),
    _Column("Records", "quantity"),
    _Column("Matched", "quantity"),
    _Column("Not reconciled", "quantity"),
    _Column("Unmapped customer", "quantity"),
    _Column("Unmapped SKU", "quantity"),
    _Column("Excluded", "quantity"),
    _Column("Same record as another row", "quantity"),
    _Column("Reference", "quantity"),
]
# What became of the records of a file; together they must make up its records.


def _write_summary(
    sheet: _Sheet, result: Reconciliation, title: str, evidence: EvidenceScope, shown: int
) -> None:
    summary = result.summary()
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
        sheet.put(row, 2, words)

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
            summary.coverage,
            "percent",
            "The rest has no usage source to compare with",
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
    for label, value, kind, meaning in figures:
        row += 1
        sheet.put(row, 1, label, emphasis="bold")
        sheet.put(row, 2, value, kind)
        sheet.put(row, 3, meaning)

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
        result.coverage[COVERAGE_COLUMNS].itertuples(index=False),
        title="What became of every input record (whole run, all clients)",
        empty="No input files were read.",
    )
    row += 1
    sheet.put(row, 1, _accounted_words(result.coverage), emphasis="bold", sized=False)

    if evidence == "lines to decide":
        row += 2
        sheet.put(row, 1, "Where the evidence is", emphasis="section", sized=False)
        for line in _where_the_evidence_is(result, shown):
            row += 1
            sheet.put(row, 1, line, sized=False)

    row += 2
    sheet.put(row, 1, "How to use this workbook", emphasis="section", sized=False)
    for line in _HOW_TO:
        row += 1
        sheet.put(row, 1, line, sized=False)
    sheet.finish()


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
    _Column("Decision", to_fill=True),
    _Column("Adjusted qty", "quantity", to_fill=True),
    _Column("Note", "long", to_fill=True),
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
            None,  # Decision, Adjusted qty and Note: left for the reviewer to fill
            None,
            None,
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
        decision = _column_number(_ADJUSTMENT_COLUMNS, "Decision") - 1
        sheet.worksheet.data_validation(
            1,
            decision,
            last - 1,
            decision,
            {
                "validate": "list",
                "source": list(DECISIONS),
                "ignore_blank": True,
                "show_error": True,
                "error_title": "Decision",
                "error_message": "Pick Approve, Adjust or Dismiss from the list.",
                "show_input": True,
                "input_title": "Decision",
                "input_message": "Approve, Adjust (then fill Adjusted qty) or Dismiss.",
            },
        )
        adjusted = _column_number(_ADJUSTMENT_COLUMNS, "Adjusted qty") - 1
        sheet.worksheet.data_validation(
            1,
            adjusted,
            last - 1,
            adjusted,
            {
                "validate": "integer",
                "criteria": ">=",
                "value": 0,
                "ignore_blank": True,
                "show_error": True,
                "show_input": False,
                "error_title": "Adjusted qty",
                "error_message": "Enter the quantity to bill: a whole number, 0 or more.",
            },
        )

        # A blank row keeps the totals out of the filter range and out of the decisions read back.
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
    _Column("Factor"),
    _Column("Amount", "money"),
    _Column("Source file"),
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
        evidence["factor"],
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
    _Column("Source file"),
    _Column("Sheet"),
    _Column("Row"),
]


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
        formats = {"money": self._money, "percent": _PERCENT, "quantity": _QUANTITY}
        if kind in formats:
            properties["num_format"] = formats[kind]
        if to_fill:
            properties.update(bg_color=_INPUT_FILL, pattern=1)
        if emphasis is not None:
            properties.update(_EMPHASIS_STYLES[emphasis])
        if quoted:
            properties["quote_prefix"] = True  # so editing the cell in Excel keeps it text
        return properties


@dataclass
class _Sheet:
    """A worksheet being written top to bottom, cells by 1-based row and column.

    It remembers what each column holds so :meth:`finish` can size the columns without reading
    the cells back: the longest text, the widest numbers, and whether its text wraps.
    """

    worksheet: Worksheet
    styles: _Styles
    frozen: bool = False
    text_widths: dict[int, int] = field(default_factory=dict)
    number_extremes: dict[int, tuple[float, float]] = field(default_factory=dict)
    long_columns: set[int] = field(default_factory=set)

    @classmethod
    def add(cls, book: Workbook, name: str, styles: _Styles) -> _Sheet:
        return cls(book.add_worksheet(name), styles)

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
        if isinstance(value, str) and value:
            text = safe_text(value)
            quoted = text.startswith(FORMULA_STARTS)
            style = self.styles.get(kind, to_fill, emphasis, quoted)
            self.worksheet.write_string(row - 1, column - 1, text, style)
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
        self.frozen = True

    def finish(self) -> None:
        """Size the columns to their content and set up printing.

        Each column gets the width of its content, capped; columns of wrapped text (Why, Note,
        reasons) get at least room to write a sentence in, even when empty: the reviewer's Note
        column starts empty. Sheets print landscape, one page wide, a data sheet repeating its
        header row on every page.
        """
        widths = dict(self.text_widths)
        for column, (low, high) in self.number_extremes.items():
            widths[column] = max(widths.get(column, 0), _number_width(low, high))
        for column, width in widths.items():
            if column in self.long_columns:
                fitted = min(max(width + 2, _LONG_MIN_WIDTH), _LONG_WIDTH)
            else:
                fitted = min(max(width + 2, _MIN_WIDTH), _MAX_WIDTH)
            self.worksheet.set_column_pixels(column - 1, column - 1, fitted * _DIGIT_PIXELS)
        self.worksheet.set_landscape()
        self.worksheet.fit_to_pages(1, 0)
        if self.frozen:
            self.worksheet.repeat_rows(0)


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
        sheet.put(top, number, column.header, emphasis="header")
    if top == 1:
        sheet.freeze_header()
    last = top
    # The column looks, once per table rather than once per cell.
    looks = [(number, column.kind, column.to_fill) for number, column in enumerate(columns, 1)]
    put = sheet.put
    for values in rows:
        last += 1
        for (number, kind, to_fill), value in zip(looks, values, strict=True):
            put(last, number, value, kind, to_fill=to_fill)
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
