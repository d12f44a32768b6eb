"""The monthly batch: reconcile once, then one workbook and one executed notebook per client.

Layout of the results::

    outputs/<period>/manifest.json                    what ran: inputs, clients, outputs, checksums
    outputs/<period>/reconciliation.pickle            the period's result, computed once
    outputs/<period>/All clients - <period>.xlsx      consolidated workbook
    outputs/<period>/portfolio.ipynb (+ .html)        portfolio notebook, executed
    outputs/<period>/<client>/<client> - <period>.xlsx
    outputs/<period>/<client>/reconciliation.ipynb (+ .html, without code)

The reconciliation is computed once; each client's notebook only renders its share of the saved
result. Clients run in parallel, on local kernels (``executor="local"``) or on a Dask cluster
(``executor="dask"``). Every file is written to a temporary name and renamed when complete, so a
killed run leaves no half-written output, and the manifest is rewritten after every client, so
``resume=True`` finishes what a killed run left. One client's failure is recorded and the others
still finish.
"""

from __future__ import annotations

import functools
import json
import os
import re
import time
import unicodedata
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import papermill
from nbconvert import HTMLExporter

from workbench.errors import WorkbenchError
from workbench.outputs.excel import write_workbook
from workbench.reconcile import Reconciliation, Status
from workbench.sources.reading import file_checksum
from workbench.workspace import Workspace, reconcile_workspace

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
CLIENT_NOTEBOOK = NOTEBOOKS / "client_reconciliation.ipynb"
PORTFOLIO_NOTEBOOK = NOTEBOOKS / "portfolio.ipynb"
RESULT_FILE = "reconciliation.pickle"
MANIFEST_FILE = "manifest.json"
PARTIAL_MARK = ".partial"

Executor = Literal["local", "dask"]

_WINDOWS_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{n}" for n in range(1, 10)),
    *(f"LPT{n}" for n in range(1, 10)),
}


def folder_name(name: str, *, limit: int = 80) -> str:
    """A client name as a folder name that is safe on Windows, macOS and Linux.

    Characters that are forbidden or special in paths become spaces, runs of spaces collapse,
    leading dots and trailing dots or spaces go, and reserved device names get a suffix.
    """
    text = unicodedata.normalize("NFC", name)
    text = re.sub(r'[<>:"/\\|?*\x00-\x1f\x7f]', " ", text)
    text = " ".join(text.split()).lstrip(".").rstrip(". ")[:limit].rstrip(". ")
    if not text:
        text = "client"
    if text.split(".")[0].upper() in _WINDOWS_RESERVED:
        text += " (client)"
    return text


# -- writing files whole ------------------------------------------------------------------------


def _partial(path: Path) -> Path:
    """Where a file is written before it is complete: hidden, and keeping its extension."""
    return path.with_name(f".{path.stem}{PARTIAL_MARK}{path.suffix}")


def _leftovers(folder: Path) -> list[Path]:
    """Half-written files a killed run left behind."""
    return [p for p in folder.rglob(".*") if p.is_file() and PARTIAL_MARK in p.name]


def execute_notebook(notebook: Path, output: Path, parameters: dict[str, str]) -> Path:
    """Run a notebook with papermill into ``output``, which appears only once complete.

    A notebook that fails is kept beside it as ``<name>.failed.ipynb`` for a person to read.
    """
    partial = _partial(output)
    try:
        papermill.execute_notebook(
            str(notebook),
            str(partial),
            parameters=parameters,
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            cwd=str(notebook.parent),
        )
    except Exception:
        if partial.exists():
            os.replace(partial, output.with_suffix(".failed.ipynb"))
        raise
    os.replace(partial, output)
    output.with_suffix(".failed.ipynb").unlink(missing_ok=True)
    return output


def export_html(notebook: Path) -> Path:
    """The executed notebook as HTML without code cells, for readers without Jupyter."""
    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    body, _ = exporter.from_filename(str(notebook))
    html = notebook.with_suffix(".html")
    partial = _partial(html)
    partial.write_text(body, encoding="utf-8")
    os.replace(partial, html)
    return html


# -- one client ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientTask:
    """Everything a worker needs to render one client; plain values, so Dask can ship it."""

    company_id: str
    client: str
    folder: Path
    workspace: Path
    period: str
    saved: Path
    notebook: Path


@dataclass(frozen=True)
class ClientRun:
    company_id: str
    client: str
    folder: Path
    seconds: float
    error: str = ""
    outputs: tuple[Path, ...] = ()
    resumed: bool = False

    @property
    def ok(self) -> bool:
        return not self.error


@functools.lru_cache(maxsize=4)
def _saved_result(path: Path, modified: float) -> Reconciliation:
    # Keyed on the file's modification time, so a worker never renders an older run's result.
    return Reconciliation.load(path)


def _error_text(exc: BaseException) -> str:
    # Papermill's error carries the notebook's own exception name and message.
    name = getattr(exc, "ename", type(exc).__name__)
    value = getattr(exc, "evalue", str(exc))
    return f"{name}: {value}"


def render_client(task: ClientTask) -> ClientRun:
    """Write one client's workbook, executed notebook and HTML; never raises."""
    began = time.perf_counter()
    try:
        result = _saved_result(task.saved, task.saved.stat().st_mtime).for_client(task.company_id)
        task.folder.mkdir(parents=True, exist_ok=True)
        workbook = write_workbook(
            result,
            task.folder / f"{task.folder.name} - {task.period}.xlsx",
            title=f"{task.client} — {task.period}",
        )
        notebook = execute_notebook(
            task.notebook,
            task.folder / "reconciliation.ipynb",
            {
                "workspace": str(task.workspace),
                "period": task.period,
                "client": task.company_id,
                "saved": str(task.saved),
            },
        )
        html = export_html(notebook)
    except Exception as exc:  # one client's failure must not sink the batch
        seconds = time.perf_counter() - began
        return ClientRun(task.company_id, task.client, task.folder, seconds, _error_text(exc))
    seconds = time.perf_counter() - began
    return ClientRun(
        task.company_id, task.client, task.folder, seconds, outputs=(workbook, notebook, html)
    )


def _run_local(tasks: list[ClientTask], jobs: int) -> Iterator[ClientRun]:
    # Threads only drive papermill; each notebook runs in its own kernel process.
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(render_client, task) for task in tasks]
        for future in as_completed(futures):
            yield future.result()


def _run_dask(tasks: list[ClientTask], scheduler: str) -> Iterator[ClientRun]:
    from distributed import Client
    from distributed import as_completed as dask_completed

    try:
        client = Client(scheduler, timeout="20s")
    except OSError as exc:
        raise WorkbenchError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
    with client:
        futures = {client.submit(render_client, task, pure=False): task for task in tasks}
        for future in dask_completed(futures):
            task = futures[future]
            try:
                yield future.result()
            except Exception as exc:  # the worker itself died
                yield ClientRun(
                    task.company_id, task.client, task.folder, 0.0, f"worker lost: {exc}"
                )


# -- the manifest ---------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Manifest:
    """What a run read, what it wrote and how each client went; rewritten after every client."""

    path: Path
    content: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> Manifest | None:
        try:
            return cls(path, json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return None

    def write(self) -> None:
        partial = _partial(self.path)
        partial.write_text(json.dumps(self.content, indent=2) + "\n", encoding="utf-8")
        os.replace(partial, self.path)

    def outputs_intact(self, key: str) -> bool:
        """True when the entry succeeded and its files are still exactly what it wrote."""
        entry = self.content.get("clients", {}).get(key) or self.content.get(key) or {}
        files = entry.get("outputs", [])
        root = self.path.parent
        return (
            entry.get("status") == "ok"
            and bool(files)
            and all(
                (root / item["file"]).is_file()
                and file_checksum(root / item["file"]) == item["sha256"]
                for item in files
            )
        )

    def record(self, run: ClientRun, result: Reconciliation) -> None:
        summary = result.for_client(run.company_id).summary()
        root = self.path.parent
        self.content["clients"][run.company_id] = {
            "client": run.client,
            "folder": run.folder.relative_to(root).as_posix(),
            "status": "ok" if run.ok else "failed",
            "error": run.error,
            "seconds": round(run.seconds, 2),
            "lines": summary.lines,
            "discrepancies": summary.discrepancies,
            "revenue_leaking": str(summary.revenue_leaking),
            "over_billing_risk": str(summary.over_billing_risk),
            "outputs": [
                {"file": path.relative_to(root).as_posix(), "sha256": file_checksum(path)}
                for path in run.outputs
            ],
        }


def _inputs_of(result: Reconciliation) -> list[dict[str, Any]]:
    return [
        {
            "file": str(row["source_file"]),
            "format": str(row["format"]),
            "rows": int(row["rows_read"]),
            "sha256": str(row["sha256"]),
        }
        for row in result.files.to_dict("records")
    ]


# -- the run --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchRun:
    period: str
    folder: Path
    clients: list[ClientRun] = field(default_factory=list)
    portfolio_error: str = ""

    @property
    def failed(self) -> list[ClientRun]:
        return [run for run in self.clients if not run.ok]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.portfolio_error

    @property
    def manifest(self) -> Path:
        return self.folder / MANIFEST_FILE


def _plan(
    result: Reconciliation,
    opened: Workspace,
    period_folder: Path,
    saved: Path,
    only: list[str] | None,
) -> list[ClientTask]:
    clients = result.clients
    if only:
        wanted = set(only)
        clients = clients[clients["company_id"].isin(wanted) | clients["company_name"].isin(wanted)]
        if clients.empty:
            raise WorkbenchError(f"no client matches {', '.join(only)} in {result.period}")
    taken: set[str] = set()
    tasks = []
    for company_id, company_name in clients.itertuples(index=False):
        name = folder_name(str(company_name))
        if name.casefold() in taken:
            name = f"{name} ({company_id})"
        taken.add(name.casefold())
        tasks.append(
            ClientTask(
                str(company_id),
                str(company_name),
                period_folder / name,
                opened.root,
                result.period,
                saved,
                CLIENT_NOTEBOOK,
            )
        )
    return tasks


def run_batch(
    workspace: str | Path,
    period: str,
    outputs: str | Path,
    *,
    jobs: int | None = None,
    only: list[str] | None = None,
    executor: Executor = "local",
    scheduler: str | None = None,
    resume: bool = False,
    progress: Callable[[str], None] = print,
) -> BatchRun:
    """Run the month for every client (or the ``only`` company ids or names).

    Parameters
    ----------
    jobs
        Clients rendered at once with the local executor (default: the number of cores).
    executor, scheduler
        ``"dask"`` with a scheduler address runs the clients on that Dask cluster; its workers
        must see the same workspace and outputs folders.
    resume
        Keep the clients an earlier run of the same inputs finished intact, and run the rest.

    Returns
    -------
    BatchRun
        Per client: where its outputs are, how long it took, and its error if it failed.
    """
    if executor == "dask" and not scheduler:
        raise WorkbenchError(
            "the dask executor needs a scheduler address, such as tcp://10.0.0.5:8786"
        )
    opened = Workspace.open(workspace)
    started = time.perf_counter()
    progress(f"Reconciling {opened.name}, {period} ...")
    result = reconcile_workspace(opened, period)
    summary = result.summary()
    progress(
        f"  {summary.clients} clients, {summary.lines} lines, {summary.discrepancies} discrepancies, "
        f"{summary.counts[Status.UNMAPPED_CUSTOMER] + summary.counts[Status.UNMAPPED_SKU]} unmapped "
        f"({time.perf_counter() - started:.1f}s)"
    )
    period_folder = Path(outputs).resolve() / period
    period_folder.mkdir(parents=True, exist_ok=True)
    for leftover in _leftovers(period_folder):
        leftover.unlink()

    inputs = _inputs_of(result)
    previous = Manifest.read(period_folder / MANIFEST_FILE) if resume else None
    if previous is not None and previous.content.get("inputs") != inputs:
        raise WorkbenchError(
            "the inputs changed since the interrupted run, so its outputs cannot be kept: run again without --resume"
        )
    saved = result.save(period_folder / RESULT_FILE)
    tasks = _plan(result, opened, period_folder, saved, only)
    manifest = Manifest(
        period_folder / MANIFEST_FILE,
        {
            "workspace": opened.name,
            "workspace_folder": str(opened.root),
            "period": period,
            "started": _now(),
            "finished": None,
            "status": "running",
            "executor": executor,
            "inputs": inputs,
            "totals": {
                "clients": summary.clients,
                "lines": summary.lines,
                "discrepancies": summary.discrepancies,
                "revenue_leaking": str(summary.revenue_leaking),
                "over_billing_risk": str(summary.over_billing_risk),
                "unmapped_spend": str(summary.unmapped_spend),
                "coverage": round(summary.coverage, 4),
            },
            "clients": {},
        },
    )
    consolidated = write_workbook(
        result,
        period_folder / f"All clients - {period}.xlsx",
        title=f"{opened.name} — all clients — {period}",
    )
    manifest.content["consolidated"] = {
        "file": consolidated.name,
        "sha256": file_checksum(consolidated),
    }

    runs: list[ClientRun] = []
    pending = []
    for task in tasks:
        if previous is not None and previous.outputs_intact(task.company_id):
            manifest.content["clients"][task.company_id] = previous.content["clients"][
                task.company_id
            ]
            runs.append(ClientRun(task.company_id, task.client, task.folder, 0.0, resumed=True))
            progress(f"  {task.client}: already done by the interrupted run")
        else:
            pending.append(task)
    manifest.write()

    workers = jobs or min(len(pending), os.cpu_count() or 1) or 1
    finished = (
        _run_dask(pending, str(scheduler)) if executor == "dask" else _run_local(pending, workers)
    )
    for done, run in enumerate(finished, start=1):
        runs.append(run)
        manifest.record(run, result)
        manifest.write()
        state = "ok" if run.ok else f"FAILED: {run.error}"
        progress(f"  [{done}/{len(pending)}] {run.client}: {state} ({run.seconds:.1f}s)")

    portfolio_error = ""
    try:
        portfolio = execute_notebook(
            PORTFOLIO_NOTEBOOK,
            period_folder / "portfolio.ipynb",
            {"workspace": str(opened.root), "period": period, "saved": str(saved)},
        )
        html = export_html(portfolio)
        manifest.content["portfolio"] = {
            "status": "ok",
            "outputs": [{"file": p.name, "sha256": file_checksum(p)} for p in (portfolio, html)],
        }
        progress(f"  portfolio notebook: {portfolio}")
    except Exception as exc:
        portfolio_error = _error_text(exc)
        manifest.content["portfolio"] = {"status": "failed", "error": portfolio_error}
        progress(f"  portfolio notebook FAILED: {portfolio_error}")
    runs.sort(key=lambda run: run.client.casefold())
    batch = BatchRun(
        period=period, folder=period_folder, clients=runs, portfolio_error=portfolio_error
    )
    manifest.content.update(finished=_now(), status="complete" if batch.ok else "failed")
    manifest.write()
    progress(
        f"Done in {time.perf_counter() - started:.1f}s: {len(runs) - len(batch.failed)} of {len(runs)} "
        f"clients ok. Results in {period_folder} (manifest: {MANIFEST_FILE})"
    )
    return batch
