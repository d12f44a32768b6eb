"""History: a period's inputs kept read-only with checksums, changed inputs refused, the run
recorded in the ledger by ``workbench run``, and ``workbench review``.

Every test works on a copy of the demo workspace (13 input files in 2026-10, 166 lines, 13
discrepancies and 1 bundle gap to review), never on the shipped one.
"""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.conftest import DEMO, DISCREPANCIES, PERIOD
from workbench import Reconciliation, Workspace, reconcile_workspace
from workbench.cli import main
from workbench.errors import WorkbenchError
from workbench.history import (
    InputChanges,
    check_inputs,
    compare_inputs,
    input_checksums,
    keep_inputs,
    record_period_run,
)
from workbench.ledger import LEDGER_FILE, Ledger, ledger_path

INPUT_FILES = 13
DEVICES = f"periods/{PERIOD}/inputs/datto_rmm/devices.csv"
ACME = "29600100"


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    # As shipped: without the ledger and with writable inputs, even after `make demo` ran.
    shutil.copytree(
        DEMO,
        tmp_path / "workspace",
        copy_function=shutil.copyfile,
        ignore=shutil.ignore_patterns(f"{LEDGER_FILE}*"),
    )
    return Workspace.open(tmp_path / "workspace")


def writable(path: Path) -> bool:
    return bool(path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def drop_last_device(workspace: Workspace) -> None:
    """A re-downloaded RMM export with one device fewer (the person unlocks the file first)."""
    devices = workspace.root / DEVICES
    devices.chmod(0o644)
    lines = devices.read_text(encoding="utf-8").splitlines(keepends=True)
    devices.write_text("".join(lines[:-1]), encoding="utf-8")


def workbench(
    capsys: pytest.CaptureFixture[str], *arguments: str
) -> subprocess.CompletedProcess[str]:
    """``workbench ARGUMENTS`` run in this process (its interpreter and imports paid once, not
    seconds a run): the exit status and what it printed, as a finished command gives them."""
    status = main(list(arguments))
    printed = capsys.readouterr()
    return subprocess.CompletedProcess(list(arguments), status, printed.out, printed.err)


def test_the_checksums_are_those_the_reconciliation_read(demo_result: Reconciliation) -> None:
    checksums = input_checksums(Workspace.open(DEMO), PERIOD)
    assert len(checksums) == INPUT_FILES
    read = dict(zip(demo_result.files["source_file"], demo_result.files["sha256"], strict=True))
    assert checksums == read


def test_hidden_files_are_not_inputs(workspace: Workspace) -> None:
    inputs = workspace.inputs_folder(PERIOD)
    (inputs / ".DS_Store").write_bytes(b"\0\0")
    (inputs / "autotask" / "~$Companies.xlsx").write_bytes(b"lock")
    assert len(input_checksums(workspace, PERIOD)) == INPUT_FILES


def test_a_recorded_run_keeps_its_inputs_read_only_and_unchanged_inputs_pass(
    workspace: Workspace,
) -> None:
    with Ledger.open(ledger_path(workspace)) as ledger:
        first = check_inputs(ledger, workspace, PERIOD)
        assert not first and first.run_id is None and len(first.checksums) == INPUT_FILES
        result = reconcile_workspace(workspace, PERIOD)
        run_id = record_period_run(ledger, workspace, result, first.checksums, who="dana")
        assert ledger.runs(PERIOD)["inputs"].iloc[0] == first.checksums
        again = check_inputs(ledger, workspace, PERIOD)
    assert again == InputChanges(run_id, again.recorded_at, [], [], [], first.checksums)
    kept = [workspace.root / name for name in first.checksums]
    assert not any(writable(path) for path in kept)
    assert writable(workspace.root / "mappings.xlsx")  # mappings are edited between months


def test_changed_added_and_removed_inputs_are_refused_by_name(workspace: Workspace) -> None:
    with Ledger.open(ledger_path(workspace)) as ledger:
        checksums = input_checksums(workspace, PERIOD)
        record_period_run(
            ledger, workspace, reconcile_workspace(workspace, PERIOD), checksums, who="dana"
        )
        drop_last_device(workspace)
        extra = workspace.inputs_folder(PERIOD) / "pax8" / "invoice_items (1).csv"
        shutil.copyfile(workspace.inputs_folder(PERIOD) / "pax8" / "invoice_items.csv", extra)
        (workspace.inputs_folder(PERIOD) / "acronis" / "usage.csv").unlink()  # allowed: dir is rw

        changes = compare_inputs(ledger, workspace, PERIOD)
        assert changes.changed == [DEVICES]
        assert changes.added == [f"periods/{PERIOD}/inputs/pax8/invoice_items (1).csv"]
        assert changes.removed == [f"periods/{PERIOD}/inputs/acronis/usage.csv"]
        with pytest.raises(WorkbenchError) as refused:
            check_inputs(ledger, workspace, PERIOD)
        message = str(refused.value)
        assert message.startswith(f"the inputs of {PERIOD} changed since run 1 of ")
        assert f"  changed: {DEVICES}\n" in message
        assert "  added:   periods/2026-10/inputs/pax8/invoice_items (1).csv\n" in message
        assert "  removed: periods/2026-10/inputs/acronis/usage.csv\n" in message
        assert message.endswith("run again with --accept-changed-inputs if the new ones are right")
        assert check_inputs(ledger, workspace, PERIOD, accept_changed=True) == changes


def test_an_input_that_changes_during_the_run_is_not_recorded(workspace: Workspace) -> None:
    checksums = input_checksums(workspace, PERIOD)
    drop_last_device(workspace)  # between the check and the reading
    result = reconcile_workspace(workspace, PERIOD)
    with Ledger.open(ledger_path(workspace)) as ledger:
        with pytest.raises(WorkbenchError, match=f"{DEVICES} changed while the run of 2026-10"):
            record_period_run(ledger, workspace, result, checksums, who="dana")
        assert ledger.runs().empty
    assert writable(workspace.root / DEVICES)


def test_keeping_inputs_takes_write_permission_from_everyone(workspace: Workspace) -> None:
    devices = workspace.root / DEVICES
    devices.chmod(0o666)
    keep_inputs(workspace, PERIOD, {DEVICES: "recorded"})
    assert stat.S_IMODE(devices.stat().st_mode) == 0o444


def test_workbench_run_records_the_month_and_a_rerun_gives_the_same_result(
    workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = tmp_path / "outputs"
    run = ("run", "--workspace", str(workspace.root), "--period", PERIOD, "--client", ACME)
    first = workbench(capsys, *run, "--outputs", str(outputs))
    assert first.returncode == 0, first.stderr
    assert (
        f"Run 1 recorded in {ledger_path(workspace)}; the 13 input files of 2026-10 are kept "
        "read-only"
    ) in first.stdout
    assert not any(writable(workspace.root / name) for name in input_checksums(workspace, PERIOD))

    second = workbench(capsys, *run, "--outputs", str(outputs))
    assert second.returncode == 0, second.stderr
    assert "Run 2 recorded" in second.stdout
    with Ledger.open(ledger_path(workspace)) as ledger:
        runs = ledger.runs(PERIOD)
        assert list(runs["run_id"]) == [1, 2]
        totals = runs.drop(columns=["run_id", "recorded_at"])
        assert totals.iloc[0].to_dict() == totals.iloc[1].to_dict()
        assert runs["discrepancies"].tolist() == [DISCREPANCIES, DISCREPANCIES]
        assert str(runs["revenue_leaking"].iloc[1]) == "523.80"
        first_lines, second_lines = ledger.run_lines(1), ledger.run_lines(2)
        assert len(first_lines) == 166
        assert first_lines.equals(second_lines)

    # A changed export is refused before any work, without a traceback.
    drop_last_device(workspace)
    refused = workbench(capsys, *run, "--outputs", str(outputs))
    assert refused.returncode == 2
    assert refused.stderr.startswith(f"error: the inputs of {PERIOD} changed since run 2 of ")
    assert f"  changed: {DEVICES}\n" in refused.stderr and "Traceback" not in refused.stderr

    accepted = workbench(capsys, *run, "--outputs", str(outputs), "--accept-changed-inputs")
    assert accepted.returncode == 0, accepted.stderr
    assert f"Inputs of {PERIOD} changed since run 2; reconciling the new ones as asked:" in (
        accepted.stdout
    )
    with Ledger.open(ledger_path(workspace)) as ledger:
        runs = ledger.runs(PERIOD)
        assert list(runs["run_id"]) == [1, 2, 3]
        assert runs["inputs"].iloc[2] == input_checksums(workspace, PERIOD)
        assert runs["inputs"].iloc[2][DEVICES] != runs["inputs"].iloc[1][DEVICES]
    assert not writable(workspace.root / DEVICES)


def test_workbench_run_without_the_ledger_leaves_no_trace(
    workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = workbench(
        capsys, "run", "--workspace", str(workspace.root), "--period", PERIOD, "--client", ACME,
        "--outputs", str(tmp_path / "outputs"), "--no-ledger",
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert "recorded" not in ran.stdout
    assert not ledger_path(workspace).exists()
    assert all(writable(workspace.root / name) for name in input_checksums(workspace, PERIOD))


@pytest.mark.parametrize("period", ["2026-13", "2026-09"])
def test_a_run_refused_for_its_period_creates_no_ledger(
    workspace: Workspace, period: str, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = str(workspace.root.parent / "outputs")
    assert (
        main(["run", "--workspace", str(workspace.root), "--period", period, "--outputs", outputs])
        == 2
    )
    assert capsys.readouterr().err.startswith("error: ")
    assert not ledger_path(workspace).exists()


def test_workbench_review_lists_work_to_do_first_with_money_at_stake(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    result = reconcile_workspace(workspace, PERIOD)
    with Ledger.open(ledger_path(workspace)) as ledger:
        review = ledger.review(result).set_index("line_id", drop=False)
        ledger.decide(PERIOD, review.loc["29600212:29683415"], "approve", who="dana")
        ledger.decide(
            PERIOD, review.loc["29600135:29683402"], "adjust", quantity=2, note="lab", who="lee"
        )
        # Decided when Bluewater billed 44 workstations; the export now says 43: changed.
        moved = review.loc["29600107:29683401"].to_dict()
        moved["billed_quantity"] = 44
        ledger.decide(PERIOD, moved, "dismiss", who="lee")

    assert main(["review", "--workspace", str(workspace.root), "--period", PERIOD]) == 0
    shown = capsys.readouterr().out.splitlines()
    assert shown[0] == (
        "Northwind Managed IT, 2026-10: 14 lines to review: 11 pending, 1 changed since decided, "
        "2 decided (1 approved, 1 adjusted, 0 dismissed)"
    )
    assert shown[1].split() == [
        "state", "at", "stake", "client", "service", "status", "billed", "used", "decision",
    ]  # fmt: skip
    rows = shown[2:]
    assert len(rows) == 14
    assert rows[0].split()[:2] == ["changed", "$135.00"]
    assert rows[0].endswith("43     40  dismiss by lee")
    assert [row.split()[0] for row in rows] == ["changed"] + ["pending"] * 11 + ["decided"] * 2
    assert rows[1].split()[:4] == ["pending", "$79.20", "Ironwood", "Manufacturing"]
    assert rows[10].startswith("pending        $4.00  Zephyr Travel ")
    assert "under-billed" in rows[10]
    assert rows[11].startswith("pending        $0.00  Quarry Hill Engineering ")
    assert "bundle gap" in rows[11]
    assert rows[12].split()[:2] == ["decided", "$190.00"]
    assert rows[12].endswith("approve by dana")
    assert rows[13].endswith("adjust to 2 by lee")


def test_workbench_review_before_any_decision_shows_all_pending_and_creates_no_ledger(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["review", "--workspace", str(workspace.root), "--period", PERIOD]) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        "Northwind Managed IT, 2026-10: 14 lines to review: 14 pending, 0 changed since decided, "
        "0 decided (0 approved, 0 adjusted, 0 dismissed)"
    )
    assert not ledger_path(workspace).exists()  # looking is not deciding


def test_workbench_review_of_a_missing_period_says_which_exist(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["review", "--workspace", str(workspace.root), "--period", "2026-09"]) == 2
    assert capsys.readouterr().err == (
        f"error: no inputs for period 2026-09 in {workspace.root} (periods with inputs: 2026-10)\n"
    )
