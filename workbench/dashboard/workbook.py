"""The scope's workbook: built when the person asks, with the decisions made so far.

:func:`workbook_with_decisions` writes the adjustment workbook of the scope
(:mod:`workbench.outputs.excel`) with the ledger's decisions in its Decision columns;
:class:`WorkbookDownload` is the button that builds it and the link that downloads it.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Mapping

import ipywidgets as widgets
import openpyxl

from workbench.dashboard.page import action_button, error_html
from workbench.errors import WorkbenchError
from workbench.formula_guard import put_text
from workbench.ledger import Decided, Decision, Ledger, ledger_to_read
from workbench.result import Reconciliation
from workbench.views import month_title
from workbench.workspace import Workspace

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_file_name(scope_name: str, period: str) -> str:
    """``Acme Dental-2026-10.xlsx``: the scope's name, characters file systems refuse replaced."""
    safe = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "-", scope_name).strip(" .-") or "workbook"
    return f"{safe}-{period}.xlsx"


def workbook_with_decisions(
    result: Reconciliation, decisions: Mapping[str, Decided], *, title: str
) -> bytes:
    """The scope's adjustment workbook with the ledger's decisions in its Decision columns.

    Each adjustment row whose line has a decision gets it in Decision (Approve, Adjust or
    Dismiss), the quantity set in Adjusted qty (adjust only) and the note in Note; rows without
    one stay blank for the reviewer.

    Parameters
    ----------
    result
        The whole reconciliation or one client's (``result.for_client(company_id)``).
    decisions
        :meth:`Ledger.decisions` of the period.
    title
        Heading of the Summary sheet.

    Returns
    -------
    bytes
        The ``.xlsx`` file's content.
    """
    # Imported here so the dashboard works (minus the download) while outputs are absent.
    from workbench.outputs import cells
    from workbench.outputs.excel import DECISIONS, workbook_bytes

    # All clients at once: the batch's consolidated layout (every line, the evidence of the
    # lines to decide); a client's own workbook keeps all of its evidence.
    content = workbook_bytes(
        result,
        title=title,
        evidence="lines to decide" if len(result.clients) > 1 else "every line",
    )
    # The workbook's own spelling of each decision, as its Decision list offers them.
    labels = {Decision(label.lower()): label for label in DECISIONS}
    decided = {
        line_id: decisions[line_id] for line_id in result.lines["line_id"] if line_id in decisions
    }
    if not decided:
        return content
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book["Adjustments"]
    headers = {str(cell.value): cell.column for cell in sheet[1] if cell.value}
    for row in range(2, sheet.max_row + 1):
        one = decided.get(str(sheet.cell(row, headers["Line ID"]).value))
        if one is None:
            continue
        sheet.cell(row, headers["Decision"]).value = labels[one.decision]
        if one.decision == Decision.ADJUST and one.quantity is not None:
            sheet.cell(row, headers["Adjusted qty"]).value = int(one.quantity)
        if one.note:
            put_text(cells.cell(sheet, row, headers["Note"]), one.note)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def workbook_link_html(content: bytes, *, file_name: str) -> str:
    """An anchor that downloads a prepared workbook, embedded as a base64 data URL."""
    href = f"data:{XLSX_MIME};base64,{base64.b64encode(content).decode('ascii')}"
    return (
        f'<a class="wb-download" href="{href}" download="{html.escape(file_name)}">'
        f"Download {html.escape(file_name)}</a>"
        f'<span class="wb-download-note">the proposed adjustments with the decisions made so '
        "far, and the source rows behind every figure</span>"
    )


class WorkbookDownload:
    """A button that builds the scope's workbook when asked, then offers it for download.

    Building it up front cost every page load the whole workbook (131 MB as a data URL at
    2,000 clients); now only a person who wants it waits for it. A decision saved after the
    workbook was built withdraws the link, so a download never misses a decision.
    """

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.button = action_button("Prepare workbook", "wb-prepare-workbook", "primary")
        self.link = widgets.HTML().add_class("wb-download-link")
        self.root = widgets.HBox([self.button, self.link]).add_class("wb-download-row")
        self.button.on_click(lambda _: self.prepare())
        self.scope: Reconciliation | None = None
        self.scope_name = ""

    def show(self, scope: Reconciliation, scope_name: str) -> None:
        self.scope, self.scope_name = scope, scope_name
        self.forget()

    def forget(self, why: str = "") -> None:
        """Withdraw a prepared workbook (the scope or a decision changed)."""
        if self.scope is None:
            return
        name = workbook_file_name(self.scope_name, self.scope.period)
        self.button.description = f"Prepare workbook: {self.scope_name}"
        self.button.disabled = False
        self.link.value = (
            f'<span class="wb-download-note">{html.escape(why)}{html.escape(name)}: built when '
            "you ask, with the decisions made so far.</span>"
        )

    def prepare(self) -> None:
        if self.scope is None:
            return
        scope, name = self.scope, workbook_file_name(self.scope_name, self.scope.period)
        self.button.disabled = True
        self.link.value = (
            f'<span class="wb-download-note">Building {html.escape(name)}\u2026</span>'
        )
        try:
            with Ledger.open(ledger_to_read(self.workspace)) as ledger:
                decisions = ledger.decisions(scope.period)
            content = workbook_with_decisions(
                scope,
                decisions,
                title=f"{self.scope_name} \u2014 {month_title(scope.period)}",
            )
        except ImportError:
            self.link.value = (
                '<p class="wb-empty">Workbook download is not available in this installation.</p>'
            )
            return
        except WorkbenchError as error:
            self.link.value = error_html(error, "Cannot build the workbook.")
            self.button.disabled = False
            return
        self.link.value = workbook_link_html(content, file_name=name)
        self.button.disabled = False
