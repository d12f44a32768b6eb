"""What the notebooks display: formatted tables and charts built from a reconciliation.

Each function takes the typed result and returns something a notebook shows as is (a pandas
frame with money already formatted, or a matplotlib figure), so notebooks stay a few calls long.

Names come from the inputs (clients, vendor customers, services, SKUs, files, reasons) and are
shown as written, never read as markup: tables and headings are HTML this module escapes itself
(not Markdown, which would read ``*x*`` or ``[a](javascript:...)`` as markup and pass
``<script>`` through), and chart labels escape the ``$`` that would start matplotlib's mathtext.
"""

from __future__ import annotations

import calendar
import html
import io
import threading
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib import rcParams
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import FuncFormatter

from workbench.ledger import TREND_COLUMNS, Ledger, ledger_path
from workbench.money import ZERO, format_money, format_share, total
from workbench.period import Period, pick_client
from workbench.result import COVERAGE_OUTCOMES, Reconciliation, Status, Summary
from workbench.store import load_result_once
from workbench.workspace import Workspace

# One palette for every chart and the dashboard's accents.
LEAK_COLOUR, RISK_COLOUR = "#c2410c", "#6d28d9"
#: How many clients the money-at-stake chart shows.
CHART_TOP = 15
#: Classes telling MathJax (2 and 3) to leave an element alone: Jupyter typesets ``$...$`` in
#: HTML outputs, which would turn a client called ``$x$`` into a formula.
NO_MATH = "tex2jax_ignore mathjax_ignore"


def new_figure(width: float, height: float) -> tuple[Figure, Any]:
    """A figure with its own Agg canvas: no pyplot, so no global backend or figure registry."""
    figure = Figure(figsize=(width, height), dpi=110)
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


@dataclass(frozen=True)
class Chart:
    """A rendered chart: notebooks show it inline, widgets and files take its PNG bytes."""

    png: bytes

    @classmethod
    def from_figure(cls, figure: Figure, *, tight: bool = True) -> Chart:
        """The figure as PNG; ``tight`` crops it to what is drawn (at the cost of a second
        drawing), otherwise it keeps the figure's own size and margins."""
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", bbox_inches="tight" if tight else None)
        return cls(buffer.getvalue())

    def _repr_png_(self) -> bytes:
        return self.png

    def __repr__(self) -> str:
        # A notebook stores this as the chart's plain-text output beside the PNG: the bytes
        # written out would double the size of every client's notebook.
        return f"<chart: PNG image, {len(self.png):,} bytes>"


def chart_label(text: str) -> str:
    """Text for a chart, drawn as written.

    Matplotlib reads text between two ``$`` as mathtext: a client called ``$x$`` would be drawn
    as a formula, and one called ``$\\x$`` would stop the chart with a parse error. An escaped
    ``\\$`` is drawn as a plain ``$``.
    """
    return text.replace("$", r"\$")


def show(table: pd.DataFrame) -> Any:
    """A table styled for reading: no row numbers, blanks instead of <NA>.

    Text cells are HTML-escaped, so a name holding ``<script>`` shows as those characters.
    """
    styled = table.style.hide(axis="index").format(na_rep="—", escape="html")
    return styled.set_table_attributes(f'class="{NO_MATH}"')


@dataclass(frozen=True)
class Heading:
    """A heading made of names, for a notebook: HTML escaped here, never Markdown."""

    text: str

    def _repr_html_(self) -> str:
        return f'<h2 class="{NO_MATH}">{html.escape(self.text)}</h2>'


@dataclass(frozen=True)
class ClientView:
    """One client's share of a period's reconciliation."""

    workspace: Workspace
    result: Reconciliation  # restricted to the client
    company_id: str
    company_name: str

    def heading(self) -> Heading:
        """The client and the period, as the notebook's heading."""
        return Heading(f"{self.company_name}, {self.result.period}")

    def headline(self) -> pd.DataFrame:
        return headline(self.result)

    def findings(self) -> Any:
        """Every line but matches, biggest money first; 'not reconciled' lines included."""
        lines = self.result.lines[self.result.lines["status"] != Status.MATCH]
        return show(line_table(lines, self.result.currency).drop(columns="Client"))

    def all_lines(self) -> Any:
        return show(line_table(self.result.lines, self.result.currency).drop(columns="Client"))

    def evidence(self) -> Any:
        return show(evidence_table(self.result))

    def chart(self) -> Chart:
        """Billed against used per service, as grouped horizontal bars.

        Drawn once: the margins come from the measured width of the longest service name, not
        from a tight layout, which would draw the figure twice more to find them (most of a
        batch client's time).
        """
        lines = self.result.lines[self.result.lines["expected_quantity"].notna()]
        height = 0.45 * max(len(lines), 2) + 1
        figure, axes = new_figure(8, height)
        canvas = figure.canvas
        assert isinstance(canvas, FigureCanvasAgg)
        positions = range(len(lines))
        axes.barh(
            [p + 0.2 for p in positions],
            lines["billed_quantity"],
            height=0.4,
            label="Billed",
            color="#7f8c8d",
        )
        axes.barh(
            [p - 0.2 for p in positions],
            lines["expected_quantity"].astype("int64"),
            height=0.4,
            label="Used",
            color=RISK_COLOUR,
        )
        names = [str(name) for name in lines["service_name"]]
        axes.set_yticks(list(positions), [chart_label(name) for name in names])
        axes.set_xlabel("Units this month")
        figure.suptitle(
            chart_label(f"{self.company_name}: billed against used, {self.result.period}")
        )
        axes.legend(loc="lower right")
        renderer = canvas.get_renderer()  # type: ignore[no-untyped-call]
        font = FontProperties(size=rcParams["ytick.labelsize"])
        widest = max(
            (renderer.get_text_width_height_descent(name, font, ismath=False)[0] for name in names),
            default=0.0,
        )
        inch = figure.dpi
        figure.subplots_adjust(
            left=min(0.6, (widest + 0.15 * inch) / (8 * inch)),
            right=0.97,
            top=1 - 0.45 / height,
            bottom=0.5 / height,
        )
        return Chart.from_figure(figure, tight=False)

    def trend(self) -> Trend:
        """Billed against used, and billed revenue, over the periods the ledger has runs of."""
        return client_trend(self.workspace, self.company_id, self.company_name)


def open_client(
    workspace: str | Path, period: str, client: str = "", saved: str = ""
) -> ClientView:
    """Pick one client by PSA company id or name (:func:`~workbench.period.pick_client`;
    default: the first).

    ``saved`` is the stored reconciliation the batch renders from (a folder of the period
    store), so a client's notebook renders its share without opening the month again.
    """
    opened = Workspace.open(workspace)
    result = period_result(opened, str(period), saved)
    if str(client).strip():
        company_id, company_name = pick_client(result.clients, client, str(period))
    else:
        first = result.clients.iloc[0]
        company_id, company_name = str(first["company_id"]), str(first["company_name"])
    share = client_share(result, company_id) if saved else result.for_client(company_id)
    return ClientView(opened, share, company_id, company_name)


#: Per thread, the last client's share of a stored result and its summary
#: (:func:`client_share`): the papermill executor writes workbooks on several threads at once.
_last_share = threading.local()


def client_share(stored: Reconciliation, company_id: str) -> Reconciliation:
    """``stored.for_client(company_id)``, the same object again when the last client asked for
    is asked for again.

    A batch kernel writes a client's workbook, then runs the client's notebook, both from the
    stored result it read once (:func:`~workbench.store.load_result_once`, whose frames nobody
    modifies): the two share the client's result and its summary (:func:`summary_of`) instead
    of working them out twice. Only the last client is kept.
    """
    kept: dict[str, Any] = getattr(_last_share, "kept", {})
    if kept.get("stored") is stored and kept.get("company_id") == company_id:
        share: Reconciliation = kept["share"]
        return share
    share = stored.for_client(company_id)
    _last_share.kept = {"stored": stored, "company_id": company_id, "share": share}
    return share


def summary_of(result: Reconciliation) -> Summary:
    """``result.summary()``, worked out once for the last client's share (:func:`client_share`)."""
    kept: dict[str, Any] = getattr(_last_share, "kept", {})
    if kept.get("share") is not result:
        return result.summary()
    if "summary" not in kept:
        kept["summary"] = result.summary()
    summary: Summary = kept["summary"]
    return summary


def period_result(
    workspace: str | Path | Workspace, period: str, saved: str = ""
) -> Reconciliation:
    """The period's reconciliation: the batch's stored result when given, else the month's
    (:class:`~workbench.period.Period`, from its store while that is current).

    A stored result is read once per kernel, which renders client after client from it.
    """
    return load_result_once(saved) if saved else Period.open(workspace, str(period)).result()


def headline(result: Reconciliation) -> pd.DataFrame:
    """The KPIs as a two-column table, then the mapping warnings."""
    summary = summary_of(result)
    currency = result.currency
    rows = [
        ("Revenue leaking per month", format_money(summary.revenue_leaking, currency)),
        ("Over-billing risk per month", format_money(summary.over_billing_risk, currency)),
        ("Unmapped vendor spend", format_money(summary.unmapped_spend, currency)),
        (
            "Billed revenue checked against usage",
            f"{format_share(summary.checked_revenue, summary.billed_revenue)} of "
            f"{format_money(summary.billed_revenue, currency)}",
        ),
        ("Discrepancies", str(summary.discrepancies)),
        *((f"Lines: {status}", str(count)) for status, count in summary.counts.items() if count),
    ]
    if summary.counts[Status.NOT_RECONCILED] == summary.lines:
        rows.append(
            ("Warning", "nothing here could be checked against usage: this is not a clean result")
        )
    rows += [("Mapping warning", str(warning)) for warning in result.mapping_warnings]
    return pd.DataFrame(rows, columns=["Measure", "Value"]).set_index("Measure")


def line_table(lines: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """Reconciliation lines as people read them."""
    order = lines["revenue_impact"].map(abs).sort_values(ascending=False, kind="stable").index
    shown = lines.loc[order]
    return pd.DataFrame(
        {
            "Client": shown["company_name"].where(
                shown["company_name"] != "", shown["vendor_customer_name"]
            ),
            "Service": shown["service_name"].where(
                shown["service_name"] != "", shown["vendor_sku_name"]
            ),
            "Status": shown["status"].astype(str),
            "Billed": shown["billed_quantity"],
            "Used": shown["expected_quantity"],
            "Difference": shown["difference"],
            "Revenue impact / month": shown["revenue_impact"].map(
                lambda v: format_money(v, currency)
            ),
            "Why": shown["reason"],
        }
    ).reset_index(drop=True)


def by_client(result: Reconciliation) -> pd.DataFrame:
    """Per client: discrepancies and money at stake, biggest first."""
    money = result.money_by_client()
    table = pd.DataFrame(
        {
            "Client": money["company_name"],
            "Lines": money["lines"],
            "Checked": money["checked"],
            "Discrepancies": money["discrepancies"],
            "Revenue leaking": money["revenue_leaking"],
            "Over-billing risk": money["over_billing_risk"],
        }
    )
    table["At stake"] = [
        a + b for a, b in zip(table["Revenue leaking"], table["Over-billing risk"], strict=True)
    ]
    return table.sort_values(
        ["At stake", "Client"],
        ascending=[False, True],
        key=lambda c: c if c.name != "Client" else c.str.casefold(),
    ).reset_index(drop=True)


def money_at_stake_chart(result: Reconciliation) -> Chart | None:
    """The money-at-stake chart for a notebook; None when nothing is at stake."""
    png = money_at_stake_png(result)
    return Chart(png) if png else None


def plural(count: int, word: str, plural: str = "") -> str:
    return f"{count} {word}" if count == 1 else f"{count} {plural or word + 's'}"


def month_title(period: str) -> str:
    """``2026-10`` -> ``October 2026``."""
    year, month = period.split("-")
    return f"{calendar.month_name[int(month)]} {year}"


def money_at_stake(result: Reconciliation, top: int | None = None) -> pd.DataFrame:
    """Revenue leaking and over-billing risk per client with any, biggest total first.

    Columns ``company_id, company_name, revenue_leaking, over_billing_risk`` (Decimal); only
    the first ``top`` clients when given.
    """
    money = result.money_by_client()
    at_stake = (money["revenue_leaking"] != ZERO) | (money["over_billing_risk"] != ZERO)
    frame = money.loc[
        at_stake, ["company_id", "company_name", "revenue_leaking", "over_billing_risk"]
    ]
    frame = frame.reset_index(drop=True)
    stake = [
        leak + over
        for leak, over in zip(frame["revenue_leaking"], frame["over_billing_risk"], strict=True)
    ]
    order = sorted(
        range(len(frame)), key=lambda i: (-stake[i], str(frame["company_name"].iat[i]).casefold())
    )
    return frame.iloc[order[:top]].reset_index(drop=True)


def _short_money(value: float, currency: str) -> str:
    symbol, suffix = ("$", "") if currency == "USD" else ("", f" {currency}")
    if abs(value) >= 1000:
        return f"{symbol}{value / 1000:,.1f}k{suffix}"
    return f"{symbol}{value:,.0f}{suffix}"


def _bar_label(leaking: Decimal, over: Decimal, currency: str) -> str:
    if leaking and over:
        leak_text, over_text = format_money(leaking, currency), format_money(over, currency)
        return f"{leak_text} leaking + {over_text} over-billing"
    return format_money(leaking or over, currency)


def money_at_stake_png(
    result: Reconciliation, *, selected: str = "", top: int = CHART_TOP
) -> bytes | None:
    """:func:`money_at_stake` as a stacked horizontal bar chart (PNG); None if nothing is at stake.

    ``selected`` (a company id) is drawn in bold so the picked client stands out.
    """
    everyone = money_at_stake(result)
    if everyone.empty:
        return None
    stake = everyone.iloc[:top]
    currency = result.currency
    names = [chart_label(str(name)) for name in stake["company_name"]]
    leaking = [float(value) for value in stake["revenue_leaking"]]
    over = [float(value) for value in stake["over_billing_risk"]]
    rows = list(range(len(stake)))
    figure, axes = new_figure(9.5, 0.34 * len(stake) + 1.2)
    axes.barh(rows, leaking, height=0.6, color=LEAK_COLOUR, label="Revenue leaking")
    stacked = axes.barh(
        rows, over, left=leaking, height=0.6, color=RISK_COLOUR, label="Over-billing risk"
    )
    labels = [
        chart_label(_bar_label(leak, risk, currency))
        for leak, risk in zip(stake["revenue_leaking"], stake["over_billing_risk"], strict=True)
    ]
    axes.bar_label(stacked, labels=labels, padding=4, fontsize=8, color="#374151")
    axes.set_yticks(rows, names, fontsize=9)
    for label, company_id in zip(axes.get_yticklabels(), stake["company_id"], strict=True):
        if company_id == selected:
            label.set_fontweight("bold")
    axes.invert_yaxis()
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: _short_money(value, currency)))
    axes.set_xlim(0, max(leak + risk for leak, risk in zip(leaking, over, strict=True)) * 1.3)
    axes.tick_params(axis="x", labelsize=8, colors="#4b5563")
    axes.tick_params(axis="y", length=0)
    axes.grid(axis="x", color="#e5e7eb", linewidth=0.8)
    axes.set_axisbelow(True)
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.legend(loc="lower right", fontsize=8, frameon=False)
    shown = (
        f"top {len(stake)} of {len(everyone)} clients"
        if len(everyone) > len(stake)
        else f"{plural(len(stake), 'client')}"
    )
    axes.set_xlabel(
        f"Per month, {month_title(result.period)}: {shown} with money at stake",
        fontsize=8.5,
        color="#4b5563",
    )
    return Chart.from_figure(figure).png


def row_ranges(rows: list[int]) -> str:
    """``[2, 3, 4, 9]`` -> ``"2-4, 9"``: source rows as a person would look them up."""
    ordered = sorted(set(rows))
    spans: list[str] = []
    start = previous = ordered[0]
    for row in [*ordered[1:], None]:
        if row is not None and row == previous + 1:
            previous = row
            continue
        spans.append(str(start) if start == previous else f"{start}-{previous}")
        if row is not None:
            start = previous = row
    return ", ".join(spans)


def evidence_table(result: Reconciliation) -> pd.DataFrame:
    """The source rows behind each line, one row per line, side, file and item."""
    lines = result.lines
    services = {
        str(line_id): service or sku
        for line_id, service, sku in zip(
            lines["line_id"], lines["service_name"], lines["vendor_sku_name"], strict=True
        )
    }
    # One pass per column over the groups, not a frame per group.
    grouped = result.evidence.groupby(["line_id", "side", "source_file", "item"], sort=False)
    quantities = grouped["quantity"].sum()
    source_rows = grouped["source_row"].agg(list)
    rows = [
        {
            "Service": services[str(line_id)],
            "Side": side,
            "Item": item,
            "Quantity": int(quantity),
            "Source file": source_file,
            "Rows": row_ranges(numbers),
        }
        for (line_id, side, source_file, item), quantity, numbers in zip(
            quantities.index, quantities, source_rows, strict=True
        )
    ]
    return pd.DataFrame(
        rows, columns=["Service", "Side", "Item", "Quantity", "Source file", "Rows"]
    )


def money_columns(table: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """Format Decimal money columns of a table for display."""
    shown = table.copy()
    for name in ("Revenue leaking", "Over-billing risk", "At stake"):
        if name in shown:
            shown[name] = shown[name].map(lambda v: format_money(v, currency))
    return shown


def coverage(result: Reconciliation) -> pd.DataFrame:
    """Per input file, what became of every row; ``Accounted`` is True when nothing is lost."""
    table = result.coverage.copy()
    table["accounted"] = table[COVERAGE_OUTCOMES].sum(axis=1) == table["records"]
    return table.rename(columns=lambda c: c.replace("_", " ").capitalize())


def unmapped(result: Reconciliation) -> pd.DataFrame:
    shown = result.unmapped
    return pd.DataFrame(
        {
            "Status": shown["status"].astype(str),
            "Vendor": shown["vendor"],
            "Vendor customer": shown["vendor_customer_name"],
            "Client": shown["company_name"],
            "Vendor SKU": shown["vendor_sku_name"],
            "Quantity": shown["expected_quantity"],
            "Vendor spend": shown["vendor_spend"].map(
                lambda v: "" if v is None else format_money(v, result.currency)
            ),
            "Why": shown["reason"],
        }
    )


# --- the trend over past periods -----------------------------------------------------------

#: Services drawn in the trend chart (the biggest billed revenue first); the rest are summed in
#: the revenue bars only, so the chart stays readable.
TREND_SERVICES = 6
_TREND_COLOURS = ["#1d4ed8", "#c2410c", "#047857", "#6d28d9", "#0891b2", "#be123c"]


@dataclass(frozen=True)
class Trend:
    """A client's billed against used over past periods: a chart, or a sentence saying why not.

    Notebooks show it as is (the chart, or the sentence); the dashboard takes ``png`` and
    ``message``.
    """

    company_name: str
    periods: tuple[str, ...]
    png: bytes | None
    message: str

    def _repr_png_(self) -> bytes | None:
        return self.png

    def _repr_html_(self) -> str | None:
        return None if self.png else f'<p class="{NO_MATH}">{html.escape(self.message)}</p>'

    def __repr__(self) -> str:
        # The plain-text form a notebook stores beside the chart: named, not the PNG's bytes.
        if self.png:
            return f"<trend of {len(self.periods)} periods: PNG image, {len(self.png):,} bytes>"
        return self.message


def client_trend(workspace: str | Path | Workspace, company_id: str, company_name: str) -> Trend:
    """The trend of one client from the workspace's ledger (:meth:`Ledger.billed_vs_used`).

    Parameters
    ----------
    workspace
        The workspace (or its folder) whose ``ledger.sqlite`` holds the recorded runs.
    company_id, company_name
        The client: its PSA company id, and its name as the chart and sentences say it.

    Returns
    -------
    Trend
        The chart over every period with a run, or a sentence when there are fewer than two.
        A workspace whose ledger does not exist yet has no runs: the trend says so, and no
        ledger file is created by looking.
    """
    opened = workspace if isinstance(workspace, Workspace) else Workspace.open(workspace)
    path = ledger_path(opened)
    if not path.exists():
        return trend_of(pd.DataFrame(columns=TREND_COLUMNS), company_name, opened.currency)
    with Ledger.open(path) as ledger:
        history = ledger.billed_vs_used(company_id)
    return trend_of(history, company_name, opened.currency)


def trend_of(history: pd.DataFrame, company_name: str, currency: str = "USD") -> Trend:
    """The trend of :meth:`Ledger.billed_vs_used` rows.

    Parameters
    ----------
    history
        Columns :data:`~workbench.ledger.TREND_COLUMNS`, one row per period and service.
    company_name
        The client, as the chart's title and the sentences name it.
    currency
        Currency of ``billed_revenue``.

    Returns
    -------
    Trend
        Billed (solid) against used (dashed) quantity per service, the biggest
        :data:`TREND_SERVICES` by billed revenue, over billed revenue bars per period. With no
        period or a single one there is nothing to draw a line through: the trend holds a
        sentence saying so instead of a one-point chart.
    """
    periods = tuple(sorted({str(period) for period in history["period"]}))
    if not periods:
        return Trend(
            company_name,
            periods,
            None,
            f"No runs of {company_name} are recorded yet: each `workbench run` records its "
            "period in the ledger, and the trend of billed against used shows from the second.",
        )
    if len(periods) == 1:
        return Trend(
            company_name,
            periods,
            None,
            f"Only {month_title(periods[0])} is recorded for {company_name}: the trend of billed "
            "against used shows once a second period has been run.",
        )
    return Trend(company_name, periods, _trend_png(history, periods, company_name, currency), "")


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _revenue(value: Any) -> Decimal:
    return ZERO if value is None or pd.isna(value) else Decimal(value)


def _trend_png(
    history: pd.DataFrame, periods: tuple[str, ...], company_name: str, currency: str
) -> bytes:
    records = history.to_dict("records")
    revenue_by_service: dict[str, Decimal] = {}
    names: dict[str, str] = {}
    for row in records:
        service = str(row["service_id"])
        names[service] = str(row["service_name"] or service)
        revenue_by_service[service] = revenue_by_service.get(service, ZERO) + _revenue(
            row["billed_revenue"]
        )
    drawn = sorted(revenue_by_service, key=lambda s: (-revenue_by_service[s], names[s].casefold()))
    drawn = drawn[:TREND_SERVICES]
    position = {period: index for index, period in enumerate(periods)}
    labels = [month_title(period).replace(" ", "\n") for period in periods]
    figure = Figure(figsize=(8.5, 6.2), dpi=110)
    FigureCanvasAgg(figure)
    quantities, revenue = figure.subplots(2, 1, sharex=True, height_ratios=[2, 1])
    for colour, service in zip(_TREND_COLOURS, drawn, strict=False):
        rows = sorted(
            (row for row in records if str(row["service_id"]) == service),
            key=lambda row: position[str(row["period"])],
        )
        x = [position[str(row["period"])] for row in rows]
        billed = [_number(row["billed_quantity"]) for row in rows]
        used = [_number(row["used_quantity"]) for row in rows]
        quantities.plot(
            x, billed, marker="o", color=colour, label=chart_label(f"{names[service]}: billed")
        )
        quantities.plot(
            x,
            used,
            marker="x",
            linestyle="--",
            color=colour,
            label=chart_label(f"{names[service]}: used"),
        )
    quantities.set_ylabel("Units")
    quantities.set_title(
        chart_label(f"{company_name}: billed (solid) against used (dashed)"), fontsize=10
    )
    quantities.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1))
    quantities.grid(axis="y", color="#e5e7eb", linewidth=0.8)
    billed_revenue = [
        total(_revenue(row["billed_revenue"]) for row in records if str(row["period"]) == period)
        for period in periods
    ]
    bars = revenue.bar(range(len(periods)), [float(v) for v in billed_revenue], color="#7f8c8d")
    revenue.bar_label(
        bars,
        labels=[chart_label(format_money(v, currency)) for v in billed_revenue],
        fontsize=7.5,
        padding=2,
    )
    revenue.set_ylabel("Billed / month")
    revenue.set_ylim(0, max(float(v) for v in billed_revenue) * 1.25 or 1)
    revenue.yaxis.set_major_formatter(FuncFormatter(lambda value, _: _short_money(value, currency)))
    revenue.set_xticks(range(len(periods)), labels, fontsize=8)
    for axes in (quantities, revenue):
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
    figure.tight_layout()
    return Chart.from_figure(figure).png
