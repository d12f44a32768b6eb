"""Names from the inputs are shown as written and never run: pages, notebooks, charts, dashboard.

The hostile workspace is ``demo/workspace`` copied, with five names in its inputs rewritten and
nothing else changed:

==================================  ================  =========================================
input                               was               becomes (shown in)
==================================  ================  =========================================
Autotask ``Companies.csv``          Bluewater         :data:`COMPANY` (both pages, both charts,
(company 29600107)                  Logistics         the dashboard)
Autotask ``Services.csv``           Managed           :data:`SERVICE` (Bluewater's page and
                                    workstation       chart: its over-billed line)
Huntress ``organizations.csv``      Juniper           :data:`ORGANIZATION` (portfolio and
(the one unmapped organization)     Pediatrics PLLC   dashboard: unmapped customer)
SentinelOne ``sites.csv`` SKU       Complete          :data:`SKU` (portfolio and dashboard:
                                                      unmapped SKU)
Huntress file name                  organizations     :data:`FILE` (coverage, evidence)
==================================  ================  =========================================

The batch runs Bluewater alone (and the portfolio), then Chromium opens both pages from disk.
Before these names were escaped, the ``$\\x$`` in the company name stopped both notebooks with a
mathtext parse error, and the ``<img ... onerror=alert(n)>`` names raised dialogs.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import DEMO, PERIOD
from tests.test_dashboard import CHROMIUM, CHROMIUM_ARGS, voila_server
from workbench.batch import BatchRun, run_batch
from workbench.dashboard import DISCREPANCY_TABLE_CLASS, UNMAPPED_TABLE_CLASS, month_title
from workbench.ledger import TREND_COLUMNS
from workbench.views import Heading, chart_label, new_figure, show, trend_of

COMPANY = "Bluewater <img src=x onerror=alert(3)> $\\x$ *bold* [a](javascript:alert(4))"
COMPANY_ID = "29600107"
SERVICE = '=HYPERLINK("http://x") <script>alert(5)</script> $x$'
ORGANIZATION = "<script>alert(1)</script>"
SKU = "<img src=x onerror=alert(2)>"
FILE = "<img src=x onerror=alert(6)>.csv"
INPUTS = Path("periods") / PERIOD / "inputs"
FILE_SHOWN = f"{(INPUTS / 'huntress' / FILE).as_posix()}"

#: Names each page shows, as text a reader sees.
PORTFOLIO_NAMES = [COMPANY, ORGANIZATION, SKU, FILE_SHOWN]
CLIENT_NAMES = [f"{COMPANY}, {PERIOD}", SERVICE, FILE_SHOWN]


def _rename(path: Path, column: str, old: str, new: str) -> None:
    """Rewrite one column's value ``old`` to ``new`` in a CSV, every other byte's meaning kept."""
    with path.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    hits = [row for row in rows if row[column] == old]
    assert hits, f"{old!r} is not in {path.name} column {column}"
    for row in hits:
        row[column] = new
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def hostile_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workspace = tmp_path_factory.mktemp("hostile") / "workspace"
    shutil.copytree(DEMO, workspace)
    subprocess.run(["chmod", "-R", "u+w", str(workspace)], check=True)
    inputs = workspace / INPUTS
    _rename(inputs / "autotask" / "Companies.csv", "companyName", "Bluewater Logistics", COMPANY)
    _rename(inputs / "autotask" / "Services.csv", "name", "Managed workstation", SERVICE)
    organizations = inputs / "huntress" / "organizations.csv"
    _rename(organizations, "name", "Juniper Pediatrics PLLC", ORGANIZATION)
    _rename(inputs / "sentinelone" / "sites.csv", "SKU", "Complete", SKU)
    organizations.rename(organizations.with_name(FILE))
    return workspace


@pytest.fixture(scope="module")
def hostile_batch(hostile_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> BatchRun:
    batch = run_batch(
        hostile_workspace,
        PERIOD,
        tmp_path_factory.mktemp("outputs"),
        jobs=1,
        only=[COMPANY_ID],
        progress=lambda _: None,
    )
    assert batch.ok, [run.error for run in batch.clients] + [batch.portfolio_error]
    assert [run.client for run in batch.clients] == [COMPANY]
    return batch


def _pages(batch: BatchRun) -> dict[str, tuple[Path, list[str]]]:
    return {
        "portfolio": (batch.folder / "portfolio.html", PORTFOLIO_NAMES),
        "client": (batch.clients[0].folder / "reconciliation.html", CLIENT_NAMES),
    }


def test_pages_escape_every_name_and_load_nothing(hostile_batch: BatchRun) -> None:
    for path, names in _pages(hostile_batch).values():
        page = path.read_text(encoding="utf-8")
        assert "<script" not in page  # no page script, no name's
        assert "<img src=x" not in page
        for attribute in ("src=", "href=", "url(", "@import"):
            for remote in ("http:", "https:", "//"):
                assert f'{attribute}"{remote}' not in page and f"{attribute}{remote}" not in page
        # Each name is a text of the page as a browser reads it (however its quotes are
        # written: ``&#34;`` by pandas' Styler, ``"`` elsewhere), never markup.
        shown = _texts(page)
        for name in names:
            assert any(name in text for text in shown), (path.name, name)


class _PageText(HTMLParser):
    """The text between a page's tags, character references read as a browser reads them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.texts.append(data)


def _texts(page: str) -> list[str]:
    """A page's texts (:class:`_PageText`)."""
    parser = _PageText()
    parser.feed(page)
    parser.close()
    return parser.texts


def test_notebook_outputs_hold_names_only_escaped(hostile_batch: BatchRun) -> None:
    notebooks = [
        hostile_batch.folder / "portfolio.ipynb",
        hostile_batch.clients[0].folder / "reconciliation.ipynb",
    ]
    kinds: set[str] = set()
    for notebook in notebooks:
        book = json.loads(notebook.read_text(encoding="utf-8"))
        for cell in book["cells"]:
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                kinds.update(data)
                shown = "".join(data.get("text/html", ""))
                assert "<script" not in shown and "<img" not in shown, notebook.name
    # Markdown would read *bold* and [a](javascript:...) as markup: no output is Markdown.
    assert "text/markdown" not in kinds and {"text/html", "image/png"} <= kinds


@pytest.mark.browser
def test_chromium_shows_the_pages_names_literally_with_no_dialog_and_no_request(
    hostile_batch: BatchRun,
) -> None:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"Chromium is missing at {CHROMIUM} (set WORKBENCH_CHROMIUM)"
    dialogs: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.on("request", lambda request: requests.append(request.url))
            for path, names in _pages(hostile_batch).values():
                page.goto(path.as_uri(), wait_until="load")
                text = page.inner_text("body")
                for name in names:
                    assert name in text, (path.name, name)
                assert page.locator("script").count() == 0
                images = page.locator("img")
                assert images.count() == 1  # the page's one chart, no name's <img>
                assert (images.first.get_attribute("src") or "").startswith("data:image/png")
                assert images.first.evaluate("image => image.naturalWidth") > 0
        finally:
            browser.close()
    assert dialogs == []
    assert [url for url in requests if not url.startswith(("file:", "data:"))] == []


@pytest.mark.browser
def test_the_dashboard_shows_names_literally_with_no_dialog(hostile_workspace: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    dialogs: list[str] = []
    with (
        voila_server(
            hostile_workspace.parent / "voila.log", WORKBENCH_WORKSPACE=str(hostile_workspace)
        ) as url,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(url, timeout=120_000)
            expect(page.locator(".wb-tile")).to_have_count(4, timeout=120_000)
            expect(page.locator(".wb-error")).to_have_count(0)
            page.locator(".wb-period select").select_option(label=month_title(PERIOD))
            unmapped = page.locator(f"table.{UNMAPPED_TABLE_CLASS}")
            expect(unmapped).to_contain_text(ORGANIZATION, timeout=60_000)
            expect(unmapped).to_contain_text(SKU)
            expect(page.locator(".wb-review-name", has_text=ORGANIZATION)).to_have_count(1)
            expect(page.locator(f"table.{DISCREPANCY_TABLE_CLASS}")).to_contain_text(COMPANY)

            page.locator(".wb-client select").select_option(label=COMPANY)
            prepare = page.locator("button.wb-prepare-workbook")
            expect(prepare).to_have_text(f"Prepare workbook: {COMPANY}", timeout=60_000)
            discrepancies = page.locator(f"table.{DISCREPANCY_TABLE_CLASS}")
            expect(discrepancies).to_contain_text(SERVICE)
            expect(page.locator(".wb-section h3").first).to_contain_text(COMPANY)
            expect(page.locator(".wb-trend-message")).to_contain_text(f"No runs of {COMPANY}")
            assert page.locator('img[src="x"]').count() == 0
            assert not page.evaluate(
                "() => Array.from(document.scripts).some(s => s.text.includes('alert('))"
            )
        finally:
            browser.close()
    assert dialogs == []


# --- the pieces, on their own ------------------------------------------------------------


def test_a_table_escapes_its_text_and_keeps_numbers() -> None:
    table = pd.DataFrame({"Client": [ORGANIZATION], "Lines": [3]})

    shown = show(table).to_html()

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown and "<script>" not in shown
    assert ">3</td>" in shown


def test_a_heading_is_escaped_html_not_markdown() -> None:
    heading = Heading(f"{COMPANY}, {PERIOD}")

    assert heading._repr_html_() == (
        '<h2 class="tex2jax_ignore mathjax_ignore">Bluewater &lt;img src=x onerror=alert(3)&gt; '
        "$\\x$ *bold* [a](javascript:alert(4)), 2026-10</h2>"
    )


@pytest.mark.parametrize("name", ["$x$", "$\\x$", "a \\$ b $", "$$", "Acme Dental"])
def test_a_chart_draws_a_name_as_written(name: str) -> None:
    figure, _ = new_figure(6, 1)
    drawn = figure.text(0, 0, chart_label(name))
    plain = figure.text(0, 0.5, name, parse_math=False)  # the name as plain characters

    figure.canvas.draw()

    assert drawn.get_window_extent().width == plain.get_window_extent().width


def test_a_trend_of_hostile_names_draws() -> None:
    history = pd.DataFrame(
        [
            (period, "S1", f"{SERVICE} $\\x$", Decimal(3), Decimal(4), Decimal("29.50"))
            for period in ("2026-09", PERIOD)
        ],
        columns=TREND_COLUMNS,
    )

    trend = trend_of(history, COMPANY)

    assert (trend.png or b"").startswith(b"\x89PNG") and trend._repr_html_() is None
