"""The monthly batch: reconcile once, then one workbook and one executed notebook per client.

Layout of the results::

    outputs/<period>/manifest.json                    what ran: inputs, clients, outputs, checksums
    outputs/<period>/All clients - <period>.xlsx      every line; evidence of the lines to decide
    outputs/<period>/portfolio.ipynb (+ .html)        portfolio notebook, executed
    outputs/<period>/<client>/<client> - <period>.xlsx
    outputs/<period>/<client>/reconciliation.ipynb (+ .html, without code)

The reconciliation is computed once and kept in the workspace's period store
(:mod:`workbench.store`); each client's notebook only renders its share of the stored
result. Clients run in parallel on one of three executors:

- ``"warm"`` (the default): one kernel per parallel job, kept alive from client to client and
  reset in between (:mod:`workbench.warm`), so a client costs its cells, not a kernel start;
- ``"papermill"``: stock papermill, a new kernel for every notebook;
- ``"dask"``: stock papermill on the workers of a Dask cluster.

Every file is written to a temporary name and renamed when complete, so a killed run leaves no
half-written output (and the next run deletes what it left), and the manifest is rewritten after
every client, so ``resume=True`` finishes what a killed run left. One client's failure is
recorded and the others still finish.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import queue
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import jinja2
import nbformat
import papermill
from nbconvert import HTMLExporter
from nbconvert.exporters import TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbformat import NotebookNode

from workbench.errors import WorkbenchError
from workbench.ledger import Ledger, ledger_to_read
from workbench.outputs.excel import safe_name, workbook_file_name, write_workbook
from workbench.outputs.workbook_review import decision_sheet, run_fingerprint
from workbench.period import Period, pick_client
from workbench.result import Reconciliation, Status
from workbench.sources.reading import file_checksum
from workbench.store import load_result_once
from workbench.views import client_share, summary_of
from workbench.warm import STARTUP_SECONDS, WarmKernel
from workbench.workspace import Workspace

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
CLIENT_NOTEBOOK = NOTEBOOKS / "client_reconciliation.ipynb"
PORTFOLIO_NOTEBOOK = NOTEBOOKS / "portfolio.ipynb"
MANIFEST_FILE = "manifest.json"
#: Imported by a warm kernel as it starts, so its first client doesn't pay for them.
PRELOADED = ("workbench.views", "workbench.batch")
PARTIAL_MARK = ".partial"

logger = logging.getLogger("workbench.batch")

Executor = Literal["warm", "papermill", "dask"]
EXECUTORS: tuple[Executor, ...] = ("warm", "papermill", "dask")


def folder_name(name: str, *, limit: int = 80) -> str:
    """A client name as a folder name that is safe on Windows, macOS and Linux
    (:func:`workbench.outputs.excel.safe_name`, which names the workbooks too)."""
    return safe_name(name, limit=limit)


# -- writing files whole ------------------------------------------------------------------------


def _partial(path: Path) -> Path:
    """Where a file is written before it is complete: hidden, and keeping its extension."""
    return path.with_name(f".{path.stem}{PARTIAL_MARK}{path.suffix}")


def _leftovers(folder: Path) -> list[Path]:
    """Half-written files a killed run left behind: our partial files and the workbook
    writer's hidden ``.tmp`` files."""
    return [
        p
        for p in folder.rglob(".*")
        if p.is_file() and (PARTIAL_MARK in p.name or p.name.endswith(".tmp"))
    ]


def execute_notebook(
    notebook: Path,
    output: Path,
    parameters: dict[str, str],
    *,
    kernel: WarmKernel | None = None,
    cell_timeout: float | None = None,
) -> NotebookNode:
    """Run a notebook with papermill into ``output``, which appears only once complete.

    Parameters
    ----------
    kernel
        A warm kernel to run it on; None starts a kernel for this notebook alone (stock
        papermill).
    cell_timeout
        Seconds a cell may run before the notebook fails; None waits for ever.

    Returns
    -------
    NotebookNode
        The executed notebook, as written to ``output``.

    A notebook that fails is kept beside it as ``<name>.failed.ipynb`` for a person to read.
    """
    partial = _partial(output)
    try:
        if kernel is None:
            executed: NotebookNode = papermill.execute_notebook(
                str(notebook),
                str(partial),
                parameters=parameters,
                kernel_name="python3",
                progress_bar=False,
                log_output=False,
                execution_timeout=cell_timeout,
                # No cwd=: papermill would chdir this whole process while other threads run
                # notebooks; every path the notebooks get is absolute.
            )
        else:
            executed = kernel.execute_notebook(
                notebook, partial, parameters, cell_timeout=cell_timeout
            )
    except Exception:
        if partial.exists():
            os.replace(partial, output.with_suffix(".failed.ipynb"))
        raise
    os.replace(partial, output)
    output.with_suffix(".failed.ipynb").unlink(missing_ok=True)
    return executed


# Building an exporter loads and compiles its templates: once per thread, not once per notebook.
_exporters = threading.local()
#: The page template: nbconvert's lab template without the scripts it loads from a CDN
#: (require.js, MathJax, Mermaid, the widgets renderer). The pages hold only tables, text and
#: embedded PNG charts, so they open offline, and MathJax cannot turn a name holding ``$x$``
#: into a formula.
_PAGE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{% block html_head_js %}{% endblock html_head_js %}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{% block html_head_js_mathjax %}{% endblock html_head_js_mathjax %}
{% block html_head_js_mermaidjs %}{% endblock html_head_js_mermaidjs %}
"""


#: What nbconvert's HTML exporter says of an image without alternative text.
NO_IMAGE_DESCRIPTION = "No description has been provided for this image"
_START_TAG = re.compile(r"<(div|img)\b([^>]*)>")
_CLASS = re.compile(r'\sclass="([^"]*)"')
#: Elements of a page a keyboard can move to, as nbconvert's HTML exporter marks them.
_FOCUSABLE = frozenset({"jp-Cell-inputWrapper", "jp-OutputArea-output"})


def accessible_page(page: str) -> str:
    """A page of nbconvert's templates with the accessibility attributes nbconvert's HTML
    exporter adds: every image without one gets an ``alt`` text, and every cell's input and
    output area ``tabindex="0"``, so a keyboard can reach it.

    nbconvert adds them by parsing its whole page again with BeautifulSoup and writing it back
    out, two fifths of the export's time for a client's page. Here only the template's own start
    tags are touched: text from a notebook's outputs is escaped in the page, so a ``<div`` or
    ``<img`` in it is one the template or an output we made wrote.
    """

    def marked(tag: re.Match[str]) -> str:
        name, attributes = tag.group(1), tag.group(2)
        if name == "img":
            if re.search(r"\salt=", attributes):
                return tag.group(0)
            closing = "/" if attributes.endswith("/") else ""
            kept = attributes.removesuffix("/")
            return f'<img{kept} alt="{NO_IMAGE_DESCRIPTION}"{closing}>'
        classes = _CLASS.search(attributes)
        if classes is None or _FOCUSABLE.isdisjoint(classes.group(1).split()):
            return tag.group(0)
        if re.search(r"\stabindex=", attributes):
            attributes = re.sub(r'\stabindex="[^"]*"', "", attributes)
        return f'<div{attributes} tabindex="0">'

    return _START_TAG.sub(marked, page)


class PageExporter(HTMLExporter):  # type: ignore[misc]
    """nbconvert's HTML exporter, adding its accessibility attributes without parsing the page
    again (:func:`accessible_page`)."""

    def from_notebook_node(  # type: ignore[override]
        self, nb: NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        # The filters HTMLExporter registers before templating; then the template alone.
        language = nb.metadata.get("language_info", {})
        lexer = language.get("pygments_lexer", language.get("name", None))
        self.register_filter(
            "highlight_code",
            self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)),
        )
        resources = self._init_resources(resources)
        self.register_filter(
            "filter_data_type",
            WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources
            ),
        )
        page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return accessible_page(page), resources


def export_html(notebook: str | Path, executed: NotebookNode | None = None) -> Path:
    """The executed notebook as HTML without code cells, for readers without Jupyter.

    The page is self-contained: it loads no script, style or font from the network.

    ``executed`` is the notebook already in memory (as :func:`execute_notebook` returns it),
    which saves reading ``notebook`` back.
    """
    notebook = Path(notebook)
    exporter = getattr(_exporters, "html", None)
    if exporter is None:
        exporter = PageExporter(
            # Checked once after all of nbconvert's steps, not after each of its dozen.
            optimistic_validation=True,
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            extra_loaders=[jinja2.DictLoader({"page.html.j2": _PAGE_TEMPLATE})],
            template_file="page.html.j2",
        )
        _exporters.html = exporter
    book = executed if executed is not None else nbformat.read(notebook, as_version=4)
    body, _ = exporter.from_notebook_node(book)
    html = notebook.with_suffix(".html")
    partial = _partial(html)
    partial.write_text(body, encoding="utf-8")
    os.replace(partial, html)
    return html


def _export_html(
    notebook: Path, executed: NotebookNode, kernel: WarmKernel | None, timeout: float | None
) -> Path:
    # On a warm kernel the export (a few tenths of a second of templating and HTML parsing)
    # runs there, in parallel with the other kernels, rather than in the batch's own process.
    if kernel is None:
        return export_html(notebook, executed)
    kernel.call("workbench.batch", "export_html", (str(notebook),), timeout=timeout)
    return notebook.with_suffix(".html")


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
    cell_timeout: float | None = None
    #: The run's fingerprint, which the workbook's About sheet keeps for ``workbench apply``.
    run: str = ""


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


def _error_text(exc: BaseException) -> str:
    # Papermill's error carries the notebook's own exception name and message.
    name = getattr(exc, "ename", type(exc).__name__)
    value = getattr(exc, "evalue", str(exc))
    return f"{name}: {value}"


def write_client_workbook(
    saved: str, company_id: str, path: str, title: str, workspace: str = "", run: str = ""
) -> Path:
    """One client's workbook from the batch's saved result (plain arguments: a warm kernel
    calls it too).

    With the ``workspace`` folder and the ``run``'s fingerprint, the workbook has the Review
    sheet, prefilled with the ledger's decisions on the client's lines, which ``workbench
    apply`` reads back; without, no Decision column.
    """
    # The same share and summary the client's notebook shows next in this kernel.
    result = client_share(load_result_once(saved), company_id)
    decisions = None
    if workspace:
        opened = Workspace.open(workspace)
        with Ledger.open(ledger_to_read(opened)) as ledger:
            review = ledger.review(result)
        decisions = decision_sheet(result, review, opened, clients=[company_id], run=run)
    return write_workbook(
        result, Path(path), title=title, decisions=decisions, summary=summary_of(result)
    )


#: A warm kernel's garbage collection thresholds once it has read ahead (Python's are 700, 10,
#: 10): a young collection every 20,000 allocations instead of 700 (large month, 60 clients in
#: one kernel: collection 14.6 -> 5.9 ms per client, peak memory 636 -> 628 MiB). Cycles, such
#: as a chart's figure, are still collected, a little later.
KERNEL_GC_THRESHOLDS = (20_000, 20, 10)


def read_ahead(saved: str) -> None:
    """In a warm kernel, before its first client: read the stored result, then set aside from
    garbage collection everything the kernel holds (a plain argument: the batch calls it in
    the kernel).

    A kernel keeps its imported modules and the month's result until it stops: some 350,000
    objects that Python's cycle collector would otherwise walk again at every full collection,
    which each client's workbook and notebook set off (about a seventh of a client's time in
    the kernel). Frozen (:func:`gc.freeze`), they are still freed when no longer referenced;
    the collector only stops walking them.

    The collector then runs less often (:data:`KERNEL_GC_THRESHOLDS`): a client allocates
    some hundreds of thousands of objects, nearly all freed by reference counting as its cells
    end, and at Python's default every 700 allocations set off a pass over the newest ones.
    """
    load_result_once(saved)
    gc.collect()  # what reading left behind is freed now, not frozen
    gc.freeze()
    gc.set_threshold(*KERNEL_GC_THRESHOLDS)


def render_client(task: ClientTask, kernel: WarmKernel | None = None) -> ClientRun:
    """Write one client's workbook, executed notebook and HTML; never raises.

    ``kernel`` is a warm kernel to run the notebook on, which writes the workbook too, so the
    batch's jobs share that work across cores; None starts a kernel for the notebook alone
    and writes the workbook here.
    """
    began = time.perf_counter()
    try:
        task.folder.mkdir(parents=True, exist_ok=True)
        workbook = task.folder / workbook_file_name(task.folder.name, task.period)
        arguments = (
            str(task.saved),
            task.company_id,
            str(workbook),
            f"{task.client} — {task.period}",
            str(task.workspace),
            task.run,
        )
        if kernel is None:
            write_client_workbook(*arguments)
        else:
            # Reset first (in the same round trip): nothing the previous client changed may
            # reach this workbook.
            kernel.call(
                "workbench.batch",
                "write_client_workbook",
                arguments,
                timeout=task.cell_timeout,
                fresh=True,
            )
        notebook = task.folder / "reconciliation.ipynb"
        executed = execute_notebook(
            task.notebook,
            notebook,
            {
                "workspace": str(task.workspace),
                "period": task.period,
                "client": task.company_id,
                "saved": str(task.saved),
            },
            kernel=kernel,
            cell_timeout=task.cell_timeout,
        )
        html = _export_html(notebook, executed, kernel, task.cell_timeout)
    except Exception as exc:  # one client's failure must not sink the batch
        seconds = time.perf_counter() - began
        return ClientRun(task.company_id, task.client, task.folder, seconds, _error_text(exc))
    seconds = time.perf_counter() - began
    return ClientRun(
        task.company_id, task.client, task.folder, seconds, outputs=(workbook, notebook, html)
    )


@dataclass(frozen=True)
class PortfolioTask:
    """The portfolio notebook of a run: all clients on one page."""

    folder: Path
    workspace: Path
    period: str
    saved: Path
    cell_timeout: float | None = None


@dataclass(frozen=True)
class PortfolioRun:
    error: str = ""
    outputs: tuple[Path, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.error


def render_portfolio(task: PortfolioTask, kernel: WarmKernel | None = None) -> PortfolioRun:
    """Execute the portfolio notebook and its HTML; never raises."""
    try:
        notebook = task.folder / "portfolio.ipynb"
        executed = execute_notebook(
            PORTFOLIO_NOTEBOOK,
            notebook,
            {"workspace": str(task.workspace), "period": task.period, "saved": str(task.saved)},
            kernel=kernel,
            cell_timeout=task.cell_timeout,
        )
        html = _export_html(notebook, executed, kernel, task.cell_timeout)
        return PortfolioRun(outputs=(notebook, html))
    except Exception as exc:
        return PortfolioRun(error=_error_text(exc))


# -- executors ------------------------------------------------------------------------------------


def _run_papermill(tasks: list[ClientTask], jobs: int) -> Iterator[ClientRun]:
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


def _render(
    task: ClientTask | PortfolioTask, kernel: WarmKernel | None
) -> ClientRun | PortfolioRun:
    if isinstance(task, PortfolioTask):
        return render_portfolio(task, kernel)
    return render_client(task, kernel)


def _failed(task: ClientTask | PortfolioTask, error: str) -> ClientRun | PortfolioRun:
    if isinstance(task, PortfolioTask):
        return PortfolioRun(error=error)
    return ClientRun(task.company_id, task.client, task.folder, 0.0, error)


@dataclass(frozen=True)
class _Preload:
    """Read the stored result into a kernel before its first client.

    Every worker takes one: each waits at ``everyone`` until all have taken theirs, so no
    worker takes two.
    """

    saved: Path
    everyone: threading.Barrier


_Todo = ClientTask | PortfolioTask | _Preload | None


class _WarmWorker(threading.Thread):
    """One parallel job: a thread that owns one warm kernel and renders task after task."""

    def __init__(
        self,
        todo: queue.SimpleQueue[_Todo],
        done: queue.SimpleQueue[ClientRun | PortfolioRun],
    ) -> None:
        super().__init__(daemon=True, name="warm-kernel")
        self.todo, self.done = todo, done
        self.kernel: WarmKernel | None = None
        self.kernels_started = 0
        self.start_error = ""
        #: The stored result the batch renders from, once the batch has said which.
        self.saved: Path | None = None

    def _fresh_kernel(self) -> WarmKernel:
        if self.kernel is not None:
            self.kernel.shutdown()
            self.kernel = None
        self.kernel = WarmKernel(NOTEBOOKS)
        self.kernels_started += 1
        for module in PRELOADED:
            self.kernel.call("importlib", "import_module", (module,))
        if self.kernels_started > 1:  # a replacement: read ahead as its predecessor did
            self._read_ahead(self.kernel)
        return self.kernel

    def render(self, task: ClientTask | PortfolioTask) -> ClientRun | PortfolioRun:
        """Render on the warm kernel; a kernel that died is replaced and the task run once
        more; one that timed out is replaced and the task reported."""
        try:
            kernel = self.kernel or self._fresh_kernel()
        except Exception as exc:
            return _failed(task, f"the kernel could not start: {_error_text(exc)}")
        outcome = _render(task, kernel)
        if not kernel.lost:
            return outcome
        died = not kernel.is_alive()
        try:
            kernel = self._fresh_kernel()
        except Exception as exc:
            return _failed(task, f"{outcome.error}; no new kernel could start: {exc}")
        if not died:
            return outcome
        retried = _render(task, kernel)
        if retried.error:
            return _failed(task, f"{retried.error} (the kernel died twice on this task)")
        return retried

    def preload(self, task: _Preload) -> None:
        """Read the stored result into the kernel now, while the batch reads it too and writes
        the all-clients workbook."""
        try:
            task.everyone.wait(timeout=STARTUP_SECONDS)
        except threading.BrokenBarrierError:
            logger.warning("a warm kernel did not take its preload in time")
        self.saved = task.saved
        if self.kernel is not None:
            self._read_ahead(self.kernel)

    def _read_ahead(self, kernel: WarmKernel) -> None:
        """Have the kernel read the batch's stored result (:func:`read_ahead`); a failure is
        only logged: the first client reads it again, and reports."""
        if self.saved is None:
            return
        try:
            kernel.call("workbench.batch", "read_ahead", (str(self.saved),))
        except Exception:
            logger.warning("a warm kernel could not read %s ahead", self.saved, exc_info=True)

    def run(self) -> None:
        try:
            # Started ahead of the work: the kernel and its imports are ready by the time the
            # batch has reconciled. A failure here is retried, and reported, per task.
            try:
                self._fresh_kernel()
            except Exception:
                logger.warning("a warm kernel could not start", exc_info=True)
            while (task := self.todo.get()) is not None:
                if isinstance(task, _Preload):
                    self.preload(task)
                else:
                    self.done.put(self.render(task))
        finally:
            if self.kernel is not None:
                self.kernel.shutdown()


class WarmPool:
    """``jobs`` warm kernels, each driven by its own thread, started as soon as it is created.

    Use it as a context manager; leaving it stops every kernel (after the task in hand).
    """

    def __init__(self, jobs: int) -> None:
        self.todo: queue.SimpleQueue[_Todo] = queue.SimpleQueue()
        self.done: queue.SimpleQueue[ClientRun | PortfolioRun] = queue.SimpleQueue()
        self.workers = [_WarmWorker(self.todo, self.done) for _ in range(max(1, jobs))]
        for worker in self.workers:
            worker.start()

    def __enter__(self) -> WarmPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def kernels_started(self) -> int:
        """Kernels started so far, replacements included."""
        return sum(worker.kernels_started for worker in self.workers)

    def preload(self, saved: Path) -> None:
        """Have every kernel read the stored result ``saved`` now, ahead of its first client.

        A kernel reads it once and keeps it (:func:`workbench.store.load_result_once`): done
        here, the reading overlaps the batch's own work instead of delaying the first clients.
        """
        everyone = threading.Barrier(len(self.workers))
        for _ in self.workers:
            self.todo.put(_Preload(saved, everyone))

    def run(
        self, tasks: list[ClientTask], portfolio: PortfolioTask | None = None
    ) -> Iterator[ClientRun | PortfolioRun]:
        """Render the tasks (the portfolio first), yielding each outcome as it finishes.

        The portfolio, every client of the month on one page, is the longest notebook (seconds
        for a month of 2,000 clients, where a client takes a tenth of one): started first, it
        runs while the other kernels render clients, instead of keeping one kernel busy after
        the others are done.
        """
        jobs: list[ClientTask | PortfolioTask] = [*tasks]
        if portfolio is not None:
            jobs.insert(0, portfolio)
        for task in jobs:
            self.todo.put(task)
        for _ in jobs:
            yield self.done.get()

    def close(self) -> None:
        """Drop the tasks not yet started and stop every kernel."""
        while True:
            try:
                self.todo.get_nowait()
            except queue.Empty:
                break
        for _ in self.workers:
            self.todo.put(None)
        for worker in self.workers:
            worker.join()


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

    def record(self, run: ClientRun, figures: Any) -> None:
        """Enter a client's run, with its ``figures``: its row of
        :meth:`Reconciliation.money_by_client` (the figures of its summary, for every client
        in one pass rather than a summary per client)."""
        root = self.path.parent
        self.content["clients"][run.company_id] = {
            "client": run.client,
            "folder": run.folder.relative_to(root).as_posix(),
            "status": "ok" if run.ok else "failed",
            "error": run.error,
            "seconds": round(run.seconds, 2),
            "lines": int(figures.lines),
            "discrepancies": int(figures.discrepancies),
            "revenue_leaking": str(figures.revenue_leaking),
            "over_billing_risk": str(figures.over_billing_risk),
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
        if row["side"] != "ignored"
    ]


# -- the run --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchRun:
    period: str
    folder: Path
    clients: list[ClientRun] = field(default_factory=list)
    portfolio_error: str = ""
    #: Seconds per stage: ``reconcile`` (reading and reconciling the period), ``workbook`` (the
    #: all-clients workbook), ``notebooks`` (every client and the portfolio, from the first
    #: notebook started to the last finished).
    stage_seconds: dict[str, float] = field(default_factory=dict)
    #: The stored reconciliation every client was rendered from (:mod:`workbench.store`).
    result_folder: Path | None = None

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
    cell_timeout: float | None,
    run: str,
) -> list[ClientTask]:
    clients = result.clients
    if only:
        # Each one by the rule every face uses (an id, or a name whatever its case).
        picked = {pick_client(clients, wanted, result.period)[0] for wanted in only}
        clients = clients[clients["company_id"].isin(picked)]
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
                cell_timeout,
                run,
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
    executor: Executor = "warm",
    scheduler: str | None = None,
    resume: bool = False,
    cell_timeout: float | None = None,
    progress: Callable[[str], None] = print,
) -> BatchRun:
    """Run the month for every client (or the ``only`` company ids or names).

    Parameters
    ----------
    jobs
        Clients rendered at once by the warm or papermill executor (default: the number of
        cores, so one warm kernel per core).
    executor, scheduler
        ``"warm"`` (default) keeps one kernel per job alive from client to client;
        ``"papermill"`` starts a kernel for every notebook; ``"dask"`` with a scheduler address
        runs stock papermill on that Dask cluster, whose workers must see the same workspace
        and outputs folders.
    resume
        Keep the clients an earlier run of the same inputs finished intact, and run the rest.
    cell_timeout
        Seconds one notebook cell may run before that client fails (default: no limit). A warm
        kernel that timed out is replaced.

    Returns
    -------
    BatchRun
        Per client: where its outputs are, how long it took, and its error if it failed.
    """
    if executor not in EXECUTORS:
        raise WorkbenchError(f"unknown executor {executor!r}: choose one of {', '.join(EXECUTORS)}")
    if cell_timeout is not None and cell_timeout <= 0:
        raise WorkbenchError(
            f"the cell timeout must be a number of seconds above 0, not {cell_timeout}"
        )
    if executor == "dask" and not scheduler:
        raise WorkbenchError(
            "the dask executor needs a scheduler address, such as tcp://10.0.0.5:8786"
        )
    if jobs is not None and jobs < 1:
        raise WorkbenchError(f"--jobs is how many clients run at once: 1 or more, not {jobs}")
    opened = Workspace.open(workspace)
    opened.inputs_folder(period)  # a wrong period is reported before any kernel starts
    _check_writable(Path(outputs).resolve() / period)
    # Warm kernels start now and import the workbench while this process reconciles.
    pool = WarmPool(jobs or os.cpu_count() or 1) if executor == "warm" else None
    try:
        return _run_period(
            opened,
            period,
            Path(outputs),
            jobs=jobs,
            only=only,
            executor=executor,
            scheduler=scheduler,
            resume=resume,
            cell_timeout=cell_timeout,
            progress=progress,
            pool=pool,
        )
    finally:
        if pool is not None:
            pool.close()


def _check_writable(folder: Path) -> None:
    """Refuse an outputs folder the run cannot write in now, not after reconciling the month."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-check-"):
            pass
    except OSError as exc:
        raise WorkbenchError(
            f"cannot write in {folder}: {exc.strerror or exc}. Choose another --outputs folder, "
            "or make this one writable"
        ) from exc


def _carry_over(manifest: Manifest, earlier: Manifest, ran: list[ClientTask]) -> None:
    """A run of some clients into a period run before: the other clients' entries stay listed,
    marked outdated unless the earlier run read the same inputs and their files are intact."""
    same_inputs = earlier.content.get("result") == manifest.content["result"]
    ran_now = {task.company_id for task in ran}
    for key, entry in earlier.content.get("clients", {}).items():
        if key in ran_now:
            continue
        kept = dict(entry)
        if same_inputs and earlier.outputs_intact(key):
            kept["from_run"] = earlier.content.get("started")
        else:
            kept.update(
                status="outdated",
                error="written by an earlier run of other inputs, or changed since: run this "
                "client again",
            )
        manifest.content["clients"][key] = kept


def _run_period(
    opened: Workspace,
    period: str,
    outputs: Path,
    *,
    jobs: int | None,
    only: list[str] | None,
    executor: Executor,
    scheduler: str | None,
    resume: bool,
    cell_timeout: float | None,
    progress: Callable[[str], None],
    pool: WarmPool | None,
) -> BatchRun:
    started = time.perf_counter()
    progress(f"Reconciling {opened.name}, {period} ...")
    month = Period(opened, period)
    saved = month.result_folder()
    if pool is not None:
        pool.preload(saved)
    if month.changes:
        progress(f"  read again, since the period store was made: {'; '.join(month.changes)}")
    result = load_result_once(saved)
    summary = result.summary()
    stage_seconds = {"reconcile": time.perf_counter() - started}
    progress(
        f"  {summary.clients} clients, {summary.lines} lines, {summary.discrepancies} discrepancies, "
        f"{summary.counts[Status.UNMAPPED_CUSTOMER] + summary.counts[Status.UNMAPPED_SKU]} unmapped "
        f"({time.perf_counter() - started:.1f}s)"
    )
    for warning in result.mapping_warnings:
        progress(f"  warning: {warning}")
    ignored = result.files[result.files["side"] == "ignored"]
    for name, what in zip(ignored["source_file"], ignored["format"], strict=True):
        progress(f"  {name}: {what}")
    period_folder = outputs.resolve() / period
    period_folder.mkdir(parents=True, exist_ok=True)
    for leftover in _leftovers(period_folder):
        leftover.unlink()

    inputs = _inputs_of(result)
    earlier = Manifest.read(period_folder / MANIFEST_FILE)
    previous = earlier if resume else None
    if previous is not None and previous.content.get("result") != saved.name:
        raise WorkbenchError(
            "the inputs, mappings or settings changed since the interrupted run, so its outputs "
            "cannot be kept: run again without --resume"
        )
    # What the workbooks' Review sheets are checked against when applied: computed once.
    fingerprint = run_fingerprint(result, opened)
    tasks = _plan(result, opened, period_folder, saved, only, cell_timeout, fingerprint)
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
            # The stored reconciliation the clients are rendered from: its name changes with
            # the inputs, mappings.xlsx, workspace.toml and the workbench version.
            "result": saved.name,
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
    began = time.perf_counter()
    # Every line, and the source rows of the lines to decide only: each client's workbook and
    # the period store hold the rest (at 2,000 clients, two million rows: 3 to 8 minutes).
    # Seconds even then, so a run of some clients writes it too, from the month it reconciled.
    with Ledger.open(ledger_to_read(opened)) as ledger:
        review = ledger.review(result)
    consolidated = write_workbook(
        result,
        period_folder / workbook_file_name("All clients", period),
        title=f"{opened.name} — all clients — {period}",
        evidence="lines to decide",
        decisions=decision_sheet(result, review, opened, run=fingerprint),
    )
    stage_seconds["workbook"] = time.perf_counter() - began
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
    if only and earlier is not None:
        _carry_over(manifest, earlier, tasks)
    manifest.write()

    workers = jobs or min(len(pending) or 1, os.cpu_count() or 1)
    began = time.perf_counter()
    portfolio_task = PortfolioTask(period_folder, opened.root, period, saved, cell_timeout)
    finished: Iterator[ClientRun | PortfolioRun]
    if pool is not None:
        # The portfolio runs on one of the kernels too: no kernel start for it.
        finished = pool.run(pending, portfolio_task)
    elif executor == "dask":
        finished = _run_dask(pending, str(scheduler))
    else:
        finished = _run_papermill(pending, workers)
    portfolio: PortfolioRun | None = None
    figures = {str(row.company_id): row for row in result.money_by_client().itertuples(index=False)}
    done = 0
    for run in finished:
        if isinstance(run, PortfolioRun):
            portfolio = run
            continue
        done += 1
        runs.append(run)
        manifest.record(run, figures[run.company_id])
        manifest.write()
        state = "ok" if run.ok else f"FAILED: {run.error}"
        progress(f"  [{done}/{len(pending)}] {run.client}: {state} ({run.seconds:.1f}s)")

    if portfolio is None:
        portfolio = render_portfolio(portfolio_task)
    stage_seconds["notebooks"] = time.perf_counter() - began
    portfolio_error = portfolio.error
    if portfolio.ok:
        manifest.content["portfolio"] = {
            "status": "ok",
            "outputs": [{"file": p.name, "sha256": file_checksum(p)} for p in portfolio.outputs],
        }
        progress(f"  portfolio notebook: {portfolio.outputs[0]}")
    else:
        manifest.content["portfolio"] = {"status": "failed", "error": portfolio_error}
        progress(f"  portfolio notebook FAILED: {portfolio_error}")
    runs.sort(key=lambda run: run.client.casefold())
    batch = BatchRun(
        period=period,
        folder=period_folder,
        clients=runs,
        portfolio_error=portfolio_error,
        stage_seconds=stage_seconds,
        result_folder=saved,
    )
    manifest.content.update(finished=_now(), status="complete" if batch.ok else "failed")
    manifest.write()
    progress(
        f"Done in {time.perf_counter() - started:.1f}s: {len(runs) - len(batch.failed)} of {len(runs)} "
        f"clients ok. Results in {period_folder} (manifest: {MANIFEST_FILE})"
    )
    return batch
