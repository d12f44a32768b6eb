"""The scope summary: the figures and tables of the period, or of the one client picked.

Four KPI tiles (:func:`kpi_tiles`), a verdict in words (:func:`scope_verdict`), the lines that
are not a match (:func:`discrepancy_table_html`) and the unmapped vendor lines
(:func:`unmapped_table_html`), each a plain function of a
:class:`~workbench.reconcile.Reconciliation`, so tests check them without a browser. The chart
of money at stake comes from :mod:`workbench.views`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from workbench.dashboard.page import DASH, Tone
from workbench.mapping import VENDOR_TITLES
from workbench.money import ZERO, format_money, format_share
from workbench.result import ADJUSTMENT_STATUSES, UNMAPPED_STATUSES, Reconciliation, Status, Summary
from workbench.views import plural

#: CSS classes tests and stylesheets rely on.
DISCREPANCY_TABLE_CLASS = "wb-discrepancies"
UNMAPPED_TABLE_CLASS = "wb-unmapped"

NOT_CHECKED = "Not checked"

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
