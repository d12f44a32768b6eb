"""The one formula guard: text from the inputs goes into a spreadsheet as text, never as a formula.

A client called ``=HYPERLINK(...)``, an agreement called ``=cmd|' /C calc'!A0`` or a note
starting with ``-`` must stay what it is in every file the workbench writes, in Excel and in
LibreOffice. Each writer applies the same rule (:data:`FORMULA_STARTS`) its own way:

* the adjustment workbook (XlsxWriter, :mod:`workbench.outputs.excel`) stores
  :func:`safe_text` as a string cell, with the quote prefix when it starts like a formula;
* workbooks written or edited with openpyxl (the review and PSA import workbooks, the
  workspace's ``mappings.xlsx``) store it through :func:`put_text`;
* CSV files, which cannot mark a field as text, write :func:`csv_text`.

It sits below the pipeline's stages (like :mod:`workbench.money`), so the mapping edits and the
outputs use one rule without one stage importing a later one.
"""

from __future__ import annotations

import re

from openpyxl.cell.cell import Cell

#: First characters with which Excel and LibreOffice start a formula (or a DDE call) when a user
#: types or imports text (OWASP's list for CSV injection). A workbook cell holding such text gets
#: the quote prefix so editing it keeps it text; a CSV field gets a leading apostrophe
#: (:func:`csv_text`).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 cannot hold; they are replaced, not dropped.
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CELL_LIMIT = 32767  # Excel's maximum characters in a cell; longer text makes it "repair" the file.


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


def put_text(target: Cell, text: str) -> Cell:
    """Store text in an openpyxl cell as text, never as a formula, whatever it starts with.

    Parameters
    ----------
    target
        The cell, new or (in an edited workbook) holding a value and a style already.
    text
        The text, as :func:`safe_text` keeps it.

    Returns
    -------
    openpyxl.cell.cell.Cell
        ``target``, so a caller can style it further.
    """
    text = safe_text(text)
    target.value = text
    # openpyxl makes "=..." a formula and "#N/A" an error; both must stay the text they are.
    target.data_type = "s"
    # So editing the cell in Excel keeps it text. Set either way: an edited cell may carry the
    # prefix of the text it held before (or of the row its style was copied from).
    target.quotePrefix = text.startswith(FORMULA_STARTS)
    return target


def csv_text(text: str) -> str:
    """A text field of a CSV as a spreadsheet or a PSA import shows it, never running as a formula.

    OWASP's rule against CSV injection: a field starting with ``=``, ``+``, ``-``, ``@``, a tab
    or a carriage return (:data:`FORMULA_STARTS`) gets a leading single quote, so Excel and
    LibreOffice read it as text (showing the quote) and a DDE call such as
    ``=cmd|' /C calc'!A0`` never runs. Every other text is kept as it is. Numbers are not text: a
    writer writes a negative quantity or price as the number it is, unprefixed.

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
