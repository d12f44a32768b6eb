"""The baseline workbook writer: the adjustment workbook as the workbench wrote it before
XlsxWriter, cell by cell with openpyxl's default (not write-only) mode.

Kept only to be timed beside :mod:`workbench.outputs.excel` on the same reconciliation. The
sheets, styles, validations, widths and print setup are the same (without the Bundles sheet);
the words, columns and row values come from the workbench's own writer module, so only the
openpyxl writing is here.
"""

from __future__ import annotations

import io
from collections.abc import Container, Iterable, Sequence
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from workbench.formula_guard import put_text, safe_text
from workbench.money import total
from workbench.outputs.excel import (
    _ADJUSTMENT_COLUMNS,
    _COVERAGE_COLUMNS,
    _COVERAGE_ORDER,
    _CREATOR,
    _EVIDENCE_COLUMNS,
    _EXCLUDED_COLUMNS,
    _HOW_TO,
    _LONG_MIN_WIDTH,
    _LONG_WIDTH,
    _MATCH_COLUMNS,
    _MATCH_METHODS,
    _MAX_WIDTH,
    _MIN_WIDTH,
    _UNMAPPED_COLUMNS,
    _accounted_words,
    _client_rows,
    _clients_words,
    _Column,
    _column_number,
    _Kind,
    _money_format,
    _period_words,
    _plain,
    _system_title,
)
from workbench.result import Reconciliation, Status

__all__ = ["workbook_bytes"]

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


# Summary -----------------------------------------------------------------------------------


def _write_summary(sheet: Worksheet, result: Reconciliation, title: str, money: str) -> None:
    summary = result.summary()
    free_text: set[int] = set()  # rows of running text that must not widen column A

    put_text(_cell(sheet, 1, 1), title).font = _TITLE_FONT
    free_text.add(1)
    row = 2
    facts = [
        ("Period", _period_words(result.period)),
        ("Prepared for", _clients_words(result.clients)),
        ("Currency", result.currency),
    ]
    for label, words in facts:
        row += 1
        put_text(_cell(sheet, row, 1), label).font = _BOLD
        put_text(_cell(sheet, row, 2), words)

    row += 2
    put_text(_cell(sheet, row, 1), "Key figures").font = _SECTION_FONT
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
        put_text(_cell(sheet, row, 1), label).font = _BOLD
        _put(_cell(sheet, row, 2), value, kind, money)
        put_text(_cell(sheet, row, 3), meaning)

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
        result.coverage[_COVERAGE_ORDER].itertuples(index=False),
        money,
        title="What became of every input record (whole run, all clients)",
        empty="No input files were read.",
    )
    row += 1
    put_text(_cell(sheet, row, 1), _accounted_words(result.coverage)).font = _BOLD
    free_text.add(row)

    row += 2
    put_text(_cell(sheet, row, 1), "How to use this workbook").font = _SECTION_FONT
    for line in _HOW_TO:
        row += 1
        put_text(_cell(sheet, row, 1), line)
        free_text.add(row)
    _fit_columns(sheet, skip_rows=free_text)


# Adjustments -------------------------------------------------------------------------------


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

    # A blank row keeps the totals out of the filter range and out of the decisions read back.
    totals = last + 2
    put_text(_cell(sheet, totals, 1), "Total")
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
        put_text(_cell(sheet, top, 1), title).font = _SECTION_FONT
        top += 1
    for number, column in enumerate(columns, start=1):
        cell = put_text(_cell(sheet, top, number), column.header)
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
        put_text(_cell(sheet, last, 1), empty).font = _ITALIC
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
        put_text(cell, value)
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
