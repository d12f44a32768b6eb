"""``workbench fetch`` against a real local HTTP server answering as the vendors document.

The fake vendors (:mod:`tests.fake_vendors.server`) serve the demo month's records. A copy of
the demo workspace has the fetched vendors' export folders removed, fetches them back, and must
reconcile to the demo's known figures (``tests/conftest.py``): the importers read what the fetch
wrote. Retries and waits are made short through the workspace's own ``[fetch]`` settings.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import (
    DEMO,
    DISCREPANCIES,
    OVER_BILLING_RISK,
    PERIOD,
    REVENUE_LEAKING,
    UNMAPPED_SPEND,
)
from tests.fake_vendors.server import AUTOTASK, FakeVendors
from workbench import Reconciliation, reconcile_workspace
from workbench.cli import main
from workbench.errors import WorkbenchError
from workbench.fetch import fetch_period
from workbench.fetch.credentials import variable_name
from workbench.fetch.inputs import LOG_FILE
from workbench.ledger import Ledger, ledger_path
from workbench.workspace import Workspace

#: Records fetched from the demo's Autotask data: every company, recurring service contract,
#: service and contract service, and the 149 of its 166 contract service units whose period
#: overlaps October (the other 17 are September's, which the demo's export holds as well).
AUTOTASK_RECORDS = {
    "Companies": 25,
    "Contracts": 26,
    "Services": 16,
    "ContractServices": 149,
    "ContractServiceUnits": 149,
}
#: Short waits so the retries take milliseconds, set as a person would in workspace.toml.
PATIENCE = "timeout = 0.5\nretries = 2\nbackoff = 0.01\nmax_wait = 1\npoll_interval = 0.01\n"


@pytest.fixture(scope="module")
def vendors() -> Iterator[FakeVendors]:
    with FakeVendors(DEMO / "periods" / PERIOD / "inputs") as server:
        yield server


@pytest.fixture
def workspace(tmp_path: Path, vendors: FakeVendors, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A copy of the demo workspace whose Autotask exports are to be fetched."""
    root = tmp_path / "northwind"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("store", "ledger.sqlite*"))
    shutil.rmtree(root / "periods" / PERIOD / "inputs" / "autotask")
    settings = root / "workspace.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8")
        + f'\n[fetch]\n{PATIENCE}\n[fetch.autotask]\ncredentials = "northwind-autotask"\n'
        f'base_url = "{vendors.url}/autotask/ATServicesRest/V1.0"\n',
        encoding="utf-8",
    )
    for part, value in AUTOTASK.items():
        monkeypatch.setenv(variable_name("northwind-autotask", part), value)
    vendors.faults.clear()
    vendors.seen.clear()
    return Workspace.open(root)


def _log(workspace: Workspace) -> list[dict[str, object]]:
    path = workspace.period_folder(PERIOD) / LOG_FILE
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_fetched_autotask_exports_are_read_by_the_importer_and_reconcile(
    workspace: Workspace, vendors: FakeVendors, demo_result: Reconciliation
) -> None:
    report = fetch_period(workspace, PERIOD)

    assert report.ok, report.describe()
    assert {Path(file.path).stem: file.records for file in report.written} == AUTOTASK_RECORDS
    # 149 units at 50 a page: three pages, the first POSTed with its filter, then two GETs.
    assert vendors.requests_to("ContractServiceUnits/query") == 3
    result = reconcile_workspace(workspace, PERIOD)
    summary, demo = result.summary(), demo_result.summary()
    assert summary.revenue_leaking == REVENUE_LEAKING
    assert summary.over_billing_risk == OVER_BILLING_RISK
    assert summary.unmapped_spend == UNMAPPED_SPEND
    assert summary.discrepancies == DISCREPANCIES
    assert summary.billed_revenue == demo.billed_revenue
    fetched = result.files[result.files["source_file"].str.contains("/autotask/")]
    assert sorted(fetched["format"]) == [
        "Autotask Companies",
        "Autotask ContractServiceUnits",
        "Autotask ContractServices",
        "Autotask Contracts",
        "Autotask Services",
    ]


def test_the_fetch_log_names_source_requests_time_and_records_and_never_a_secret(
    workspace: Workspace,
) -> None:
    fetch_period(workspace, PERIOD)

    log = _log(workspace)
    assert [entry["file"] for entry in log] == [
        f"periods/{PERIOD}/inputs/autotask/{name}.csv" for name in AUTOTASK_RECORDS
    ]
    first = log[0]
    assert first["source"] == "autotask" and first["status"] == "written"
    assert first["records"] == 25 and len(str(first["sha256"])) == 64 and "T" in str(first["at"])
    assert first["requests"] == [
        f"POST {workspace.connections['autotask'].settings['base_url']}/Companies/query"
    ]
    everything = "\n".join(
        path.read_text(encoding="utf-8", errors="replace")
        for path in workspace.root.rglob("*")
        if path.is_file() and path.suffix in {".csv", ".jsonl", ".toml"}
    )
    for secret in AUTOTASK.values():
        if secret != AUTOTASK["username"]:
            assert secret not in everything


def test_a_wrong_secret_is_one_line_naming_the_source(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(variable_name("northwind-autotask", "secret"), "not-the-s3cret")

    status = main(["fetch", "--workspace", str(workspace.root), "--period", PERIOD])

    errors = [line for line in capsys.readouterr().out.splitlines() if line.startswith("error")]
    assert status == 1
    assert errors == [
        "error: autotask: the API refused the credentials 'northwind-autotask' (401): check "
        "them, and that the API user may read (and, to push, write) what is asked"
    ]
    assert not (workspace.inputs_folder(PERIOD) / "autotask").exists()
    assert "not-the-s3cret" not in (workspace.period_folder(PERIOD) / LOG_FILE).read_text()


def test_missing_credentials_say_which_variable_and_keyring_entry_to_set(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(variable_name("northwind-autotask", "secret"))

    report = fetch_period(workspace, PERIOD)

    message = report.failed["autotask"]
    assert message.startswith(
        "autotask: no secret for the credentials 'northwind-autotask': set the environment "
        "variable WORKBENCH_NORTHWIND_AUTOTASK_SECRET, or store it in the OS keyring with "
        "`keyring set msp-workbench northwind-autotask/secret`"
    )
    assert "\n" not in message


def test_429_waits_for_retry_after_then_goes_on(workspace: Workspace, vendors: FakeVendors) -> None:
    vendors.fault("Services/query", "429", 0.05)

    report = fetch_period(workspace, PERIOD, again=True)

    assert report.ok, report.describe()
    # Services and ContractServices: the 429, then the query again; the other one once.
    assert vendors.requests_to("/Services/query") == 2
    assert vendors.requests_to("/ContractServices/query") == 3


def test_a_retry_after_longer_than_max_wait_stops_with_a_message(
    workspace: Workspace, vendors: FakeVendors
) -> None:
    vendors.fault("Companies/query", "429", 3600)

    report = fetch_period(workspace, PERIOD)

    assert report.failed["autotask"] == (
        "autotask: rate limited, and asked to wait 3600 s, longer than max_wait (1 s under "
        "[fetch] in workspace.toml): run the fetch again later"
    )


def test_a_500_then_success_and_a_slow_answer_are_retried(
    workspace: Workspace, vendors: FakeVendors
) -> None:
    vendors.fault("Companies/query", "500")
    vendors.fault("Contracts/query", "slow", 1.5)  # longer than the 0.5 s timeout

    report = fetch_period(workspace, PERIOD)

    assert report.ok, report.describe()
    assert vendors.requests_to("/Companies/query") == 2
    assert vendors.requests_to("/Contracts/query") == 2
    assert (workspace.inputs_folder(PERIOD) / "autotask" / "Contracts.csv").read_text().count(
        "\n"
    ) == AUTOTASK_RECORDS["Contracts"] + 1


def test_a_fetch_failing_part_way_leaves_no_half_file_and_a_rerun_goes_on(
    workspace: Workspace, vendors: FakeVendors
) -> None:
    folder = workspace.inputs_folder(PERIOD) / "autotask"
    # The second page of ContractServiceUnits fails more often than the retries allow.
    vendors.fault("ContractServiceUnits/query/next", "500", times=3)

    first = fetch_period(workspace, PERIOD)

    assert first.failed["autotask"].startswith("autotask: ")
    assert "failed 3 times, last with 500: An unexpected error occurred" in first.failed["autotask"]
    assert sorted(path.name for path in folder.iterdir()) == [
        "Companies.csv",
        "ContractServices.csv",
        "Contracts.csv",
        "Services.csv",
    ]  # no ContractServiceUnits.csv, whole or half, and no temporary file
    vendors.seen.clear()

    second = fetch_period(workspace, PERIOD)

    assert second.ok
    assert [file.kept for file in second.written] == [True, True, True, True, False]
    assert {path for _, path in vendors.seen} == {
        "/autotask/ATServicesRest/V1.0/ContractServiceUnits/query",
        "/autotask/ATServicesRest/V1.0/ContractServiceUnits/query/next",
    }
    assert reconcile_workspace(workspace, PERIOD).summary().revenue_leaking == REVENUE_LEAKING


def test_a_temporary_file_left_by_a_crash_is_removed_and_never_read(
    workspace: Workspace,
) -> None:
    folder = workspace.inputs_folder(PERIOD) / "autotask"
    folder.mkdir()
    (folder / ".Companies.csv.part-999").write_text("id,companyName\n1,half")

    report = fetch_period(workspace, PERIOD)

    assert report.removed == [f"periods/{PERIOD}/inputs/autotask/.Companies.csv.part-999"]
    assert not (folder / ".Companies.csv.part-999").exists()


def test_fetching_into_a_sealed_period_is_refused_before_any_request(
    workspace: Workspace, vendors: FakeVendors, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = workspace.inputs_folder(PERIOD)
    kept = inputs / "huntress" / "organizations.csv"
    os.chmod(kept, stat.S_IMODE(kept.stat().st_mode) & ~stat.S_IWUSR)

    status = main(["fetch", "--workspace", str(workspace.root), "--period", PERIOD])

    assert status == 2
    assert capsys.readouterr().err == (
        f"error: {PERIOD} is sealed: periods/{PERIOD}/inputs/huntress/organizations.csv is "
        "read-only (a run keeps its inputs so). Nothing was fetched; fetch a period that has "
        "not been run\n"
    )
    assert vendors.seen == []


def test_fetching_into_a_period_whose_run_was_recorded_is_refused(
    workspace: Workspace, vendors: FakeVendors, demo_result: Reconciliation
) -> None:
    with Ledger.open(ledger_path(workspace)) as ledger:
        run_id = ledger.record_run(demo_result, inputs={}, who="dana")
        recorded_at = ledger.runs(PERIOD).iloc[-1]["recorded_at"]

    with pytest.raises(WorkbenchError) as refused:
        fetch_period(workspace, PERIOD)

    assert str(refused.value) == (
        f"{PERIOD} is sealed: run {run_id} of {recorded_at} reconciled its inputs and keeps "
        "them read-only, so a fetch would change a month already reviewed. Nothing was "
        "fetched; fetch a period that has not been run"
    )
    assert vendors.seen == []


def test_make_demo_fetch_runs_the_whole_loop_and_sends_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.fake_vendors.demo import main as demo_fetch

    status = demo_fetch(["--workspace", str(tmp_path / "copy"), "--outputs", str(tmp_path)])

    printed = capsys.readouterr().out
    assert status == 0
    assert "2026-10: 5 sources fetched, 0 failed" in printed
    saved = json.loads((tmp_path / PERIOD / f"push-autotask-{PERIOD}.json").read_text())
    assert saved["applied"] is False
    assert {each["outcome"] for each in saved["requests"]} == {"not sent (dry run)"}
    assert printed.splitlines()[-1] == (
        "Nothing was sent (0 requests reached the fake Autotask): --apply would send them"
    )


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            '[fetch.autotask]\nsecret = "at-s3cret-value"\n',
            "workspace.toml: [fetch.autotask] secret looks like a secret, and secrets never go "
            "in workspace.toml (it is copied and backed up with the workspace) (expected "
            'credentials = "autotask" naming secrets kept in environment variables or the OS '
            "keyring (see the README, Fetch and push))",
        ),
        (
            "[fetch.quickbooks]\n",
            "workspace.toml: [fetch.quickbooks] is not a system the workbench can fetch from "
            "(expected one of autotask, connectwise, microsoft, datto_rmm, huntress, pax8)",
        ),
        (
            "[fetch]\nretries = -1\n",
            "workspace.toml: [fetch] retries -1 is not a number of 0 or more (expected "
            "retries = 4)",
        ),
    ],
)
def test_workspace_toml_refuses_secrets_unknown_systems_and_bad_numbers(
    tmp_path: Path, table: str, message: str
) -> None:
    (tmp_path / "workspace.toml").write_text(f'[workspace]\nname = "MSP"\n{table}')

    with pytest.raises(WorkbenchError) as refused:
        Workspace.open(tmp_path)

    assert str(refused.value) == message
