"""Cells of the workbooks written with openpyxl (the review workbook, the PSA import workbook),
and text fields of the CSV files written for a person or a PSA.

These workbooks are read back (``workbench apply``) or edited, so they are written with
openpyxl rather than the adjustment workbook's streaming writer. Text is stored exactly as
:func:`workbench.outputs.excel.safe_text` keeps it, as a text cell, never as a formula: a client
called ``=HYPERLINK(...)`` stays a name, in Excel and in LibreOffice. A CSV cannot mark a field
as text, so :func:`csv_text` neutralises it the way OWASP says, by the same first characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from workbench.outputs.excel import FORMULA_STARTS, safe_text

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="305496")
#: Cells a reviewer fills in, in the same yellow as the adjustment workbook's.
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
QUANTITY = "#,##0"
_MAX_WIDTH = 50


def cell(sheet: Worksheet, row: int, column: int) -> Cell:
    """A cell of a sheet this module writes (none of its cells are merged)."""
    found = sheet.cell(row, column)
    assert not isinstance(found, MergedCell)
    return found


def put_text(target: Cell, text: str) -> Cell:
    """Store text as text, never as a formula, whatever it starts with."""
    text = safe_text(text)
    target.value = text
    # openpyxl makes "=..." a formula and "#N/A" an error; both must stay the text they are.
    target.data_type = "s"
    if text.startswith(FORMULA_STARTS):
        target.quotePrefix = True  # so editing the cell in Excel keeps it text
    return target


def csv_text(text: str) -> str:
    """A text field of a CSV as a spreadsheet or a PSA import shows it, never running as a formula.

    OWASP's rule against CSV injection: a field starting with ``=``, ``+``, ``-``, ``@``, a tab
    or a carriage return (:data:`~workbench.outputs.excel.FORMULA_STARTS`) gets a leading
    single quote, so Excel and LibreOffice read it as text (showing the quote) and a DDE call
    such as ``=cmd|' /C calc'!A0`` never runs. Every other text is kept as it is. Numbers are
    not text: a writer writes a negative quantity or price as the number it is, unprefixed.

    Parameters
    ----------
    text
        A name, id, note or date as it goes into the CSV.

    Returns
    -------
    str
        ``text``, with ``'`` in front when it starts with a formula character.
    """
    return "'" + text if text.startswith(FORMULA_STARTS) else text


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


def put_headers(sheet: Worksheet, headers: Sequence[str]) -> None:
    """A header row in row 1, kept in view when scrolling."""
    for column, header in enumerate(headers, start=1):
        header_cell = put_text(cell(sheet, 1, column), header)
        header_cell.font, header_cell.fill = HEADER_FONT, HEADER_FILL
    sheet.freeze_panes = "A2"


def fit_columns(sheet: Worksheet) -> None:
    """Widen each column to its longest value (up to a limit; long notes wrap in Excel)."""
    for number, column_cells in enumerate(sheet.iter_cols(), start=1):
        longest = max((len(str(c.value)) for c in column_cells if c.value is not None), default=0)
        letter = get_column_letter(number)
        sheet.column_dimensions[letter].width = min(max(longest + 2, 8), _MAX_WIDTH)
