"""The dashboard's review: decide on every line that proposes a change, saved at once.

The lines come from :meth:`workbench.ledger.Ledger.review` (lines needing a decision, with the
current decision and its state, biggest money at stake first). :func:`filter_review`,
:func:`review_counts` and :func:`line_facts` are plain functions of that frame, so tests check
them without widgets; :class:`ReviewPanel` wires filters, a checkbox and the approve / adjust /
dismiss buttons of each line to the ledger.

Two people can review at once in two browser tabs (two kernels): every click is one short write
of the lines it names, and the panel reads the ledger again before it shows anything and after
every click, so each tab shows the other's decisions as soon as it acts or is refreshed.

Who decides: with logins (:mod:`workbench.logins`), the page's login, and only a login with the
reviewer role may decide; without them (one person, or a notebook), the name in *Reviewer*.
Deciding many lines at once asks first, and by default leaves the lines already decided as they
are: a bulk action never overwrites someone's decision unless the person says so.
"""

from __future__ import annotations

import getpass
import html
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pandas as pd

from workbench.dashboard.page import DASH, DOT, action_button, banner_html, close_all
from workbench.errors import WorkbenchError
from workbench.ledger import Decided, Decision, Ledger, ledger_path, ledger_to_read
from workbench.logins import REVIEWER, Login
from workbench.money import ZERO, format_money
from workbench.result import BUNDLE_STATUSES, Reconciliation
from workbench.views import month_title, plural
from workbench.workspace import Workspace

__all__ = [
    "DECISIONS_CLASS",
    "DECISIONS_MESSAGE_CLASS",
    "DECISION_ROW_CLASS",
    "PAGE_SIZE",
    "STATES",
    "ReviewPanel",
    "approval_words",
    "default_reviewer",
    "filter_review",
    "line_at_stake",
    "line_facts",
    "parse_minimum",
    "review_counts",
    "time_words",
    "to_decide_words",
]

#: CSS classes tests and stylesheets rely on.
DECISIONS_CLASS = "wb-decisions"
DECISIONS_MESSAGE_CLASS = "wb-decisions-message"
DECISION_ROW_CLASS = "wb-decision-row"
#: A line's review state, as :meth:`Ledger.review` gives it.
STATES = ("pending", "decided", "changed")
#: Lines shown at first; "Show more" adds as many again. Widgets per line are the cost.
PAGE_SIZE = 40

_DONE = {Decision.APPROVE: "Approved", Decision.ADJUST: "Adjusted", Decision.DISMISS: "Dismissed"}
_STATE_TITLES = {
    "pending": "Pending",
    "decided": "Decided",
    "changed": "Changed since decided",
}


# --- the frame -----------------------------------------------------------------------------


def line_at_stake(line: Mapping[Any, Any]) -> Decimal:
    """The size of a line's revenue impact, zero when it has none (a bundle gap)."""
    impact = line.get("revenue_impact")
    if impact is None or pd.isna(impact):
        return ZERO
    return abs(Decimal(impact))


def parse_minimum(text: str) -> Decimal:
    """The minimum money at stake a person typed: ``""`` is zero; ``"1,000"`` is 1000.

    Raises
    ------
    WorkbenchError
        When the text is not an amount of 0 or more.
    """
    cleaned = text.strip().replace(",", "").lstrip("$").strip()
    if not cleaned:
        return ZERO
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        amount = Decimal(-1)
    if not amount.is_finite() or amount < 0:
        raise WorkbenchError(
            f"Minimum money at stake {text.strip()!r} is not an amount: write a number such as "
            "50 or 1000, or leave it empty for every line."
        )
    return amount


def filter_review(
    review: pd.DataFrame, *, status: str = "", state: str = "", minimum: Decimal = ZERO
) -> pd.DataFrame:
    """The review lines a person asked to see, in the review's order (money at stake first).

    Parameters
    ----------
    review
        :meth:`Ledger.review` of a reconciliation.
    status
        Keep lines of this status only (``""``: every status).
    state
        Keep lines in this state only: ``"pending"``, ``"decided"`` or ``"changed"``
        (``""``: every state).
    minimum
        Keep lines whose money at stake (absolute revenue impact) is at least this much.

    Returns
    -------
    pandas.DataFrame
        The kept rows, index reset.
    """
    keep = pd.Series(True, index=review.index)
    if status:
        keep &= review["status"].astype(str) == status
    if state:
        keep &= review["state"] == state
    if minimum:
        keep &= pd.Series(
            [line_at_stake(line) >= minimum for line in review.to_dict("records")],
            index=review.index,
            dtype=bool,
        )
    return review[keep].reset_index(drop=True)


def review_counts(review: pd.DataFrame) -> Counter[str]:
    """How many lines are pending, decided and changed."""
    counts = Counter({state: 0 for state in STATES})
    counts.update(str(state) for state in review["state"])
    return counts


def to_decide_words(review: pd.DataFrame) -> str:
    """Where the review stands, in a sentence that agrees with its numbers:
    ``1 line needs a decision (1 pending, 0 changed since decided); 13 of 14 decided.``"""
    counts = review_counts(review)
    open_lines = counts["pending"] + counts["changed"]
    if not len(review):
        return "No line needs a decision."
    if not open_lines:
        return f"Every line is decided ({plural(counts['decided'], 'line')})."
    verb = "needs" if open_lines == 1 else "need"
    return (
        f"{plural(open_lines, 'line')} {verb} a decision ({counts['pending']} pending, "
        f"{counts['changed']} changed since decided); {counts['decided']} of {len(review)} "
        "decided."
    )


def _text(value: Any) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _whole(value: Any) -> str:
    """A quantity as people write it: ``1,204``, ``2.5``; a dash when there is none."""
    text = _text(value)
    if not text:
        return DASH
    number = Decimal(text)
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return f"{number.normalize():,f}"


def time_words(when: str) -> str:
    """A time the ledger keeps (ISO 8601, UTC) as the people at this dashboard read it.

    In the dashboard's local time zone (the server's, or ``TZ``), with its name and the UTC
    time beside it when the two differ: ``2026-11-29 13:04 CET (12:04 UTC)``; else
    ``2026-11-29 12:04 UTC``. Text that is not such a time is shown as it is.
    """
    try:
        moment = datetime.fromisoformat(when)
    except ValueError:
        return when
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    utc = moment.astimezone(UTC)
    local = moment.astimezone()
    if local.utcoffset() == timedelta(0):
        return f"{utc:%Y-%m-%d %H:%M} UTC"
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({utc:%H:%M} UTC)"


def _decision_words(line: Mapping[Any, Any]) -> str:
    """``Adjusted to 12 by alice on 2026-11-29 13:04 CET (12:04 UTC): "two leavers"``."""
    decision = _text(line.get("decision"))
    if not decision:
        return ""
    words = _DONE.get(Decision(decision), decision)
    if decision == Decision.ADJUST:
        words += f" to {_whole(line.get('quantity'))}"
    who, when, note = (_text(line.get(key)) for key in ("who", "decided_at", "note"))
    if who:
        words += f" by {who}"
    if when:
        words += f" on {time_words(when)}"
    if note:
        words += f": \u201c{note}\u201d"
    return words


def approval_words(line: Mapping[Any, Any], currency: str = "USD") -> str:
    """What approving a line bills, in a sentence: quantity, service, price and amount.

    ``Approve bills 31 x Managed workstation at $45.00 = $1,395.00 / month (billed now: 34,
    $1,530.00).`` A bundle finding changes no contract line, so approving it bills nothing,
    and the sentence says so and what to do instead.
    """
    status = _text(line.get("status"))
    service = _text(line.get("service_name")) or _text(line.get("vendor_sku_name"))
    if status in BUNDLE_STATUSES:
        return (
            "Approve records that you saw this finding: it bills nothing, as no contract line "
            "changes. Deliver what is missing, or review the bundle."
        )
    used, price = line.get("expected_quantity"), line.get("unit_price")
    if not _text(used) or not _text(price):
        return ""
    billed = Decimal(_text(line.get("billed_quantity")) or "0")
    price = Decimal(_text(price))
    amount = format_money(Decimal(_text(used)) * price, currency)
    now = format_money(billed * price, currency)
    return (
        f"Approve bills {_whole(used)} \u00d7 {service} at {format_money(price, currency)} = "
        f"{amount} / month (billed now: {_whole(billed)}, {now})."
    )


def line_facts(line: Mapping[Any, Any], currency: str = "USD") -> str:
    """One review line as HTML: who and what, the numbers, and where its decision stands.

    Parameters
    ----------
    line
        One row of :meth:`Ledger.review` (line columns, decision columns and ``state``).
    currency
        Currency of the line's money.

    Returns
    -------
    str
        Escaped HTML whose outer element carries ``data-line-id`` and ``data-state``, so a test
        (or a stylesheet) finds one line and its state.
    """
    line_id = _text(line.get("line_id"))
    state = _text(line.get("state")) or "pending"
    service = _text(line.get("service_name")) or _text(line.get("vendor_sku_name"))
    impact = line.get("revenue_impact")
    money = (
        DASH
        if impact is None or pd.isna(impact)
        else ("+" if impact > 0 else "") + format_money(impact, currency) + " / month"
    )
    numbers = DOT.join(
        [
            f"billed {_whole(line.get('billed_quantity'))}",
            f"used {_whole(line.get('expected_quantity'))}",
            money,
        ]
    )
    decision = _decision_words(line)
    if state == "changed":
        decision = f"The line moved since it was decided. Was: {decision}"
    approval = approval_words(line, currency)
    return (
        f'<div class="wb-decision-line" data-line-id="{html.escape(line_id)}" '
        f'data-state="{html.escape(state)}">'
        f'<span class="wb-decision-state wb-state-{html.escape(state)}">'
        f"{html.escape(_STATE_TITLES.get(state, state))}</span> "
        f'<span class="wb-review-name">{html.escape(_text(line.get("company_name")))}'
        f"{DOT}{html.escape(service)}</span> "
        f'<span class="wb-pill">{html.escape(_text(line.get("status")))}</span> '
        f'<span class="wb-review-facts">{html.escape(numbers)}</span>'
        f'<div class="wb-decision-why">{html.escape(_text(line.get("reason")))}</div>'
        + (f'<div class="wb-decision-bills">{html.escape(approval)}</div>' if approval else "")
        + (f'<div class="wb-decision-done">{html.escape(decision)}</div>' if decision else "")
        + "</div>"
    )


def default_reviewer() -> str:
    """The operating system's user name: who decided, unless the person writes another."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        return ""


def _signed_in_html(login: Login) -> str:
    words = (
        f"Deciding as <strong>{html.escape(login.name)}</strong>"
        if login.may_decide
        else f"Signed in as {html.escape(login.described)}: you may read the review; deciding "
        "needs the reviewer role"
    )
    return f'<span class="wb-hint">{words}</span>'


@dataclass(frozen=True)
class _BulkQuestion:
    """A bulk decision waiting for the person's answer."""

    decision: Decision
    line_ids: tuple[str, ...]
    selected: bool


# --- the widgets ---------------------------------------------------------------------------


class _LineRow:
    """One line's widgets: a checkbox, its facts, a note, a quantity and the three decisions."""

    def __init__(self, panel: ReviewPanel, line: Mapping[Any, Any]) -> None:
        self.line_id = str(line["line_id"])
        self.select = widgets.Checkbox(value=False, indent=False).add_class("wb-decision-select")
        self.select.layout.width = "28px"
        self.facts = widgets.HTML()
        self.note = widgets.Text(placeholder="Note (why)").add_class("wb-decision-note")
        self.note.layout.width = "260px"
        self.quantity = widgets.Text(description="Bill").add_class("wb-decision-quantity")
        self.quantity.layout.width = "130px"
        self.quantity.style.description_width = "28px"
        approve = action_button("Approve", "wb-approve", "success")
        adjust = action_button("Adjust", "wb-adjust")
        dismiss = action_button("Dismiss", "wb-dismiss", "warning")
        self.undo = action_button("Undo", "wb-undo")
        approve.on_click(lambda _: panel.decide([self.line_id], Decision.APPROVE, self.note.value))
        adjust.on_click(
            lambda _: panel.decide(
                [self.line_id], Decision.ADJUST, self.note.value, self.quantity.value
            )
        )
        dismiss.on_click(lambda _: panel.decide([self.line_id], Decision.DISMISS, self.note.value))
        self.undo.on_click(lambda _: panel.undo(self.line_id))
        if str(line.get("status")) in BUNDLE_STATUSES:
            # A finding bills nothing whatever is decided: no quantity to set.
            self.quantity.layout.display = adjust.layout.display = "none"
        controls = widgets.HBox(
            [self.note, self.quantity, approve, adjust, dismiss, self.undo]
        ).add_class("wb-review-controls")
        if not panel.may_decide:
            controls.layout.display = self.select.layout.display = "none"
        self.root = widgets.HBox([self.select, widgets.VBox([self.facts, controls])]).add_class(
            DECISION_ROW_CLASS
        )
        self.shown: tuple[str, ...] = ()
        self.show(line, panel.currency)

    def show(self, line: Mapping[Any, Any], currency: str) -> None:
        """Show the line as the ledger has it; the inputs change only when its decision did,
        so text being typed in one row survives a click in another."""
        self.facts.value = line_facts(line, currency)
        decided = tuple(
            _text(line.get(key)) for key in ("decision", "quantity", "note", "decided_at")
        )
        if decided != self.shown:
            self.note.value = decided[2]
            self.quantity.value = _whole(decided[1]) if decided[1] else ""
            self.shown = decided
        self.quantity.placeholder = _whole(line.get("expected_quantity")).replace(DASH, "")
        self.undo.layout.display = "" if decided[0] else "none"


class ReviewPanel:
    """The review section: filters, bulk actions and one row per line needing a decision.

    Parameters
    ----------
    workspace
        The workspace; decisions go to its ledger (:func:`~workbench.ledger.ledger_path`).
    on_change
        Called after every saved decision (the dashboard, for instance, forgets a workbook
        prepared before it).
    login
        Who the page is signed in as; None without logins (then *Reviewer* says who decides).
    """

    def __init__(
        self,
        workspace: Workspace,
        on_change: Callable[[], None] = lambda: None,
        login: Login | None = None,
    ) -> None:
        self.workspace = workspace
        self.login = login
        self.on_change = on_change
        self.currency = workspace.currency
        self.scope: Reconciliation | None = None
        self.scope_name = ""
        self.review = pd.DataFrame()
        self.lines: dict[str, Mapping[Any, Any]] = {}
        self.rows: dict[str, _LineRow] = {}
        self.limit = PAGE_SIZE
        self._refilling = False

        self.heading = widgets.HTML()
        self.reviewer: widgets.Widget = (
            widgets.Text(
                value=default_reviewer(), description="Reviewer", placeholder="Your name"
            ).add_class("wb-reviewer")
            if login is None
            else widgets.HTML(_signed_in_html(login)).add_class("wb-signed-in")
        )
        self.status = widgets.Dropdown(options=[("Every status", "")], description="Status")
        self.status.add_class("wb-filter-status")
        self.state = widgets.Dropdown(
            options=[("Every state", ""), *((_STATE_TITLES[s], s) for s in STATES)],
            description="State",
        ).add_class("wb-filter-state")
        self.minimum = widgets.Text(
            description="At least", placeholder="0", continuous_update=False
        ).add_class("wb-filter-minimum")
        refresh = action_button("Refresh", "wb-refresh")
        for box, width in (
            (self.reviewer, "230px"),
            (self.status, "250px"),
            (self.state, "230px"),
            (self.minimum, "150px"),
        ):
            box.layout.width = width
            box.style.description_width = "62px"
        self.bulk_note = widgets.Text(placeholder="Note for the lines decided together")
        self.bulk_note.add_class("wb-bulk-note")
        self.bulk_note.layout.width = "280px"
        self.approve_selected = action_button(
            "Approve selected\u2026", "wb-approve-selected", "success"
        )
        self.dismiss_selected = action_button(
            "Dismiss selected\u2026", "wb-dismiss-selected", "warning"
        )
        self.approve_filtered = action_button(
            "Approve filtered\u2026", "wb-approve-filtered", "success"
        )
        self.dismiss_filtered = action_button(
            "Dismiss filtered\u2026", "wb-dismiss-filtered", "warning"
        )
        self.question = widgets.HTML().add_class("wb-bulk-question")
        self.confirm_pending = action_button("", "wb-confirm-pending", "primary")
        self.confirm_overwrite = action_button("", "wb-confirm-overwrite", "danger")
        cancel = action_button("Cancel", "wb-cancel-bulk")
        self.confirmation = widgets.VBox(
            [
                self.question,
                widgets.HBox([self.confirm_pending, self.confirm_overwrite, cancel]).add_class(
                    "wb-review-controls"
                ),
            ]
        ).add_class("wb-bulk-confirm")
        self.confirmation.layout.display = "none"
        self.asked: _BulkQuestion | None = None
        self.message = widgets.HTML().add_class(DECISIONS_MESSAGE_CLASS)
        self.count = widgets.HTML()
        self.list = widgets.VBox().add_class("wb-decision-rows")
        self.more = action_button("Show more", "wb-show-more")

        refresh.on_click(lambda _: self.reload())
        self.status.observe(lambda _: self._filters_changed(), names="value")
        self.state.observe(lambda _: self._filters_changed(), names="value")
        self.minimum.observe(lambda _: self._filters_changed(), names="value")
        self.more.on_click(lambda _: self._show_more())
        self.approve_selected.on_click(lambda _: self._bulk(Decision.APPROVE, selected=True))
        self.dismiss_selected.on_click(lambda _: self._bulk(Decision.DISMISS, selected=True))
        self.approve_filtered.on_click(lambda _: self._bulk(Decision.APPROVE, selected=False))
        self.dismiss_filtered.on_click(lambda _: self._bulk(Decision.DISMISS, selected=False))
        self.confirm_pending.on_click(lambda _: self._answered(overwrite=False))
        self.confirm_overwrite.on_click(lambda _: self._answered(overwrite=True))
        cancel.on_click(lambda _: self._answered(overwrite=None))
        bulk = widgets.HBox(
            [
                self.bulk_note,
                self.approve_selected,
                self.dismiss_selected,
                self.approve_filtered,
                self.dismiss_filtered,
            ]
        )
        # A viewer reads: the deciding controls are not shown (and refuse if clicked anyway).
        bulk.layout.display = "" if self.may_decide else "none"

        self.root = widgets.VBox(
            [
                self.heading,
                widgets.HBox([self.reviewer, self.status, self.state, self.minimum, refresh])
                .add_class("wb-review-controls")
                .add_class("wb-decision-filters"),
                bulk.add_class("wb-review-controls").add_class("wb-decision-bulk"),
                self.confirmation,
                self.message,
                self.count,
                self.list,
                self.more,
            ]
        ).add_class(DECISIONS_CLASS)

    @property
    def ledger_file(self) -> Path:
        """The workspace's ledger, where every decision is saved."""
        return ledger_path(self.workspace)

    @property
    def may_decide(self) -> bool:
        """Without logins anyone at the page decides; with them, reviewers only."""
        return self.login is None or self.login.may_decide

    def who(self) -> str:
        """Who a click is recorded as: the login, else the name in *Reviewer*."""
        if self.login is not None:
            return self.login.name
        return str(self.reviewer.value).strip()

    # --- what is shown ---

    def show(self, scope: Reconciliation, scope_name: str = "All clients") -> None:
        """Review this scope (the whole period or one client's share), read fresh."""
        self.scope = scope
        self.scope_name = scope_name
        self.currency = scope.currency
        self.limit = PAGE_SIZE
        self.message.value = ""
        self._close_question()
        self.reload()

    def reload(self) -> None:
        """Read the ledger again and show what it holds now."""
        if self.scope is None:
            return
        source = ledger_to_read(self.workspace)
        try:
            with Ledger.open(source) as ledger:
                self.review = ledger.review(self.scope)
        except (WorkbenchError, sqlite3.Error) as error:
            self.message.value = banner_html(
                self._problem(error), "bad", "Cannot read the decisions."
            )
            return
        self.lines = {str(line["line_id"]): line for line in self.review.to_dict("records")}
        statuses = sorted({str(status) for status in self.review["status"]})
        options = [("Every status", ""), *((status, status) for status in statuses)]
        if list(self.status.options) != options:
            keep = self.status.value if self.status.value in statuses else ""
            self._refilling = True  # new options are not a person changing the filter
            try:
                self.status.options = options
                self.status.value = keep
            finally:
                self._refilling = False
        self._render()

    def filtered(self) -> pd.DataFrame:
        """The lines the filters keep, all of them (the page shows the first ones)."""
        return filter_review(
            self.review,
            status=self.status.value,
            state=self.state.value,
            minimum=parse_minimum(self.minimum.value),
        )

    def _filters_changed(self) -> None:
        if self._refilling:
            return
        self.limit = PAGE_SIZE
        self._close_question()  # it named the lines the filters kept before
        self.reload()  # what the other tab decided counts in what the filters keep

    def _show_more(self) -> None:
        self.limit += PAGE_SIZE
        self.reload()

    def _render(self) -> None:
        if self.scope is None:  # a filter touched before anything was shown
            return
        self.heading.value = (
            '<div class="wb-section"><h3>'
            + html.escape(f"Review \u2014 {self.scope_name}, {month_title(self.scope.period)}")
            + '</h3><p class="wb-hint">'
            + html.escape(
                f"{to_decide_words(self.review)} Approve bills the vendor count, "
                "Adjust bills the quantity you set, Dismiss leaves billing as it is this "
                f"period. Each click is saved at once in {self.ledger_file.name}."
            )
            + "</p></div>"
        )
        try:
            shown = self.filtered()
        except WorkbenchError as error:
            self.message.value = banner_html(str(error), "bad", "Filter not applied.")
            return
        page = shown.head(self.limit)
        self.count.value = (
            f'<p class="wb-hint wb-decision-count">Showing {len(page)} of '
            f"{plural(len(shown), 'line')} the filters keep ({len(self.review)} in all).</p>"
        )
        pending = int((shown["state"] == "pending").sum()) if not shown.empty else 0
        self.approve_filtered.description = f"Approve {pending} pending filtered\u2026"
        self.dismiss_filtered.description = f"Dismiss {pending} pending filtered\u2026"
        for button in (self.approve_filtered, self.dismiss_filtered):
            button.disabled = shown.empty
        wanted = [str(line_id) for line_id in page["line_id"]]
        if wanted == list(self.rows):
            for line_id, row in self.rows.items():
                row.show(self.lines[line_id], self.currency)
        else:
            old = self.rows
            self.rows = {
                line_id: old.pop(line_id) if line_id in old else _LineRow(self, self.lines[line_id])
                for line_id in wanted
            }
            for row in self.rows.values():
                row.show(self.lines[row.line_id], self.currency)
            self.list.children = [row.root for row in self.rows.values()]
            for row in old.values():
                close_all(row.root)
        self.more.layout.display = "" if len(shown) > len(page) else "none"

    # --- what a click does ---

    def decide(
        self,
        line_ids: Iterable[str],
        decision: Decision,
        note: str = "",
        quantity: str | None = None,
    ) -> None:
        """Save one decision for each named line, then show the ledger as it is now."""
        ids = list(line_ids)
        if not ids:
            self.message.value = banner_html(
                "Tick the lines first (the box at the left of each line).", "warn", "Nothing saved."
            )
            return
        who = self._who_may_decide()
        if not who:
            return
        assert self.scope is not None
        period = self.scope.period
        lines = self._current_lines(ids)
        try:
            with Ledger.open(self.ledger_file) as ledger:
                if len(lines) == 1:
                    saved: list[Decided] = [
                        ledger.decide(
                            period,
                            lines[0],
                            decision,
                            quantity=(quantity or None) if decision == Decision.ADJUST else None,
                            note=note.strip(),
                            who=who,
                        )
                    ]
                else:
                    saved = ledger.decide_many(period, lines, decision, note=note.strip(), who=who)
        except (WorkbenchError, sqlite3.Error) as error:
            self.message.value = banner_html(self._problem(error), "bad", "Not saved.")
            return
        self.on_change()
        self.reload()
        self.message.value = banner_html(self._saved_words(saved, decision, who), "good")

    def undo(self, line_id: str) -> None:
        """Put a line back to pending; its earlier decision stays in the ledger's history."""
        who = self._who_may_decide()
        if not who:
            return
        assert self.scope is not None
        try:
            with Ledger.open(self.ledger_file) as ledger:
                ledger.clear(self.scope.period, line_id, who=who)
        except (WorkbenchError, sqlite3.Error) as error:
            self.message.value = banner_html(self._problem(error), "bad", "Not saved.")
            return
        self.on_change()
        self.reload()
        line = self.lines.get(line_id, {"line_id": line_id})
        self.message.value = banner_html(f"{self._name(line)} is pending again.", "good")

    def _who_may_decide(self) -> str:
        """Who decides, or "" after saying why nobody may (the message shows it)."""
        if not self.may_decide:
            assert self.login is not None
            self.message.value = banner_html(
                self.login.refusal("the review", "decide", REVIEWER), "bad", "Not saved."
            )
            return ""
        who = self.who()
        if not who:
            self.message.value = banner_html(
                "Write your name in Reviewer: every decision says who made it.",
                "bad",
                "Not saved.",
            )
        return who

    def _bulk(self, decision: Decision, *, selected: bool) -> None:
        """Ask before deciding many lines: how many are pending, how many decided already."""
        if not self._who_may_decide():
            return
        if selected:
            ids = [line_id for line_id, row in self.rows.items() if row.select.value]
            if not ids:
                self.decide(ids, decision)  # says to tick lines first
                return
        else:
            try:
                ids = [str(line_id) for line_id in self.filtered()["line_id"]]
            except WorkbenchError as error:
                self.message.value = banner_html(str(error), "bad", "Not saved.")
                return
        self.asked = _BulkQuestion(decision, tuple(ids), selected)
        states = Counter(str(self.lines[line_id]["state"]) for line_id in ids)
        pending, decided = states["pending"], len(ids) - states["pending"]
        verb = str(decision)
        which = "ticked" if selected else "the filters keep"
        self.question.value = banner_html(
            f"{verb.capitalize()} the {plural(pending, 'pending line')} of the "
            f"{plural(len(ids), 'line')} {which}?"
            + (
                f" {plural(decided, 'line')} already decided ({states['decided']} decided, "
                f"{states['changed']} changed since decided) keep their decisions unless you "
                "choose to overwrite them."
                if decided
                else ""
            ),
            "warn",
            "Deciding together.",
        )
        self.confirm_pending.description = f"{verb.capitalize()} {plural(pending, 'pending line')}"
        self.confirm_pending.disabled = not pending
        self.confirm_overwrite.description = (
            f"{verb.capitalize()} all {len(ids)}, overwriting {plural(decided, 'decision')}"
        )
        self.confirm_overwrite.layout.display = "" if decided else "none"
        self.confirmation.layout.display = ""
        self.message.value = ""

    def _answered(self, *, overwrite: bool | None) -> None:
        """Do what the question asked (``overwrite`` None: cancelled), on the ledger as it is
        now: a line someone decided since the question was asked counts as decided."""
        asked = self.asked
        self._close_question()
        if asked is None or overwrite is None:
            self.message.value = ""
            return
        self.reload()
        ids = [line_id for line_id in asked.line_ids if line_id in self.lines]
        if not overwrite:
            ids = [line_id for line_id in ids if self.lines[line_id]["state"] == "pending"]
        if not ids:
            self.message.value = banner_html(
                "None of those lines is pending any more (someone decided them meanwhile).",
                "warn",
                "Nothing saved.",
            )
            return
        self.decide(ids, asked.decision, self.bulk_note.value)
        if asked.selected:
            for row in self.rows.values():
                row.select.value = False

    def _close_question(self) -> None:
        self.asked = None
        self.confirmation.layout.display = "none"

    def _problem(self, error: Exception) -> str:
        """What went wrong, in words: a busy or damaged ledger file is not the person's typo."""
        if isinstance(error, WorkbenchError):
            return str(error)
        return (
            f"The ledger {self.ledger_file} could not be used ({error}). Nothing was lost: "
            "try again in a moment."
        )

    def _current_lines(self, line_ids: list[str]) -> list[Mapping[Any, Any]]:
        """The reconciliation's own rows for these lines: what the ledger snapshots."""
        assert self.scope is not None
        lines = self.scope.lines
        picked = lines[lines["line_id"].isin(line_ids)].to_dict("records")
        order = {line_id: position for position, line_id in enumerate(line_ids)}
        return sorted(picked, key=lambda line: order[str(line["line_id"])])

    def _name(self, line: Mapping[Any, Any]) -> str:
        service = _text(line.get("service_name")) or _text(line.get("vendor_sku_name"))
        company = _text(line.get("company_name"))
        return f"{company}{DOT}{service}" if company or service else str(line["line_id"])

    def _saved_words(self, saved: list[Decided], decision: Decision, who: str) -> str:
        done = _DONE[decision]
        if len(saved) == 1:
            one = saved[0]
            what = self._name(self.lines.get(one.line_id, {"line_id": one.line_id}))
            to = "" if one.quantity is None else f" to {_whole(one.quantity)}"
            return f"{done} {what}{to}; saved in {self.ledger_file.name} as {who}."
        return f"{done} {plural(len(saved), 'line')}; saved in {self.ledger_file.name} as {who}."
