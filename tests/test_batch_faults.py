"""The batch survives faults: a killed run resumes, one bad client never sinks the rest,
outputs appear whole or not at all, and the same batch runs on a Dask cluster."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import openpyxl
import pytest
from distributed import LocalCluster

from tests.conftest import DEMO, PERIOD, ROOT
from workbench.batch import MANIFEST_FILE, run_batch
from workbench.errors import WorkbenchError
from workbench.period import Period
from workbench.sources.reading import file_checksum

ACME, BLUEWATER, CEDAR = "29600100", "29600107", "29600114"


def manifest_of(outputs: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((outputs / PERIOD / MANIFEST_FILE).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def executed_cleanly(notebook: Path) -> bool:
    book = nbformat.read(notebook, as_version=4)
    code = [cell for cell in book.cells if cell.cell_type == "code"]
    return all(cell.execution_count for cell in code) and not any(
        output.get("output_type") == "error" for cell in code for output in cell.outputs
    )


def test_the_manifest_records_inputs_clients_and_outputs_with_checksums(tmp_path: Path) -> None:
    batch = run_batch(DEMO, PERIOD, tmp_path, only=[ACME, BLUEWATER], progress=lambda _: None)
    manifest = manifest_of(tmp_path)
    assert (manifest["status"], manifest["executor"], manifest["period"]) == (
        "complete",
        "warm",
        PERIOD,
    )
    assert manifest["totals"]["revenue_leaking"] == "523.80" and manifest["totals"]["clients"] == 25
    for item in manifest["inputs"]:
        assert file_checksum(DEMO / item["file"]) == item["sha256"]
    assert len(manifest["inputs"]) == 13
    acme = manifest["clients"][ACME]
    assert (acme["client"], acme["status"], acme["discrepancies"], acme["revenue_leaking"]) == (
        "Acme Dental Group",
        "ok",
        1,
        "52.80",
    )
    assert [Path(item["file"]).name for item in acme["outputs"]] == [
        "Acme Dental Group - 2026-10.xlsx",
        "reconciliation.ipynb",
        "reconciliation.html",
    ]
    for item in acme["outputs"] + manifest["portfolio"]["outputs"]:
        assert file_checksum(batch.folder / item["file"]) == item["sha256"]


def test_each_notebook_is_also_html_without_code(tmp_path: Path) -> None:
    run_batch(DEMO, PERIOD, tmp_path, only=[BLUEWATER], progress=lambda _: None)
    html = (tmp_path / PERIOD / "Bluewater Logistics" / "reconciliation.html").read_text(
        encoding="utf-8"
    )
    assert "Bluewater Logistics" in html and "over-billed" in html
    # Prose stays; every code cell is rendered without its source.
    assert html.count('class="jp-Cell jp-CodeCell') == html.count("jp-mod-noInput") == 8
    assert "open_client(" not in html and "hl-ipython3" not in html
    portfolio = (tmp_path / PERIOD / "portfolio.html").read_text(encoding="utf-8")
    assert "views.headline(" not in portfolio and "Money at stake by client" in portfolio


def test_a_killed_run_leaves_no_half_written_file_and_resumes(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "workbench.cli", "run", "--workspace", str(DEMO), "--period", PERIOD,
               "--outputs", str(tmp_path), "--jobs", "1", "--client", ACME, "--client", BLUEWATER, "--client", CEDAR,
               "--no-ledger"]  # fmt: skip
    run = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    manifest_path = tmp_path / PERIOD / MANIFEST_FILE
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if manifest_path.exists() and any(
                c["status"] == "ok"
                for c in json.loads(manifest_path.read_text())["clients"].values()
            ):
                break
            time.sleep(0.2)
        else:
            pytest.fail("the first client never finished")
        # Let the second client get under way, then kill the whole run: warm kernels render a
        # demo client in well under a second, so a longer wait could see the run complete.
        time.sleep(0.1)
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait(timeout=30)
    killed = json.loads(manifest_path.read_text())
    assert killed["status"] == "running"
    done = [key for key, client in killed["clients"].items() if client["status"] == "ok"]
    assert done, killed
    for notebook in (tmp_path / PERIOD).rglob("reconciliation.ipynb"):
        assert executed_cleanly(notebook), notebook  # only whole notebooks carry the real name
    first = tmp_path / PERIOD / killed["clients"][done[0]]["folder"] / "reconciliation.ipynb"
    before = file_checksum(first)

    messages: list[str] = []
    batch = run_batch(
        DEMO,
        PERIOD,
        tmp_path,
        jobs=1,
        only=[ACME, BLUEWATER, CEDAR],
        resume=True,
        progress=messages.append,
    )
    assert batch.ok and len(batch.clients) == 3
    assert sum("already done by the interrupted run" in m for m in messages) == len(done)
    assert file_checksum(first) == before
    assert not [p for p in (tmp_path / PERIOD).rglob(".*") if ".partial" in p.name]
    resumed = manifest_of(tmp_path)
    assert resumed["status"] == "complete" and {
        c["status"] for c in resumed["clients"].values()
    } == {"ok"}


def test_resume_refuses_when_the_inputs_changed(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    # copyfile, not copy2: the shipped demo's inputs are read-only once `make demo` has run.
    shutil.copytree(DEMO, workspace, copy_function=shutil.copyfile)
    run_batch(workspace, PERIOD, tmp_path / "out", only=[ACME], progress=lambda _: None)
    devices = workspace / "periods" / PERIOD / "inputs" / "datto_rmm" / "devices.csv"
    lines = devices.read_text(encoding="utf-8").splitlines(keepends=True)
    devices.write_text("".join(lines[:-1]), encoding="utf-8")  # a device disappeared
    with pytest.raises(
        WorkbenchError, match="the inputs, mappings or settings changed since the interrupted run"
    ):
        run_batch(
            workspace, PERIOD, tmp_path / "out", only=[ACME], resume=True, progress=lambda _: None
        )


def test_resume_refuses_when_a_tolerance_changed_and_a_new_run_adds_up(tmp_path: Path) -> None:
    """A tolerance edited between the kill and the resume: the kept clients would show the old
    figures, so the resume is refused; the run again lists totals equal to its clients' sums."""
    workspace = tmp_path / "workspace"
    shutil.copytree(DEMO, workspace, copy_function=shutil.copyfile)
    out = tmp_path / "out"
    run_batch(workspace, PERIOD, out, only=[ACME, BLUEWATER], progress=lambda _: None)
    book = openpyxl.load_workbook(workspace / "mappings.xlsx")
    tolerances = book["Tolerances"]
    row = next(r for r in tolerances.iter_rows(min_row=2) if r[1].value == "Managed workstation")
    row[2].value = 5  # Bluewater's one extra billed workstation is now within tolerance
    book.save(workspace / "mappings.xlsx")
    with pytest.raises(
        WorkbenchError, match="the inputs, mappings or settings changed since the interrupted run"
    ):
        run_batch(workspace, PERIOD, out, only=[ACME], resume=True, progress=lambda _: None)

    run_batch(workspace, PERIOD, out, only=[ACME, BLUEWATER], progress=lambda _: None)
    manifest = manifest_of(out)
    result = Period.open(workspace, PERIOD).result()
    summary = result.summary()
    assert manifest["totals"]["over_billing_risk"] == str(summary.over_billing_risk)
    assert manifest["totals"]["revenue_leaking"] == str(summary.revenue_leaking)
    for company_id, client in manifest["clients"].items():
        mine = result.for_client(company_id).summary()
        assert (
            client["status"],
            client["lines"],
            client["discrepancies"],
            client["over_billing_risk"],
            client["revenue_leaking"],
        ) == (
            "ok",
            mine.lines,
            mine.discrepancies,
            str(mine.over_billing_risk),
            str(mine.revenue_leaking),
        )
    assert manifest["clients"][BLUEWATER]["over_billing_risk"] == "0.00"


def test_a_client_that_cannot_be_written_fails_alone(tmp_path: Path) -> None:
    blocked = tmp_path / PERIOD / "Acme Dental Group"
    blocked.parent.mkdir(parents=True)
    blocked.write_text("a file where the client's folder should be", encoding="utf-8")
    batch = run_batch(DEMO, PERIOD, tmp_path, only=[ACME, BLUEWATER], progress=lambda _: None)
    assert [(run.client, run.ok) for run in batch.clients] == [
        ("Acme Dental Group", False),
        ("Bluewater Logistics", True),
    ]
    assert batch.failed[0].error.startswith("FileExistsError")
    manifest = manifest_of(tmp_path)
    assert manifest["status"] == "failed" and manifest["clients"][ACME]["status"] == "failed"
    assert manifest["clients"][BLUEWATER]["status"] == "ok"
    finished = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "run", "--workspace", str(DEMO), "--outputs", str(tmp_path), "--client", ACME,
         "--no-ledger"],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert (
        finished.returncode == 1 and "error: Acme Dental Group: FileExistsError" in finished.stderr
    )


def test_the_batch_runs_on_a_dask_cluster(tmp_path: Path) -> None:
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        batch = run_batch(
            DEMO,
            PERIOD,
            tmp_path,
            only=[ACME, BLUEWATER, CEDAR],
            executor="dask",
            scheduler=cluster.scheduler_address,
            progress=lambda _: None,
        )
    assert batch.ok and [run.client for run in batch.clients] == [
        "Acme Dental Group",
        "Bluewater Logistics",
        "Cedar Ridge Veterinary",
    ]
    manifest = manifest_of(tmp_path)
    assert manifest["executor"] == "dask" and manifest["status"] == "complete"
    for run in batch.clients:
        assert executed_cleanly(run.folder / "reconciliation.ipynb")


def test_the_dask_executor_needs_a_reachable_scheduler(tmp_path: Path) -> None:
    with pytest.raises(WorkbenchError, match="needs a scheduler address"):
        run_batch(DEMO, PERIOD, tmp_path, executor="dask", progress=lambda _: None)
