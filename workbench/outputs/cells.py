"""Cells of the workbook written with openpyxl: the PSA import workbook.

It is edited before it goes to the PSA, so it is written with openpyxl rather than the
adjustment workbook's streaming writer. Text goes in through
:func:`workbench.formula_guard.put_text`, as a text cell, never as a formula: a client called
``=HYPERLINK(...)`` stays a name, in Excel and in LibreOffice.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from workbench.formula_guard import put_text

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="305496")
_RIGHT = Alignment(horizontal="right")
_MAX_WIDTH = 50


def cell(sheet: Worksheet, row: int, column: int) -> Cell:
    """A cell of a sheet this module writes (none of its cells are merged)."""
    found = sheet.cell(row, column)
    assert not isinstance(found, MergedCell)
    return found


def put_value(target: Cell, value: object, number_format: str | None = None) -> Cell:
    """Store a number (Decimal or int, with ``number_format``), text, or nothing for None."""
    if value is None:
        return target
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        target.value = value
        if number_format:
            target.number_format = number_format
        return target
    return put_text(target, str(value))


def put_headers(sheet: Worksheet, headers: Sequence[str], numbers: Sequence[str] = ()) -> None:
    """A header row in row 1, kept in view when scrolling and printed on every page; the
    ``numbers`` columns' headers stand on the right, over their numbers."""
    for column, header in enumerate(headers, start=1):
        header_cell = put_text(cell(sheet, 1, column), header)
        header_cell.font, header_cell.fill = HEADER_FONT, HEADER_FILL
        if header in numbers:
            header_cell.alignment = _RIGHT
    sheet.freeze_panes = "A2"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0


def fit_columns(sheet: Worksheet) -> None:
    """Widen each column to its longest value (up to a limit; long notes wrap in Excel)."""
    for number, column_cells in enumerate(sheet.iter_cols(), start=1):
        longest = max((len(str(c.value)) for c in column_cells if c.value is not None), default=0)
        letter = get_column_letter(number)
        sheet.column_dimensions[letter].width = min(max(longest + 2, 8), _MAX_WIDTH)
