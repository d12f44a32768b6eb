"""The benchmark suite: ``make bench``. Every figure beside a baseline measured in the same run.

For each scale (``small`` = the demo, ``large``, ``distributor``; see :mod:`bench.scale`):

import
    ours: ``read_period_inputs`` (every file to canonical rows, checked, with provenance);
    baselines: ``pyarrow.csv.read_csv`` (workbooks: calamine) of the same files, the goal's
    yardstick, and ``pandas.read_csv(dtype=str)`` / ``read_excel(engine="openpyxl")``.
reconcile
    ours: ``reconcile`` on the canonical inputs the import measurement left in the period store
    (:mod:`workbench.store`, so the reader's own peak is not counted twice); its result makes
    the evidence frame (a row per source row) when first read, which is timed apart in the same
    process and said in the row's label. Baselines: bare pandas groupby + outer merge +
    classification, datacompy's ``PandasCompare`` on the same aggregated frames, and the same
    joins and sums as one DuckDB query. On a generated scale the engine's discrepancies are
    checked against the injected ones.
per-client notebook, whole batch
    the monthly batch (reconcile once, then a workbook, notebook and HTML page per client) on
    the first ``BENCH_BATCH_CLIENTS`` clients, with warm kernels and with stock papermill (one
    kernel per notebook), at the same parallelism, each batch in a process of its own:
    ``bench/batch_overhead.measure_batch``. Both write the all-clients workbook of the whole
    month (every client's lines), whose time is noted against its goal of 30 s.
workbench review
    the command in a fresh process: the median of three runs with the month in the period
    store, beside the first run after the store was removed (the month read from its exports).
dashboard
    a real Voila server and headless Chromium: time until the dashboard is interactive (the
    median of three page loads from the store, beside the first load without a store), and
    time to switch to one client.

Once per run (their inputs do not depend on the scale):

xlsx read
    a Partner Center workbook of ``BENCH_XLSX_ROWS`` rows: ``read_table`` (calamine) against
    ``pandas.read_excel(engine="openpyxl")``.
workbook write
    the consolidated workbook of ``BENCH_ADJUSTMENT_ROWS`` styled, validated adjustment rows:
    :mod:`workbench.outputs.excel` against the same workbook written by openpyxl's default mode.

Each measurement runs in a fresh process, so its peak memory (``ru_maxrss``) is its own. The
import and the reconciliation are run :data:`RUNS` times each, alternating with their baselines,
and the table gives the median; at the large scales each of these processes first touches
``WARM_MIB`` of memory (:func:`_warm_memory`: on this virtual machine the first touch of memory
left free for a few seconds costs about 10 ms per MiB, which otherwise decides the figures).
Results: a Markdown table on stdout and in ``bench/results/suite.md``, the figures in
``bench/results/suite.json``.

Environment: ``BENCH_SCALES`` (default ``small,large``), ``BENCH_XLSX_ROWS`` (100000),
``BENCH_ADJUSTMENT_ROWS`` (100000), ``BENCH_BATCH_CLIENTS`` (200), ``BENCH_JOBS`` (2),
``BENCH_DASHBOARD`` (scales to open in the browser, default all), ``BENCH_DASHBOARD_GAP``
(seconds between page loads, 8), ``BENCH_RUNS`` (runs of each compared measurement, 3),
``BENCH_WARM_MIB`` (memory touched before a compared
measurement, default :data:`WARM_MIB` of the scale), ``BENCH_PROFILE`` (1: write
a pyinstrument profile of the reconciliation per scale), ``BENCH_RESULTS`` (output folder).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path[:0] = [str(BENCH), str(ROOT)]

import scale as scales  # noqa: E402

PERIOD = "2026-10"
MiB = 1024 * 1024
#: The import's memory goal (issue 13): reading the large scale's month within 1.5 GiB.
IMPORT_PEAK_MIB = 1536


def _setting(name: str, default: str) -> str:
    return os.environ.get(name, default)


# Measurements: each runs in its own process and returns its figures ----------------------------


def _timed(action: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    outcome = action()
    return time.perf_counter() - began, outcome


def _timed_warm(action: Callable[[], Any]) -> tuple[dict[str, float], Any]:
    """``action`` timed with memory warmed first (:func:`_warm_memory`): its seconds, the CPU
    time it took in user and system mode (system time is mostly first touches of memory), and
    the process's peak memory when it began (``start_mib``; ``earlier_peak_mib`` before the
    warm-up, such as reading the inputs)."""
    earlier_peak_mib = _peak_mib()
    _warm_memory()
    # Garbage left by the setup (reading the inputs, the mappings) is collected before the
    # clock starts, as pyperf does: else the step pays for a full collection of the setup's
    # objects when it happens to allocate enough to set one off.
    gc.collect()
    start_mib = _peak_mib()
    before = resource.getrusage(resource.RUSAGE_SELF)
    seconds, outcome = _timed(action)
    after = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "seconds": seconds,
        "user_seconds": after.ru_utime - before.ru_utime,
        "system_seconds": after.ru_stime - before.ru_stime,
        "warmed_mib": int(_setting("BENCH_WARM_MIB", "0")),
        "start_mib": start_mib,
        "earlier_peak_mib": earlier_peak_mib,
    }, outcome


def _warm_memory() -> None:
    """Touch ``BENCH_WARM_MIB`` of memory and give it back, then restart the peak count.

    On this machine (a virtual machine whose memory balloon reports free pages to the host) the
    first touch of memory that has been free for a couple of seconds costs about 10 ms per MiB
    of system time, 50 times a reused page: a step's time then depends on what the machine did
    before more than on the step. Pages just given back are reused at once, so the timed step
    starts as a long-running process would. The peak is counted again from here (Linux's
    ``clear_refs``), so the warm-up does not count as the step's memory.
    """
    mib = int(_setting("BENCH_WARM_MIB", "0"))
    if not mib:
        return
    import numpy as np

    touched = np.ones(mib * MiB // 8)
    del touched
    with open("/proc/self/clear_refs", "w", encoding="ascii") as peak:
        peak.write("5")


def measure_import_ours(workspace: Path) -> dict[str, Any]:
    from workbench.store import save_inputs
    from workbench.workspace import Workspace, read_period_inputs

    timing, inputs = _timed_warm(lambda: read_period_inputs(workspace, PERIOD))
    import_peak_mib = _peak_mib()  # before the month is stored for the measurements that follow
    if _setting("BENCH_INPUTS_CACHE", ""):  # what the reconcile measurements start from (not timed)
        save_inputs(Workspace.open(workspace), PERIOD, inputs)
    return {
        **timing,
        "rows": int(inputs.files["rows_read"].sum()),
        "import_peak_mib": import_peak_mib,
    }


def measure_import_pyarrow(workspace: Path) -> dict[str, Any]:
    from baselines import pyarrow_read_inputs

    folder = workspace / "periods" / PERIOD / "inputs"
    timing, rows = _timed_warm(lambda: pyarrow_read_inputs(folder))
    return {**timing, "rows": rows}


def measure_import_pandas(workspace: Path) -> dict[str, Any]:
    from baselines import pandas_read_inputs

    folder = workspace / "periods" / PERIOD / "inputs"
    seconds, rows = _timed(lambda: pandas_read_inputs(folder))
    return {"seconds": seconds, "rows": rows}


def _inputs_and_mappings(workspace: Path) -> tuple[Any, Any]:
    """The period's canonical inputs and the mappings: as the import measurement of this run
    left them (``BENCH_INPUTS_CACHE``), else read now.

    Starting from the import's result keeps the reader's own peak out of the reconciliation's
    memory figure and spares each reconciliation a full import.
    """
    from workbench.mapping import Mappings
    from workbench.store import inputs_id, load_inputs
    from workbench.workspace import Workspace, read_period_inputs

    opened = Workspace.open(workspace)
    mappings = Mappings.read(opened.mappings_file)
    if _setting("BENCH_INPUTS_CACHE", ""):
        stored = load_inputs(opened, PERIOD, inputs_id(opened, PERIOD))
        if stored is not None:
            return stored, mappings
    return read_period_inputs(opened, PERIOD), mappings


def _peak_mib() -> float:
    """The process's peak resident memory since it started or since :func:`_warm_memory`
    restarted the count: Linux's ``VmHWM``, which ``clear_refs`` resets (``ru_maxrss`` is never
    reset, so it would count the warm-up's memory as the step's)."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:  # not Linux
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MiB
    kib = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(kib) * 1024 / MiB


def measure_reconcile_ours(workspace: Path) -> dict[str, Any]:
    from workbench.reconcile import reconcile
    from workbench.result import ADJUSTMENT_STATUSES

    inputs, mappings = _inputs_and_mappings(workspace)
    timing, result = _timed_warm(lambda: reconcile(inputs, mappings, period=PERIOD))
    before = timing["start_mib"]
    # The evidence frame (a row per source row) is made when first read, as the batch and the
    # store read it: timed here, apart from the reconciliation.
    evidence_seconds, evidence = _timed(lambda: result.evidence)
    lines = result.lines
    found = lines[lines["status"].isin(ADJUSTMENT_STATUSES)]
    figures: dict[str, Any] = {
        **timing,
        "evidence_seconds": evidence_seconds,
        "evidence_rows": len(evidence),
        "usage_rows": len(inputs.usage),
        "contract_lines": len(inputs.contract_lines),
        "discrepancies": len(found),
        "inputs_mib": before,
        "added_mib": _peak_mib() - before,
    }
    truth_file = workspace / "periods" / PERIOD / "ground_truth.json"
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    if "discrepancies" in truth:  # a generated workspace: compare with what was injected
        want = {
            key: (v["status"], v["billed"], v["expected"])
            for key, v in truth["discrepancies"].items()
        }
        got = {
            row.line_id: (str(row.status), int(row.billed_quantity), int(row.expected_quantity))
            for row in found.itertuples(index=False)
        }
        figures["injected_found_exactly"] = got == want
        figures["missed"] = sorted(set(want) - set(got))[:10]
        figures["extra"] = sorted(set(got) - set(want))[:10]
    if _setting("BENCH_PROFILE", "0") == "1":
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
        reconcile(inputs, mappings, period=PERIOD)
        profiler.stop()
        figures["profile"] = profiler.output_text(show_all=False)
    return figures


def _measure_counts(workspace: Path, name: str) -> dict[str, Any]:
    """A baseline that counts lines per status, timed on the period's canonical inputs."""
    import baselines

    from workbench.result import ADJUSTMENT_STATUSES

    inputs, mappings = _inputs_and_mappings(workspace)
    timing, counts = _timed_warm(lambda: getattr(baselines, name)(inputs, mappings))
    return {
        **timing,
        "discrepancies": sum(counts[str(status)] for status in ADJUSTMENT_STATUSES),
    }


def measure_reconcile_pandas(workspace: Path) -> dict[str, Any]:
    return _measure_counts(workspace, "pandas_reconcile")


def measure_reconcile_datacompy(workspace: Path) -> dict[str, Any]:
    from baselines import datacompy_reconcile

    inputs, mappings = _inputs_and_mappings(workspace)
    timing, discrepancies = _timed_warm(lambda: datacompy_reconcile(inputs, mappings))
    return {**timing, "discrepancies": discrepancies}


def measure_reconcile_duckdb(workspace: Path) -> dict[str, Any]:
    return _measure_counts(workspace, "duckdb_reconcile")


def _partner_center_xlsx() -> Path:
    from read_files import partner_center_rows, write_xlsx

    rows = int(_setting("BENCH_XLSX_ROWS", "100000"))
    path = scales.DATA / f"partner-center-{rows}.xlsx"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial.xlsx")
        write_xlsx(partial, partner_center_rows(rows))
        partial.replace(path)
    return path


def measure_xlsx_ours(_: Path) -> dict[str, Any]:
    from workbench.sources.reading import read_table

    path = _partner_center_xlsx()
    seconds, table = _timed(lambda: read_table(path))
    return {"seconds": seconds, "rows": len(table.frame)}


def measure_xlsx_pandas(_: Path) -> dict[str, Any]:
    import pandas as pd

    path = _partner_center_xlsx()
    seconds, frame = _timed(lambda: pd.read_excel(path, engine="openpyxl", dtype=str))
    return {"seconds": seconds, "rows": len(frame)}


def _adjustment_result() -> Any:
    from adjustments import many_adjustments

    from workbench import reconcile_workspace

    rows = int(_setting("BENCH_ADJUSTMENT_ROWS", "100000"))
    return many_adjustments(reconcile_workspace(scales.DEMO, PERIOD), rows)


def measure_workbook_ours(_: Path) -> dict[str, Any]:
    from workbench.outputs.excel import workbook_bytes

    result = _adjustment_result()
    seconds, content = _timed(lambda: workbook_bytes(result, title="All clients"))
    return {"seconds": seconds, "rows": len(result.lines), "bytes": len(content)}


def measure_workbook_openpyxl(_: Path) -> dict[str, Any]:
    from openpyxl_book import workbook_bytes

    result = _adjustment_result()
    seconds, content = _timed(lambda: workbook_bytes(result, title="All clients"))
    return {"seconds": seconds, "rows": len(result.lines), "bytes": len(content)}


def measure_batch_warm(workspace: Path) -> dict[str, Any]:
    """Stock papermill and the warm batch on the same first clients, side by side."""
    import batch_overhead

    from workbench.reconcile import reconcile

    clients = int(_setting("BENCH_BATCH_CLIENTS", "200"))
    jobs = int(_setting("BENCH_JOBS", "2"))
    inputs, mappings = _inputs_and_mappings(workspace)
    picked = batch_overhead.first_clients(reconcile(inputs, mappings, period=PERIOD), clients)
    del inputs, mappings
    figures = batch_overhead.measure_batch(workspace, PERIOD, clients, jobs, picked=picked)
    return {
        "seconds": figures.warm.seconds,
        "stock_seconds": figures.stock.seconds,
        "stages": figures.warm.stages,
        "stock_stages": figures.stock.stages,
        "clients": figures.warm.clients,
        "jobs": figures.warm.jobs,
    }


#: Runs of each measurement compared with a baseline, alternating with it (median reported);
#: ``BENCH_RUNS`` sets another number (the test of the suite runs each once).
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
#: Runs of ``workbench review`` and page loads of the dashboard (median reported).
LOADS = RUNS
#: Seconds a person may wait (issue 12): the dashboard until interactive, ``workbench review``.
DASHBOARD_GOALS = {"small": 3.0, "large": 10.0}
REVIEW_GOALS = {"large": 5.0}


def _forget_store(workspace: Path) -> None:
    """Remove the period store, so the next face reads the month from its exports as every face
    did before the store existed (and stores it again)."""
    shutil.rmtree(workspace / "periods" / PERIOD / "store", ignore_errors=True)


#: ``workbench review`` in a fresh interpreter that prints its own peak memory when it ends.
_REVIEW = (
    "import atexit, resource, sys\n"
    "atexit.register(lambda: print('PEAK-KIB', resource.getrusage(resource.RUSAGE_SELF)"
    ".ru_maxrss, file=sys.stderr))\n"
    "from workbench.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def _review_once(workspace: Path) -> tuple[float, float]:
    """One ``workbench review`` of the period, as a user runs it: seconds and peak MiB."""
    command = [sys.executable, "-c", _REVIEW, "review", "--workspace", str(workspace)]
    began = time.perf_counter()
    completed = subprocess.run(
        [*command, "--period", PERIOD], capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - began
    if completed.returncode != 0:
        raise RuntimeError(f"workbench review failed: {completed.stderr[-2000:]}")
    peak = [line for line in completed.stderr.splitlines() if line.startswith("PEAK-KIB ")]
    return seconds, int(peak[-1].split()[1]) / 1024


def measure_review(workspace: Path) -> dict[str, Any]:
    """``workbench review`` with the month in the period store (median of :data:`LOADS` runs),
    beside the same command when the month has to be read from its exports."""
    _forget_store(workspace)
    cold_seconds, cold_peak = _review_once(workspace)
    runs = [_review_once(workspace) for _ in range(LOADS)]
    return {
        "seconds": statistics.median(seconds for seconds, _ in runs),
        "runs": [round(seconds, 3) for seconds, _ in runs],
        "review_peak_mib": max(peak for _, peak in runs),
        "cold_seconds": cold_seconds,
        "cold_peak_mib": cold_peak,
    }


def measure_dashboard(workspace: Path) -> dict[str, Any]:
    """Seconds until the dashboard is interactive: the first load after the store was removed
    (the month read from its exports), then the median of :data:`LOADS` loads from the store,
    each a new page with its own kernel, ``BENCH_DASHBOARD_GAP`` seconds apart; and the switch
    to one client."""
    from playwright.sync_api import expect, sync_playwright

    from tests.test_dashboard import CHROMIUM, CHROMIUM_ARGS, voila_server

    timeout = int(_setting("BENCH_DASHBOARD_TIMEOUT", "1200")) * 1000
    gap = float(_setting("BENCH_DASHBOARD_GAP", "8"))
    _forget_store(workspace)
    with (
        tempfile.TemporaryDirectory() as folder,
        voila_server(
            Path(folder) / "voila.log", WORKBENCH_WORKSPACE=str(workspace.resolve())
        ) as url,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            loads = []
            for _ in range(1 + LOADS):
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                began = time.perf_counter()
                page.goto(url, timeout=timeout)
                expect(page.locator(".wb-tile")).to_have_count(4, timeout=timeout)
                loads.append(time.perf_counter() - began)
                if len(loads) <= LOADS:
                    page.close()
                    # People open the dashboard one at a time: the server has a moment to
                    # start the next preheated kernel (voila.json), as it would between them.
                    time.sleep(gap)
            names = page.locator(".wb-client select option").all_text_contents()
            client = names[-1].replace("\xa0", " ").strip()  # widgets pad labels with nbsp
            print(f"dashboard: switching to {client!r} of {len(names)} choices", file=sys.stderr)
            began = time.perf_counter()
            page.locator(".wb-client select").select_option(label=client)
            # The client's page is shown when its workbook button names it (the workbook itself
            # is built only when asked for).
            expect(page.locator("button.wb-prepare-workbook")).to_have_text(
                f"Prepare workbook: {client}", timeout=timeout
            )
            switch = time.perf_counter() - began
        finally:
            browser.close()
    return {
        "seconds": statistics.median(loads[1:]),
        "loads": [round(seconds, 3) for seconds in loads[1:]],
        "cold_seconds": loads[0],
        "switch_seconds": switch,
        "client": client,
    }


MEASURES: dict[str, Callable[[Path], dict[str, Any]]] = {
    name.removeprefix("measure_"): function
    for name, function in list(globals().items())
    if name.startswith("measure_") and callable(function)
}


def _child(name: str, workspace: Path) -> None:
    figures = MEASURES[name](workspace)
    figures["peak_mib"] = _peak_mib()
    line = json.dumps(figures, default=str)
    # Each measurement is also kept as it finishes, so a long run that is stopped keeps its
    # figures so far.
    folder = results_folder()
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "measures.jsonl").open("a", encoding="utf-8") as log:
        log.write(json.dumps({"measure": name, "workspace": str(workspace)}) + " " + line + "\n")
    print("BENCH-RESULT " + line)


def run_measure(name: str, workspace: Path, **settings: str) -> dict[str, Any]:
    """Run one measurement in a fresh Python process (its environment with ``settings``
    added) and return its figures."""
    completed = subprocess.run(
        [sys.executable, __file__, "--measure", name, "--workspace", str(workspace)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**os.environ, **settings},
    )
    for line in completed.stdout.splitlines():
        if line.startswith("BENCH-RESULT "):
            figures: dict[str, Any] = json.loads(line.removeprefix("BENCH-RESULT "))
            return figures
    raise RuntimeError(
        f"measurement {name} on {workspace} failed ({completed.returncode}):\n"
        f"{completed.stderr[-3000:]}"
    )


# The run: pairs of measurements, a table, the files ---------------------------------------------

#: MiB each compared measurement touches before its timed step (:func:`_warm_memory`), per
#: scale; ``BENCH_WARM_MIB`` sets it for all. More than the hungriest step takes in: with 1,024
#: MiB at the large scale the bare pandas baseline (about 950 MiB beyond its inputs) still paid
#: 0.9-1.1 s of first touches in two runs of three.
WARM_MIB = {"large": 2048, "distributor": 3072}


def run_alternating(names: list[str], run: Callable[[str], dict[str, Any]]) -> list[dict[str, Any]]:
    """Each measurement :data:`RUNS` times, in rounds of one run of each, so a baseline and the
    measurement it is compared with see the machine alike; per measurement the figures of its
    median run, the seconds of every run (``runs``) and the highest peak."""
    rounds = [[run(name) for name in names] for _ in range(RUNS)]
    merged = []
    for figures in zip(*rounds, strict=True):
        ordered = sorted(figures, key=lambda run_figures: run_figures["seconds"])
        median = dict(ordered[len(ordered) // 2])
        median["runs"] = [round(run_figures["seconds"], 3) for run_figures in figures]
        median["system_runs"] = [
            round(run_figures.get("system_seconds", 0.0), 3) for run_figures in figures
        ]
        for peak in ("peak_mib", "import_peak_mib"):
            if peak in median:
                median[peak] = max(run_figures[peak] for run_figures in figures)
        merged.append(median)
    return merged


def _runs_note(scale: str, measured: list[tuple[str, dict[str, Any]]]) -> str:
    """Every run's seconds, and the system CPU seconds in them, of compared measurements."""

    def runs(figures: dict[str, Any]) -> str:
        return ", ".join(
            f"{seconds:.2f} ({system:.2f})"
            for seconds, system in zip(figures["runs"], figures["system_runs"], strict=True)
        )

    warmed = measured[0][1].get("warmed_mib", 0)
    return (
        f"{scale}: {RUNS} runs of each, alternating, each in a fresh process"
        + (f" that first touched {warmed:,} MiB of memory" if warmed else "")
        + "; the table gives the median; seconds (system CPU seconds) per run: "
        + "; ".join(f"{label} {runs(figures)}" for label, figures in measured)
    )


def _row(
    scale: str,
    what: str,
    ours: dict[str, Any],
    baseline_name: str,
    baseline: dict[str, Any] | None,
    goal: str = "",
    limit: float | None = None,
    ours_seconds: float | None = None,
    baseline_seconds: float | None = None,
    seconds_limit: float | None = None,
) -> dict[str, Any]:
    """One row of the table. ``limit`` is a goal on the ratio, ``seconds_limit`` on our own
    seconds (for what a person waits for, such as a page)."""
    mine = ours["seconds"] if ours_seconds is None else ours_seconds
    theirs = None
    if baseline is not None:
        theirs = baseline["seconds"] if baseline_seconds is None else baseline_seconds
    ratio = mine / theirs if theirs else None
    met = None if limit is None or ratio is None else ratio <= limit
    if seconds_limit is not None:
        met = mine <= seconds_limit
    return {
        "scale": scale,
        "measure": what,
        "ours_seconds": round(mine, 6),
        "baseline": baseline_name,
        "baseline_seconds": None if theirs is None else round(theirs, 6),
        "ratio": None if ratio is None else round(ratio, 4),
        "ours_peak_mib": round(ours.get("peak_mib", 0)),
        "baseline_peak_mib": None if baseline is None else round(baseline.get("peak_mib", 0)),
        "goal": goal,
        "met": met,
    }


def run_scale(scale: str, notes: list[str]) -> list[dict[str, Any]]:
    print(f"[{scale}] preparing the workspace", file=sys.stderr, flush=True)
    workspace = scales.workspace_for(scale)
    rows: list[dict[str, Any]] = []

    def measure(name: str, **settings: str) -> dict[str, Any]:
        print(f"[{scale}] {name}", file=sys.stderr, flush=True)
        return run_measure(name, workspace, **settings)

    warm_mib = _setting("BENCH_WARM_MIB", str(WARM_MIB.get(scale, 0)))

    def compared(names: list[str]) -> list[dict[str, Any]]:
        # Only the compared measurements warm their memory: the others are timed as they were.
        return run_alternating(names, lambda name: measure(name, BENCH_WARM_MIB=warm_mib))

    os.environ["BENCH_INPUTS_CACHE"] = "store"  # the import stores the month's inputs
    try:
        import_ours, pyarrow_run = compared(["import_ours", "import_pyarrow"])
        ours = {**import_ours, "peak_mib": import_ours["import_peak_mib"]}
        rows.append(
            _row(
                scale,
                f"import ({ours['rows']:,} rows)",
                ours,
                "pyarrow read_csv (workbooks: calamine)",
                pyarrow_run,
                "<= 3x",
                3,
            )
        )
        rows.append(
            _row(scale, "import", ours, "pandas read_csv / read_excel", measure("import_pandas"))
        )
        notes.append(
            f"{scale}: peak memory of the import {ours['peak_mib']:,.0f} MiB (goal at the large "
            f"scale: <= {IMPORT_PEAK_MIB:,} MiB"
            + (
                f", {'met' if ours['peak_mib'] <= IMPORT_PEAK_MIB else 'missed'})"
                if scale == "large"
                else ")"
            )
        )
        ours, pandas_run, datacompy_run, duckdb_run = compared(
            ["reconcile_ours", "reconcile_pandas", "reconcile_datacompy", "reconcile_duckdb"]
        )
        warm = measure("batch_warm")
    finally:
        del os.environ["BENCH_INPUTS_CACHE"]
    size = f"{ours['usage_rows']:,} usage rows, {ours['contract_lines']:,} contract lines"
    rows.append(
        _row(
            scale,
            f"reconcile ({size}; its evidence frame, {ours['evidence_rows']:,} rows, is built "
            f"when first read: +{ours['evidence_seconds']:.2f} s, not in ours s)",
            ours,
            "bare pandas groupby + merge",
            pandas_run,
            "<= 0.3x",
            0.3,
        )
    )
    rows.append(
        _row(scale, "reconcile", ours, "datacompy PandasCompare", datacompy_run, "<= 0.3x", 0.3)
    )
    rows.append(_row(scale, "reconcile", ours, "DuckDB joins + sums", duckdb_run, "<= 2x", 2.0))
    notes.append(
        _runs_note(
            scale,
            [
                ("import ours", import_ours),
                ("pyarrow", pyarrow_run),
                ("reconcile ours", ours),
                ("bare pandas", pandas_run),
                ("datacompy", datacompy_run),
                ("DuckDB", duckdb_run),
            ],
        )
    )
    notes.append(
        f"{scale}: peak memory of the reconciliation process {ours['peak_mib']:,.0f} MiB "
        f"(goal <= 1,536 MiB: {'met' if ours['peak_mib'] <= 1536 else 'missed'}; the canonical "
        f"inputs held {ours['inputs_mib']:,.0f} MiB before it began, the reconciliation added "
        f"{ours['added_mib']:,.0f} MiB); discrepancies "
        f"found: engine {ours['discrepancies']}, bare pandas {pandas_run['discrepancies']}, "
        f"datacompy {datacompy_run['discrepancies']}, DuckDB {duckdb_run['discrepancies']}"
        + (
            f"; injected discrepancies found exactly: {ours['injected_found_exactly']}"
            + (
                ""
                if ours["injected_found_exactly"]
                else f" (missed {ours['missed']}, extra {ours['extra']})"
            )
            if "injected_found_exactly" in ours
            else " (the demo has bundles and SKU aliases, which the baselines do not do)"
        )
    )
    if "profile" in ours:
        results_folder().mkdir(parents=True, exist_ok=True)
        (results_folder() / f"reconcile_profile_{scale}.txt").write_text(ours["profile"])

    clients, stages, stock_stages = warm["clients"], warm["stages"], warm["stock_stages"]
    rows.append(
        _row(
            scale,
            f"per-client notebook stage (workbook, notebook, HTML), warm kernels "
            f"({warm['jobs']} at once)",
            warm,
            "stock papermill, one kernel per notebook",
            {"seconds": warm["stock_seconds"]},
            "<= 0.067x (15x)",
            1 / 15,
            ours_seconds=stages["notebooks"] / clients,
            baseline_seconds=stock_stages["notebooks"] / clients,
        )
    )
    rows.append(
        _row(
            scale,
            f"whole batch, warm kernels ({clients} clients, {warm['jobs']} at once)",
            warm,
            "stock papermill, one kernel per notebook, same clients and parallelism",
            {"seconds": warm["stock_seconds"]},
            "<= 0.1x",
            0.1,
        )
    )
    notes.append(
        f"{scale}: batch stages, warm / stock papermill: reading and reconciling the period "
        f"{stages['reconcile']:,.1f} / {stock_stages['reconcile']:,.1f} s, the all-clients "
        f"workbook {stages['workbook']:,.1f} / {stock_stages['workbook']:,.1f} s, {clients} "
        f"clients' notebooks and the portfolio {stages['notebooks']:,.1f} / "
        f"{stock_stages['notebooks']:,.1f} s"
    )
    slowest = max(stages["workbook"], stock_stages["workbook"])
    notes.append(
        f"{scale}: the all-clients workbook of the whole month took at most {slowest:,.1f} s "
        f"(goal <= 30 s: {'met' if slowest <= 30 else 'missed'})"
    )

    review_goal = REVIEW_GOALS.get(scale)
    try:
        review = measure("review")
    except RuntimeError as failure:
        notes.append(f"{scale}: workbench review was not measured: {str(failure)[-300:]}")
    else:
        rows.append(
            _row(
                scale,
                f"workbench review, month from the period store (median of {LOADS})",
                review,
                "the same command reading the month's exports (no store)",
                {"seconds": review["cold_seconds"], "peak_mib": review["cold_peak_mib"]},
                f"<= {review_goal:g} s" if review_goal else "",
                seconds_limit=review_goal,
            )
            | {"ours_peak_mib": round(review["review_peak_mib"])}
        )
        notes.append(
            f"{scale}: workbench review runs from the store: "
            f"{', '.join(f'{seconds:.2f}' for seconds in review['runs'])} s"
        )

    dashboard_scales = _setting("BENCH_DASHBOARD", "small,large,distributor").split(",")
    if scale in dashboard_scales:
        try:
            board = measure("dashboard")
        except RuntimeError as failure:
            notes.append(f"{scale}: the dashboard was not measured: {str(failure)[-300:]}")
            return rows
        board_goal = DASHBOARD_GOALS.get(scale)
        rows.append(
            _row(
                scale,
                f"dashboard until interactive, month from the period store (median of {LOADS})",
                board,
                "first load reading the month's exports (no store)",
                {"seconds": board["cold_seconds"]},
                f"<= {board_goal:g} s" if board_goal else "",
                seconds_limit=board_goal,
            )
        )
        rows.append(
            _row(
                scale,
                f"dashboard client switch ({board['client']})",
                board,
                "",
                None,
                ours_seconds=board["switch_seconds"],
            )
        )
        notes.append(
            f"{scale}: dashboard loads from the store: "
            f"{', '.join(f'{seconds:.2f}' for seconds in board['loads'])} s"
        )
    return rows


def run_files() -> list[dict[str, Any]]:
    print("[files] xlsx read, workbook write", file=sys.stderr, flush=True)
    rows_read = int(_setting("BENCH_XLSX_ROWS", "100000"))
    rows_written = int(_setting("BENCH_ADJUSTMENT_ROWS", "100000"))
    return [
        _row(
            "files",
            f"xlsx read ({rows_read:,} Partner Center rows)",
            run_measure("xlsx_ours", ROOT),
            "pandas read_excel (openpyxl)",
            run_measure("xlsx_pandas", ROOT),
            "<= 0.25x",
            0.25,
        ),
        _row(
            "files",
            f"workbook write ({rows_written:,} adjustment rows)",
            run_measure("workbook_ours", ROOT),
            "openpyxl default writer",
            run_measure("workbook_openpyxl", ROOT),
            "<= 0.5x",
            0.5,
        ),
    ]


def results_folder() -> Path:
    return Path(_setting("BENCH_RESULTS", str(BENCH / "results")))


def table(rows: list[dict[str, Any]]) -> str:
    def cell(value: Any, digits: int = 2) -> str:
        if value is None:
            return "-"
        if isinstance(value, bool):
            return "yes" if value else "NO"
        if isinstance(value, float):
            return f"{value:,.{digits}f}"
        if isinstance(value, int):
            return f"{value:,}"
        return str(value)

    lines = [
        "| scale | measure | ours s | baseline | baseline s | ratio | ours peak MiB | baseline peak MiB | goal | met |",
        "|---|---|---:|---|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        lines.append(
            "| "
            + " | ".join(
                [
                    row["scale"],
                    row["measure"],
                    cell(row["ours_seconds"], 3),
                    row["baseline"] or "-",
                    cell(row["baseline_seconds"], 3),
                    cell(row["ratio"], 3),
                    cell(row["ours_peak_mib"]),
                    cell(row["baseline_peak_mib"]),
                    row["goal"] or "-",
                    cell(row["met"]),
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measure", choices=sorted(MEASURES), help=argparse.SUPPRESS)
    parser.add_argument("--workspace", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.measure:
        _child(options.measure, options.workspace)
        return
    began = time.perf_counter()
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    for scale in _setting("BENCH_SCALES", "small,large").split(","):
        rows.extend(run_scale(scale.strip(), notes))
    rows.extend(run_files())
    elapsed = time.perf_counter() - began
    report = "\n".join(
        [
            table(rows),
            "",
            *(f"- {note}" for note in notes),
            f"- ratio = ours / baseline (below 1: ours is faster); machine: {os.cpu_count()} cores; "
            f"run took {elapsed / 60:.1f} min",
        ]
    )
    print(report)
    folder = results_folder()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "suite.md").write_text(report + "\n", encoding="utf-8")
    (folder / "suite.json").write_text(
        json.dumps({"rows": rows, "notes": notes, "minutes": round(elapsed / 60, 1)}, indent=2)
        + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
