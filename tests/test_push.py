"""``workbench push`` against a real local HTTP server answering as Autotask's REST API does.

The demo month decided as in the README walk-through (``decide_demo``: 11 approved, Riverbend
adjusted to 5, Quarry Hill's identity seats dismissed) writes the Autotask import rows of the
golden file ``advance-autotask-contract-service-adjustments-2026-10.csv`` (the demo bills in
advance): 10 changes, and Cedar Ridge's 12 identity seats proposed as a new line. Each change
must reach ``POST /V1.0/ContractServiceAdjustments`` exactly as that file has it.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import DEMO, PERIOD
from tests.fake_vendors.server import AUTOTASK, FakeVendors
from tests.test_psa_import import GOLDEN, decide_demo
from workbench.cli import main
from workbench.fetch.credentials import variable_name
from workbench.ledger import Ledger, ledger_path
from workbench.period import Period
from workbench.push import push_period
from workbench.workspace import Workspace

ADJUSTMENTS = "/autotask/ATServicesRest/V1.0/ContractServiceAdjustments"


def golden_rows(name: str) -> list[dict[str, object]]:
    """The golden import rows as the API bodies they become (numbers, ISO date-times)."""
    with (GOLDEN / name).open(encoding="utf-8", newline="") as handle:
        return [
            {
                "contractID": int(row["contractID"]),
                "serviceID": int(row["serviceID"]),
                "effectiveDate": f"{row['effectiveDate']}T00:00:00",
                "unitChange": int(row["unitChange"]),
                "adjustedUnitPrice": Decimal(row["adjustedUnitPrice"]),
                "adjustedUnitCost": Decimal(row["adjustedUnitCost"]),
            }
            for row in csv.DictReader(handle)
        ]


CHANGES = golden_rows("advance-autotask-contract-service-adjustments-2026-10.csv")
NEW_LINES = golden_rows("advance-autotask-new-lines-proposed-2026-10.csv")


@pytest.fixture(scope="module")
def vendors() -> Iterator[FakeVendors]:
    with FakeVendors(DEMO / "periods" / PERIOD / "inputs") as server:
        yield server


@pytest.fixture
def workspace(tmp_path: Path, vendors: FakeVendors, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A copy of the demo workspace, decided as in the README, that knows the fake Autotask."""
    root = tmp_path / "northwind"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("store", "ledger.sqlite*"))
    settings = root / "workspace.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8")
        + "\n[fetch]\ntimeout = 2\nretries = 2\nbackoff = 0.01\nmax_wait = 1\n"
        f'\n[fetch.autotask]\nbase_url = "{vendors.url}/autotask/ATServicesRest/V1.0"\n',
        encoding="utf-8",
    )
    for part, value in AUTOTASK.items():
        monkeypatch.setenv(variable_name("autotask", part), value)
    opened = Workspace.open(root)
    with Ledger.open(ledger_path(opened)) as ledger:
        decide_demo(ledger, Period.open(opened, PERIOD).result())
    vendors.faults.clear()
    vendors.seen.clear()
    vendors.created.clear()
    return opened


def sent_bodies(vendors: FakeVendors) -> list[dict[str, object]]:
    return [{key: value for key, value in each.items() if key != "psa"} for each in vendors.created]


def saved(path: Path) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    return loaded


def test_a_dry_run_prints_and_saves_the_exact_requests_and_sends_nothing(
    workspace: Workspace, vendors: FakeVendors, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = tmp_path / "outputs"

    status = main(
        ["push", "--workspace", str(workspace.root), "--period", PERIOD, "--outputs", str(outputs)]
    )

    printed = capsys.readouterr().out
    assert status == 0
    assert vendors.seen == [] and vendors.created == []
    url = f"{vendors.url}{ADJUSTMENTS}"
    file = saved(outputs / PERIOD / f"push-autotask-{PERIOD}.json")
    requests = file["requests"]
    assert isinstance(requests, list)
    assert [(each["method"], each["url"]) for each in requests] == [("POST", url)] * 10
    assert [each["body"] for each in requests] == CHANGES
    assert {each["outcome"] for each in requests} == {"not sent (dry run)"}
    assert [each["body"] for each in file["new_lines_not_sent"]] == NEW_LINES  # type: ignore[union-attr]
    first = CHANGES[0]
    assert (
        f'  POST {url} {{"contractID": {first["contractID"]}, "serviceID": '
        f'{first["serviceID"]}, "effectiveDate": "{first["effectiveDate"]}", "unitChange": '
        f'{first["unitChange"]}, "adjustedUnitPrice": {first["adjustedUnitPrice"]}, '
        f'"adjustedUnitCost": {first["adjustedUnitCost"]}}}'
    ) in printed.splitlines()
    assert printed.splitlines()[-1] == (
        f"autotask, {PERIOD}: dry run, nothing sent: 10 requests to send, 0 already sent "
        f"before; saved in {outputs / PERIOD / f'push-autotask-{PERIOD}.json'}; --apply sends them"
    )
    with Ledger.open(ledger_path(workspace)) as ledger:
        assert ledger.pushes(PERIOD) == []


def test_apply_sends_each_change_once_and_records_the_psa_id(
    workspace: Workspace, vendors: FakeVendors, tmp_path: Path
) -> None:
    first = push_period(workspace, PERIOD, apply=True, outputs=tmp_path, who="dana")

    assert first.ok, first.describe()
    assert sent_bodies(vendors) == CHANGES
    with Ledger.open(ledger_path(workspace)) as ledger:
        pushes = ledger.pushes(PERIOD, "autotask")
    assert [each.psa_id for each in pushes] == [str(7001 + n) for n in range(10)]
    assert {each.status for each in pushes} == {"sent"} and {each.who for each in pushes} == {
        "dana"
    }
    assert [each.request["body"]["unitChange"] for each in pushes] == [
        row["unitChange"] for row in CHANGES
    ]

    second = push_period(workspace, PERIOD, apply=True, outputs=tmp_path, who="dana")

    assert len(vendors.created) == 10  # nothing sent twice
    assert [outcome.before.psa_id for outcome in second.outcomes["autotask"]] == [
        each.psa_id for each in pushes
    ]
    assert second.describe().splitlines()[-1] == (
        f"autotask, {PERIOD}: 0 sent, 0 failed, 10 already sent before; every one recorded in "
        "the ledger"
    )


def test_a_failed_request_is_reported_the_rest_recorded_and_the_next_push_retries_it(
    workspace: Workspace, vendors: FakeVendors, tmp_path: Path
) -> None:
    vendors.fault("ContractServiceAdjustments", "429", 0.01)  # surely not made: tried again
    vendors.fault("ContractServiceAdjustments", "500")  # maybe made: reported, not repeated

    first = push_period(workspace, PERIOD, apply=True, outputs=tmp_path, who="dana")

    assert not first.ok
    errors = [outcome.error for outcome in first.outcomes["autotask"] if outcome.error]
    assert errors == [
        f"autotask: POST {vendors.url}{ADJUSTMENTS} failed (500: An unexpected error "
        "occurred): it may or may not have been made; check autotask before sending it again"
    ]
    assert sent_bodies(vendors) == CHANGES[1:]  # the 429 was sent again, the 500 was not
    with Ledger.open(ledger_path(workspace)) as ledger:
        statuses = [each.status for each in ledger.pushes(PERIOD, "autotask")]
    assert statuses == ["failed"] + ["sent"] * 9

    second = push_period(workspace, PERIOD, apply=True, outputs=tmp_path, who="dana")

    assert second.ok
    assert sent_bodies(vendors) == CHANGES[1:] + CHANGES[:1]
    with Ledger.open(ledger_path(workspace)) as ledger:
        assert len(ledger.sent(PERIOD, "autotask")) == 10


def test_new_lines_are_sent_only_when_asked(
    workspace: Workspace, vendors: FakeVendors, tmp_path: Path
) -> None:
    push_period(workspace, PERIOD, apply=True, include_new_lines=True, outputs=tmp_path, who="dana")

    assert sent_bodies(vendors) == CHANGES + NEW_LINES


def test_a_wrong_secret_sends_nothing_and_says_so_in_one_line(
    workspace: Workspace,
    vendors: FakeVendors,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(variable_name("autotask", "secret"), "wrong-s3cret")

    report = push_period(workspace, PERIOD, apply=True, outputs=tmp_path, who="dana")

    assert report.failed == {
        "autotask": "autotask: the API refused the credentials 'autotask' (401): check them, and "
        "that the API user may read (and, to push, write) what is asked"
    }
    assert vendors.requests_to("ContractServiceAdjustments") == 1  # the first, then it stopped
    with Ledger.open(ledger_path(workspace)) as ledger:
        assert ledger.pushes(PERIOD) == []
    assert vendors.created == []
    saved_text = (tmp_path / PERIOD / f"push-autotask-{PERIOD}.json").read_text(encoding="utf-8")
    assert "wrong-s3cret" not in saved_text and AUTOTASK["secret"] not in saved_text
