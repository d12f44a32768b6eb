"""The app: the period and client pickers, the caches of a period, and the page they fill.

:func:`build_dashboard` returns the whole page as one widget. Its parts are drawn by
:mod:`.scope`, :mod:`.review`, :mod:`.mapping_review` and :mod:`.workbook`; this module wires
the pickers to them and keeps each period's inputs and reconciliation for as long as the kernel
lives (:func:`period_inputs`, :func:`period_result`, :func:`forget_results`), through the
period layer (:mod:`workbench.period`) and its store.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pandas as pd

from workbench.dashboard.mapping_review import MappingReviewPanel, mapping_review
from workbench.dashboard.page import STYLE, error_html, section_html
from workbench.dashboard.review import ReviewPanel
from workbench.dashboard.scope import (
    discrepancy_table_html,
    kpi_tiles,
    scope_verdict,
    unmapped_table_html,
)
from workbench.dashboard.workbook import WorkbookDownload
from workbench.errors import WorkbenchError
from workbench.logins import Login, page_login
from workbench.mapping import Mappings, ServiceMapping
from workbench.period import Period
from workbench.result import Reconciliation
from workbench.sources import Catalogue, Inputs
from workbench.store import forget_loaded
from workbench.views import client_trend, money_at_stake_png, month_title
from workbench.workspace import Workspace

#: Label of the client picker's first entry (its value is the empty company id).
ALL_CLIENTS = "All clients"


def period_inputs(workspace: Workspace, period: str) -> Inputs:
    """The period's canonical inputs (:class:`~workbench.period.Period`: from the period store,
    kept in this kernel while the files are those it was made from).

    Reading is most of the time a large period takes: confirming a mapping re-reconciles these
    inputs instead of reading every export again.
    """
    return Period(workspace, period).inputs()


def period_result(workspace: Workspace, period: str) -> Reconciliation:
    """The period's reconciliation (:class:`~workbench.period.Period`): from the period store
    while the inputs and mappings are those it was made from; after a mapping is confirmed,
    the stored inputs are reconciled again with the new mappings."""
    return Period(workspace, period).result()


def period_catalogue(workspace: Workspace, period: str) -> Catalogue:
    """The PSA's companies and services in the period's inputs (see :func:`period_inputs`)."""
    return Period(workspace, period).catalogue()


def forget_results(workspace: Workspace) -> None:
    """Forget the stored results read in this kernel, after the workspace's mappings changed.

    The store itself needs nothing: a result is stored under its mappings' checksum, so the
    next :func:`period_result` reconciles with the new mappings. This only frees the memory of
    results read before.
    """
    forget_loaded()


class _Dashboard:
    """Widgets and the callbacks that refill them when a picker changes."""

    def __init__(
        self, workspace: Workspace, periods: list[str], period: str, login: Login | None
    ) -> None:
        self.workspace = workspace
        self.period = widgets.Dropdown(
            options=[(month_title(each), each) for each in periods],
            value=period,
            description="Period",
        )
        self.client = widgets.Dropdown(options=[(ALL_CLIENTS, "")], value="", description="Client")
        self.client.add_class("wb-client")
        self.period.add_class("wb-period")
        self.client.layout.width = "420px"
        self.client.style.description_width = "50px"
        self.period.style.description_width = "50px"
        self.period.layout.width = "200px"
        self.banner = widgets.HTML()
        self.tiles = [widgets.HTML() for _ in range(4)]
        self.chart = widgets.Image(format="png")
        # Natural size: a stretched PNG blurs its text.
        self.chart.layout.align_self = "flex-start"
        self.chart.layout.max_width = "100%"
        self.chart_note = widgets.HTML()
        self.download = WorkbookDownload(workspace)
        self.decisions = ReviewPanel(workspace, on_change=self._decisions_changed, login=login)
        self.trend = widgets.Image(format="png")
        self.trend.layout.align_self = "flex-start"
        self.trend.layout.max_width = "100%"
        self.trend_note = widgets.HTML()
        self.discrepancies = widgets.HTML()
        self.unmapped = widgets.HTML()
        self.review = MappingReviewPanel(
            workspace.mappings_file, self._mappings_changed, who=self.decisions.who, login=login
        )
        self.tile_row = widgets.HBox(self.tiles).add_class("wb-tiles")
        self.body = widgets.VBox()
        signed_in = (
            ""
            if login is None
            else f" \u00b7 signed in as {html.escape(login.described)} \u00b7 "
            f'<a class="wb-sign-out" href="{html.escape(_base_url())}logout">Sign out</a>'
        )
        title = widgets.HTML(
            f'<div class="wb-title"><strong>{html.escape(workspace.name)}</strong>'
            f" \u00b7 amounts in {html.escape(workspace.currency)}{signed_in}</div>"
        )
        self.root = widgets.VBox(
            [
                widgets.HTML(STYLE),
                title,
                widgets.HBox([self.period, self.client]).add_class("wb-pickers"),
                self.body,
            ]
        ).add_class("wb-app")
        self._refilling = False
        self.period.observe(self._period_changed, names="value")
        self.client.observe(self._client_changed, names="value")
        self._period_changed()

    def _guarded(self, action: Callable[[], object]) -> None:
        try:
            action()
        except WorkbenchError as error:
            self.body.children = [widgets.HTML(error_html(error, "Cannot show this period."))]

    def _period_changed(self, change: object = None) -> None:
        self._guarded(self._load_period)

    def _client_changed(self, change: object = None) -> None:
        if not self._refilling:
            self._guarded(
                lambda: self._show_scope(period_result(self.workspace, self.period.value))
            )

    def _load_period(self) -> Reconciliation:
        """Reconcile the picked period, refill the client picker and show the scope; returns
        the period's reconciliation."""
        self.banner.value = (
            '<div class="wb-banner wb-tone-neutral">'
            f"Reconciling {month_title(self.period.value)}\u2026</div>"
        )
        result = period_result(self.workspace, self.period.value)
        previous = self.client.value
        options = [
            (ALL_CLIENTS, ""),
            *zip(result.clients["company_name"], result.clients["company_id"], strict=True),
        ]
        self._refilling = True
        try:
            self.client.options = options
            self.client.value = previous if previous in set(result.clients["company_id"]) else ""
        finally:
            self._refilling = False
        self._show_scope(result)
        return result

    def _show_scope(self, period_wide: Reconciliation) -> None:
        company_id: str = self.client.value
        if company_id:
            scope = period_wide.for_client(company_id)
            scope_name = str(scope.clients["company_name"].iat[0])
        else:
            scope, scope_name = period_wide, ALL_CLIENTS
        text, tone = scope_verdict(scope, scope_name)
        self.banner.value = f'<div class="wb-banner wb-tone-{tone}">{html.escape(text)}</div>'
        for widget, tile in zip(self.tiles, kpi_tiles(scope), strict=True):
            widget.value = tile.html()
        self.discrepancies.value = section_html(
            f"Discrepancies and unchecked lines \u2014 {scope_name}, {month_title(scope.period)}",
            "Every line that is not a match, biggest revenue impact first. A positive impact is "
            "revenue to bill; a negative one is billing above usage. Lines not reconciled were "
            "not compared with usage.",
            discrepancy_table_html(scope, all_clients=not company_id),
        )
        self.unmapped.value = (
            ""
            if company_id
            else section_html(
                "Unmapped vendor lines",
                "Vendor customers or SKUs the mappings workbook does not place; "
                "map them to check them.",
                unmapped_table_html(period_wide),
            )
        )
        if not company_id:
            self._show_review(period_wide)
        self.download.show(scope, scope_name)
        self.decisions.show(scope, scope_name)
        if company_id:
            self._show_trend(company_id, scope_name)
        png = money_at_stake_png(period_wide, selected=company_id)
        self.chart_note.value = section_html(
            "Money at stake by client",
            "" if png else "No client has revenue leaking or over-billing risk this period.",
            "",
        )
        if png is not None:
            self.chart.value = png
        self.chart.layout.display = "" if png else "none"
        self.body.children = self._body_children(one_client=bool(company_id))

    def _body_children(self, *, one_client: bool) -> list[Any]:
        # The overview leads for all clients; for one client its own lines come first.
        overview = [self.chart_note, self.chart]
        detail = [self.download.root, self.decisions.root, self.discrepancies]
        if one_client:
            detail += [self.trend_note, self.trend]
        else:
            detail += [self.unmapped, self.review.root]
        head = [self.banner, self.tile_row]
        return head + (detail + overview if one_client else overview + detail)

    def _show_review(self, result: Reconciliation) -> None:
        catalogue = Catalogue(
            companies=pd.DataFrame(columns=["company_id", "company_name"]),
            services=pd.DataFrame(columns=["service_id", "service_name"]),
        )
        mapped: tuple[ServiceMapping, ...] = ()
        if not result.unmapped.empty:
            try:
                catalogue = period_catalogue(self.workspace, self.period.value)
                mapped = tuple(Mappings.read(self.workspace.mappings_file).services)
            except WorkbenchError as error:
                self.review.show_error(error)
                return
        self.review.show(result, mapping_review(result, catalogue, mapped))

    def _mappings_changed(self) -> int | None:
        """Reconcile again under the saved mappings and refill the page.

        Returns the unmapped lines now, or None when the period cannot be reconciled any more
        (the page then says why).
        """
        forget_results(self.workspace)
        try:
            result = self._load_period()
        except WorkbenchError as error:
            self.body.children = [
                widgets.HTML(
                    error_html(error, "The mappings were saved, but the period cannot be shown.")
                )
            ]
            return None
        return len(result.unmapped)

    def _decisions_changed(self) -> None:
        self.download.forget("A decision was saved since the last workbook: ")

    def _show_trend(self, company_id: str, company_name: str) -> None:
        """The client's billed against used over the periods the ledger has runs of."""
        try:
            trend = client_trend(self.workspace, company_id, company_name)
        except WorkbenchError as error:
            self.trend_note.value = section_html(
                "Billed against used, past periods", "", error_html(error, "No trend.")
            )
            self.trend.layout.display = "none"
            return
        if trend.png is None:
            self.trend_note.value = section_html(
                "Billed against used, past periods",
                "",
                f'<p class="wb-empty wb-trend-message">{html.escape(trend.message)}</p>',
            )
            self.trend.layout.display = "none"
            return
        self.trend_note.value = section_html(
            "Billed against used, past periods",
            f"{company_name}, {month_title(trend.periods[0])} to "
            f"{month_title(trend.periods[-1])}, from the runs recorded in the ledger.",
            "",
        )
        self.trend.value = trend.png
        self.trend.layout.display = ""


def _base_url() -> str:
    """Where the Voila server serves the page (its sign-out is beside it)."""
    return os.environ.get("VOILA_BASE_URL", "/")


def build_dashboard(
    workspace: str | Path, period: str | None = None, *, login: Login | None = None
) -> widgets.Widget:
    """The reconciliation dashboard for a workspace, ready to display.

    Parameters
    ----------
    workspace
        Folder holding ``workspace.toml``. The ``WORKBENCH_WORKSPACE`` environment variable,
        when set, takes precedence: it is how ``make dashboard WORKSPACE=...`` reaches a Voila
        kernel, which takes no parameters.
    period
        Billing month ``YYYY-MM`` selected first; None (or empty) selects the latest.
    login
        Who the page is signed in as; None takes the login the server passed the page's
        kernel (:func:`~workbench.logins.page_login`), if it runs with logins. With a login,
        decisions and mapping changes are recorded as it, and only its roles' buttons work.

    Returns
    -------
    ipywidgets.Widget
        The app; a problem the user can fix (no workspace, no inputs, a bad file) is shown as
        a message in plain words rather than raised.
    """
    try:
        login = login or page_login()
        opened = Workspace.open(os.environ.get("WORKBENCH_WORKSPACE") or workspace)
        periods = opened.periods()
        if not periods:
            raise WorkbenchError(
                f"{opened.root} has no periods with inputs (periods/<YYYY-MM>/inputs/)"
            )
        if period and period not in periods:
            raise WorkbenchError(
                f"no inputs for period {period} in {opened.root} "
                f"(periods with inputs: {', '.join(periods)})"
            )
        return _Dashboard(opened, periods, period or periods[-1], login).root
    except WorkbenchError as error:
        return widgets.VBox(
            [widgets.HTML(STYLE), widgets.HTML(error_html(error, "Cannot open the dashboard."))]
        ).add_class("wb-app")
