"""The dashboard served to a team: sign-in, roles, kernels that go away, HTTPS.

Every test runs the real server (``workbench dashboard`` with the team's users file, see
``tests/conftest.py``: dana reviews and maps, vera views) and drives it with headless Chromium or
plain HTTP; decisions are read back from ``ledger.sqlite`` on disk. Kernels are counted in the
process list: the server's child processes running ``ipykernel_launcher`` with the kernel's
connection file ``kernel-<id>.json``. Waiting is for a state (a kernel gone, a page shown),
never for a duration.
"""

from __future__ import annotations

import getpass
import http.client
import json
import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import PERIOD, TEAM_PASSWORD, Dashboard
from tests.test_dashboard import (
    CHROMIUM,
    CHROMIUM_ARGS,
    server_kernels,
    sign_in,
    voila_server,
    wait_until,
)
from workbench.ledger import Ledger
from workbench.logins import add_account, set_password

pytestmark = pytest.mark.browser

#: The sign-in page of a team's server, as the browser shows it.
SIGN_IN = "Sign in"


@pytest.fixture
def quick_culling(tmp_path: Path) -> str:
    """A Jupyter config folder whose voila.json culls a closed page's kernel within seconds."""
    folder = tmp_path / "jupyter-config"
    folder.mkdir()
    settings = {"DashboardKernels": {"closed_page_seconds": 2, "cull_interval": 1}}
    (folder / "voila.json").write_text(json.dumps(settings), encoding="utf-8")
    return str(folder)


def _launch(playwright: Any) -> Any:
    assert Path(CHROMIUM).exists(), f"Chromium is missing at {CHROMIUM} (set WORKBENCH_CHROMIUM)"
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def _kernel_of(page: Any) -> str:
    kernel_id: str = page.evaluate(
        "() => JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"
    )
    return kernel_id


def _get(url: str, path: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    """One plain request, redirects not followed."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
    connection.request("GET", path, headers=headers or {})
    return connection.getresponse()


def _decisions(workspace: Path) -> dict[str, tuple[str, str]]:
    if not (workspace / "ledger.sqlite").exists():
        return {}
    with Ledger.open(workspace / "ledger.sqlite") as ledger:
        return {
            line: (str(act.decision), act.who) for line, act in ledger.decisions(PERIOD).items()
        }


def test_a_request_without_a_login_gets_the_sign_in_page(tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    users = tmp_path / "logins" / "users.json"
    add_account(users, "dana", ["reviewer"], TEAM_PASSWORD)
    log = tmp_path / "voila.log"
    with voila_server(log, "--users", str(users)) as url:
        page_asked = _get(url, "/")
        kernel_asked = _get(url, "/api/kernels/" + "0" * 8 + "-0000-0000-0000-" + "0" * 12)
        # A header naming a login is not a login.
        claimed = _get(url, "/", {"X-Workbench-Login": "dana", "X-Workbench-Roles": "reviewer"})
        wait_until(lambda: len(server_kernels(url)) == 1, "the warm kernel started")
        warm = server_kernels(url)
        with sync_playwright() as playwright:
            browser = _launch(playwright)
            try:
                page = browser.new_page()
                page.goto(url, timeout=120_000)
                expect(page.locator("h1")).to_have_text(SIGN_IN)
                page.locator("input[name=username]").fill("dana")
                page.locator("input[name=password]").fill("not her password")
                with page.expect_response(lambda response: response.request.method == "POST") as r:
                    page.locator("button[type=submit]").click()
                refused = r.value.status
                expect(page.locator(".problem")).to_have_text("Wrong login or password.")
                kernels_before = server_kernels(url)

                sign_in(page, url, "dana")
                signed_in = page.locator(".wb-title").inner_text()
                set_password(users, "dana", "a brand new password")  # her cookie is void now
                page.reload()
                expect(page.locator("h1")).to_have_text(SIGN_IN, timeout=60_000)
            finally:
                browser.close()

    assert (page_asked.status, page_asked.getheader("Location")) == (302, "/login?next=%2F")
    assert kernel_asked.status == 403
    assert (claimed.status, claimed.getheader("Location")) == (302, "/login?next=%2F")
    assert refused == 401
    assert kernels_before == warm  # a sign-in page starts no kernel
    assert signed_in.endswith("signed in as dana (reviewer) \u00b7 Sign out")
    # The server's log says a sign-in failed, never what was typed.
    written = log.read_text()
    assert "Failed sign-in from 127.0.0.1 (a known login, wrong password)" in written
    assert "not her password" not in written and TEAM_PASSWORD not in written


def test_one_person_opens_the_printed_token_url_and_nothing_else(
    demo_dashboard: Dashboard,
) -> None:
    from playwright.sync_api import expect

    url = demo_dashboard.url
    page = demo_dashboard.browser.new_page()
    page.goto(url.split("?")[0], timeout=120_000)
    expect(page.locator("h1")).to_have_text(SIGN_IN)
    page.locator("input[name=password]").fill("not the token")
    page.locator("button[type=submit]").click()
    expect(page.locator(".problem")).to_have_text("That is not the token.")
    page.goto(url, timeout=120_000)
    expect(page.locator(".wb-tile")).to_have_count(4, timeout=180_000)
    reviewer = page.locator(".wb-reviewer input").input_value()

    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\?token=[0-9a-f]{48}", url)
    assert reviewer == getpass.getuser()  # the server's account, which one person may change


def test_a_viewer_cannot_decide_even_sending_a_reviewers_headers(
    team_dashboard: Dashboard,
) -> None:
    from playwright.sync_api import expect

    url, browser = team_dashboard.url, team_dashboard.browser
    forged = {"X-Workbench-Login": "dana", "X-Workbench-Roles": "reviewer,mapper"}
    vera = browser.new_context(extra_http_headers=forged).new_page()
    sign_in(vera, url, "vera")
    title = vera.locator(".wb-title").inner_text()
    approve = vera.locator("button.wb-approve").first
    expect(approve).to_be_hidden()
    expect(vera.locator(".wb-decision-bulk")).to_be_hidden()
    expect(vera.locator(".wb-review-card .wb-review-controls").first).to_be_hidden()
    approve.dispatch_event("click")  # a click on the hidden button reaches the kernel
    expect(vera.locator(".wb-decisions-message")).to_contain_text(
        "vera (viewer) may read the review but not decide", timeout=60_000
    )

    # Nor can she drive dana's page: its kernel answers dana only.
    dana = browser.new_context().new_page()
    sign_in(dana, url, "dana")
    danas_kernel = _kernel_of(dana)
    as_vera = vera.request.get(f"{url}api/kernels/{danas_kernel}")
    as_dana = dana.request.get(f"{url}api/kernels/{danas_kernel}")

    assert title.endswith("signed in as vera (viewer) \u00b7 Sign out")
    assert (as_vera.status, as_dana.status) == (403, 200)
    assert _decisions(team_dashboard.workspace) == {}


def test_pages_closed_or_left_are_culled_and_their_number_is_capped(
    tmp_path: Path, team_users: Path, quick_culling: str
) -> None:
    from playwright.sync_api import expect, sync_playwright

    log = tmp_path / "voila.log"
    with (
        voila_server(
            log, "--users", str(team_users), "--pages", "2", JUPYTER_CONFIG_DIR=quick_culling
        ) as url,
        sync_playwright() as playwright,
    ):
        browser = _launch(playwright)
        try:
            context = browser.new_context()
            # Four pages opened and closed, one after the other, twice the cap: each must give
            # its place back. Half closed as a tab is (the page's close beacon stops its kernel),
            # half as a crashed browser leaves them. (Each page starts a kernel, the slow part.)
            left = []
            for number in range(4):
                page = context.new_page()
                sign_in(page, url, "dana")
                kernel = _kernel_of(page)
                assert kernel in server_kernels(url)
                if number % 2:
                    left.append(kernel)
                page.close(run_before_unload=number % 2 == 0)
                wait_until(
                    lambda kernel=kernel: kernel not in server_kernels(url), f"{kernel} stopped"
                )
            wait_until(lambda: len(server_kernels(url)) == 1, "one kernel left")
            after_four = server_kernels(url)

            open_pages = [context.new_page() for _ in range(2)]
            for page in open_pages:
                sign_in(page, url, "dana")
            third = context.new_page()
            answer = third.goto(url, timeout=120_000)
            refused = (answer.status if answer else 0, third.locator("h1").inner_text())
            expect(third.locator(".problem")).to_contain_text(
                "The dashboard is open in 2 pages already"
            )
            wait_until(lambda: len(server_kernels(url)) == 3, "two pages' kernels and the warm one")
            for page in open_pages:
                page.close(run_before_unload=True)
            wait_until(lambda: len(server_kernels(url)) == 1, "one kernel left")
        finally:
            browser.close()

    assert len(after_four) == 1  # the preheated kernel, waiting for the next page
    assert refused == (503, "Too many dashboard pages open")
    culled = re.findall(r"Culling kernel ([\w-]+): its page closed", log.read_text())
    # The two left without their close beacon can only have gone by culling. (On a loaded
    # machine the culler may also be first to a page whose beacon was on its way.)
    assert len(left) == 2 and set(left) <= set(culled)


def test_https_with_a_certificate_signs_in_and_decides_as_the_login(
    tmp_path: Path, workspace: Path, team_users: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(certificate)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    with (
        voila_server(
            tmp_path / "voila.log",
            "--users", str(team_users), "--certfile", str(certificate), "--keyfile", str(key),
            WORKBENCH_WORKSPACE=str(workspace),
        ) as url,
        sync_playwright() as playwright,
    ):  # fmt: skip
        browser = _launch(playwright)
        try:
            context = browser.new_context(ignore_https_errors=True)
            page = context.new_page()
            sign_in(page, url, "dana")
            row = page.locator(".wb-decision-row").first
            line_id = row.locator("[data-line-id]").get_attribute("data-line-id")
            row.locator("button.wb-dismiss").click()
            expect(row.locator(".wb-decision-done")).to_contain_text(
                "Dismissed by dana", timeout=60_000
            )
            cookies = {cookie["name"]: cookie["secure"] for cookie in context.cookies()}
        finally:
            browser.close()

    assert url.startswith("https://127.0.0.1:")
    login_cookies = [name for name in cookies if name.startswith("username-")]
    assert login_cookies and all(cookies[name] for name in login_cookies)  # HTTPS only
    assert _decisions(workspace) == {line_id: ("dismiss", "dana")}
