"""Fetching Microsoft, Datto RMM, Huntress, Pax8 and ConnectWise from the fake vendor APIs.

Each test removes one vendor's exports from a copy of a shipped workspace (the demo, or the
ConnectWise sample), fetches them back from the local server (which serves exactly those
records, as the vendor's API shapes them), and compares what the real importer reads from the
fetched file with what it reads from the original export: the same usage, customer by customer
and SKU by SKU, and the same reconciliation.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import DEMO, PERIOD, REVENUE_LEAKING
from tests.fake_vendors import server
from tests.fake_vendors.server import FakeVendors
from workbench import reconcile_workspace
from workbench.fetch import fetch_period
from workbench.fetch.credentials import variable_name
from workbench.ledger import Ledger, ledger_path
from workbench.push import push_period
from workbench.workspace import Workspace, read_period_inputs

CONNECTWISE_SAMPLE = DEMO.parent / "psa-samples" / "connectwise"
PATIENCE = "[fetch]\ntimeout = 2\nretries = 2\nbackoff = 0.01\nmax_wait = 1\npoll_interval = 0.01\n"


@pytest.fixture(scope="module")
def vendors() -> Iterator[FakeVendors]:
    with FakeVendors(DEMO / "periods" / PERIOD / "inputs") as demo:
        yield demo


@pytest.fixture(scope="module")
def connectwise_vendor() -> Iterator[FakeVendors]:
    with FakeVendors(CONNECTWISE_SAMPLE / "periods" / PERIOD / "inputs") as sample:
        yield sample


def copy_without(
    source: Path, tmp_path: Path, folder: str, settings: str, credentials: dict[str, str],
    name: str, monkeypatch: pytest.MonkeyPatch,
) -> Workspace:  # fmt: skip
    """A copy of a workspace without one vendor's exports, set up to fetch them."""
    root = tmp_path / "workspace"
    shutil.copytree(source, root, ignore=shutil.ignore_patterns("store", "ledger.sqlite*"))
    for path in (root / "periods" / PERIOD / "inputs").glob(folder):
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    toml = root / "workspace.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8") + f"\n{PATIENCE}\n{settings}\n", encoding="utf-8"
    )
    for part, value in credentials.items():
        monkeypatch.setenv(variable_name(name, part), value)
    return Workspace.open(root)


def usage_of(workspace: Workspace | Path, vendor: str) -> dict[tuple[str, str], tuple[int, object]]:
    """Per customer and SKU, the units counted and the money, as the importer reads them."""
    usage = read_period_inputs(workspace, PERIOD).usage
    usage = usage[(usage["vendor"] == vendor) & (usage["excluded_reason"] == "")]
    amounts = usage["amount"].map(lambda value: Decimal(0) if value is None else value)
    grouped = usage.assign(amount=amounts).groupby(["customer_key", "sku"])
    return {
        key: (int(group["quantity"].sum()), sum(group["amount"], Decimal(0)))
        for key, group in grouped
    }


def test_huntress_organizations_fetched_page_by_page_read_the_same(
    tmp_path: Path, vendors: FakeVendors, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = copy_without(
        DEMO, tmp_path, "huntress",
        f'[fetch.huntress]\nbase_url = "{vendors.url}/huntress"\n',
        server.HUNTRESS, "huntress", monkeypatch,
    )  # fmt: skip
    vendors.seen.clear()

    report = fetch_period(workspace, PERIOD, ["huntress"])

    assert report.ok, report.describe()
    assert [(file.path, file.records) for file in report.written] == [
        (f"periods/{PERIOD}/inputs/huntress/organizations.csv", 23)
    ]
    assert vendors.requests_to("/huntress/v1/organizations") == 1  # 23 fit in one page of 50
    assert usage_of(workspace, "huntress") == usage_of(DEMO, "huntress")
    assert reconcile_workspace(workspace, PERIOD).summary().revenue_leaking == REVENUE_LEAKING


def test_datto_rmm_devices_fetched_with_a_token_read_the_same_but_for_the_group(
    tmp_path: Path, vendors: FakeVendors, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = copy_without(
        DEMO, tmp_path, "datto_rmm",
        f'[fetch.datto_rmm]\nbase_url = "{vendors.url}/datto"\n',
        server.DATTO, "datto_rmm", monkeypatch,
    )  # fmt: skip
    vendors.seen.clear()

    report = fetch_period(workspace, PERIOD, ["datto_rmm"])

    assert report.ok, report.describe()
    assert [file.records for file in report.written] == [787]
    # 787 devices at 50 a page: 16 pages; the token asked for once.
    assert vendors.requests_to("/datto/api/v2/account/devices") == 16
    assert vendors.requests_to("/datto/auth/oauth/token") == 1
    fetched, exported = usage_of(workspace, "datto_rmm"), usage_of(DEMO, "datto_rmm")
    # The API has no device groups: the one device the export keeps in _NotBillable_ counts.
    different = {
        key for key in fetched.keys() | exported.keys() if fetched.get(key) != exported.get(key)
    }
    assert len(different) == 1
    (key,) = different
    assert fetched[key][0] == exported[key][0] + 1


def test_pax8_invoice_items_of_the_month_read_the_same(
    tmp_path: Path, vendors: FakeVendors, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = copy_without(
        DEMO, tmp_path, "pax8",
        f'[fetch.pax8]\nbase_url = "{vendors.url}/pax8/v1"\n',
        server.PAX8, "pax8", monkeypatch,
    )  # fmt: skip

    report = fetch_period(workspace, PERIOD, ["pax8"])

    assert report.ok, report.describe()
    assert [(Path(file.path).name, file.records) for file in report.written] == [
        ("invoice_items.csv", 5)
    ]
    assert usage_of(workspace, "pax8") == usage_of(DEMO, "pax8")
    assert reconcile_workspace(workspace, PERIOD).summary().revenue_leaking == REVENUE_LEAKING


def test_microsoft_billed_export_is_polled_downloaded_and_reads_the_same(
    tmp_path: Path, vendors: FakeVendors, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = copy_without(
        DEMO, tmp_path, "microsoft/Reconciliation_*.csv",
        f'[fetch.microsoft]\nbase_url = "{vendors.url}/graph/v1.0"\n'
        f'token_url = "{vendors.url}/login/{server.MICROSOFT["tenant_id"]}/oauth2/v2.0/token"\n',
        server.MICROSOFT, "microsoft", monkeypatch,
    )  # fmt: skip
    vendors.seen.clear()

    report = fetch_period(workspace, PERIOD, ["microsoft"], invoice="G052637185")

    assert report.ok, report.describe()
    assert [(file.path, file.records) for file in report.written] == [
        (f"periods/{PERIOD}/inputs/microsoft/Reconciliation_G052637185.csv", 36)
    ]
    # The export, the operation polled twice (running, then succeeded), the manifest, 2 blobs.
    assert [path.rsplit("/", 1)[0] for _, path in vendors.seen[1:]] == [
        "/graph/v1.0/reports/partners/billing/reconciliation/billed",
        "/graph/v1.0/reports/partners/billing/operations",
        "/graph/v1.0/reports/partners/billing/operations",
        "/graph/v1.0/reports/partners/billing/manifests",
        f"/blob/billedusage/PartnerTenantId={server.MICROSOFT['tenant_id']}",
        f"/blob/billedusage/PartnerTenantId={server.MICROSOFT['tenant_id']}",
    ]
    assert usage_of(workspace, "microsoft") == usage_of(DEMO, "microsoft")
    assert reconcile_workspace(workspace, PERIOD).summary().revenue_leaking == REVENUE_LEAKING
    log = (workspace.period_folder(PERIOD) / "fetch-log.jsonl").read_text(encoding="utf-8")
    assert "FAKESIGNATURE" not in log and server.MICROSOFT["client_secret"] not in log
    assert "(with the manifest's access signature)" in log


def test_microsoft_unbilled_export_of_the_month_under_way(
    tmp_path: Path, vendors: FakeVendors, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = copy_without(
        DEMO, tmp_path, "microsoft/Reconciliation_*.csv",
        f'[fetch.microsoft]\nbase_url = "{vendors.url}/graph/v1.0"\n'
        f'token_url = "{vendors.url}/login/{server.MICROSOFT["tenant_id"]}/oauth2/v2.0/token"\n',
        server.MICROSOFT, "microsoft", monkeypatch,
    )  # fmt: skip
    this_month = date.today().strftime("%Y-%m")
    vendors.seen.clear()

    report = fetch_period(workspace, this_month, ["microsoft"])

    assert report.ok, report.describe()
    assert [Path(file.path).name for file in report.written] == [
        f"Reconciliation_unbilled_{this_month}.csv"
    ]
    assert ("POST", "/graph/v1.0/reports/partners/billing/reconciliation/unbilled/export") in (
        vendors.seen
    )
    two_years_ago = f"{date.today().year - 2}-01"
    old = fetch_period(workspace, two_years_ago, ["microsoft"])
    assert old.failed["microsoft"] == (
        f"microsoft: {two_years_ago} is invoiced: give its invoice (--invoice G...) to fetch its "
        "billed reconciliation; the unbilled export covers only this month and last month"
    )


def test_a_wrong_microsoft_secret_is_one_line_with_what_the_login_said(
    tmp_path: Path, vendors: FakeVendors, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = copy_without(
        DEMO, tmp_path, "microsoft/Reconciliation_*.csv",
        f'[fetch.microsoft]\nbase_url = "{vendors.url}/graph/v1.0"\n'
        f'token_url = "{vendors.url}/login/{server.MICROSOFT["tenant_id"]}/oauth2/v2.0/token"\n',
        {**server.MICROSOFT, "client_secret": "wrong"}, "microsoft", monkeypatch,
    )  # fmt: skip

    report = fetch_period(workspace, PERIOD, ["microsoft"], invoice="G052637185")

    assert report.failed["microsoft"] == (
        "microsoft: the API refused the credentials 'microsoft' (401: AADSTS7000215: Invalid "
        "client secret provided.): check them, and that the API user may read (and, to push, "
        "write) what is asked"
    )


@pytest.fixture
def connectwise(
    tmp_path: Path, connectwise_vendor: FakeVendors, monkeypatch: pytest.MonkeyPatch
) -> Workspace:
    connectwise_vendor.seen.clear()
    connectwise_vendor.created.clear()
    return copy_without(
        CONNECTWISE_SAMPLE, tmp_path, "connectwise",
        f'[fetch.connectwise]\nbase_url = "{connectwise_vendor.url}/cw/v4_6_release/apis/3.0"\n',
        server.CONNECTWISE, "connectwise", monkeypatch,
    )  # fmt: skip


def test_connectwise_agreement_additions_fetched_reconcile_as_the_export(
    connectwise: Workspace, connectwise_vendor: FakeVendors
) -> None:
    report = fetch_period(connectwise, PERIOD)

    assert report.ok, report.describe()
    assert [file.records for file in report.written] == [7]
    fetched = reconcile_workspace(connectwise, PERIOD)
    exported = reconcile_workspace(CONNECTWISE_SAMPLE, PERIOD)
    columns = ["company_id", "service_id", "status", "billed_quantity", "revenue_impact"]
    assert fetched.lines[columns].equals(exported.lines[columns])


def test_connectwise_push_posts_each_approved_change_as_an_agreement_addition(
    connectwise: Workspace, connectwise_vendor: FakeVendors, tmp_path: Path
) -> None:
    fetch_period(connectwise, PERIOD)
    result = reconcile_workspace(connectwise, PERIOD)
    with Ledger.open(ledger_path(connectwise)) as ledger:
        ledger.decide_many(
            PERIOD, [row for _, row in result.adjustments.iterrows()], "approve", who="sam"
        )

    dry = push_period(connectwise, PERIOD, outputs=tmp_path, who="sam")
    assert connectwise_vendor.created == []
    sent = push_period(connectwise, PERIOD, apply=True, outputs=tmp_path, who="sam")

    assert sent.ok, sent.describe()
    assert [outcome.request.body for outcome in dry.outcomes["connectwise"]] == [
        {key: value for key, value in created.items() if key not in ("psa", "agreementId")}
        for created in connectwise_vendor.created
    ]
    assert [
        (created["agreementId"], created["product"]["identifier"], created["quantity"])
        for created in connectwise_vendor.created
    ] == [
        (100, "M365-BP", Decimal(2)),
        (101, "WS-MANAGED", Decimal(-1)),
        (102, "M365-BS", Decimal(1)),
    ]
    with Ledger.open(ledger_path(connectwise)) as ledger:
        assert [each.psa_id for each in ledger.pushes(PERIOD, "connectwise")] == [
            "9501",
            "9502",
            "9503",
        ]
