"""Are two runs' outputs the same? Notebooks cell by cell, HTML pages and workbooks' values.

The warm executor must produce what stock papermill produces. Some things differ between any
two runs, even two stock ones, and are left out of the comparison:

- timings and timestamps: papermill's notebook and cell metadata, nbclient's execution
  timestamps;
- where the run wrote: papermill's ``input_path`` and ``output_path``, and the outputs folder
  wherever it appears (a client notebook's ``saved`` parameter names it);
- the random id papermill gives the cell it injects with the parameters (an HTML page shows it
  as ``id="cell-id=1a2b3c4d"``);
- the random id pandas gives every styled table (``<table id="T_1a2b3">``), and the memory
  address in an object's plain-text form (``<pandas.io.formats.style.Styler at 0x7f…>``).

Everything else must match exactly: cell sources, execution counts, every output's type, text,
HTML and PNG bytes, the HTML pages, and every workbook cell's value.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import nbformat
import openpyxl
from nbformat import NotebookNode

#: pandas Styler ids: ``T_`` and five random hex digits (``T_1a2b3``, ``T_1a2b3_row0_col1``).
STYLER_ID = re.compile(r"\bT_[0-9a-f]{5}(?=[_\"'\s#.,{])")
#: The HTML id of papermill's injected-parameters cell, random in every run: in the cell's tag
#: before its class (as nbconvert's template writes it) or after (as BeautifulSoup wrote it).
INJECTED_CELL_ID = re.compile(
    r'cell-id=[0-9a-f-]+(?="[^>]*celltag_injected-parameters")'
    r'|(?<=celltag_injected-parameters" id=")cell-id=[0-9a-f-]+'
)
#: An object's address in its default repr: ``<... at 0x7f66f44d3910>``.
OBJECT_ADDRESS = re.compile(r" at 0x[0-9a-f]+>")
#: Cell metadata that records when and how long, not what.
RUN_METADATA = ("execution", "papermill")


def _steady_text(text: str, folder: str = "") -> str:
    if folder:
        text = text.replace(folder, "<outputs>")
    text = INJECTED_CELL_ID.sub("cell-id=injected", text)
    return OBJECT_ADDRESS.sub(" at 0x…>", STYLER_ID.sub("T_styler", text))


def _steady(value: Any, folder: str = "") -> Any:
    if isinstance(value, str):
        return _steady_text(value, folder)
    if isinstance(value, list):
        return [_steady(item, folder) for item in value]
    if isinstance(value, dict):
        return {key: _steady(item, folder) for key, item in value.items()}
    return value


def comparable_cells(book: NotebookNode, folder: str = "") -> list[dict[str, Any]]:
    """What a notebook shows, cell by cell, without what differs between any two runs.

    ``folder``, the run's outputs folder, is replaced by ``<outputs>`` wherever it appears.
    """
    cells = []
    for cell in book.cells:
        metadata = {k: v for k, v in cell.get("metadata", {}).items() if k not in RUN_METADATA}
        cells.append(
            {
                "cell_type": cell.cell_type,
                "source": _steady_text(cell.source, folder),
                "metadata": metadata,
                "execution_count": cell.get("execution_count"),
                "outputs": _steady(cell.get("outputs", []), folder),
            }
        )
    return cells


def _read(notebook: Path | NotebookNode) -> NotebookNode:
    if isinstance(notebook, NotebookNode):
        return notebook
    book: NotebookNode = nbformat.read(notebook, as_version=4)  # type: ignore[no-untyped-call]
    return book


def notebook_differences(
    expected: Path | NotebookNode,
    actual: Path | NotebookNode,
    folders: tuple[str, str] = ("", ""),
) -> list[str]:
    """How ``actual`` differs from ``expected``, one line per differing cell; empty if none.

    Also compares the notebook-level metadata a reader sees (kernel and language) and the
    papermill parameters the run was given. ``folders`` are the two runs' outputs folders.
    """
    first, second = _read(expected), _read(actual)
    differences = []
    for key in ("kernelspec", "language_info"):
        if first.metadata.get(key) != second.metadata.get(key):
            differences.append(f"notebook metadata {key!r} differs")
    first_parameters = _steady(first.metadata.get("papermill", {}).get("parameters"), folders[0])
    second_parameters = _steady(second.metadata.get("papermill", {}).get("parameters"), folders[1])
    if first_parameters != second_parameters:
        differences.append(f"parameters {first_parameters} != {second_parameters}")
    cells, others = comparable_cells(first, folders[0]), comparable_cells(second, folders[1])
    if len(cells) != len(others):
        differences.append(f"{len(cells)} cells != {len(others)} cells")
    for number, (cell, other) in enumerate(zip(cells, others, strict=False), start=1):
        for part in ("cell_type", "source", "metadata", "execution_count", "outputs"):
            if cell[part] != other[part]:
                shown = json.dumps(other[part])[:200]
                differences.append(f"cell {number}: {part} differs (got {shown})")
    return differences


def html_differences(
    expected: Path, actual: Path, folders: tuple[str, str] = ("", "")
) -> list[str]:
    """Line numbers where two exported HTML pages differ; empty if none."""
    first = _steady_text(expected.read_text(encoding="utf-8"), folders[0]).splitlines()
    second = _steady_text(actual.read_text(encoding="utf-8"), folders[1]).splitlines()
    differences = [
        f"line {number}: {line[:120]!r} != {other[:120]!r}"
        for number, (line, other) in enumerate(zip(first, second, strict=False), start=1)
        if line != other
    ]
    if len(first) != len(second):
        differences.append(f"{len(first)} lines != {len(second)} lines")
    return differences


def workbook_values(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every sheet's cell values, row by row."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return {
            sheet.title: [tuple(row) for row in sheet.iter_rows(values_only=True)]
            for sheet in book.worksheets
        }
    finally:
        book.close()


def workbook_differences(
    expected: Path, actual: Path, folders: tuple[str, str] = ("", "")
) -> list[str]:
    """Sheets and cells whose values differ between two workbooks; empty if none.

    ``folders`` is accepted for a uniform call; no workbook names where it was written.
    """
    first, second = workbook_values(expected), workbook_values(actual)
    if list(first) != list(second):
        return [f"sheets {list(first)} != {list(second)}"]
    differences = []
    for sheet, rows in first.items():
        others = second[sheet]
        if len(rows) != len(others):
            differences.append(f"{sheet}: {len(rows)} rows != {len(others)} rows")
        for number, (row, other) in enumerate(zip(rows, others, strict=False), start=1):
            if row != other:
                differences.append(f"{sheet} row {number}: {row} != {other}")
    return differences


def batch_differences(expected: Path, actual: Path) -> list[str]:
    """Two batch runs' period folders compared file by file: every client's notebook, HTML
    and workbook, the portfolio notebook and HTML, and the consolidated workbook.

    Each period folder's parent is that run's outputs folder.
    """
    expected, actual = expected.resolve(), actual.resolve()
    folders = (str(expected.parent), str(actual.parent))
    differences = []
    for path in sorted(expected.rglob("*")):
        relative = path.relative_to(expected)
        other = actual / relative
        if path.name.startswith(".") or not path.is_file():
            continue
        if path.suffix not in (".ipynb", ".html", ".xlsx"):
            continue
        if not other.is_file():
            differences.append(f"{relative}: missing")
            continue
        found = {
            ".ipynb": notebook_differences,
            ".html": html_differences,
            ".xlsx": workbook_differences,
        }[path.suffix](path, other, folders)
        differences.extend(f"{relative}: {difference}" for difference in found)
    return differences
