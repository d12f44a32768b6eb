"""The monthly batch: reconcile once, then one workbook and one executed notebook per client.

Layout of the results::

    outputs/<period>/All clients - <period>.xlsx      consolidated workbook
    outputs/<period>/portfolio.ipynb                  portfolio notebook, executed
    outputs/<period>/<client>/<client> - <period>.xlsx
    outputs/<period>/<client>/reconciliation.ipynb    client notebook, executed

Clients run in parallel (each notebook is its own kernel); one client's failure is reported and
the others still finish.
"""

from __future__ import annotations

import os
import re
import time
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import papermill

from workbench.outputs.excel import write_workbook
from workbench.workspace import Workspace, reconcile_workspace

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
CLIENT_NOTEBOOK = NOTEBOOKS / "client_reconciliation.ipynb"
PORTFOLIO_NOTEBOOK = NOTEBOOKS / "portfolio.ipynb"

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


@dataclass(frozen=True)
class ClientRun:
    company_id: str
    client: str
    folder: Path
    seconds: float
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


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


def _execute(notebook: Path, output: Path, parameters: dict[str, str]) -> None:
    papermill.execute_notebook(
        str(notebook),
        str(output),
        parameters=parameters,
        kernel_name="python3",
        progress_bar=False,
        log_output=False,
        cwd=str(notebook.parent),
    )


def _error_text(exc: BaseException) -> str:
    # Papermill's error carries the notebook's own exception name and message.
    name = getattr(exc, "ename", type(exc).__name__)
    value = getattr(exc, "evalue", str(exc))
    return f"{name}: {value}"


def run_batch(
    workspace: str | Path,
    period: str,
    outputs: str | Path,
    *,
    jobs: int | None = None,
    only: list[str] | None = None,
    progress: Callable[[str], None] = print,
) -> BatchRun:
    """Run the month for every client (or the ``only`` company ids / names).

    Returns
    -------
    BatchRun
        Per client: where its outputs are, how long it took, and its error if it failed.
    """
    opened = Workspace.open(workspace)
    started = time.perf_counter()
    progress(f"Reconciling {opened.name}, {period} ...")
    result = reconcile_workspace(opened, period)
    summary = result.summary()
    progress(
        f"  {summary.clients} clients, {summary.lines} lines, {summary.discrepancies} discrepancies, "
        f"{summary.counts['unmapped customer'] + summary.counts['unmapped SKU']} unmapped "  # type: ignore[index]
        f"({time.perf_counter() - started:.1f}s)"
    )
    period_folder = Path(outputs).resolve() / period
    period_folder.mkdir(parents=True, exist_ok=True)
    consolidated = write_workbook(
        result,
        period_folder / f"All clients - {period}.xlsx",
        title=f"{opened.name} — all clients — {period}",
    )
    progress(f"  consolidated workbook: {consolidated}")

    clients = result.clients
    if only:
        wanted = set(only)
        clients = clients[clients["company_id"].isin(wanted) | clients["company_name"].isin(wanted)]
    folders: dict[str, str] = {}
    plan = []
    for company_id, company_name in clients.itertuples(index=False):
        name = folder_name(company_name)
        if name.casefold() in folders:
            name = f"{name} ({company_id})"
        folders[name.casefold()] = company_id
        plan.append((company_id, company_name, period_folder / name))

    def run_client(company_id: str, company_name: str, folder: Path) -> ClientRun:
        began = time.perf_counter()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            write_workbook(
                result.for_client(company_id),
                folder / f"{folder.name} - {period}.xlsx",
                title=f"{company_name} — {period}",
            )
            _execute(
                CLIENT_NOTEBOOK,
                folder / "reconciliation.ipynb",
                {"workspace": str(opened.root), "period": period, "client": company_id},
            )
        except Exception as exc:  # one client's failure must not sink the batch
            return ClientRun(
                company_id, company_name, folder, time.perf_counter() - began, _error_text(exc)
            )
        return ClientRun(company_id, company_name, folder, time.perf_counter() - began)

    workers = jobs or min(len(plan), os.cpu_count() or 1) or 1
    runs: list[ClientRun] = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run_client, *item) for item in plan]
        for done, future in enumerate(as_completed(futures), start=1):
            run = future.result()
            runs.append(run)
            state = "ok" if run.ok else f"FAILED: {run.error}"
            progress(f"  [{done}/{len(plan)}] {run.client}: {state} ({run.seconds:.1f}s)")

    portfolio_error = ""
    try:
        _execute(
            PORTFOLIO_NOTEBOOK,
            period_folder / "portfolio.ipynb",
            {"workspace": str(opened.root), "period": period},
        )
        progress(f"  portfolio notebook: {period_folder / 'portfolio.ipynb'}")
    except Exception as exc:
        portfolio_error = _error_text(exc)
        progress(f"  portfolio notebook FAILED: {portfolio_error}")
    runs.sort(key=lambda run: run.client.casefold())
    batch = BatchRun(
        period=period, folder=period_folder, clients=runs, portfolio_error=portfolio_error
    )
    progress(
        f"Done in {time.perf_counter() - started:.1f}s: {len(runs) - len(batch.failed)} of {len(runs)} clients ok. Results in {period_folder}"
    )
    return batch
