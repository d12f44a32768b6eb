"""A hostile new user's month: absurd numbers, a storage that says no, a closed pipe, stray files.

Each case ends in a named error (exit 2, file, row, column, what was expected) or in the month
going on as it should, never in a traceback. The storage cases run the real CLI in a private
mount namespace (``unshare``) over a tmpfs that is read-only or 200 KiB small.
"""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import DEMO, PERIOD
from workbench import reconcile_workspace
from workbench.batch import MANIFEST_FILE, folder_name, run_batch
from workbench.errors import InputError
from workbench.history import input_checksums
from workbench.workspace import Workspace

WORKBENCH = [sys.executable, "-m", "workbench.cli"]
INPUTS = Path("periods") / PERIOD / "inputs"


def _copy_demo(tmp_path: Path) -> Path:
    copy = tmp_path / "workspace"
    shutil.copytree(DEMO, copy, ignore=shutil.ignore_patterns("ledger.sqlite*"))
    for path in copy.rglob("*"):
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    return copy


def _set_cell(path: Path, row: int, column: str, value: str) -> None:
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(",")
    cells = lines[row - 1].split(",")
    cells[header.index(column)] = value
    lines[row - 1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _workbench(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*WORKBENCH, *arguments], capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.parametrize(
    ("input_file", "column", "value", "problem"),
    [
        ("huntress/organizations.csv", "agents_count", "1e309", "is beyond any real count"),
        (
            "huntress/organizations.csv",
            "agents_count",
            "9223372036854775808",
            "is beyond any real count",
        ),
        ("huntress/organizations.csv", "sat_learner_count", "1000000000", "beyond any real count"),
        ("autotask/ContractServiceUnits.csv", "units", "1e309", "is beyond any real count"),
        ("autotask/ContractServices.csv", "unitPrice", "1e309", "is beyond any real amount"),
        ("acronis/usage.csv", "value", "1e309", "is beyond any real count"),
    ],
)
def test_absurd_numbers_are_refused_by_cell(
    input_file: str, column: str, value: str, problem: str, tmp_path: Path
) -> None:
    root = _copy_demo(tmp_path)
    _set_cell(root / INPUTS / input_file, 3, column, value)
    with pytest.raises(InputError) as raised:
        reconcile_workspace(root, PERIOD)
    assert (Path(raised.value.file).name, raised.value.row, raised.value.column) == (
        Path(input_file).name,
        3,
        column,
    )
    assert problem in raised.value.problem


def test_the_cli_names_an_absurd_price_without_a_traceback(tmp_path: Path) -> None:
    root = _copy_demo(tmp_path)
    _set_cell(root / INPUTS / "autotask/ContractServices.csv", 2, "unitPrice", "1e309")
    finished = _workbench("review", "--workspace", str(root), "--period", PERIOD)
    assert finished.returncode == 2
    assert finished.stderr == (
        "error: ContractServices.csv, row 2, column 'unitPrice': '1e309' is beyond any real "
        "amount (expected an amount below 1,000,000,000,000)\n"
    )


def _in_a_mount_namespace(mount_options: str, outputs: Path, *arguments: str) -> str:
    """A shell line running the CLI with ``outputs`` mounted as a tmpfs of its own."""
    command = " ".join(f"'{part}'" for part in [*WORKBENCH, *arguments])
    return f"mount -t tmpfs -o {mount_options} tmpfs '{outputs}' && exec {command}"


@pytest.mark.parametrize(
    ("mount_options", "message"),
    [
        ("ro", "Read-only file system"),
        ("size=200k", "No space left on device"),
    ],
)
def test_a_storage_that_says_no_ends_in_a_message(
    mount_options: str, message: str, tmp_path: Path
) -> None:
    root = _copy_demo(tmp_path)
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    script = _in_a_mount_namespace(
        mount_options,
        outputs,
        "run",
        "--workspace",
        str(root),
        "--period",
        PERIOD,
        "--outputs",
        str(outputs),
        "--executor",
        "papermill",
        "--client",
        "Bluewater Logistics",
        "--no-ledger",
    )
    finished = subprocess.run(
        ["unshare", "--map-root-user", "--mount", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 2, finished.stderr
    assert "Traceback" not in finished.stderr
    last = finished.stderr.strip().splitlines()[-1]
    assert last.startswith("error: cannot write")
    assert message in last


def test_a_closed_pipe_ends_the_review_quietly(tmp_path: Path) -> None:
    """``workbench review | head``: the reader goes away before the review is printed."""
    root = _copy_demo(tmp_path)
    process = subprocess.Popen(
        [*WORKBENCH, "review", "--workspace", str(root), "--period", PERIOD],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    stderr = process.stderr.read()
    assert process.wait(timeout=300) == 0
    assert stderr == ""


@pytest.mark.parametrize("jobs", ["0", "-1", "two"])
def test_jobs_must_be_one_or_more(jobs: str, tmp_path: Path) -> None:
    finished = _workbench("run", "--workspace", str(DEMO), "--jobs", jobs)
    assert finished.returncode == 2
    assert f"argument --jobs: {jobs!r} is not a number of jobs: give 1 or more" in finished.stderr
    assert "Traceback" not in finished.stderr


def test_a_client_named_like_a_path_gets_a_plain_folder() -> None:
    assert folder_name("../../evil") == "evil"
    assert folder_name(" ../ . /x") == "x"


def test_stray_system_files_are_noted_not_read(tmp_path: Path) -> None:
    root = _copy_demo(tmp_path)
    inputs = root / INPUTS
    strays = {
        "Thumbs.db": "a Windows thumbnail cache",
        "microsoft/desktop.ini": "Windows folder settings",
        ".DS_Store": "macOS folder settings",
        "datto_rmm/~$devices.xlsx": "an Excel lock file",
    }
    for name in strays:
        (inputs / name).write_bytes(b"\x00\x01 not an export")
    original = reconcile_workspace(DEMO, PERIOD)

    result = reconcile_workspace(root, PERIOD)

    pd.testing.assert_frame_equal(result.lines, original.lines)
    ignored = result.files[result.files["side"] == "ignored"].set_index("source_file")
    assert sorted(ignored.index) == sorted(f"{INPUTS.as_posix()}/{name}" for name in strays)
    for name, reason in strays.items():
        assert ignored.loc[f"{INPUTS.as_posix()}/{name}", "format"].startswith(
            f"not an export, ignored: {reason}"
        )
    coverage = result.coverage.set_index("source_file")
    assert (coverage.loc[ignored.index, "records"] == 0).all()
    # A run's checksums leave them out too: a new Thumbs.db is not a changed input.
    assert set(input_checksums(Workspace.open(root), PERIOD)) == set(
        input_checksums(Workspace.open(DEMO), PERIOD)
    )


def test_a_run_of_one_client_keeps_the_others_listed(tmp_path: Path) -> None:
    """``--client`` into a period run before: the manifest still lists every client, and says
    which outputs are from the earlier run and which are outdated by changed inputs."""
    root = _copy_demo(tmp_path)
    outputs = tmp_path / "outputs"
    quiet = {"progress": lambda _: None, "jobs": 1}
    run_batch(
        root, PERIOD, outputs, only=["Bluewater Logistics", "Keystone Title & Escrow"], **quiet
    )
    first = json.loads((outputs / PERIOD / MANIFEST_FILE).read_text(encoding="utf-8"))

    run_batch(root, PERIOD, outputs, only=["Bluewater Logistics"], **quiet)
    kept = json.loads((outputs / PERIOD / MANIFEST_FILE).read_text(encoding="utf-8"))
    keystone = next(key for key, entry in first["clients"].items() if "Keystone" in entry["client"])
    assert set(kept["clients"]) == set(first["clients"])
    assert kept["clients"][keystone] == {**first["clients"][keystone], "from_run": first["started"]}

    devices = root / INPUTS / "datto_rmm" / "devices.csv"
    devices.write_text(devices.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    run_batch(root, PERIOD, outputs, only=["Bluewater Logistics"], **quiet)
    outdated = json.loads((outputs / PERIOD / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert outdated["clients"][keystone]["status"] == "outdated"
    assert "run this client again" in outdated["clients"][keystone]["error"]
