"""Warm kernels, for real: clients share a kernel and still see exactly what they would alone.

Every test runs real kernels. The demo's clients used here: Acme Dental Group (29600100, one
under-billed line, $52.80) and Bluewater Logistics (29600107, one over-billed line, -$135.00).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import nbformat
import openpyxl
import pytest

import workbench.batch as batch_module
from tests.conftest import DEMO, PERIOD
from workbench.batch import CLIENT_NOTEBOOK, PORTFOLIO_NOTEBOOK, run_batch
from workbench.comparison import batch_differences, notebook_differences, workbook_differences
from workbench.isolation import isolation_differences
from workbench.warm import WarmKernel

ACME, BLUEWATER = "29600100", "29600107"


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's reconciliation stored as the batch stores it (a period store snapshot)."""
    from workbench import reconcile_workspace
    from workbench.store import save_result

    folder = tmp_path_factory.mktemp("saved")
    return save_result(reconcile_workspace(DEMO, PERIOD), folder / "result")


def parameters(client: str, saved: Path) -> dict[str, str]:
    return {"workspace": str(DEMO), "period": PERIOD, "client": client, "saved": str(saved)}


def client_notebook_with(tmp_path: Path, code: str) -> Path:
    """The client notebook with one extra cell after the parameters, in a notebooks folder of
    its own (the portfolio beside it), as a batch would use it."""
    folder = tmp_path / "notebooks"
    folder.mkdir(parents=True)
    book = nbformat.read(CLIENT_NOTEBOOK, as_version=4)
    book.cells.insert(2, nbformat.v4.new_code_cell(code))
    nbformat.write(book, folder / CLIENT_NOTEBOOK.name)
    (folder / PORTFOLIO_NOTEBOOK.name).write_bytes(PORTFOLIO_NOTEBOOK.read_bytes())
    return folder / CLIENT_NOTEBOOK.name


@pytest.fixture
def client_notebook(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], None]:
    """Point the batch at another client notebook for one test."""

    def use(notebook: Path) -> None:
        monkeypatch.setattr(batch_module, "CLIENT_NOTEBOOK", notebook)

    return use


def test_a_client_after_another_in_one_kernel_shows_what_it_shows_alone(
    tmp_path: Path, saved: Path
) -> None:
    differences = isolation_differences(
        (CLIENT_NOTEBOOK, parameters(ACME, saved)),
        (CLIENT_NOTEBOOK, parameters(BLUEWATER, saved)),
        tmp_path,
    )
    assert differences == []
    after = nbformat.read(tmp_path / "second-after-first.ipynb", as_version=4)
    shown = json.dumps([cell.get("outputs", []) for cell in after.cells])
    assert "Bluewater Logistics" in shown and "-$135.00" in shown
    assert "Acme Dental Group" not in shown and "$52.80" not in shown
    counts = [cell.execution_count for cell in after.cells if cell.cell_type == "code"]
    # As in a fresh kernel: the notebook's code cells and papermill's injected one, from 1.
    own = nbformat.read(CLIENT_NOTEBOOK, as_version=4).cells
    assert counts == list(range(1, 2 + sum(cell.cell_type == "code" for cell in own)))


def test_without_the_reset_the_comparison_sees_the_leak(
    tmp_path: Path, saved: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The isolation check can fail: skip the reset and what A left behind shows in B."""
    leaky = client_notebook_with(tmp_path, "leftover = 'from the previous client'")
    reader = client_notebook_with(tmp_path / "b", "print(globals().get('leftover', 'clean'))")
    monkeypatch.setattr(WarmKernel, "reset", lambda self: None)
    differences = isolation_differences(
        (leaky, parameters(ACME, saved)), (reader, parameters(BLUEWATER, saved)), tmp_path / "run"
    )
    after = nbformat.read(tmp_path / "run" / "second-after-first.ipynb", as_version=4)
    assert "from the previous client" in json.dumps(after.cells[3].outputs)
    assert "cell 4: outputs differs" in " ".join(differences)
    assert any("execution_count differs" in line for line in differences)


def test_a_client_that_raises_does_not_poison_the_next(tmp_path: Path, saved: Path) -> None:
    failing = client_notebook_with(
        tmp_path,
        "import pandas as pd\n"
        "pd.set_option('display.max_rows', 3)\n"
        "broken = True\n"
        "raise RuntimeError('simulated failure')",
    )
    differences = isolation_differences(
        (failing, parameters(ACME, saved)),
        (CLIENT_NOTEBOOK, parameters(BLUEWATER, saved)),
        tmp_path / "run",
    )
    first = nbformat.read(tmp_path / "run" / "first.ipynb", as_version=4)
    assert any(
        output.get("ename") == "RuntimeError"
        for cell in first.cells
        for output in cell.get("outputs", [])
    )
    assert differences == []


def test_warm_outputs_are_stock_papermills_apart_from_timings(tmp_path: Path) -> None:
    clients = [ACME, BLUEWATER, "29600114"]
    stock = run_batch(
        DEMO, PERIOD, tmp_path / "stock", only=clients, executor="papermill", progress=print
    )
    warm = run_batch(DEMO, PERIOD, tmp_path / "warm", only=clients, jobs=2, progress=print)
    assert stock.ok and warm.ok
    assert batch_differences(stock.folder, warm.folder) == []
    compared = sorted(p.relative_to(stock.folder) for p in stock.folder.rglob("*.*"))
    assert [str(p) for p in compared if p.suffix == ".ipynb"] == [
        "Acme Dental Group/reconciliation.ipynb",
        "Bluewater Logistics/reconciliation.ipynb",
        "Cedar Ridge Veterinary/reconciliation.ipynb",
        "portfolio.ipynb",
    ]
    portfolio = json.dumps(nbformat.read(warm.folder / "portfolio.ipynb", as_version=4).cells)
    assert "$523.80" in portfolio and "$268.20" in portfolio and "image/png" in portfolio


def test_the_comparison_catches_a_changed_figure(tmp_path: Path) -> None:
    """The comparison is not blind: one changed output, one changed workbook cell."""
    run = run_batch(DEMO, PERIOD, tmp_path / "a", only=[ACME], progress=lambda _: None)
    notebook = run.folder / "Acme Dental Group" / "reconciliation.ipynb"
    book = nbformat.read(notebook, as_version=4)
    altered = nbformat.from_dict(json.loads(json.dumps(book).replace("$52.80", "$52.81")))
    assert notebook_differences(book, book) == []
    assert [line.split(":")[0] for line in notebook_differences(book, altered)] == [
        "cell 4",
        "cell 6",
        "cell 12",
    ]
    workbook = run.folder / "Acme Dental Group" / f"Acme Dental Group - {PERIOD}.xlsx"
    changed = tmp_path / "changed.xlsx"
    shutil.copy(workbook, changed)
    sheets = openpyxl.load_workbook(changed)
    sheets["Summary"]["A1"] = "changed"
    sheets.save(changed)
    assert workbook_differences(workbook, workbook) == []
    differences = workbook_differences(workbook, changed)
    assert len(differences) == 1 and differences[0].startswith("Summary row 1: ")


def test_a_kernel_that_dies_is_replaced_and_the_client_retried(
    tmp_path: Path, client_notebook: Callable[[Path], None]
) -> None:
    marker = tmp_path / "died-once"
    notebook = client_notebook_with(
        tmp_path,
        "import os, pathlib, signal\n"
        f"marker = pathlib.Path({str(marker)!r})\n"
        f"if str(client) == {ACME!r} and not marker.exists():\n"
        "    marker.touch()\n"
        "    os.kill(os.getpid(), signal.SIGKILL)",
    )
    client_notebook(notebook)
    messages: list[str] = []
    batch = run_batch(
        DEMO, PERIOD, tmp_path / "out", only=[ACME, BLUEWATER], jobs=1, progress=messages.append
    )
    assert marker.exists(), "the kernel was never killed, so nothing was tested"
    assert batch.ok, [run.error for run in batch.failed]
    acme = nbformat.read(batch.clients[0].folder / "reconciliation.ipynb", as_version=4)
    assert "Acme Dental Group" in json.dumps([cell.get("outputs") for cell in acme.cells])


def test_a_kernel_that_dies_twice_is_reported_and_the_others_finish(
    tmp_path: Path, client_notebook: Callable[[Path], None]
) -> None:
    notebook = client_notebook_with(
        tmp_path,
        f"import os, signal\nif str(client) == {ACME!r}:\n    os.kill(os.getpid(), signal.SIGKILL)",
    )
    client_notebook(notebook)
    batch = run_batch(
        DEMO, PERIOD, tmp_path / "out", only=[ACME, BLUEWATER], jobs=1, progress=lambda _: None
    )
    assert [(run.client, run.ok) for run in batch.clients] == [
        ("Acme Dental Group", False),
        ("Bluewater Logistics", True),
    ]
    assert "the kernel died" in batch.failed[0].error
    assert batch.failed[0].error.endswith("(the kernel died twice on this task)")
    assert not batch.portfolio_error
    assert not (batch.clients[0].folder / "reconciliation.ipynb").exists()


def test_a_cell_over_the_timeout_fails_that_client_only(
    tmp_path: Path, client_notebook: Callable[[Path], None]
) -> None:
    notebook = client_notebook_with(
        tmp_path, f"import time\nif str(client) == {ACME!r}:\n    time.sleep(300)"
    )
    client_notebook(notebook)
    batch = run_batch(
        DEMO,
        PERIOD,
        tmp_path / "out",
        only=[ACME, BLUEWATER],
        jobs=1,
        cell_timeout=10,  # ten times what a demo client's slowest cell takes
        progress=lambda _: None,
    )
    assert [(run.client, run.ok) for run in batch.clients] == [
        ("Acme Dental Group", False),
        ("Bluewater Logistics", True),
    ]
    assert "CellTimeoutError" in batch.failed[0].error


def test_leftovers_of_a_killed_run_are_deleted(tmp_path: Path) -> None:
    folder = tmp_path / PERIOD / "Acme Dental Group"
    folder.mkdir(parents=True)
    leftovers = [
        folder / ".Acme Dental Group - 2026-10.xlsx.k2j3h4.tmp",  # the workbook writer's
        folder / ".reconciliation.partial.ipynb",  # the batch's own
    ]
    for path in leftovers:
        path.write_bytes(b"half")
    batch = run_batch(DEMO, PERIOD, tmp_path, only=[ACME], progress=lambda _: None)
    assert batch.ok
    assert not [path for path in leftovers if path.exists()]
    assert not [p for p in (tmp_path / PERIOD).rglob(".*") if p.is_file()]


def test_every_kernel_reads_the_stored_month_once_before_its_first_client(
    tmp_path: Path, client_notebook: Callable[[Path], None]
) -> None:
    """The batch has each kernel read the stored result while it writes the all-clients
    workbook. A kernel then counts one read (a cache miss) and, before each client's notebook,
    one hit per use: the client's workbook, then the notebook's cell below; the notebook's own
    ``open_client`` is one more hit. So client n on a kernel shows 2n - 1 hits, or 2n on the
    kernel that ran the portfolio (one hit) before its clients; a kernel that read the month
    for its first client's workbook would show a miss more."""
    client_notebook(
        client_notebook_with(
            tmp_path,
            "import gc, os\n"
            "from workbench.store import _load_cached\n"
            "reads = _load_cached.cache_info()\n"
            "print(os.getpid(), reads.hits, reads.misses, gc.get_freeze_count() > 0,"
            " *gc.get_threshold())",
        )
    )
    clients = ["29600100", "29600107", "29600114", "29600121"]
    batch = run_batch(DEMO, PERIOD, tmp_path / "out", only=clients, jobs=2, progress=print)
    assert batch.ok
    shown = []
    for run in batch.clients:
        book = nbformat.read(run.folder / "reconciliation.ipynb", as_version=4)
        pid, hits, misses, frozen, *thresholds = book.cells[3].outputs[0]["text"].split()
        shown.append((int(pid), int(hits), int(misses)))
        # Having read ahead, the kernel set its long-lived objects aside from garbage
        # collection, and collects less often.
        assert frozen == "True"
        assert tuple(map(int, thresholds)) == batch_module.KERNEL_GC_THRESHOLDS
    assert {misses for _, _, misses in shown} == {1}
    by_kernel: dict[int, list[int]] = {}
    for pid, hits, _ in shown:
        by_kernel.setdefault(pid, []).append(hits)
    portfolio_first = 0
    for hits in by_kernel.values():
        before = sorted(hits)[0] - 1
        assert before in (0, 1)
        portfolio_first += before
        assert sorted(hits) == [2 * n - 1 + before for n in range(1, len(hits) + 1)]
    assert portfolio_first <= 1


def test_a_call_after_a_reset_in_one_round_trip_sees_a_fresh_kernel(tmp_path: Path) -> None:
    """``call(..., fresh=True)`` (how the batch writes each client's workbook) resets the kernel
    first: the working folder an earlier call changed is the kernel's own again. Without it,
    the same call sees the changed folder."""
    started, elsewhere = tmp_path / "started", tmp_path / "elsewhere"
    for folder in (started, elsewhere):
        folder.mkdir()
        (folder / "where.txt").write_text(folder.name, encoding="utf-8")
    with WarmKernel(started) as kernel:
        kernel.reset()  # as the batch does first: what a fresh kernel is, remembered
        kernel.call("os", "chdir", (str(elsewhere),))
        kernel.call("shutil", "copyfile", ("where.txt", str(tmp_path / "fresh.txt")), fresh=True)
        kernel.call("os", "chdir", (str(elsewhere),))
        kernel.call("shutil", "copyfile", ("where.txt", str(tmp_path / "as-left.txt")))
    assert (tmp_path / "fresh.txt").read_text(encoding="utf-8") == "started"
    assert (tmp_path / "as-left.txt").read_text(encoding="utf-8") == "elsewhere"
