"""The page's shared look: its stylesheet, sections, banners, error messages and buttons.

Every part of the dashboard (:mod:`.scope`, :mod:`.review`, :mod:`.mapping_review`, the app)
draws with these, so the page reads as one.
"""

from __future__ import annotations

import html
from typing import Any, Literal

import ipywidgets as widgets

Tone = Literal["neutral", "good", "warn", "bad"]
DASH = "\u2014"
DOT = " \u00b7 "

STYLE = """
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
.wb-decision-bills { color: #1f2937; font-size: 12.5px; margin: 2px 0; }
.wb-decision-done { font-size: 13px; color: #065f46; font-weight: 600; margin: 2px 0 4px; }
.wb-state-changed ~ .wb-decision-done, [data-state="changed"] .wb-decision-done { color: #92400e; }
</style>
"""


def section_html(title: str, hint: str, body: str) -> str:
    return (
        f'<div class="wb-section"><h3>{html.escape(title)}</h3>'
        + (f'<p class="wb-hint">{html.escape(hint)}</p>' if hint else "")
        + body
        + "</div>"
    )


def error_html(error: Exception, heading: str) -> str:
    return (
        f'<div class="wb-error"><strong>{html.escape(heading)}</strong> '
        f"{html.escape(str(error))}</div>"
    )


def banner_html(text: str, tone: Tone, heading: str = "") -> str:
    strong = f"<strong>{html.escape(heading)}</strong> " if heading else ""
    return f'<div class="wb-banner wb-tone-{tone}">{strong}{html.escape(text)}</div>'


def action_button(text: str, css_class: str, style: str = "") -> widgets.Button:
    button = widgets.Button(description=text, button_style=style).add_class(css_class)
    button.layout.width = "auto"
    return button


def descendants(widget: Any) -> list[Any]:
    return [
        widget,
        *(each for child in getattr(widget, "children", ()) for each in descendants(child)),
    ]


def close_all(widget: Any) -> None:
    """Close a widget and everything inside it, so replaced cards do not pile up in the kernel."""
    for child in getattr(widget, "children", ()):
        close_all(child)
    widget.close()
