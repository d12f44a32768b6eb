"""Shared fixtures.

The demo workspace (``demo/workspace``, written by :mod:`demodata` with a fixed seed) is
the end-to-end fixture. Its ground truth, ``periods/2026-10/ground_truth.json``, lists the
expected outcome of every client and service line. The injected discrepancies, and so the
figures every test may rely on exactly, are:

=========================  ==============================  =====================  ==========
client                     service                         status                 revenue
=========================  ==============================  =====================  ==========
Acme Dental Group          Microsoft 365 (2 seats added)   under-billed              52.80
Foxglove Architects        Managed server (adjusted price)  under-billed             135.00
Riverbend Credit Union     Cloud backup (Acronis GB)       under-billed              12.00
Yardley & Sons Plumbing    Keeper via Pax8 (+2 prorated)   under-billed               9.00
Zephyr Travel              Identity threat (on it at 0)    under-billed               4.00
Cedar Ridge Veterinary     Identity threat detection       unbilled usage            48.00
Bluewater Logistics        Managed workstation             over-billed             -135.00
Ironwood Manufacturing     Microsoft 365 (3 seats removed) over-billed              -79.20
Dunmore Accounting         Exchange Online (cancelled)     billed without usage     -24.00
Maple Street Bakery        Security awareness training     billed without usage     -30.00
Quarry Hill Engineering    Gold user bundle (2 new hires)  under-billed             190.00
Quarry Hill Engineering    Identity threat (2 beyond it)   unbilled usage             8.00
Willow Creek Winery        Device bundle (a new laptop)    under-billed              65.00
Quarry Hill Engineering    Gold: security awareness        bundle gap (3 users)        -
=========================  ==============================  =====================  ==========

plus 5 unmapped-customer lines (a new tenant, a new RMM site, an unmapped Huntress org with two
metrics, and Saltmarsh Shipping: a Huntress org on Tidewater Freight's Microsoft tenant, which only
the shared tenant suggests), 1 unmapped SKU (Power BI Pro) and 8 not-reconciled lines (one a bundle component
waived for Summit Physical Therapy, whose Gold bundle is billed at its agreed minimum).

Zephyr Travel's identity threat detection is on its contract at 0 units (added ahead of a
roll-out) with 1 identity in Huntress: under-billed, as the line exists, where Cedar Ridge's has
no contract line at all (unbilled usage).

The dashboard's team (``team_users``, a users file written by :mod:`workbench.logins`, every
login with the password ``TEAM_PASSWORD``): dana (reviewer and mapper), alice and bob
(reviewers), vera (viewer).

Browser tests share servers: a server and its first kernel take about 15 s to start, the test
itself often less. ``team_dashboard`` is the dashboard served to the team over a workspace copied
afresh from the demo before each test; ``demo_dashboard`` serves one person (the token URL) the
demo workspace as shipped, for tests that only read it. Each test gets its own Chromium, and
leaves the server as it found it: its pages closed, their kernels gone.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from workbench import Reconciliation, reconcile_workspace
from workbench.logins import add_account

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo" / "workspace"
PERIOD = "2026-10"

REVENUE_LEAKING = Decimal("523.80")
OVER_BILLING_RISK = Decimal("268.20")
UNMAPPED_SPEND = Decimal("212.00")
DISCREPANCIES = 13
BUNDLE_GAPS = 1
UNMAPPED_CUSTOMER_LINES = 5
UNMAPPED_SKU_LINES = 1
NOT_RECONCILED_LINES = 8
CLIENTS = 25

TEAM = {
    "dana": ("reviewer", "mapper"),
    "alice": ("reviewer",),
    "bob": ("reviewer",),
    "vera": ("viewer",),
}
TEAM_PASSWORD = "reconcile-every-month"


@pytest.fixture(scope="session")
def demo_result() -> Reconciliation:
    return reconcile_workspace(DEMO, PERIOD)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A copy of the demo workspace, for a test to change."""
    copy = tmp_path / "workspace"
    shutil.copytree(DEMO, copy)
    return copy


@pytest.fixture(scope="session")
def team_users(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The team's users file, outside any workspace, private to this account."""
    path = tmp_path_factory.mktemp("logins") / "users.json"
    for name, roles in TEAM.items():
        add_account(path, name, roles, TEAM_PASSWORD)
    return path


@pytest.fixture(scope="session")
def ground_truth() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (DEMO / "periods" / PERIOD / "ground_truth.json").read_text(encoding="utf-8")
    )
    return data


@dataclass(frozen=True)
class Dashboard:
    """A dashboard server shared by the session's browser tests, as one test gets it."""

    url: str
    #: Headless Chromium (Playwright's ``Browser``), this test's own.
    browser: Any
    #: The workspace the server serves.
    workspace: Path


@pytest.fixture(scope="session")
def team_server(
    tmp_path_factory: pytest.TempPathFactory, team_users: Path
) -> Iterator[tuple[str, Path]]:
    """``workbench dashboard --users`` (the team's logins) over one workspace: its URL and
    the workspace, which ``team_dashboard`` copies afresh for every test."""
    from tests.test_dashboard import voila_server  # it imports this module's constants

    folder = tmp_path_factory.mktemp("team-dashboard")
    workspace = folder / "workspace"
    shutil.copytree(DEMO, workspace)
    with voila_server(
        folder / "voila.log", "--users", str(team_users), WORKBENCH_WORKSPACE=str(workspace)
    ) as url:
        yield url, workspace


@pytest.fixture
def team_dashboard(team_server: tuple[str, Path]) -> Iterator[Dashboard]:
    """The team's dashboard over a fresh copy of the demo workspace, for a test to change."""
    from tests.test_dashboard import chromium

    url, workspace = team_server
    shutil.rmtree(workspace)
    shutil.copytree(DEMO, workspace)
    with chromium(url) as browser:
        yield Dashboard(url, browser, workspace)


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``workbench dashboard`` for one person over the demo workspace: the URL it prints."""
    from tests.test_dashboard import voila_server

    with voila_server(tmp_path_factory.mktemp("demo-dashboard") / "voila.log") as url:
        yield url


@pytest.fixture
def demo_dashboard(demo_server: str) -> Iterator[Dashboard]:
    """The dashboard of the demo workspace for one person, for a test that only reads it."""
    from tests.test_dashboard import chromium

    with chromium(demo_server) as browser:
        yield Dashboard(demo_server, browser, DEMO)
