"""The warm batch against stock papermill, side by side in one run.

Both runs are the real monthly batch (:func:`workbench.batch.run_batch`) on the same clients,
with the same number of parallel jobs, into separate folders; only the executor differs:

- ``papermill``: stock papermill, a new kernel for every notebook (the baseline);
- ``warm``: one kernel per job kept alive from client to client.

Each includes opening the period (from its store, as a user's second run of the month does),
the all-clients workbook, every client's workbook, notebook and HTML, and the portfolio
notebook. Each batch runs in a process of its own, started for it, as ``workbench run`` does:
neither inherits the month the other one read, nor this process's. Prints a table and writes it
to ``bench/results/batch_overhead.{md,json}``.

Usage::

    python bench/batch_overhead.py                      # the demo workspace, all 25 clients
    python bench/batch_overhead.py --replicate 200      # the demo grown to 200 clients (tmp)
    python bench/batch_overhead.py --workspace PATH --clients 200 --jobs 2
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from workbench.batch import Executor, run_batch
from workbench.period import Period
from workbench.result import Reconciliation
from workbench.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo" / "workspace"
PERIOD = "2026-10"
RESULTS = ROOT / "bench" / "results"


@dataclass(frozen=True)
class BatchTiming:
    executor: str
    clients: int
    jobs: int
    seconds: float
    #: The batch's own stages (:attr:`workbench.batch.BatchRun.stage_seconds`): ``reconcile``,
    #: ``workbook`` (all clients), ``notebooks`` (every client's outputs and the portfolio).
    stages: dict[str, float] = field(default_factory=dict)

    @property
    def seconds_per_client(self) -> float:
        return self.seconds / self.clients

    @property
    def notebook_seconds(self) -> float:
        """The stage the executor runs: every client's workbook, notebook and HTML page, and
        the portfolio."""
        return self.stages["notebooks"]


@dataclass(frozen=True)
class Comparison:
    """Stock papermill and the warm batch on the same clients; ``ratio`` is stock / warm."""

    workspace: str
    period: str
    stock: BatchTiming
    warm: BatchTiming

    @property
    def ratio(self) -> float:
        return self.stock.seconds / self.warm.seconds

    @property
    def notebook_ratio(self) -> float:
        """Stock / warm for the notebooks stage alone (the period's reading, reconciling and
        all-clients workbook are the same work for both executors)."""
        return self.stock.notebook_seconds / self.warm.notebook_seconds


def first_clients(result: Reconciliation, count: int | None) -> list[str]:
    """The first ``count`` clients' company ids, in the result's order (all when None)."""
    ids = [str(company_id) for company_id in result.clients["company_id"]]
    return ids if count is None else ids[:count]


def _timed_batch(
    workspace: Path, period: str, clients: list[str], jobs: int, executor: Executor, folder: Path
) -> BatchTiming:
    """One batch, timed in a fresh process: the period is opened from its store, not from
    what an earlier batch left in memory."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as process:
        timing: BatchTiming = process.submit(
            _batch_here, workspace, period, clients, jobs, executor, folder
        ).result()
    return timing


def _batch_here(
    workspace: Path, period: str, clients: list[str], jobs: int, executor: Executor, folder: Path
) -> BatchTiming:
    began = time.perf_counter()
    batch = run_batch(
        workspace,
        period,
        folder / executor,
        jobs=jobs,
        only=clients,
        executor=executor,
        progress=lambda _: None,
    )
    seconds = time.perf_counter() - began
    if not batch.ok:
        errors = [run.error for run in batch.failed] + [batch.portfolio_error]
        raise SystemExit(f"the {executor} batch failed: {errors}")
    return BatchTiming(executor, len(batch.clients), jobs, seconds, dict(batch.stage_seconds))


def measure_batch(
    workspace: str | Path = DEMO,
    period: str = PERIOD,
    clients: int | None = None,
    jobs: int = 2,
    picked: list[str] | None = None,
) -> Comparison:
    """Time stock papermill and the warm batch on the same first ``clients`` clients.

    Parameters
    ----------
    workspace, period
        Any workspace and month with inputs (default: the demo, October 2026).
    clients
        How many clients, taken in the reconciliation's order (default: all).
    jobs
        Clients rendered at once, the same for both executors.
    picked
        The company ids to run, when the caller knows them (saves reconciling the period once
        more to find the first ``clients``).

    Returns
    -------
    Comparison
        Both timings and their ratio.
    """
    opened = Workspace.open(workspace)
    if picked is None:
        # From the period store (made here if it is not yet): the month as both batches open it.
        picked = first_clients(Period.open(opened, period).result(), clients)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        stock = _timed_batch(opened.root, period, picked, jobs, "papermill", folder)
        warm = _timed_batch(opened.root, period, picked, jobs, "warm", folder)
    return Comparison(str(opened.root), period, stock, warm)


def replicate_demo(folder: Path, clients: int) -> Path:
    """The seeded demo written with ``clients`` clients (the extra ones billed what they use).

    A stand-in for the bench suite's large scale until it exists: same files and layouts, more
    clients.
    """
    import demodata
    from demodata import msp

    names = msp.CLIENT_NAMES
    extra = [f"Replica Client {n:03d}" for n in range(len(names) + 1, clients + 1)]
    msp.CLIENT_NAMES = [*names, *extra]
    try:
        return demodata.write_demo_workspace(folder)
    finally:
        msp.CLIENT_NAMES = names


def report(comparison: Comparison) -> str:
    rows = [comparison.stock, comparison.warm]
    return "\n".join(
        [
            f"Batch of {comparison.stock.clients} clients, {comparison.stock.jobs} parallel jobs, "
            f"{comparison.workspace} {comparison.period}",
            "",
            "| executor | clients | jobs | batch s | reconcile s | all-clients workbook s "
            "| notebooks s | notebooks s / client |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
            *(
                f"| {r.executor} | {r.clients} | {r.jobs} | {r.seconds:.1f} | "
                f"{r.stages['reconcile']:.1f} | {r.stages['workbook']:.1f} | "
                f"{r.notebook_seconds:.1f} | {r.notebook_seconds / r.clients:.2f} |"
                for r in rows
            ),
            "",
            f"Warm batch: {comparison.ratio:.1f}x faster than stock papermill over the whole "
            f"batch, {comparison.notebook_ratio:.1f}x over the notebooks stage (goals: 10x and 15x).",
            f"Machine: {os.cpu_count()} cores; each batch in a process of its own, one after "
            "the other.",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, help="default: the demo workspace")
    parser.add_argument("--period", default=PERIOD)
    parser.add_argument("--clients", type=int, help="the first N clients (default: all)")
    parser.add_argument("--jobs", type=int, default=2, help="parallel jobs for both (default 2)")
    parser.add_argument(
        "--replicate", type=int, metavar="N", help="measure on the demo grown to N clients"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        workspace = args.workspace or DEMO
        if args.replicate:
            workspace = replicate_demo(Path(scratch) / "workspace", args.replicate)
        comparison = measure_batch(workspace, args.period, args.clients, args.jobs)
    text = report(comparison)
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "batch_overhead" if not args.replicate else f"batch_overhead_{args.replicate}"
    (RESULTS / f"{name}.md").write_text(text + "\n", encoding="utf-8")
    figures = {
        "workspace": comparison.workspace,
        "period": comparison.period,
        "stock_papermill": asdict(comparison.stock),
        "warm": asdict(comparison.warm),
        "ratio": round(comparison.ratio, 2),
        "notebook_ratio": round(comparison.notebook_ratio, 2),
    }
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
