"""The adjustment workbook: a reconciliation as an Excel file a finance person can work through.

Sheets, in order:

``Summary``
    Headline figures, lines by status, a per-client table (when there is more than one client),
    what became of every input record, and how to use the workbook.
``Adjustments``
    One row per proposed billing change, with Decision / Adjusted qty / Note columns to fill.
``Evidence``
    The source rows behind every line (file, sheet and row), so each figure can be traced.
``Excluded``
    Source rows left out on purpose, with the reason.
``Unmapped``
    Vendor customers and SKUs not mapped to the PSA, and vendor customers matched with a note.

Every text cell is written as text: a client called ``=HYPERLINK(...)`` stays a name and never
becomes a formula, in Excel or in LibreOffice. The workbook holds no formulas at all; totals are
exact decimal sums written as values, so they equal the sum of the lines to the cent.
"""

from __future__ import annotations

import io
import math
import os
import re
import tempfile
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from numbers import Integral, Real
from pathlib import Path
from typing import Literal

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from workbench.mapping import VENDOR_TITLES
from workbench.money import total
from workbench.reconcile import ADJUSTMENT_STATUSES, Reconciliation, Status

__all__ = ["safe_text", "workbook_bytes", "write_workbook"]

#: What a reviewer may put in the Decision column of the Adjustments sheet.
DECISIONS = ("Approve", "Adjust", "Dismiss")

_CREATOR = "MSP billing workbench"

# Excel and LibreOffice start a formula (or a DDE call) with any of these when a user types or
# imports text; a cell holding such text gets the quote prefix so editing it keeps it text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 cannot hold; openpyxl refuses them, so they are replaced, not dropped.
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CELL_LIMIT = 32767  # Excel's maximum characters in a cell; longer text makes it "repair" the file.

_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="305496")
_INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # cells the reviewer fills in
_TITLE_FONT = Font(bold=True, size=14)
_SECTION_FONT = Font(bold=True, size=12)
_BOLD = Font(bold=True)
_ITALIC = Font(italic=True)
_HEADER_ALIGNMENT = Alignment(vertical="center")
_TOP_RULE = Border(top=Side(style="thin"))
_WRAP = Alignment(wrap_text=True, vertical="top")
_TOP = Alignment(vertical="top")
_PERCENT = "0.0%"
_QUANTITY = "#,##0"

_MIN_WIDTH = 8
_MAX_WIDTH = 50
_LONG_MIN_WIDTH = 30
_LONG_WIDTH = 60  # Why, Note, reasons: wrapped at this width

_Kind = Literal["text", "long", "quantity", "money", "percent"]


@dataclass(frozen=True)
class _Column:
    """One column of a table: its header, how its cells look, and whether the reviewer fills it."""

    header: str
    kind: _Kind = "text"
    to_fill: bool = False


def safe_text(value: str) -> str:
    """Text as a workbook cell can hold it, so what is written is exactly what is read back.

    Characters XML cannot store are replaced by U+FFFD, line breaks become ``\\n`` (XML reading
    turns a carriage return into a line feed anyway) and text beyond Excel's 32,767 characters
    per cell is cut. Nothing else changes: text that looks like a formula is kept as it is, and
    the workbook writer stores it as a text cell with the quote prefix so it never runs.

    Parameters
    ----------
    value
        Text from an input file or a mapping.

    Returns
    -------
    str
        The text to store.
    """
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    text = _UNSTORABLE.sub("\ufffd", text)
    if len(text) > _CELL_LIMIT:
        text = text[: _CELL_LIMIT - 1] + "\u2026"
    return text


def workbook_bytes(result: Reconciliation, *, title: str) -> bytes:
    """The adjustment workbook of a reconciliation, in memory.

    Parameters
    ----------
    result
        The whole reconciliation (consolidated workbook) or ``result.for_client(company_id)``
        (one client's workbook).
    title
        Heading of the Summary sheet and the workbook's title, e.g.
        ``"Acme Dental — October 2026"``.

    Returns
    -------
    bytes
        The ``.xlsx`` file's content.
    """
    book = Workbook()
    del book["Sheet"]  # the default sheet; every sheet is created below, in order
    book.properties.creator = _CREATOR
    book.properties.title = safe_text(title)
    money = _money_format(result.currency)
    _write_summary(book.create_sheet("Summary"), result, title, money)
    _write_adjustments(book.create_sheet("Adjustments"), result, money)
    _write_evidence(book.create_sheet("Evidence"), result, money)
    _write_excluded(book.create_sheet("Excluded"), result, money)
    _write_unmapped(book.create_sheet("Unmapped"), result, money)
    for sheet in book.worksheets:
        _print_setup(sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _print_setup(sheet: Worksheet) -> None:
    """Print landscape, one page wide, repeating a data sheet's header row on every page."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    if sheet.freeze_panes == "A2":
        sheet.print_title_rows = "1:1"


def write_workbook(result: Reconciliation, path: Path, *, title: str) -> Path:
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

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    content = workbook_bytes(result, title=title)
    # mkstemp creates the file readable by its owner only; keep the mode of a workbook being
    # replaced, and make a new one readable by the team like any other file.
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


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
    _Column("Reference", "quantity"),
]
# What became of the records of a file; together they must make up its records.
_OUTCOMES = [
    "matched",
    "not_reconciled",
    "unmapped_customer",
    "unmapped_sku",
    "excluded",
    "reference",
]


def _write_summary(sheet: Worksheet, result: Reconciliation, title: str, money: str) -> None:
    summary = result.summary()
    free_text: set[int] = set()  # rows of running text that must not widen column A

    _put_text(_cell(sheet, 1, 1), title).font = _TITLE_FONT
    free_text.add(1)
    row = 2
    facts = [
        ("Period", _period_words(result.period)),
        ("Prepared for", _clients_words(result.clients)),
        ("Currency", result.currency),
    ]
    for label, words in facts:
        row += 1
        _put_text(_cell(sheet, row, 1), label).font = _BOLD
        _put_text(_cell(sheet, row, 2), words)

    row += 2
    _put_text(_cell(sheet, row, 1), "Key figures").font = _SECTION_FONT
    figures: list[tuple[str, object, _Kind, str]] = [
        (
            "Revenue leaking per month",
            summary.revenue_leaking,
            "money",
            "Under-billed lines and usage that is not on any contract",
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
    ]
    for label, value, kind, meaning in figures:
        row += 1
        _put_text(_cell(sheet, row, 1), label).font = _BOLD
        _put(_cell(sheet, row, 2), value, kind, money)
        _put_text(_cell(sheet, row, 3), meaning)

    row = _write_table(
        sheet,
        row + 2,
        [_Column("Status"), _Column("Lines", "quantity")],
        [(status, summary.counts[status]) for status in Status],
        money,
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
            money,
            title="By client",
        )

    row = _write_table(
        sheet,
        row + 2,
        _COVERAGE_COLUMNS,
        result.coverage[["source_file", "format", "rows_read", "records", *_OUTCOMES]].itertuples(
            index=False
        ),
        money,
        title="What became of every input record (whole run, all clients)",
        empty="No input files were read.",
    )
    row += 1
    _put_text(_cell(sheet, row, 1), _accounted_words(result.coverage)).font = _BOLD
    free_text.add(row)

    row += 2
    _put_text(_cell(sheet, row, 1), "How to use this workbook").font = _SECTION_FONT
    for line in _HOW_TO:
        row += 1
        _put_text(_cell(sheet, row, 1), line)
        free_text.add(row)
    _fit_columns(sheet, skip_rows=free_text)


def _client_rows(result: Reconciliation) -> list[tuple[object, ...]]:
    lines = result.lines
    rows: list[tuple[object, ...]] = []
    for company_id, company_name in result.clients[["company_id", "company_name"]].itertuples(
        index=False
    ):
        mine = lines[lines["company_id"] == company_id]
        discrepancies = int(mine["status"].isin(ADJUSTMENT_STATUSES).sum())
        rows.append((company_name, len(mine), discrepancies, total(mine["revenue_impact"])))
    return rows


def _accounted_words(coverage: pd.DataFrame) -> str:
    short = coverage[coverage[_OUTCOMES].sum(axis=1) != coverage["records"]]
    if short.empty:
        return (
            "Every record is accounted for: in each file, records = matched + not reconciled "
            "+ unmapped customer + unmapped SKU + excluded + reference."
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


def _column_letter(columns: Sequence[_Column], header: str) -> str:
    return get_column_letter(_column_number(columns, header))


def _write_adjustments(sheet: Worksheet, result: Reconciliation, money: str) -> None:
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
            None,
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
        money,
        empty="No adjustments: every line compared with usage matches what is billed.",
        filtered=True,
    )
    _fit_columns(sheet)
    if not rows:
        return

    decision = _column_letter(_ADJUSTMENT_COLUMNS, "Decision")
    choices = DataValidation(
        type="list",
        formula1='"' + ",".join(DECISIONS) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Decision",
        error="Pick Approve, Adjust or Dismiss from the list.",
        showInputMessage=True,
        promptTitle="Decision",
        prompt="Approve, Adjust (then fill Adjusted qty) or Dismiss.",
    )
    choices.add(f"{decision}2:{decision}{last}")
    adjusted = _column_letter(_ADJUSTMENT_COLUMNS, "Adjusted qty")
    whole = DataValidation(
        type="whole",
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Adjusted qty",
        error="Enter the quantity to bill: a whole number, 0 or more.",
    )
    whole.add(f"{adjusted}2:{adjusted}{last}")
    sheet.add_data_validation(choices)
    sheet.add_data_validation(whole)

    # A blank row keeps the totals out of the filter range and out of the decisions read back.
    totals = last + 2
    _put_text(_cell(sheet, totals, 1), "Total")
    for header, column in (
        ("Revenue impact / month", "revenue_impact"),
        ("Cost impact / month", "cost_impact"),
    ):
        cell = _cell(sheet, totals, _column_number(_ADJUSTMENT_COLUMNS, header))
        _put(cell, total(adjustments[column]), "money", money)
    for number in range(1, len(_ADJUSTMENT_COLUMNS) + 1):
        cell = _cell(sheet, totals, number)
        cell.font = _BOLD
        cell.border = _TOP_RULE


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


def _write_evidence(sheet: Worksheet, result: Reconciliation, money: str) -> None:
    # Billed rows before used rows of the same line, so each line reads top to bottom.
    evidence = result.evidence.sort_values(["line_id", "side"], kind="stable")
    rows = [
        (
            row.line_id,
            row.side,
            _system_title(row.system),
            row.customer,
            row.item,
            row.quantity,
            row.factor,
            row.amount,
            row.source_file,
            row.source_sheet,
            row.source_row,
        )
        for row in evidence.itertuples(index=False)
    ]
    _write_table(
        sheet,
        1,
        _EVIDENCE_COLUMNS,
        rows,
        money,
        empty="No source rows behind any line.",
        filtered=True,
    )
    _fit_columns(sheet)


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


def _write_excluded(sheet: Worksheet, result: Reconciliation, money: str) -> None:
    rows = [
        (
            _system_title(row.system),
            row.customer,
            row.item,
            row.quantity,
            row.reason,
            row.source_file,
            row.source_sheet,
            row.source_row,
        )
        for row in result.excluded.itertuples(index=False)
    ]
    _write_table(
        sheet,
        1,
        _EXCLUDED_COLUMNS,
        rows,
        money,
        empty="No source rows were left out.",
        filtered=True,
    )
    _fit_columns(sheet)


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


def _write_unmapped(sheet: Worksheet, result: Reconciliation, money: str) -> None:
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
        money,
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
        money,
        title="Vendor customers to look at: not mapped, excluded, or renamed at the vendor",
        empty="None: every vendor customer is mapped, none renamed.",
    )
    _fit_columns(sheet)


# The billed side of the evidence names the PSA, which is not a vendor.
_SYSTEM_TITLES = {**VENDOR_TITLES, "autotask": "Autotask"}


def _system_title(system: object) -> object:
    return _SYSTEM_TITLES.get(system, system) if isinstance(system, str) else system


# Cells and tables --------------------------------------------------------------------------


def _write_table(
    sheet: Worksheet,
    top: int,
    columns: Sequence[_Column],
    rows: Iterable[Sequence[object]],
    money: str,
    *,
    title: str | None = None,
    empty: str = "No rows.",
    filtered: bool = False,
) -> int:
    """Write a table from row ``top`` and return the last row written.

    A table at the top of its sheet gets its header frozen; a ``filtered`` table with rows gets
    the sheet's auto filter. A table without rows says so in words.
    """
    if title is not None:
        _put_text(_cell(sheet, top, 1), title).font = _SECTION_FONT
        top += 1
    for number, column in enumerate(columns, start=1):
        cell = _put_text(_cell(sheet, top, number), column.header)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = _HEADER_ALIGNMENT
    if top == 1:
        sheet.freeze_panes = "A2"
    last = top
    for values in rows:
        last += 1
        for number, (column, value) in enumerate(zip(columns, values, strict=True), start=1):
            _put(_cell(sheet, last, number), value, column.kind, money, to_fill=column.to_fill)
    if last == top:
        last += 1
        _put_text(_cell(sheet, last, 1), empty).font = _ITALIC
    elif filtered:
        sheet.auto_filter.ref = f"A{top}:{get_column_letter(len(columns))}{last}"
    return last


def _cell(sheet: Worksheet, row: int, column: int) -> Cell:
    cell = sheet.cell(row, column)
    assert isinstance(cell, Cell)  # nothing in this workbook is merged
    return cell


def _put(cell: Cell, value: object, kind: _Kind, money: str, *, to_fill: bool = False) -> Cell:
    """Write one value with the look of its column."""
    value = _plain(value)
    if isinstance(value, str):
        _put_text(cell, value)
    else:
        cell.value = value
    if kind == "money":
        cell.number_format = money
    elif kind == "percent":
        cell.number_format = _PERCENT
    elif kind == "quantity":
        cell.number_format = _QUANTITY
    cell.alignment = _WRAP if kind == "long" else _TOP
    if to_fill:
        cell.fill = _INPUT_FILL
    return cell


def _put_text(cell: Cell, text: str) -> Cell:
    """Store text as text, never as a formula, whatever it starts with."""
    text = safe_text(text)
    cell.value = text
    # openpyxl makes "=..." a formula and "#N/A" an error; both must stay the text they are.
    cell.data_type = "s"
    if text.startswith(_FORMULA_STARTS):
        cell.quotePrefix = True  # so editing the cell in Excel keeps it text
    return cell


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


def _fit_columns(sheet: Worksheet, *, skip_rows: Container[int] = ()) -> None:
    """Size each column to its content, capped; headings and running text may spill over.

    Columns of wrapped text (Why, Note, reasons) get at least room to write a sentence in, even
    when empty: the reviewer's Note column starts empty.
    """
    widths: dict[int, int] = {}
    long: set[int] = set()
    for row in sheet.iter_rows():
        for cell in row:
            if not isinstance(cell, Cell) or cell.row in skip_rows or _is_heading(cell):
                continue
            if cell.alignment.wrap_text:
                long.add(cell.column)
            if cell.value is not None:
                widths[cell.column] = max(widths.get(cell.column, 0), _shown_length(cell))
    for column, width in widths.items():
        if column in long:
            fitted = min(max(width + 2, _LONG_MIN_WIDTH), _LONG_WIDTH)
        else:
            fitted = min(max(width + 2, _MIN_WIDTH), _MAX_WIDTH)
        sheet.column_dimensions[get_column_letter(column)].width = fitted


def _is_heading(cell: Cell) -> bool:
    return cell.font.sz is not None and cell.font.sz >= _SECTION_FONT.sz


def _shown_length(cell: Cell) -> int:
    value = cell.value
    if cell.number_format == _PERCENT:
        return 6
    if isinstance(value, Decimal | int | float):
        # Digits and thousands separators, plus sign and currency symbol or code.
        return len(f"{value:,.2f}") + 5
    return max(len(line) for line in str(value).split("\n"))
