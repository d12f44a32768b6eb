"""Batch throughput against bare papermill, measured side by side in one run.

Baseline: papermill executing an empty notebook (one kernel start, nothing else), serially.
Measured: the real monthly batch on the demo workspace with 1 and with 2 parallel clients.
Prints a table and writes it to bench/results/batch_overhead.{md,json}.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill

from workbench.batch import run_batch

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo" / "workspace"
PERIOD = "2026-10"
BARE_RUNS = 5


def bare_papermill_seconds(folder: Path) -> float:
    empty = folder / "empty.ipynb"
    book = nbformat.v4.new_notebook()
    book.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(book, empty)
    timings = []
    for run in range(BARE_RUNS):
        began = time.perf_counter()
        papermill.execute_notebook(
            str(empty), str(folder / f"out-{run}.ipynb"), kernel_name="python3", progress_bar=False
        )
        timings.append(time.perf_counter() - began)
    return statistics.median(timings)


def batch_seconds(folder: Path, jobs: int) -> tuple[float, int]:
    began = time.perf_counter()
    batch = run_batch(DEMO, PERIOD, folder / f"jobs-{jobs}", jobs=jobs, progress=lambda _: None)
    if not batch.ok:
        sys.exit(f"the batch failed: {[run.error for run in batch.failed]}")
    return time.perf_counter() - began, len(batch.clients)


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        bare = bare_papermill_seconds(folder)
        rows = []
        for jobs in (1, 2):
            seconds, clients = batch_seconds(folder, jobs)
            per_client = seconds / clients
            rows.append(
                {
                    "jobs": jobs,
                    "clients": clients,
                    "batch_seconds": round(seconds, 1),
                    "clients_per_minute": round(clients / seconds * 60, 1),
                    "seconds_per_client": round(per_client, 2),
                    "per_client_vs_bare_papermill": round(per_client / bare, 2),
                }
            )
    lines = [
        f"Bare papermill, empty notebook (median of {BARE_RUNS}, serial): {bare:.2f} s",
        "",
        "| parallel clients | clients | batch s | clients / min | s / client | x bare papermill |",
        "| --- | --- | --- | --- | --- | --- |",
        *(
            f"| {r['jobs']} | {r['clients']} | {r['batch_seconds']} | {r['clients_per_minute']} | "
            f"{r['seconds_per_client']} | {r['per_client_vs_bare_papermill']} |"
            for r in rows
        ),
        "",
        f"Machine: {os.cpu_count()} cores. The batch includes reconciling, the consolidated workbook, "
        "each client's workbook, notebook and HTML, and the portfolio notebook.",
    ]
    report = "\n".join(lines)
    print(report)
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "batch_overhead.md").write_text(report + "\n", encoding="utf-8")
    (results / "batch_overhead.json").write_text(
        json.dumps({"bare_papermill_seconds": round(bare, 3), "runs": rows}, indent=2) + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
