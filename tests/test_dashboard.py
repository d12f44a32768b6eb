"""The dashboard: its figures from a tiny known reconciliation, then the real app in a browser.

The tiny reconciliation (period 2026-10, USD) has three clients and two unmapped vendor lines:

============  ==============================  ======  ====  ======  =================  ===========
client        service                         billed  used   price  status                  impact
============  ==============================  ======  ====  ======  =================  ===========
Acme Dental   Microsoft 365 Business Premium      10    12   22.00  under-billed            +44.00
Acme Dental   Managed Workstation                 20    20   45.00  match
Acme Dental   Huntress EDR                        25    20    4.50  over-billed             -22.50
Acme Dental   Offsite Backup                       1     -  150.00  not reconciled
Birch Law     Microsoft 365 Business Premium       5     5   22.00  match
Birch Law     Huntress EDR                         0     3    4.50  unbilled usage          +13.50
Birch Law     (vendor SKU Huntress SAT)            -     7       -  unmapped SKU       spend 14.00
Cedar Clinic  Offsite Backup                       2     -  150.00  not reconciled
Cedar Clinic  Firewall Management                  1     -   80.00  not reconciled
(Zeta LLC)    (vendor SKU Microsoft 365 E3)        -     4       -  unmapped customer  spend 88.00
============  ==============================  ======  ====  ======  =================  ===========

So for all clients: revenue leaking $57.50, over-billing risk $22.50, unmapped spend $102.00,
billed $1,872.50 of which $1,342.50 was compared with usage (71.69...%, shown as 71.6%).
Cedar Clinic had nothing checked at all.

The browser test drives ``notebooks/dashboard.ipynb`` under the real server (``workbench
dashboard``, Voila) against the demo workspace (the shared ``demo_result`` fixture supplies the
expectation), with headless Chromium, opening the token URL the server prints for one person
(the session's ``demo_dashboard``, see ``tests/conftest.py``); it fails, never skips, when
Chromium or the demo workspace is missing. :func:`voila_server`, :func:`chromium` and
:func:`sign_in` are shared by every browser test of the dashboard.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import psutil
import pytest

from tests.builders import reconciliation_line
from tests.conftest import DEMO, TEAM_PASSWORD, Dashboard
from workbench.batch import folder_name
from workbench.dashboard import (
    DISCREPANCY_TABLE_CLASS,
    UNMAPPED_TABLE_CLASS,
    build_dashboard,
    discrepancy_lines,
    discrepancy_table_html,
    format_share,
    kpi_tiles,
    money_at_stake,
    money_at_stake_png,
    month_title,
    scope_verdict,
    unmapped_table_html,
    workbook_file_name,
)
from workbench.money import ZERO, format_money
from workbench.result import (
    COVERAGE_COLUMNS,
    EVIDENCE_COLUMNS,
    EXCLUDED_COLUMNS,
    LINE_COLUMNS,
    Reconciliation,
    Status,
)

REPOSITORY = Path(__file__).resolve().parents[1]
NOTEBOOK = REPOSITORY / "notebooks" / "dashboard.ipynb"
CHROMIUM = os.environ.get("WORKBENCH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

MATCH_COLUMNS = [
    "vendor",
    "customer_key",
    "customer_name",
    "company_id",
    "company_name",
    "method",
    "note",
]

REVENUE_LEAKING = Decimal("57.50")
OVER_BILLING_RISK = Decimal("22.50")
UNMAPPED_SPEND = Decimal("102.00")
ACME_NON_MATCH = 3  # under-billed, over-billed, not reconciled


def _line(
    status: Status, company: tuple[str, str], service: tuple[str, str], **values: Any
) -> dict[str, Any]:
    (company_id, company_name), (service_id, service_name) = company, service
    return reconciliation_line(
        values.pop("line_id", f"{company_id}:{service_id}"),
        status,
        company_id=company_id,
        company_name=company_name,
        service_id=service_id,
        service_name=service_name,
        **values,
    )


ACME = ("C1", "Acme Dental")
BIRCH = ("C2", "Birch Law")
CEDAR = ("C3", "Cedar Clinic")
M365 = ("S-M365", "Microsoft 365 Business Premium")
RMM = ("S-RMM", "Managed Workstation")
EDR = ("S-EDR", "Huntress EDR")
BACKUP = ("S-BKP", "Offsite Backup")
FIREWALL = ("S-FW", "Firewall Management")
NO_SOURCE = "no usage source is mapped to this service"


def _money(text: str) -> Decimal:
    return Decimal(text)


@pytest.fixture
def tiny() -> Reconciliation:
    price, edr = _money("22.00"), _money("4.50")
    lines = [
        _line(
            Status.UNDER_BILLED,
            ACME,
            M365,
            billed_quantity=10,
            expected_quantity=12,
            difference=2,
            unit_price=price,
            revenue_impact=_money("44.00"),
            reason="Microsoft shows 12; the contract bills 10",
        ),
        _line(
            Status.MATCH,
            ACME,
            RMM,
            billed_quantity=20,
            expected_quantity=20,
            difference=0,
            unit_price=_money("45.00"),
        ),
        _line(
            Status.OVER_BILLED,
            ACME,
            EDR,
            billed_quantity=25,
            expected_quantity=20,
            difference=-5,
            unit_price=edr,
            revenue_impact=_money("-22.50"),
            reason="Huntress shows 20; the contract bills 25",
        ),
        _line(
            Status.NOT_RECONCILED,
            ACME,
            BACKUP,
            billed_quantity=1,
            unit_price=_money("150.00"),
            reason=NO_SOURCE,
        ),
        _line(
            Status.MATCH,
            BIRCH,
            M365,
            billed_quantity=5,
            expected_quantity=5,
            difference=0,
            unit_price=price,
        ),
        _line(
            Status.UNBILLED_USAGE,
            BIRCH,
            EDR,
            expected_quantity=3,
            difference=3,
            unit_price=edr,
            revenue_impact=_money("13.50"),
            reason="Huntress shows 3; the contract bills 0: used but not on the contract",
        ),
        _line(
            Status.UNMAPPED_SKU,
            BIRCH,
            ("", ""),
            line_id="unmapped-sku:C2:huntress:SAT",
            vendor="huntress",
            vendor_sku="SAT",
            vendor_sku_name="Huntress SAT learners",
            expected_quantity=7,
            vendor_spend=_money("14.00"),
            reason="Huntress SKU is not mapped to a PSA service",
        ),
        _line(
            Status.NOT_RECONCILED,
            CEDAR,
            BACKUP,
            billed_quantity=2,
            unit_price=_money("150.00"),
            reason=NO_SOURCE,
        ),
        _line(
            Status.NOT_RECONCILED,
            CEDAR,
            FIREWALL,
            billed_quantity=1,
            unit_price=_money("80.00"),
            reason=NO_SOURCE,
        ),
        _line(
            Status.UNMAPPED_CUSTOMER,
            ("", ""),
            ("", ""),
            line_id="unmapped:microsoft:Z9:SPE_E3",
            vendor="microsoft",
            vendor_customer_key="Z9",
            vendor_customer_name="Zeta LLC",
            vendor_sku="SPE_E3",
            vendor_sku_name="Microsoft 365 E3",
            expected_quantity=4,
            vendor_spend=_money("88.00"),
            reason="Microsoft customer is not mapped to a PSA company",
        ),
    ]
    frame = pd.DataFrame.from_records(lines, columns=LINE_COLUMNS)
    frame["billed_quantity"] = frame["billed_quantity"].astype("int64")
    for column in ("expected_quantity", "difference"):
        frame[column] = frame[column].astype("Int64")
    clients = pd.DataFrame.from_records(
        [ACME, BIRCH, CEDAR], columns=["company_id", "company_name"]
    )
    return Reconciliation(
        period="2026-10",
        currency="USD",
        lines=frame,
        evidence=pd.DataFrame(columns=EVIDENCE_COLUMNS),
        coverage=pd.DataFrame(columns=COVERAGE_COLUMNS),
        excluded=pd.DataFrame(columns=EXCLUDED_COLUMNS),
        clients=clients,
        customer_matches=pd.DataFrame.from_records(
            [
                ("microsoft", "T1", "Acme Dental", "C1", "Acme Dental", "id", ""),
                ("microsoft", "Z9", "Zeta LLC", "", "", "unmapped", ""),
            ],
            columns=MATCH_COLUMNS,
        ),
    )


# --- fast: the figures -------------------------------------------------------------------


def test_kpi_tiles_show_the_summary_for_all_clients(tiny: Reconciliation) -> None:
    summary = tiny.summary()
    tiles = kpi_tiles(tiny)

    assert [tile.label for tile in tiles] == [
        "Revenue leaking / month",
        "Over-billing risk / month",
        "Unmapped vendor spend",
        "Coverage",
    ]
    assert [tile.value for tile in tiles] == [
        format_money(summary.revenue_leaking),
        format_money(summary.over_billing_risk),
        format_money(summary.unmapped_spend),
        format_share(summary.checked_revenue, summary.billed_revenue),
    ]
    assert [tile.value for tile in tiles] == ["$57.50", "$22.50", "$102.00", "71.6%"]
    assert (summary.revenue_leaking, summary.over_billing_risk, summary.unmapped_spend) == (
        REVENUE_LEAKING,
        OVER_BILLING_RISK,
        UNMAPPED_SPEND,
    )
    assert tiles[0].note == "2 lines under-billed or used but not on the contract"
    assert tiles[2].note == "2 vendor lines not mapped to a client or service"
    assert (
        tiles[3].note
        == "$1,342.50 of $1,872.50 billed checked against usage; 3 lines not reconciled"
    )


def test_kpi_tiles_for_one_client(tiny: Reconciliation) -> None:
    tiles = kpi_tiles(tiny.for_client("C1"))

    assert [tile.value for tile in tiles] == ["$44.00", "$22.50", "$0.00", "89.1%"]
    assert [tile.tone for tile in tiles] == ["bad", "warn", "good", "warn"]


def test_a_client_with_nothing_checked_is_never_shown_clean(tiny: Reconciliation) -> None:
    cedar = tiny.for_client("C3")
    tiles = kpi_tiles(cedar)
    text, tone = scope_verdict(cedar, "Cedar Clinic")

    assert [tile.value for tile in tiles] == ["Not checked", "Not checked", "$0.00", "0%"]
    assert tiles[0].note == "no line was compared with usage (2 lines not reconciled)"
    assert tone == "bad"
    assert text.startswith("Nothing was checked for Cedar Clinic: all 2 lines are not reconciled")


def test_verdicts_name_what_was_found_and_what_was_not_checked(tiny: Reconciliation) -> None:
    assert scope_verdict(tiny.for_client("C1"), "Acme Dental") == (
        "Acme Dental: 2 discrepancies \u2014 $44.00 revenue leaking and $22.50 over-billing risk "
        "per month. 1 line could not be checked (not reconciled).",
        "bad",
    )


def test_coverage_share_rounds_down_so_almost_all_is_not_all() -> None:
    assert format_share(Decimal("999.99"), Decimal("1000.00")) == "99.9%"
    assert format_share(Decimal("1000.00"), Decimal("1000.00")) == "100%"
    assert format_share(Decimal("0.01"), Decimal("1000.00")) == "<0.1%"
    assert format_share(ZERO, ZERO) == "\u2014"


def test_discrepancy_table_lists_a_clients_non_match_lines_biggest_first(
    tiny: Reconciliation,
) -> None:
    acme = tiny.for_client("C1")
    lines = discrepancy_lines(acme)
    table = discrepancy_table_html(acme)

    assert list(lines["line_id"]) == ["C1:S-M365", "C1:S-EDR", "C1:S-BKP"]
    assert len(lines) == ACME_NON_MATCH
    assert f'class="wb-table {DISCREPANCY_TABLE_CLASS}"' in table
    assert re.findall(r'data-line-id="([^"]+)"', table) == list(lines["line_id"])
    assert ">+$44.00<" in table and ">-$22.50<" in table and ">-5<" in table
    assert "C1:S-RMM" not in table  # the match


def test_unmapped_lines_have_their_own_table_for_all_clients(tiny: Reconciliation) -> None:
    table = unmapped_table_html(tiny)
    everything = discrepancy_table_html(tiny, all_clients=True)

    assert re.findall(r'data-line-id="([^"]+)"', table) == [
        "unmapped:microsoft:Z9:SPE_E3",  # $88.00 before $14.00
        "unmapped-sku:C2:huntress:SAT",
    ]
    assert f"{UNMAPPED_TABLE_CLASS}" in table and "Zeta LLC" in table and "$88.00" in table
    assert "unmapped" not in " ".join(re.findall(r'data-line-id="([^"]+)"', everything))
    assert "<th>Client</th>" in everything.replace(' class=""', "")


def test_table_cells_are_escaped(tiny: Reconciliation) -> None:
    lines = tiny.lines.copy()
    lines.loc[0, "service_name"] = "<b>365</b> & more"
    risky = dataclasses.replace(tiny, lines=lines)

    table = discrepancy_table_html(risky.for_client("C1"))

    assert "&lt;b&gt;365&lt;/b&gt; &amp; more" in table and "<b>365" not in table


def test_money_at_stake_ranks_clients_and_draws_a_png(tiny: Reconciliation) -> None:
    stake = money_at_stake(tiny)

    assert list(stake["company_name"]) == ["Acme Dental", "Birch Law"]
    assert list(stake["revenue_leaking"]) == [Decimal("44.00"), Decimal("13.50")]
    assert list(stake["over_billing_risk"]) == [Decimal("22.50"), ZERO]
    assert (money_at_stake_png(tiny, selected="C1") or b"").startswith(b"\x89PNG")
    assert money_at_stake_png(tiny.for_client("C3")) is None


def test_workbook_file_name_keeps_the_client_readable() -> None:
    """The batch's name for the same workbook, in the client's folder."""
    assert workbook_file_name("Acme Dental Group", "2026-10") == "Acme Dental Group - 2026-10.xlsx"
    assert workbook_file_name("All clients", "2026-10") == "All clients - 2026-10.xlsx"
    assert workbook_file_name('A/B: "Law" Partners', "2026-10") == "A B Law Partners - 2026-10.xlsx"
    law = 'A/B: "Law" Partners'
    assert workbook_file_name(law, "2026-10") == f"{folder_name(law)} - 2026-10.xlsx"


def test_a_missing_workspace_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    app = build_dashboard(tmp_path / "nowhere")

    message = app.children[-1].value
    assert "is not a workspace: workspace.toml is missing" in message
    assert 'class="wb-error"' in message


# --- browser: the real app under Voila ----------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _printed_url(server: subprocess.Popen[bytes], log: Path, timeout: float = 90) -> str:
    """The URL the server prints once it listens (``Dashboard: <url>``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        printed = re.search(r"^Dashboard: (\S+)$", log.read_text(errors="replace"), re.MULTILINE)
        if printed:
            return printed.group(1)
        if server.poll() is not None:
            raise AssertionError(
                f"the server exited with {server.returncode}:\n{log.read_text()[-3000:]}"
            )
        time.sleep(0.25)
    raise AssertionError(f"no URL within {timeout}s:\n{log.read_text()[-3000:]}")


@contextmanager
def voila_server(log: Path, *options: str, **environment: str) -> Iterator[str]:
    """The real dashboard server (``workbench dashboard``): yields the URL it prints, stops it
    after (its kernels with it).

    ``options`` are the command's (``--users FILE``, ``--pages 3``, ...); without ``--users``
    the URL carries the token that signs one person in. ``environment`` adds variables:
    ``WORKBENCH_WORKSPACE`` picks the workspace (default: the demo), ``JUPYTER_CONFIG_DIR`` a
    folder whose voila.json adds settings. PYTHONPATH stands in for installing the package.
    """
    workspace = environment.pop("WORKBENCH_WORKSPACE", str(DEMO))
    variables = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")])
        ),
        **environment,
    }
    with log.open("wb") as output:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "workbench.cli",
                "dashboard",
                "--workspace",
                workspace,
                "--port",
                str(_free_port()),
                *options,
            ],
            cwd=REPOSITORY,
            env=variables,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield _printed_url(server, log)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=5)


def server_kernels(url: str) -> set[str]:
    """The ids of the kernels the server at ``url`` runs now: its child processes running
    ``ipykernel_launcher`` with the kernel's connection file ``kernel-<id>.json``."""
    port = str(urlsplit(url).port)
    servers = [
        process
        for process in psutil.process_iter(["cmdline"])
        if "workbench.cli" in (process.info["cmdline"] or [])
        and port in (process.info["cmdline"] or [])
    ]
    assert len(servers) == 1, f"{len(servers)} servers on port {port}"
    ids = set()
    for child in servers[0].children(recursive=True):
        try:
            found = re.search(r"kernel-([\w-]+)\.json", " ".join(child.cmdline()))
        except psutil.NoSuchProcess:
            continue  # a kernel stopping as we look
        if found:
            ids.add(found.group(1))
    return ids


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 180) -> None:
    """Wait for a state, never for a duration: fails saying ``what`` was awaited."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not {what} after {timeout}s")
        time.sleep(0.25)


@contextmanager
def chromium(url: str) -> Iterator[Any]:
    """Headless Chromium for the dashboard served at ``url``.

    After, every page is left for a blank one (its close beacon, sent before it unloads, stops
    its kernel; closing a page of ``browser.new_page`` would close its context before the
    beacon went) and the server is back to its preheated kernel alone, so a server shared by
    several tests hands each the same state (a page left so would be culled after a minute, and
    count towards the cap).
    """
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"Chromium is missing at {CHROMIUM} (set WORKBENCH_CHROMIUM)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            try:
                for context in browser.contexts:
                    for page in context.pages:
                        page.goto("about:blank")
                wait_until(lambda: len(server_kernels(url)) <= 1, "only the preheated kernel left")
            finally:
                browser.close()


def sign_in(page: Any, url: str, login: str, password: str = TEAM_PASSWORD) -> None:
    """Open the dashboard as a login of the team (``team_users``): the sign-in page (unless
    the page's browser context signed in already), then the dashboard once its tiles show."""
    from playwright.sync_api import expect

    page.goto(url, timeout=120_000)
    if page.locator("input[name=username]").count():
        page.locator("input[name=username]").fill(login)
        page.locator("input[name=password]").fill(password)
        page.locator("button[type=submit]").click()
    expect(page.locator(".wb-tile")).to_have_count(4, timeout=180_000)


def _screenshot(page: Any, path: Path) -> None:
    """The whole dashboard: Voila scrolls inside its own panel, so grow the viewport to fit."""
    height = page.evaluate(
        "() => Math.max(...Array.from("
        "document.querySelectorAll('body, body *'), element => element.scrollHeight))"
    )
    page.set_viewport_size({"width": 1280, "height": min(int(height) + 40, 8000)})
    page.screenshot(path=path, full_page=True)


def _client_to_check(result: Reconciliation) -> tuple[str, str]:
    """Of the clients with a discrepancy, the one with the most non-match lines (then by name)."""
    lines = result.lines[result.lines["company_id"] != ""]
    non_match = lines[lines["status"] != Status.MATCH]
    with_discrepancy = set(result.adjustments["company_id"])
    counts = (
        non_match[non_match["company_id"].isin(with_discrepancy)]
        .groupby(["company_id", "company_name"])
        .size()
    )
    assert not counts.empty, "the demo workspace has no discrepancies to show"
    ranked = counts.reset_index(name="lines").sort_values(
        ["lines", "company_name"], ascending=[False, True]
    )
    return str(ranked["company_id"].iat[0]), str(ranked["company_name"].iat[0])


@pytest.mark.browser
def test_dashboard_in_voila_shows_a_clients_discrepancies(
    tmp_path: Path, demo_result: Reconciliation, demo_dashboard: Dashboard
) -> None:
    from playwright.sync_api import expect

    result = demo_result  # the expectation is computed, never typed in
    period = result.period
    company_id, company_name = _client_to_check(result)
    expected = discrepancy_lines(result.for_client(company_id))

    page = demo_dashboard.browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(demo_dashboard.url, timeout=120_000)
    expect(page.locator(".wb-tile")).to_have_count(4, timeout=120_000)
    expect(page.locator(".wb-error")).to_have_count(0)
    page.locator(".wb-period select").select_option(label=month_title(period))
    expect(page.locator(".wb-tile-value").first).to_have_text(
        format_money(result.summary().revenue_leaking, result.currency)
    )

    page.locator(".wb-client select").select_option(label=company_name)
    prepare = page.locator("button.wb-prepare-workbook")
    expect(prepare).to_have_text(f"Prepare workbook: {company_name}", timeout=60_000)
    link = page.locator("a.wb-download")
    expect(link).to_have_count(0)  # no workbook is built before it is asked for
    prepare.click()
    expect(link).to_have_attribute(
        "download", workbook_file_name(company_name, period), timeout=60_000
    )
    rows = page.locator(f"table.{DISCREPANCY_TABLE_CLASS} tbody tr")
    expect(rows).to_have_count(len(expected))
    for line in expected.to_dict("records"):
        row = page.locator(f'table.{DISCREPANCY_TABLE_CLASS} tr[data-line-id="{line["line_id"]}"]')
        service = str(line["service_name"] or line["vendor_sku_name"] or line["vendor_sku"])
        expect(row).to_contain_text(service)
        expect(row.locator(".wb-pill")).to_have_text(str(line["status"]))

    download = link.get_attribute("download") or ""
    assert company_name in download and period in download
    href = link.get_attribute("href") or ""
    assert href.startswith(
        "data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;base64,"
    )
    assert base64.b64decode(href.split(",", 1)[1]).startswith(b"PK")  # an xlsx is a zip
    # For one client its own lines lead the page, ahead of the chart.
    expect(page.locator(".wb-section h3").first).to_contain_text(f"\u2014 {company_name},")
    _screenshot(page, tmp_path / "dashboard.png")


def _flatten(widget: Any) -> list[Any]:
    return [
        widget,
        *(each for child in getattr(widget, "children", ()) for each in _flatten(child)),
    ]


@pytest.fixture
def tiny_workspace(tmp_path: Path, tiny: Reconciliation, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace with one period whose reconciliation is the tiny one."""
    (tmp_path / "periods" / "2026-10" / "inputs").mkdir(parents=True)
    (tmp_path / "workspace.toml").write_text('[workspace]\nname = "Tiny MSP"\n', encoding="utf-8")
    monkeypatch.setattr("workbench.dashboard.app.period_result", lambda workspace, period: tiny)
    return tmp_path


def test_picking_a_client_refills_tiles_table_and_download(tiny_workspace: Path) -> None:
    app = build_dashboard(tiny_workspace)
    parts = _flatten(app)
    client = next(w for w in parts if getattr(w, "description", "") == "Client")
    period = next(w for w in parts if getattr(w, "description", "") == "Period")

    def html_of(css: str) -> list[str]:
        values = [str(getattr(w, "value", "")) for w in _flatten(app)]
        return [value for value in values if css in value and "<style>" not in value]

    assert period.options == (("October 2026", "2026-10"),)
    assert client.options[0] == ("All clients", "")
    assert [label for label, _ in client.options[1:]] == [
        "Acme Dental",
        "Birch Law",
        "Cedar Clinic",
    ]
    assert ">$57.50<" in html_of("wb-tile")[0]

    client.value = "C1"

    assert ">$44.00<" in html_of("wb-tile")[0]
    table = html_of(DISCREPANCY_TABLE_CLASS)[0]
    assert re.findall(r'data-line-id="([^"]+)"', table) == ["C1:S-M365", "C1:S-EDR", "C1:S-BKP"]
    assert html_of(UNMAPPED_TABLE_CLASS) == []
    assert html_of('class="wb-download"') == []  # built only when asked for
    prepare = next(w for w in _flatten(app) if "wb-prepare-workbook" in w._dom_classes)
    assert prepare.description == "Prepare workbook: Acme Dental"
    prepare.click()
    assert 'download="Acme Dental - 2026-10.xlsx"' in html_of('class="wb-download"')[0]

    client.value = "C3"

    assert "Nothing was checked for Cedar Clinic" in html_of("wb-banner")[0]


def test_a_period_that_cannot_be_read_is_a_message(tmp_path: Path) -> None:
    (tmp_path / "periods" / "2026-10" / "inputs").mkdir(parents=True)
    (tmp_path / "workspace.toml").write_text('[workspace]\nname = "Empty"\n', encoding="utf-8")

    app = build_dashboard(tmp_path)
    unknown = build_dashboard(tmp_path, "2026-11")

    errors = [w.value for w in _flatten(app) if 'class="wb-error"' in str(getattr(w, "value", ""))]
    assert errors and "Cannot show this period." in errors[0]
    assert "no inputs for period 2026-11" in unknown.children[-1].value
