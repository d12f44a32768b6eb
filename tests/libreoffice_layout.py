"""Measure workbooks as LibreOffice lays them out: run by the system's ``python3`` (which has
LibreOffice's ``uno`` module), not by the project's virtualenv.

Usage: ``python3 tests/libreoffice_layout.py PROFILE_FOLDER WORKBOOK...``; prints one JSON
object: per workbook, per sheet, its print setup and, for every row holding wrapped text, the
row's height as the file sets it and the height LibreOffice needs to show all of its text (its
"optimal height"), both in hundredths of a millimetre.

LibreOffice is started headless with a profile in ``PROFILE_FOLDER`` (never a person's own)
and a pipe of its own, so tests running at once do not share an office.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]
from com.sun.star.connection import NoConnectException  # type: ignore[import-not-found]

SOFFICE = "soffice"
CONNECT_SECONDS = 120


def _connect(pipe: str) -> Any:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local
    )
    deadline = time.monotonic() + CONNECT_SECONDS
    while True:
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except NoConnectException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def _sheet_layout(document: Any, sheet: Any) -> dict[str, Any]:
    styles = document.StyleFamilies.getByName("PageStyles")
    page = styles.getByName(sheet.PageStyle)
    cursor = sheet.createCursor()
    cursor.gotoEndOfUsedArea(False)
    last_row, last_column = cursor.RangeAddress.EndRow, cursor.RangeAddress.EndColumn
    titles = sheet.getTitleRows()
    rows = []
    for row in range(last_row + 1):
        wrapped = []
        for column in range(last_column + 1):
            cell = sheet.getCellByPosition(column, row)
            if cell.IsTextWrapped and cell.String:
                wrapped.append(cell.String)
        if not wrapped:
            continue
        dimension = sheet.Rows.getByIndex(row)
        written = dimension.Height
        dimension.OptimalHeight = True
        rows.append(
            {"row": row + 1, "height": written, "needed": dimension.Height, "texts": wrapped}
        )
    return {
        "visible": bool(sheet.IsVisible),
        "landscape": bool(page.IsLandscape),
        "pages_wide": page.ScaleToPagesX,
        "pages_tall": page.ScaleToPagesY,
        "title_rows": [titles.StartRow + 1, titles.EndRow + 1] if sheet.PrintTitleRows else [],
        "wrapped_rows": rows,
    }


def main(profile: Path, workbooks: list[Path]) -> dict[str, Any]:
    pipe = f"workbench-layout-{os.getpid()}"
    office = subprocess.Popen(
        [
            SOFFICE,
            f"-env:UserInstallation={profile.resolve().as_uri()}",
            "--headless",
            "--invisible",
            "--norestore",
            f"--accept=pipe,name={pipe};urp;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    found: dict[str, Any] = {}
    try:
        context = _connect(pipe)
        desktop = context.ServiceManager.createInstanceWithContext(
            "com.sun.star.frame.Desktop", context
        )
        hidden = PropertyValue()
        hidden.Name, hidden.Value = "Hidden", True
        for workbook in workbooks:
            url = uno.systemPathToFileUrl(str(workbook.resolve()))
            document = desktop.loadComponentFromURL(url, "_blank", 0, (hidden,))
            try:
                sheets = document.Sheets
                found[workbook.name] = {
                    sheets.getByIndex(i).Name: _sheet_layout(document, sheets.getByIndex(i))
                    for i in range(sheets.Count)
                }
            finally:
                document.close(True)
        # The office goes away while answering: that is the point.
        with contextlib.suppress(Exception):
            desktop.terminate()
        office.wait(timeout=60)
    finally:
        if office.poll() is None:
            office.kill()
            office.wait()
    return found


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), [Path(arg) for arg in sys.argv[2:]])))
