"""Dashboard: a Voila face on a period's reconciliation, its review, and the mapping review.

One call, :func:`build_dashboard`, returns the whole app as an ipywidgets widget: a period and a
client picker, four KPI tiles, a chart of money at stake by client, the review of the lines that
need a decision (:mod:`workbench.review_panel`), the selected scope's discrepancy table, unmapped
vendor lines, the mapping review, a client's trend over past periods and the scope's workbook,
built when the person asks for it.

Everything shown is rendered by plain functions of a :class:`~workbench.reconcile.Reconciliation`
(:func:`kpi_tiles`, :func:`scope_verdict`, :func:`discrepancy_table_html`,
:func:`mapping_review`, ...), so tests check the figures without a browser; the widget classes
only wire pickers and buttons to those functions.

The dashboard changes two things. The review's buttons save decisions in the workspace's
ledger (:mod:`workbench.ledger`), one short write per click. The mapping review's buttons save
``mappings.xlsx`` through :mod:`workbench.mapping_edits` (previous version kept), then the
period is reconciled again and every figure on the page refreshes.
"""

from __future__ import annotations

import base64
import html
import io
import os
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any, Literal

import ipywidgets as widgets
import openpyxl
import pandas as pd

from workbench.errors import WorkbenchError
from workbench.formula_guard import put_text
from workbench.ledger import Decided, Decision, Ledger, ledger_path
from workbench.mapping import VENDOR_TITLES, MappingWarning
from workbench.mapping_edits import (
    HISTORY_FOLDER_SUFFIX,
    SavedEdit,
    exclude_customer,
    exclude_sku,
    map_customer,
    map_sku,
)
from workbench.matching import Suggestion, suggest
from workbench.money import ZERO, format_money, total
from workbench.reconcile import (
    ADJUSTMENT_STATUSES,
    UNMAPPED_STATUSES,
    Reconciliation,
    Status,
    Summary,
)
from workbench.review_panel import ReviewPanel
from workbench.sources import Catalogue, Inputs
from workbench.views import client_trend, money_at_stake, money_at_stake_png, month_title, plural
from workbench.workspace import Workspace, read_period_inputs, reconcile_workspace

__all__ = [
    "ALL_CLIENTS",
    "DISCREPANCY_TABLE_CLASS",
    "MAPPING_WARNING_CLASS",
    "REVIEW_CLASS",
    "REVIEW_MESSAGE_CLASS",
    "UNMAPPED_TABLE_CLASS",
    "Choice",
    "CustomerToMap",
    "MappingReview",
    "SkuToMap",
    "Tile",
    "build_dashboard",
    "discrepancy_lines",
    "discrepancy_table_html",
    "forget_results",
    "format_share",
    "kpi_tiles",
    "mapping_review",
    "money_at_stake",
    "money_at_stake_png",
    "month_title",
    "period_catalogue",
    "period_inputs",
    "period_result",
    "scope_verdict",
    "unmapped_table_html",
    "workbook_file_name",
    "workbook_link_html",
    "workbook_with_decisions",
]

#: Label of the client picker's first entry (its value is the empty company id).
ALL_CLIENTS = "All clients"
#: CSS classes tests and stylesheets rely on.
DISCREPANCY_TABLE_CLASS = "wb-discrepancies"
UNMAPPED_TABLE_CLASS = "wb-unmapped"
REVIEW_CLASS = "wb-review"
REVIEW_MESSAGE_CLASS = "wb-review-message"
MAPPING_WARNING_CLASS = "wb-mapping-warning"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Tone = Literal["neutral", "good", "warn", "bad"]
NOT_CHECKED = "Not checked"
DASH = "\u2014"
_DOT = " \u00b7 "

_STATUS_TONES: dict[str, Tone] = {
    Status.MATCH: "good",
    Status.UNDER_BILLED: "bad",
    Status.UNBILLED_USAGE: "bad",
    Status.OVER_BILLED: "warn",
    Status.BILLED_WITHOUT_USAGE: "warn",
    Status.UNMAPPED_CUSTOMER: "neutral",
    Status.UNMAPPED_SKU: "neutral",
    Status.NOT_RECONCILED: "neutral",
    Status.BUNDLE_GAP: "warn",
    Status.OUTSIDE_BUNDLE: "bad",
}


@dataclass(frozen=True)
class Tile:
    """One KPI tile: what it measures, the figure, a line of context and its tone."""

    label: str
    value: str
    note: str
    tone: Tone

    def html(self) -> str:
        return (
            f'<div class="wb-tile wb-tone-{self.tone}">'
            f'<div class="wb-tile-label">{html.escape(self.label)}</div>'
            f'<div class="wb-tile-value">{html.escape(self.value)}</div>'
            f'<div class="wb-tile-note">{html.escape(self.note)}</div></div>'
        )


# --- figures -------------------------------------------------------------------------------


def _compared(summary: Summary) -> int:
    """Lines whose billing was actually compared with usage."""
    return summary.counts[Status.MATCH] + summary.discrepancies


def format_share(part: Decimal, whole: Decimal) -> str:
    """A share as a percent rounded down, so anything short of all never reads as 100%."""
    if not whole:
        return DASH
    percent = (part / whole * 100).quantize(Decimal("0.1"), rounding=ROUND_DOWN)
    if percent == 0 and part:
        return "<0.1%"
    return f"{percent:.0f}%" if percent == percent.to_integral_value() else f"{percent}%"


def kpi_tiles(result: Reconciliation) -> list[Tile]:
    """The four headline tiles of a scope (pass ``result.for_client(...)`` for one client).

    When nothing in the scope was compared with usage, the money tiles say "Not checked"
    rather than showing a reassuring zero.
    """
    summary = result.summary()
    currency = result.currency
    counts = summary.counts
    compared = _compared(summary)
    checked = compared > 0
    leaking_lines = counts[Status.UNDER_BILLED] + counts[Status.UNBILLED_USAGE]
    over_lines = counts[Status.OVER_BILLED] + counts[Status.BILLED_WITHOUT_USAGE]
    unmapped_lines = sum(counts[status] for status in UNMAPPED_STATUSES)
    not_reconciled = counts[Status.NOT_RECONCILED]
    if checked:
        leaking = Tile(
            "Revenue leaking / month",
            format_money(summary.revenue_leaking, currency),
            f"{plural(leaking_lines, 'line')} under-billed or used but not on the contract"
            if leaking_lines
            else f"no under-billing in {plural(compared, 'checked line')}",
            "bad" if summary.revenue_leaking else "good",
        )
        over = Tile(
            "Over-billing risk / month",
            format_money(summary.over_billing_risk, currency),
            f"{plural(over_lines, 'line')} billed above usage"
            if over_lines
            else f"no over-billing in {plural(compared, 'checked line')}",
            "warn" if summary.over_billing_risk else "good",
        )
    else:
        nothing = (
            f"no line was compared with usage ({plural(not_reconciled, 'line')} not reconciled)"
        )
        leaking = Tile("Revenue leaking / month", NOT_CHECKED, nothing, "warn")
        over = Tile("Over-billing risk / month", NOT_CHECKED, nothing, "warn")
    unmapped_note = (
        f"{plural(unmapped_lines, 'vendor line')} not mapped to a client or service"
        if unmapped_lines
        else "every vendor line is mapped"
    )
    # Some exports carry no prices (RMM device counts): say the total leaves those out.
    unpriced = sum(value is None for value in result.unmapped["vendor_spend"])
    if unpriced:
        unmapped_note += f"; {unpriced} without a price in the export"
    unmapped = Tile(
        "Unmapped vendor spend",
        format_money(summary.unmapped_spend, currency),
        unmapped_note,
        "warn" if unmapped_lines else "good",
    )
    if summary.billed_revenue:
        coverage_note = (
            f"{format_money(summary.checked_revenue, currency)} of "
            f"{format_money(summary.billed_revenue, currency)} billed checked against usage"
        )
        if not_reconciled:
            coverage_note += f"; {plural(not_reconciled, 'line')} not reconciled"
        tone: Tone = "good" if summary.checked_revenue == summary.billed_revenue else "warn"
        if not summary.checked_revenue:
            tone = "bad"
    else:
        coverage_note, tone = "nothing billed in this scope", "neutral"
    coverage = Tile(
        "Coverage",
        format_share(summary.checked_revenue, summary.billed_revenue),
        coverage_note,
        tone,
    )
    return [leaking, over, unmapped, coverage]


def scope_verdict(result: Reconciliation, scope_name: str) -> tuple[str, Tone]:
    """One plain sentence on the scope: what was found, and what could not be checked."""
    summary = result.summary()
    currency = result.currency
    compared = _compared(summary)
    not_reconciled = summary.counts[Status.NOT_RECONCILED]
    unmapped = sum(summary.counts[status] for status in UNMAPPED_STATUSES)
    if summary.lines == 0:
        return f"{scope_name}: no lines in {result.period}.", "neutral"
    if compared == 0:
        return (
            f"Nothing was checked for {scope_name}: all {plural(not_reconciled, 'line')} "
            "are not reconciled, so no billing was compared with usage. "
            "The reasons are in the table below.",
            "bad",
        )
    if summary.discrepancies:
        amounts = [
            f"{format_money(amount, currency)} {what}"
            for amount, what in (
                (summary.revenue_leaking, "revenue leaking"),
                (summary.over_billing_risk, "over-billing risk"),
            )
            if amount
        ]
        text = (
            f"{scope_name}: {plural(summary.discrepancies, 'discrepancy', 'discrepancies')}"
            f" \u2014 {' and '.join(amounts) or 'no money at stake'} per month."
        )
        tone: Tone = "bad"
    else:
        text = f"{scope_name}: all {plural(compared, 'checked line')} match usage."
        tone = "good"
    if not_reconciled:
        text += f" {plural(not_reconciled, 'line')} could not be checked (not reconciled)."
        tone = "warn" if tone == "good" else tone
    if unmapped:
        text += f" {plural(unmapped, 'vendor line')} not mapped."
        tone = "warn" if tone == "good" else tone
    return text, tone


# --- tables --------------------------------------------------------------------------------


# Ties in money sort by how much a status matters to billing.
_STATUS_ORDER = [
    Status.UNDER_BILLED,
    Status.UNBILLED_USAGE,
    Status.OVER_BILLED,
    Status.BILLED_WITHOUT_USAGE,
    Status.OUTSIDE_BUNDLE,
    Status.BUNDLE_GAP,
    Status.UNMAPPED_SKU,
    Status.UNMAPPED_CUSTOMER,
    Status.NOT_RECONCILED,
    Status.MATCH,
]


def discrepancy_lines(result: Reconciliation, *, all_clients: bool = False) -> pd.DataFrame:
    """Lines that are not a match, biggest revenue impact first.

    For one client (``result.for_client(...)``) that is every non-match line, unmapped SKUs
    included. With ``all_clients`` the unmapped lines are left to :func:`unmapped_table_html`.
    """
    lines = result.lines
    keep = lines["status"] != Status.MATCH
    if all_clients:
        keep &= ~lines["status"].isin(UNMAPPED_STATUSES)
    picked = lines[keep]
    records = picked.to_dict("records")
    rank = {str(status): position for position, status in enumerate(_STATUS_ORDER)}

    def biggest_first(position: int) -> tuple[Decimal, int, str, str]:
        line = records[position]
        return (
            -abs(line["revenue_impact"]),
            rank.get(str(line["status"]), len(rank)),
            str(line["company_name"]).casefold(),
            _service_label(line).casefold(),
        )

    return picked.iloc[sorted(range(len(records)), key=biggest_first)].reset_index(drop=True)


def _service_label(line: Mapping[Any, Any]) -> str:
    """The PSA service, or for an unmapped SKU the vendor's product name."""
    if line["service_name"]:
        return str(line["service_name"])
    vendor = VENDOR_TITLES.get(str(line["vendor"]), str(line["vendor"]))
    return f"{line['vendor_sku_name'] or line['vendor_sku']} ({vendor})"


def _quantity(value: Any) -> str:
    return DASH if value is None or pd.isna(value) else f"{int(value):,}"


def _signed(value: Any) -> str:
    return DASH if value is None or pd.isna(value) else f"{int(value):+,}"


def _impact(line: Mapping[Any, Any], currency: str) -> str:
    if line["status"] not in ADJUSTMENT_STATUSES:
        return DASH
    value: Decimal = line["revenue_impact"]
    return ("+" if value > 0 else "") + format_money(value, currency)


def _status_pill(status: str) -> str:
    tone = _STATUS_TONES.get(status, "neutral")
    return f'<span class="wb-pill wb-tone-{tone}">{html.escape(status)}</span>'


def _table(
    css_class: str, headers: list[tuple[str, bool]], rows: list[tuple[str, list[str]]]
) -> str:
    """An HTML table; ``headers`` are (title, numeric) and each row is (line id, escaped cells)."""
    head = "".join(
        f'<th class="{"wb-num" if numeric else ""}">{html.escape(title)}</th>'
        for title, numeric in headers
    )
    body = "".join(
        f'<tr data-line-id="{html.escape(line_id)}">'
        + "".join(
            f'<td class="{"wb-num" if numeric else ""}">{cell}</td>'
            for cell, (_, numeric) in zip(cells, headers, strict=True)
        )
        + "</tr>"
        for line_id, cells in rows
    )
    return (
        f'<table class="wb-table {css_class}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def discrepancy_table_html(result: Reconciliation, *, all_clients: bool = False) -> str:
    """:func:`discrepancy_lines` as an HTML table of class :data:`DISCREPANCY_TABLE_CLASS`.

    Every row carries ``data-line-id`` so a test can find one line's row.
    """
    lines = discrepancy_lines(result, all_clients=all_clients)
    if lines.empty:
        return '<p class="wb-empty">No discrepancies: every line of this scope matches usage.</p>'
    headers = [
        ("Status", False),
        ("Service", False),
        ("Billed", True),
        ("Used", True),
        ("Difference", True),
        ("Revenue impact", True),
        ("Reason", False),
    ]
    if all_clients:
        headers.insert(0, ("Client", False))
    rows = []
    for line in lines.to_dict("records"):
        cells = [
            _status_pill(str(line["status"])),
            html.escape(_service_label(line)),
            _quantity(line["billed_quantity"]),
            _quantity(line["expected_quantity"]),
            _signed(line["difference"]),
            html.escape(_impact(line, result.currency)),
            html.escape(str(line["reason"])),
        ]
        if all_clients:
            cells.insert(0, html.escape(str(line["company_name"])))
        rows.append((str(line["line_id"]), cells))
    return _table(DISCREPANCY_TABLE_CLASS, headers, rows)


def unmapped_table_html(result: Reconciliation) -> str:
    """Vendor lines mapped to no client or no service, biggest vendor spend first."""
    lines = result.unmapped
    if lines.empty:
        return '<p class="wb-empty">Every vendor customer and SKU is mapped.</p>'
    spend = [ZERO if value is None else value for value in lines["vendor_spend"]]
    order = sorted(
        range(len(lines)),
        key=lambda i: (-spend[i], str(lines["vendor_customer_name"].iat[i]).casefold()),
    )
    headers = [
        ("Status", False),
        ("Vendor", False),
        ("Vendor customer", False),
        ("Client", False),
        ("Vendor SKU", False),
        ("Quantity", True),
        ("Vendor spend", True),
        ("Reason", False),
    ]
    rows = []
    for position in order:
        line = lines.iloc[position]
        value = line["vendor_spend"]
        cells = [
            _status_pill(str(line["status"])),
            html.escape(VENDOR_TITLES.get(str(line["vendor"]), str(line["vendor"]))),
            html.escape(str(line["vendor_customer_name"] or line["vendor_customer_key"])),
            html.escape(str(line["company_name"]) or DASH),
            html.escape(str(line["vendor_sku_name"] or line["vendor_sku"])),
            _quantity(line["expected_quantity"]),
            DASH if value is None else html.escape(format_money(value, result.currency)),
            html.escape(str(line["reason"])),
        ]
        rows.append((str(line["line_id"]), cells))
    return _table(UNMAPPED_TABLE_CLASS, headers, rows)


# --- mapping review ------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerToMap:
    """A vendor customer no client is mapped to, with its vendor spend and best suggestion."""

    vendor: str
    customer_key: str
    customer_name: str
    usage: tuple[tuple[str, int], ...]  # (vendor SKU name, quantity)
    spend: Decimal | None  # None: the export gives no prices
    suggestion: Suggestion | None


@dataclass(frozen=True)
class SkuToMap:
    """A vendor SKU no service is mapped to, with the clients using it."""

    vendor: str
    sku: str
    sku_name: str
    clients: tuple[str, ...]
    quantity: int
    spend: Decimal | None


@dataclass(frozen=True)
class Choice:
    """A PSA company or service a person can pick: its label is the name, with the id added
    when two share a name."""

    id: str
    name: str
    label: str


@dataclass(frozen=True)
class MappingReview:
    """What the mapping review lists, and the PSA companies and services (by label) to choose.

    ``warnings`` are mappings that read fine but probably say something else than was meant
    (:class:`~workbench.mapping.MappingWarning`): the review shows them above its cards.
    """

    customers: tuple[CustomerToMap, ...]
    skus: tuple[SkuToMap, ...]
    companies: tuple[Choice, ...]
    services: tuple[Choice, ...]
    warnings: tuple[MappingWarning, ...] = ()


def mapping_review(result: Reconciliation, catalogue: Catalogue) -> MappingReview:
    """The unmapped vendor customers and SKUs of a reconciliation, biggest vendor spend first.

    A customer's suggestion is the one the reconciliation made (``customer_matches``), with the
    reasons :func:`~workbench.matching.suggest` gives for it.
    """
    unmapped = result.unmapped
    customer_lines = unmapped[unmapped["status"] == Status.UNMAPPED_CUSTOMER]
    suggested = {
        (str(vendor), str(key)): (str(company_id), float(score))
        for vendor, key, company_id, score in result.customer_matches[
            ["vendor", "customer_key", "suggested_company_id", "suggestion_score"]
        ].itertuples(index=False)
        if company_id
    }
    names = list(
        zip(catalogue.companies["company_id"], catalogue.companies["company_name"], strict=True)
    )
    customers = []
    for (vendor, key), group in customer_lines.groupby(
        ["vendor", "vendor_customer_key"], sort=False
    ):
        name = str(group["vendor_customer_name"].iat[0])
        customers.append(
            CustomerToMap(
                vendor=str(vendor),
                customer_key=str(key),
                customer_name=name,
                usage=tuple(
                    (
                        str(row["vendor_sku_name"] or row["vendor_sku"]),
                        int(row["expected_quantity"]),
                    )
                    for row in group.to_dict("records")
                ),
                spend=_spend(group),
                suggestion=_suggestion(name, suggested.get((str(vendor), str(key))), names),
            )
        )
    sku_lines = unmapped[unmapped["status"] == Status.UNMAPPED_SKU]
    skus = [
        SkuToMap(
            vendor=str(vendor),
            sku=str(sku),
            sku_name=str(group["vendor_sku_name"].iat[0]),
            clients=tuple(sorted(set(group["company_name"]), key=str.casefold)),
            quantity=int(group["expected_quantity"].sum()),
            spend=_spend(group),
        )
        for (vendor, sku), group in sku_lines.groupby(["vendor", "vendor_sku"], sort=False)
    ]
    return MappingReview(
        customers=tuple(
            sorted(customers, key=lambda c: (-(c.spend or ZERO), c.customer_name.casefold()))
        ),
        skus=tuple(sorted(skus, key=lambda s: (-(s.spend or ZERO), s.sku_name.casefold()))),
        companies=_choices(catalogue.companies, "company_id", "company_name"),
        services=_choices(catalogue.services, "service_id", "service_name"),
        warnings=result.mapping_warnings,
    )


def _spend(lines: pd.DataFrame) -> Decimal | None:
    priced = [value for value in lines["vendor_spend"] if value is not None]
    return total(priced) if priced else None


def _suggestion(
    name: str, suggested: tuple[str, float] | None, companies: list[tuple[str, str]]
) -> Suggestion | None:
    """The reconciliation's suggestion, with the reasons the matcher gives for it."""
    if suggested is None:
        return None
    company_id, score = suggested
    ranked = {each.company_id: each for each in suggest(name, companies, limit=5)}
    if company_id in ranked:
        return ranked[company_id]
    return Suggestion(company_id, dict(companies).get(company_id, company_id), score, ())


def _choices(frame: pd.DataFrame, id_column: str, name_column: str) -> tuple[Choice, ...]:
    pairs = [(str(i), str(n)) for i, n in zip(frame[id_column], frame[name_column], strict=True)]
    shared = Counter(name.casefold() for _, name in pairs)
    choices = [
        Choice(each_id, name, f"{name} (ID {each_id})" if shared[name.casefold()] > 1 else name)
        for each_id, name in pairs
    ]
    return tuple(sorted(choices, key=lambda choice: (choice.label.casefold(), choice.id)))


# --- download ------------------------------------------------------------------------------


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

    content = workbook_bytes(result, title=title)
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


class _WorkbookDownload:
    """A button that builds the scope's workbook when asked, then offers it for download.

    Building it up front cost every page load the whole workbook (131 MB as a data URL at
    2,000 clients); now only a person who wants it waits for it. A decision saved after the
    workbook was built withdraws the link, so a download never misses a decision.
    """

    def __init__(self, workspace: Workspace) -> None:
        self.ledger_file = ledger_path(workspace)
        self.button = _button("Prepare workbook", "wb-prepare-workbook", "primary")
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
            decisions: dict[str, Decided] = {}
            if self.ledger_file.exists():
                with Ledger.open(self.ledger_file) as ledger:
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
            self.link.value = _error_html(error, "Cannot build the workbook.")
            self.button.disabled = False
            return
        self.link.value = workbook_link_html(content, file_name=name)
        self.button.disabled = False


# --- the app -------------------------------------------------------------------------------

_CACHE: dict[tuple[Path, str], tuple[Inputs, Reconciliation]] = {}
_INPUTS: dict[tuple[Path, str], tuple[tuple[tuple[str, int, int], ...], Inputs]] = {}


def _inputs_signature(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Every input file's name, size and modification time: what tells a changed folder."""
    signature = []
    for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
        if path.is_file():
            stat = path.stat()
            signature.append((path.relative_to(folder).as_posix(), stat.st_size, stat.st_mtime_ns))
    return tuple(signature)


def period_inputs(workspace: Workspace, period: str) -> Inputs:
    """The period's canonical inputs, read once per kernel for as long as the files are unchanged.

    Reading is most of the time a large period takes: confirming a mapping re-reconciles these
    inputs instead of reading every export again.
    """
    key = (workspace.root, period)
    signature = _inputs_signature(workspace.inputs_folder(period))
    cached = _INPUTS.get(key)
    if cached is None or cached[0] != signature:
        _INPUTS[key] = (signature, read_period_inputs(workspace, period))
    return _INPUTS[key][1]


def period_result(workspace: Workspace, period: str) -> Reconciliation:
    """The period's reconciliation, computed once per workspace, period and inputs in this
    kernel (again after :func:`forget_results`)."""
    key = (workspace.root, period)
    inputs = period_inputs(workspace, period)
    cached = _CACHE.get(key)
    if cached is None or cached[0] is not inputs:
        _CACHE[key] = (inputs, reconcile_workspace(workspace, period, inputs))
    return _CACHE[key][1]


def period_catalogue(workspace: Workspace, period: str) -> Catalogue:
    """The PSA's companies and services in the period's inputs (read once, see
    :func:`period_inputs`)."""
    return period_inputs(workspace, period).catalogue


def forget_results(workspace: Workspace) -> None:
    """Drop the workspace's reconciliations (every period), after its mappings changed."""
    for key in [key for key in _CACHE if key[0] == workspace.root]:
        del _CACHE[key]


_STYLE = """
<style>
.wb-app { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111827; max-width: 1180px; }
.wb-app .widget-html, .wb-app .widget-html-content { line-height: 1.35; white-space: normal; height: auto; }
.wb-title { margin: 0 0 8px; color: #4b5563; font-size: 13.5px; }
.wb-title strong { color: #111827; }
.wb-pickers { gap: 16px; margin-bottom: 6px; }
.wb-pickers .widget-label { font-weight: 600; }
.wb-banner { padding: 10px 14px; border-radius: 6px; font-size: 14px; margin: 6px 0 10px; border: 1px solid; }
.wb-banner.wb-tone-good { background: #ecfdf5; border-color: #a7f3d0; color: #065f46; }
.wb-banner.wb-tone-warn { background: #fffbeb; border-color: #fde68a; color: #92400e; }
.wb-banner.wb-tone-bad { background: #fef2f2; border-color: #fecaca; color: #991b1b; }
.wb-banner.wb-tone-neutral { background: #f3f4f6; border-color: #e5e7eb; color: #374151; }
.wb-error { padding: 12px 14px; border-radius: 6px; background: #fef2f2; border: 1px solid #fca5a5; color: #7f1d1d; font-size: 14px; }
.wb-tiles { gap: 12px; flex-wrap: wrap; margin-bottom: 12px; }
.wb-tiles > .widget-html { flex: 1 1 0; min-width: 210px; margin: 0; }
.wb-tile { background: #fff; border: 1px solid #e5e7eb; border-left: 5px solid #9ca3af; border-radius: 8px; padding: 10px 14px; height: 100%; box-sizing: border-box; box-shadow: 0 1px 2px rgba(0,0,0,.05); }
.wb-tile.wb-tone-good { border-left-color: #059669; }
.wb-tile.wb-tone-warn { border-left-color: #d97706; }
.wb-tile.wb-tone-bad { border-left-color: #dc2626; }
.wb-tile-label { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: #6b7280; font-weight: 600; }
.wb-tile-value { font-size: 26px; font-weight: 700; margin: 4px 0 2px; font-variant-numeric: tabular-nums; }
.wb-tile-note { font-size: 12px; color: #4b5563; }
.wb-section h3 { font-size: 16px; margin: 18px 0 6px; font-weight: 650; }
.wb-section p.wb-hint { margin: 0 0 8px; color: #4b5563; font-size: 12.5px; }
.wb-empty { color: #4b5563; font-style: italic; }
.wb-table { border-collapse: collapse; width: 100%; font-size: 12.5px; }
.wb-table th { text-align: left; background: #f3f4f6; color: #374151; font-weight: 600; padding: 6px 8px; border-bottom: 2px solid #d1d5db; position: sticky; top: 0; }
.wb-table td { padding: 5px 8px; border-bottom: 1px solid #e5e7eb; vertical-align: top; }
.wb-table tbody tr:nth-child(even) td { background: #fafafa; }
.wb-table .wb-num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.wb-pill { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 11.5px; font-weight: 600; white-space: nowrap; background: #e5e7eb; color: #374151; }
.wb-pill.wb-tone-bad { background: #fee2e2; color: #991b1b; }
.wb-pill.wb-tone-warn { background: #ede9fe; color: #5b21b6; }
.wb-pill.wb-tone-good { background: #d1fae5; color: #065f46; }
.wb-download { display: inline-block; padding: 7px 14px; border-radius: 6px; background: #1d4ed8; color: #fff !important; text-decoration: none; font-weight: 600; font-size: 13px; }
.wb-download:hover { background: #1e40af; }
.wb-download-note { margin-left: 10px; color: #4b5563; font-size: 12.5px; }
.wb-review-card { border: 1px solid #e5e7eb; border-left: 5px solid #d97706; border-radius: 8px; padding: 8px 12px; margin: 0 0 10px; background: #fff; }
.wb-review-name { font-weight: 650; font-size: 14px; }
.wb-review-facts { color: #4b5563; font-size: 12.5px; margin-left: 6px; }
.wb-review-suggestion { margin: 4px 0 6px; font-size: 13px; color: #1f2937; }
.wb-review-none { color: #4b5563; }
.wb-review-controls { flex-wrap: wrap; gap: 6px 22px; align-items: center; }
.wb-review-controls .widget-hbox { gap: 6px; align-items: center; }
.wb-download-row { align-items: center; gap: 10px; margin: 4px 0 8px; }
.wb-decision-filters, .wb-decision-bulk { margin: 2px 0 6px; }
.wb-decision-row { border: 1px solid #e5e7eb; border-left: 5px solid #9ca3af; border-radius: 8px; padding: 6px 10px; margin: 0 0 8px; background: #fff; align-items: flex-start; }
.wb-decision-row:has(.wb-state-decided) { border-left-color: #059669; }
.wb-decision-row:has(.wb-state-changed) { border-left-color: #d97706; }
.wb-decision-state { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 11.5px; font-weight: 700; background: #e5e7eb; color: #374151; }
.wb-decision-state.wb-state-decided { background: #d1fae5; color: #065f46; }
.wb-decision-state.wb-state-changed { background: #fef3c7; color: #92400e; }
.wb-decision-why { color: #4b5563; font-size: 12.5px; margin: 2px 0; }
.wb-decision-done { font-size: 13px; color: #065f46; font-weight: 600; margin: 2px 0 4px; }
.wb-state-changed ~ .wb-decision-done, [data-state="changed"] .wb-decision-done { color: #92400e; }
</style>
"""


def _section(title: str, hint: str, body: str) -> str:
    return (
        f'<div class="wb-section"><h3>{html.escape(title)}</h3>'
        + (f'<p class="wb-hint">{html.escape(hint)}</p>' if hint else "")
        + body
        + "</div>"
    )


def _error_html(error: Exception, heading: str) -> str:
    return (
        f'<div class="wb-error"><strong>{html.escape(heading)}</strong> '
        f"{html.escape(str(error))}</div>"
    )


def _review_message(text: str, tone: Tone, heading: str = "") -> str:
    strong = f"<strong>{html.escape(heading)}</strong> " if heading else ""
    return f'<div class="wb-banner wb-tone-{tone}">{strong}{html.escape(text)}</div>'


def _button(text: str, css_class: str, style: str = "") -> widgets.Button:
    button = widgets.Button(description=text, button_style=style).add_class(css_class)
    button.layout.width = "auto"
    return button


def _picker(placeholder: str, choices: tuple[Choice, ...], css_class: str) -> widgets.Dropdown:
    options = [(placeholder, ""), *((choice.label, choice.id) for choice in choices)]
    picker = widgets.Dropdown(options=options, value="").add_class(css_class)
    picker.layout.width = "300px"
    return picker


def _reason_box(placeholder: str, css_class: str) -> widgets.Text:
    box = widgets.Text(placeholder=placeholder).add_class(css_class)
    box.layout.width = "300px"
    return box


def _descendants(widget: Any) -> list[Any]:
    return [
        widget,
        *(each for child in getattr(widget, "children", ()) for each in _descendants(child)),
    ]


def _vendor_title(vendor: str) -> str:
    return VENDOR_TITLES.get(vendor, vendor)


def _close_all(widget: Any) -> None:
    """Close a widget and everything inside it, so replaced cards do not pile up in the kernel."""
    for child in getattr(widget, "children", ()):
        _close_all(child)
    widget.close()


class _MappingReviewPanel:
    """The mapping review: one card per unmapped vendor customer or SKU, with its choices.

    A choice saves ``mappings.xlsx`` through :mod:`workbench.mapping_edits`, then calls
    ``refresh`` (which reconciles again and refills the whole page, this panel included) and
    says in plain words what changed. A problem is a message in the panel, never a traceback.
    """

    def __init__(self, workbook: Path, refresh: Callable[[], int | None]) -> None:
        self.workbook = workbook
        self.refresh = refresh
        self.heading = widgets.HTML()
        self.message = widgets.HTML().add_class(REVIEW_MESSAGE_CLASS)
        self.warnings = widgets.HTML()
        self.cards = widgets.VBox().add_class("wb-review-cards")
        self.root = widgets.VBox([self.heading, self.warnings, self.message, self.cards]).add_class(
            REVIEW_CLASS
        )
        self.unmapped_lines = 0
        self.currency = "USD"

    def show(self, result: Reconciliation, review: MappingReview) -> None:
        self.unmapped_lines = len(result.unmapped)
        self.currency = result.currency
        to_do = len(review.customers) + len(review.skus)
        self.heading.value = _section(
            "Mapping review",
            (
                f"{plural(len(review.customers), 'vendor customer')} and "
                f"{plural(len(review.skus), 'vendor SKU')} to map. Confirm the suggested PSA "
                "company, choose another, or exclude with a reason. Each choice is saved in "
                f"{self.workbook.name} (the previous version is kept in "
                f"{self.workbook.stem}{HISTORY_FOLDER_SUFFIX}) and the figures refresh."
            )
            if to_do
            else "",
            ""
            if to_do
            else '<p class="wb-empty">Every vendor customer and SKU used this period is mapped.</p>',
        )
        self.warnings.value = "".join(
            f'<div class="wb-banner wb-tone-warn {MAPPING_WARNING_CLASS}">'
            f"{html.escape(str(warning))}</div>"
            for warning in review.warnings
        )
        cards = [self._customer_card(each, review) for each in review.customers]
        cards += [self._sku_card(each, review) for each in review.skus]
        self._replace_cards(cards)

    def show_error(self, error: WorkbenchError) -> None:
        self.heading.value = _section(
            "Mapping review",
            "",
            _error_html(error, "Cannot list the PSA's companies and services."),
        )
        self.warnings.value = ""
        self._replace_cards([])

    def _replace_cards(self, cards: list[widgets.Widget]) -> None:
        old = self.cards.children
        self.cards.children = cards
        for card in old:
            _close_all(card)

    def _customer_card(self, customer: CustomerToMap, review: MappingReview) -> widgets.Widget:
        vendor = _vendor_title(customer.vendor)
        usage = ", ".join(f"{name} \u00d7 {quantity:,}" for name, quantity in customer.usage)
        facts = _DOT.join(
            [f"{vendor} customer ID {customer.customer_key}", usage, self._spend(customer.spend)]
        )
        who = (
            f'<div class="wb-review-who" data-vendor="{html.escape(customer.vendor)}" '
            f'data-customer-id="{html.escape(customer.customer_key)}">'
            f'<span class="wb-review-name">{html.escape(customer.customer_name)}</span> '
            f'<span class="wb-review-facts">{html.escape(facts)}</span></div>'
        )
        suggestion = customer.suggestion
        if suggestion is not None:
            reasons = "; ".join(suggestion.reasons)
            who += (
                '<div class="wb-review-suggestion">Suggested PSA company: '
                f"<strong>{html.escape(suggestion.company_name)}</strong> "
                f"(match score {suggestion.score:.0f} of 100"
                + (f"; {html.escape(reasons)}" if reasons else "")
                + ")</div>"
            )
        else:
            who += (
                '<div class="wb-review-suggestion wb-review-none">No PSA company name is close '
                "enough to suggest one: choose the company, or exclude this customer.</div>"
            )

        def map_to(company_id: str, company_name: str) -> None:
            self._apply(
                lambda: map_customer(
                    self.workbook,
                    vendor=customer.vendor,
                    customer_id=customer.customer_key,
                    customer_name=customer.customer_name,
                    company_id=company_id,
                    company_name=company_name,
                )
            )

        controls: list[widgets.Widget] = []
        if suggestion is not None:
            suggested = suggestion
            confirm = _button("Confirm suggestion", "wb-confirm", "success")
            confirm.tooltip = f"Map to {suggested.company_name}"
            confirm.on_click(lambda _: map_to(suggested.company_id, suggested.company_name))
            controls.append(confirm)
        placeholder = "Choose another company" if suggestion else "Choose the company"
        company = _picker(f"{placeholder}\u2026", review.companies, "wb-company-choice")
        names = {choice.id: choice.name for choice in review.companies}
        pick = _button("Map to this company", "wb-map-company")
        pick.on_click(lambda _: map_to(company.value, names.get(company.value, "")))
        reason = _reason_box("Reason to exclude, e.g. our own tenant", "wb-exclude-reason")
        exclude = _button("Exclude", "wb-exclude", "warning")
        exclude.on_click(
            lambda _: self._apply(
                lambda: exclude_customer(
                    self.workbook,
                    vendor=customer.vendor,
                    customer_id=customer.customer_key,
                    customer_name=customer.customer_name,
                    reason=reason.value,
                )
            )
        )
        controls += [widgets.HBox([company, pick]), widgets.HBox([reason, exclude])]
        return (
            widgets.VBox(
                [widgets.HTML(who), widgets.HBox(controls).add_class("wb-review-controls")]
            )
            .add_class("wb-review-card")
            .add_class("wb-review-customer")
        )

    def _sku_card(self, sku: SkuToMap, review: MappingReview) -> widgets.Widget:
        vendor = _vendor_title(sku.vendor)
        facts = _DOT.join(
            [
                f"{vendor} SKU {sku.sku}",
                f"{sku.quantity:,} in use at {', '.join(sku.clients)}",
                self._spend(sku.spend),
            ]
        )
        who = (
            f'<div class="wb-review-who" data-vendor="{html.escape(sku.vendor)}" '
            f'data-sku="{html.escape(sku.sku)}">'
            f'<span class="wb-review-name">{html.escape(sku.sku_name or sku.sku)}</span> '
            f'<span class="wb-review-facts">{html.escape(facts)}</span></div>'
            '<div class="wb-review-suggestion wb-review-none">Choose the PSA service it is billed '
            "as. The factor converts vendor units into service units: 1 for one to one, 0.01 "
            'for "per 100 GB".</div>'
        )
        service = _picker("Choose the PSA service\u2026", review.services, "wb-service-choice")
        factor = widgets.Text(value="1", description="Factor").add_class("wb-factor")
        factor.layout.width = "130px"
        factor.style.description_width = "45px"
        names = {choice.id: choice.name for choice in review.services}
        pick = _button("Map to this service", "wb-map-sku")
        pick.on_click(
            lambda _: self._apply(
                lambda: map_sku(
                    self.workbook,
                    vendor=sku.vendor,
                    sku=sku.sku,
                    sku_name=sku.sku_name,
                    service_id=service.value,
                    service_name=names.get(service.value, ""),
                    factor=factor.value,
                )
            )
        )
        reason = _reason_box("Reason to exclude, e.g. free SKU", "wb-sku-exclude-reason")
        exclude = _button("Exclude", "wb-exclude-sku", "warning")
        exclude.on_click(
            lambda _: self._apply(
                lambda: exclude_sku(
                    self.workbook,
                    vendor=sku.vendor,
                    sku=sku.sku,
                    sku_name=sku.sku_name,
                    reason=reason.value,
                )
            )
        )
        controls = [widgets.HBox([service, factor, pick]), widgets.HBox([reason, exclude])]
        return (
            widgets.VBox(
                [widgets.HTML(who), widgets.HBox(controls).add_class("wb-review-controls")]
            )
            .add_class("wb-review-card")
            .add_class("wb-review-sku")
        )

    def _spend(self, spend: Decimal | None) -> str:
        if spend is None:
            return "no prices in the export"
        return f"vendor spend {format_money(spend, self.currency)} / month"

    def _apply(self, change: Callable[[], SavedEdit]) -> None:
        buttons = [
            widget
            for card in self.cards.children
            for widget in _descendants(card)
            if isinstance(widget, widgets.Button)
        ]
        for button in buttons:
            button.disabled = True
        self.message.value = _review_message(f"Saving {self.workbook.name}\u2026", "neutral")
        try:
            saved = change()
        except Exception as error:  # a click must never end in a traceback on the page
            problem = (
                str(error)
                if isinstance(error, WorkbenchError)
                else f"Something went wrong ({type(error).__name__}: {error})."
            )
            self.message.value = _review_message(problem, "bad", "Not saved.")
            for button in buttons:
                button.disabled = False
            return
        before = self.unmapped_lines
        after = self.refresh()
        refreshed = (
            f" The figures are refreshed: {plural(after, 'vendor line')} still unmapped "
            f"({before} before)."
            if after is not None
            else ""
        )
        self.message.value = _review_message(saved.message + refreshed, "good")


class _Dashboard:
    """Widgets and the callbacks that refill them when a picker changes."""

    def __init__(self, workspace: Workspace, periods: list[str], period: str) -> None:
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
        self.download = _WorkbookDownload(workspace)
        self.decisions = ReviewPanel(workspace, on_change=self._decisions_changed)
        self.trend = widgets.Image(format="png")
        self.trend.layout.align_self = "flex-start"
        self.trend.layout.max_width = "100%"
        self.trend_note = widgets.HTML()
        self.discrepancies = widgets.HTML()
        self.unmapped = widgets.HTML()
        self.review = _MappingReviewPanel(workspace.mappings_file, self._mappings_changed)
        self.tile_row = widgets.HBox(self.tiles).add_class("wb-tiles")
        self.body = widgets.VBox()
        title = widgets.HTML(
            f'<div class="wb-title"><strong>{html.escape(workspace.name)}</strong>'
            f" \u00b7 amounts in {html.escape(workspace.currency)}</div>"
        )
        self.root = widgets.VBox(
            [
                widgets.HTML(_STYLE),
                title,
                widgets.HBox([self.period, self.client]).add_class("wb-pickers"),
                self.body,
            ]
        ).add_class("wb-app")
        self._refilling = False
        self.period.observe(self._period_changed, names="value")
        self.client.observe(self._client_changed, names="value")
        self._period_changed()

    def _guarded(self, action: Callable[[], None]) -> None:
        try:
            action()
        except WorkbenchError as error:
            self.body.children = [widgets.HTML(_error_html(error, "Cannot show this period."))]

    def _period_changed(self, change: object = None) -> None:
        self._guarded(self._load_period)

    def _client_changed(self, change: object = None) -> None:
        if not self._refilling:
            self._guarded(self._show_scope)

    def _load_period(self) -> None:
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
        self._show_scope()

    def _show_scope(self) -> None:
        period_wide = period_result(self.workspace, self.period.value)
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
        self.discrepancies.value = _section(
            f"Discrepancies and unchecked lines \u2014 {scope_name}, {month_title(scope.period)}",
            "Every line that is not a match, biggest revenue impact first. A positive impact is "
            "revenue to bill; a negative one is billing above usage. Lines not reconciled were "
            "not compared with usage.",
            discrepancy_table_html(scope, all_clients=not company_id),
        )
        self.unmapped.value = (
            ""
            if company_id
            else _section(
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
        self.chart_note.value = _section(
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
        if not result.unmapped.empty:
            try:
                catalogue = period_catalogue(self.workspace, self.period.value)
            except WorkbenchError as error:
                self.review.show_error(error)
                return
        self.review.show(result, mapping_review(result, catalogue))

    def _mappings_changed(self) -> int | None:
        """Reconcile again under the saved mappings and refill the page.

        Returns the unmapped lines now, or None when the period cannot be reconciled any more
        (the page then says why).
        """
        forget_results(self.workspace)
        try:
            self._load_period()
        except WorkbenchError as error:
            self.body.children = [
                widgets.HTML(
                    _error_html(error, "The mappings were saved, but the period cannot be shown.")
                )
            ]
            return None
        return len(period_result(self.workspace, self.period.value).unmapped)

    def _decisions_changed(self) -> None:
        self.download.forget("A decision was saved since the last workbook: ")

    def _show_trend(self, company_id: str, company_name: str) -> None:
        """The client's billed against used over the periods the ledger has runs of."""
        try:
            trend = client_trend(self.workspace, company_id, company_name)
        except WorkbenchError as error:
            self.trend_note.value = _section(
                "Billed against used, past periods", "", _error_html(error, "No trend.")
            )
            self.trend.layout.display = "none"
            return
        if trend.png is None:
            self.trend_note.value = _section(
                "Billed against used, past periods",
                "",
                f'<p class="wb-empty wb-trend-message">{html.escape(trend.message)}</p>',
            )
            self.trend.layout.display = "none"
            return
        self.trend_note.value = _section(
            "Billed against used, past periods",
            f"{company_name}, {month_title(trend.periods[0])} to "
            f"{month_title(trend.periods[-1])}, from the runs recorded in the ledger.",
            "",
        )
        self.trend.value = trend.png
        self.trend.layout.display = ""


def build_dashboard(workspace: str | Path, period: str | None = None) -> widgets.Widget:
    """The reconciliation dashboard for a workspace, ready to display.

    Parameters
    ----------
    workspace
        Folder holding ``workspace.toml``. The ``WORKBENCH_WORKSPACE`` environment variable,
        when set, takes precedence: it is how ``make dashboard WORKSPACE=...`` reaches a Voila
        kernel, which takes no parameters.
    period
        Billing month ``YYYY-MM`` selected first; None (or empty) selects the latest.

    Returns
    -------
    ipywidgets.Widget
        The app; a problem the user can fix (no workspace, no inputs, a bad file) is shown as
        a message in plain words rather than raised.
    """
    try:
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
        return _Dashboard(opened, periods, period or periods[-1]).root
    except WorkbenchError as error:
        return widgets.VBox(
            [widgets.HTML(_STYLE), widgets.HTML(_error_html(error, "Cannot open the dashboard."))]
        ).add_class("wb-app")
