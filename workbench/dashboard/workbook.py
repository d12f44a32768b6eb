"""The scope's workbook: built when the person asks, with the decisions made so far.

:func:`workbook_with_decisions` writes the adjustment workbook of the scope
(:mod:`workbench.outputs.excel`) with its Review sheet prefilled from the ledger: the same
decision sheet as the review workbook's, so the downloaded workbook can be decided in Excel and
applied with ``workbench apply``. :class:`WorkbookDownload` is the button that builds it and the
link that downloads it.
"""

from __future__ import annotations

import base64
import html

import ipywidgets as widgets

from workbench.dashboard.page import action_button, error_html
from workbench.errors import WorkbenchError
from workbench.ledger import Ledger, ledger_to_read
from workbench.result import Reconciliation
from workbench.views import month_title
from workbench.workspace import Workspace

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_file_name(scope_name: str, period: str) -> str:
    """``Acme Dental Group - 2026-10.xlsx``: the name the batch gives the same workbook."""
    # Imported here so the dashboard works (minus the download) while outputs are absent.
    from workbench.outputs.excel import workbook_file_name as batch_name

    return batch_name(scope_name, period)


def workbook_with_decisions(result: Reconciliation, workspace: Workspace, *, title: str) -> bytes:
    """The scope's adjustment workbook, its Review sheet prefilled with the ledger's decisions.

    Parameters
    ----------
    result
        The whole reconciliation or one client's (``result.for_client(company_id)``).
    workspace
        The workspace: its ledger's decisions, and what ``workbench apply`` checks the workbook
        against (its run's fingerprint).
    title
        Heading of the Summary sheet.

    Returns
    -------
    bytes
        The ``.xlsx`` file's content.
    """
    from workbench.outputs.excel import workbook_bytes
    from workbench.outputs.workbook_review import decision_sheet

    with Ledger.open(ledger_to_read(workspace)) as ledger:
        review = ledger.review(result)
    one_client = len(result.clients) == 1
    clients = [str(result.clients["company_id"].iat[0])] if one_client else []
    # All clients at once: the batch's consolidated layout (every line, the evidence of the
    # lines to decide); a client's own workbook keeps all of its evidence.
    return workbook_bytes(
        result,
        title=title,
        evidence="every line" if one_client else "lines to decide",
        decisions=decision_sheet(result, review, workspace, clients=clients),
    )


def workbook_link_html(content: bytes, *, file_name: str) -> str:
    """An anchor that downloads a prepared workbook, embedded as a base64 data URL."""
    href = f"data:{XLSX_MIME};base64,{base64.b64encode(content).decode('ascii')}"
    return (
        f'<a class="wb-download" href="{href}" download="{html.escape(file_name)}">'
        f"Download {html.escape(file_name)}</a>"
        f'<span class="wb-download-note">the lines to decide with the decisions made so far '
        "(decide in its Review sheet, then run workbench apply on it), and the source rows "
        "behind every figure</span>"
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
        #: A workbook is offered for download (a saved decision withdraws it).
        self.prepared = False

    def show(self, scope: Reconciliation, scope_name: str) -> None:
        self.scope, self.scope_name = scope, scope_name
        self.forget()

    def forget(self, why: str = "") -> None:
        """Withdraw a prepared workbook (the scope or a decision changed); ``why`` is said only
        when a workbook was prepared, since only then is one withdrawn."""
        if self.scope is None:
            return
        name = workbook_file_name(self.scope_name, self.scope.period)
        self.button.description = f"Prepare workbook: {self.scope_name}"
        self.button.disabled = False
        said = why if self.prepared else ""
        self.prepared = False
        self.link.value = (
            f'<span class="wb-download-note">{html.escape(said)}{html.escape(name)}: built when '
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
            content = workbook_with_decisions(
                scope,
                self.workspace,
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
        self.prepared = True
