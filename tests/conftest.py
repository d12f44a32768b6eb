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
"""

from __future__ import annotations

import json
import shutil
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
