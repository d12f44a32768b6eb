"""Dashboard: a Voila face on a period's reconciliation, its review, and the mapping review.

One call, :func:`build_dashboard`, returns the whole app as an ipywidgets widget: a period and a
client picker, four KPI tiles, a chart of money at stake by client, the review of the lines that
need a decision, the selected scope's discrepancy table, unmapped vendor lines, the mapping
review, a client's trend over past periods and the scope's workbook, built when the person asks
for it.

Modules, by what they show:

``scope``
    The scope summary: KPI tiles, the verdict, the discrepancy and unmapped tables of the
    period or of the client picked.
``review``
    The lines that need a decision, and the buttons that decide them.
``mapping_review``
    The vendor customers and SKUs nobody has mapped, and the buttons that map them.
``workbook``
    The scope's workbook, built on request with the decisions made so far.
``app``
    The pickers, the caches of a period (:func:`period_inputs`, :func:`period_result`,
    :func:`forget_results`) and :func:`build_dashboard`, which puts the parts on one page.
``page``
    The look every part shares: stylesheet, sections, banners, buttons.
``server``
    ``workbench dashboard``: Voila's server with logins (or a token for one person), the
    signed-in login passed to each page's kernel, pages culled and capped, HTTPS. Imported only
    by the command, never by a page.

Everything shown is rendered by plain functions of a :class:`~workbench.reconcile.Reconciliation`
(:func:`kpi_tiles`, :func:`scope_verdict`, :func:`discrepancy_table_html`,
:func:`mapping_review`, ...), so tests check the figures without a browser; the widget classes
only wire pickers and buttons to those functions.

The dashboard changes two things, as the page's login (:mod:`workbench.logins`) when it has
one. The review's buttons save decisions in the workspace's ledger (:mod:`workbench.ledger`), one
short write per click. The mapping review's buttons save ``mappings.xlsx`` through
:mod:`workbench.mapping_edits` (previous version kept, the change recorded in the ledger), then
the period is reconciled again and every figure on the page refreshes.
"""

from workbench.dashboard.app import (
    ALL_CLIENTS,
    build_dashboard,
    forget_results,
    period_catalogue,
    period_inputs,
    period_result,
)
from workbench.dashboard.mapping_review import (
    MAPPING_WARNING_CLASS,
    REVIEW_CLASS,
    REVIEW_MESSAGE_CLASS,
    Choice,
    CustomerToMap,
    MappingReview,
    SkuToMap,
    mapping_review,
)
from workbench.dashboard.scope import (
    DISCREPANCY_TABLE_CLASS,
    UNMAPPED_TABLE_CLASS,
    Tile,
    discrepancy_lines,
    discrepancy_table_html,
    kpi_tiles,
    scope_verdict,
    unmapped_table_html,
)
from workbench.dashboard.workbook import (
    workbook_file_name,
    workbook_link_html,
    workbook_with_decisions,
)
from workbench.money import format_share
from workbench.views import money_at_stake, money_at_stake_png, month_title

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
