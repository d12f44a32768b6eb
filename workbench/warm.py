"""Warm kernels: one IPython kernel kept alive across many notebooks.

Stock papermill starts a kernel for every notebook, so a batch pays a Python start-up and the
imports of pandas, matplotlib and the workbench once per client: seconds, where rendering a
client's share of a saved reconciliation takes a fraction of one. A :class:`WarmKernel` is
started once and runs notebook after notebook through papermill itself (same parameter
injection, same cell metadata, same error handling); only the kernel is reused.

Between notebooks the kernel's namespace is reset, its execution counter goes back to 1 and
the process-wide settings a notebook can change (pandas options, matplotlib's rcParams, the
working folder, ...) are put back as the kernel started (:func:`fresh_kernel`), so a notebook
sees what it would see in a fresh kernel, apart from modules already imported (which is the
point). :mod:`workbench.isolation` proves that a client's outputs do not
depend on what ran before it in the same kernel.

A kernel is used only from the thread that started it: its sockets belong to that thread's
event loop.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path
from types import TracebackType
from typing import Any

import papermill
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.exceptions import PapermillExecutionError

ENGINE = "workbench-warm"
#: Run in the kernel before each notebook (see :func:`fresh_kernel`).
RESET = "from workbench.warm import fresh_kernel\nfresh_kernel()"
#: The same, ahead of a call in one round trip (:meth:`WarmKernel.call` with ``fresh=True``).
RESET_BEFORE_CALL = "from workbench.warm import fresh_kernel_or_fail\nfresh_kernel_or_fail()"

#: Process-wide settings as the kernel started, restored before every notebook.
_started_with: dict[str, Any] = {}


def _settings() -> dict[str, Any]:
    """Settings a notebook can change that outlive its namespace: they belong to the process
    or to modules it imported."""
    import numpy

    settings: dict[str, Any] = {
        "cwd": os.getcwd(),
        "environ": dict(os.environ),
        "path": list(sys.path),
        "warnings": list(warnings.filters),
        "numpy": numpy.get_printoptions(),
    }
    if "matplotlib" in sys.modules:
        settings["matplotlib"] = dict(sys.modules["matplotlib"].rcParams)
    return settings


def _restore(settings: dict[str, Any]) -> None:
    import numpy

    os.chdir(settings["cwd"])
    os.environ.clear()
    os.environ.update(settings["environ"])
    sys.path[:] = settings["path"]
    filters: list[Any] = warnings.filters  # type: ignore[assignment]
    filters[:] = settings["warnings"]
    numpy.set_printoptions(**settings["numpy"])
    if "matplotlib" in settings:
        sys.modules["matplotlib"].rcParams.update(settings["matplotlib"])
    if "pandas" in sys.modules:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # resetting deprecated options warns about them
            sys.modules["pandas"].reset_option("all")


def fresh_kernel() -> None:
    """Inside a warm kernel: make it what a fresh kernel would be for the next notebook.

    The namespace is emptied and the execution counter goes back to 1 (IPython's reset), and the
    settings a notebook can change outside its namespace (pandas options, matplotlib's rcParams,
    NumPy's print options, warning filters, the working folder, environment variables,
    ``sys.path``) are put back as they were when the kernel started. IPython's reset ends with a
    full ``gc.collect()`` when it flushes its output cache, a third of a second in a kernel holding
    pandas and matplotlib; the cache is emptied by hand instead and Python's own collector frees
    cycles as usual.
    """
    from IPython import get_ipython

    if _started_with:
        _restore(_started_with)
    else:
        _started_with.update(_settings())
    shell = get_ipython()
    hook = shell.displayhook
    full, hook.do_full_cache = hook.do_full_cache, False
    try:
        shell.reset(new_session=True)
    finally:
        hook.do_full_cache = full
        hook._ = hook.__ = hook.___ = ""


class KernelResetFailed(RuntimeError):
    """Raised in the kernel when :func:`fresh_kernel` fails ahead of a call: the kernel cannot
    be trusted with another client, whatever the call would have done."""


def fresh_kernel_or_fail() -> None:
    """:func:`fresh_kernel`, its failure told apart from one of the call that follows it."""
    try:
        fresh_kernel()
    except Exception as exc:
        raise KernelResetFailed(f"{type(exc).__name__}: {exc}") from exc


STARTUP_SECONDS = 60

logger = logging.getLogger("workbench.warm")


def _ignore(message: dict[str, Any]) -> None:
    """Output of the reset: there is none unless it fails, and its reply says so."""


class KernelCallError(RuntimeError):
    """A function called in the kernel raised; ``ename`` and ``evalue`` say what."""

    def __init__(self, ename: str, evalue: str) -> None:
        super().__init__(f"{ename}: {evalue}")
        self.ename, self.evalue = ename, evalue


class KernelLost(RuntimeError):
    """The kernel died or stopped answering while it ran a notebook; it cannot be reused."""


class WarmEngine(NBClientEngine):  # type: ignore[misc]
    """Papermill's nbclient engine, on a kernel that is already running."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: int = STARTUP_SECONDS,
        execution_timeout: float | None = None,
        **kwargs: Any,
    ) -> NotebookNode:
        kernel: WarmKernel = kwargs.pop("warm_kernel")
        notebook_client = PapermillNotebookClient(
            nb_man,
            km=kernel.manager,
            timeout=execution_timeout,
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log=logger,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        # Given a client, nbclient neither starts one nor stops the kernel when it is done.
        notebook_client.kc = kernel.client
        executed: NotebookNode = notebook_client.execute()
        return executed


papermill_engines.register(ENGINE, WarmEngine)


class WarmKernel:
    """A ``python3`` kernel started once, running notebooks one after another.

    Parameters
    ----------
    cwd
        The kernel's working folder (the notebooks' folder, as stock papermill uses).
    kernel_name
        The Jupyter kernel to start.

    Examples
    --------
    >>> with WarmKernel(Path("notebooks")) as kernel:  # doctest: +SKIP
    ...     kernel.execute_notebook(book, Path("out/a.ipynb"), {"client": "Acme"})
    """

    def __init__(self, cwd: Path, kernel_name: str = "python3") -> None:
        self.cwd = cwd
        self.kernel_name = kernel_name
        self.notebooks_run = 0
        #: Set once the kernel died or was left busy: it must not run another notebook.
        self.lost = False
        self.manager = AsyncKernelManager(kernel_name=kernel_name)
        # An in-memory history, as nbclient gives its own kernels: no shared SQLite file to lock.
        # Its own log (a warning that it listens on local TCP ports) would only clutter the
        # batch's output: what a notebook prints is in the notebook, and a kernel that dies is
        # reported as such.
        run_sync(self.manager.start_kernel)(
            cwd=str(cwd),
            extra_arguments=["--HistoryManager.hist_file=:memory:"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.client = self.manager.client()
        try:
            self.client.start_channels()
            run_sync(self.client.wait_for_ready)(timeout=STARTUP_SECONDS)
        except Exception:
            self.shutdown()
            raise
        self.client.allow_stdin = False

    def __enter__(self) -> WarmKernel:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.shutdown()

    @property
    def pid(self) -> int | None:
        """The kernel process id, while it runs."""
        provisioner = self.manager.provisioner
        process = getattr(provisioner, "process", None)
        return getattr(process, "pid", None)

    def is_alive(self) -> bool:
        return bool(run_sync(self.manager.is_alive)())

    def reset(self) -> None:
        """Empty the namespace and restart the execution counter, as in a fresh kernel."""
        if not self.is_alive():
            self.lost = True
            raise KernelLost("the kernel is no longer running")
        try:
            reply = run_sync(self.client.execute_interactive)(
                RESET,
                silent=True,
                store_history=False,
                timeout=STARTUP_SECONDS,
                output_hook=_ignore,
            )
        except Exception as exc:
            self.lost = True
            raise KernelLost(f"the kernel did not answer: {exc}") from exc
        if reply["content"]["status"] != "ok":
            self.lost = True
            raise KernelLost(f"the kernel could not be reset: {reply['content'].get('evalue')}")

    def call(
        self,
        module: str,
        function: str,
        arguments: tuple[str, ...],
        *,
        timeout: float | None = None,
        fresh: bool = False,
    ) -> None:
        """Call ``module.function(*arguments)`` in the kernel, outside any notebook.

        Work the batch would otherwise do in its own process runs here, in parallel with the
        other kernels. The arguments are plain strings; the next notebook's reset clears what
        the call leaves in the namespace. ``fresh`` resets the kernel first, as :meth:`reset`
        does, in the same round trip to the kernel.

        Raises
        ------
        KernelCallError
            The function raised; its exception's name and message are kept.
        KernelLost
            The kernel died, did not answer within ``timeout`` seconds, or could not be reset.
        """
        code = f"from {module} import {function}\n{function}(*{arguments!r})"
        if fresh:
            if not self.is_alive():
                self.lost = True
                raise KernelLost("the kernel is no longer running")
            code = f"{RESET_BEFORE_CALL}\n{code}"
        try:
            reply = run_sync(self.client.execute_interactive)(
                code, silent=True, store_history=False, timeout=timeout, output_hook=_ignore
            )
        except Exception as exc:
            self.lost = True
            raise KernelLost(f"the kernel did not finish {function}: {exc}") from exc
        content = reply["content"]
        if content["status"] != "ok" and content.get("ename") == KernelResetFailed.__name__:
            self.lost = True
            raise KernelLost(f"the kernel could not be reset: {content.get('evalue')}")
        if content["status"] != "ok":
            raise KernelCallError(content.get("ename", "Error"), content.get("evalue", ""))

    def execute_notebook(
        self,
        notebook: Path | NotebookNode,
        output: Path,
        parameters: dict[str, str],
        *,
        cell_timeout: float | None = None,
    ) -> NotebookNode:
        """Run one notebook with papermill on this kernel, after a reset.

        Parameters
        ----------
        notebook
            The notebook to run (a path, or one already read).
        output
            Where papermill writes the executed notebook.
        parameters
            Injected after the ``parameters`` cell, as papermill does.
        cell_timeout
            Seconds a cell may run; None waits for ever.

        Returns
        -------
        NotebookNode
            The executed notebook.

        Raises
        ------
        papermill.exceptions.PapermillExecutionError
            A cell raised; the kernel is fine and the next notebook may run.
        KernelLost
            The kernel died or a cell ran out of time: start another kernel.
        """
        self.reset()
        try:
            executed: NotebookNode = papermill.execute_notebook(
                notebook if isinstance(notebook, NotebookNode) else str(notebook),
                str(output),
                parameters=parameters,
                engine_name=ENGINE,
                kernel_name=self.kernel_name,
                # The output is a partial file renamed when complete: saving it after every
                # cell, as papermill does by default, would write it a dozen times for nothing.
                request_save_on_cell_execute=False,
                progress_bar=False,
                log_output=False,
                execution_timeout=cell_timeout,
                warm_kernel=self,
            )
        except PapermillExecutionError:
            raise
        except DeadKernelError as exc:
            self.lost = True
            raise KernelLost(f"the kernel died: {exc}") from exc
        except Exception as exc:
            # A timeout leaves the cell running: this kernel can't be trusted with the next one.
            self.lost = True
            raise KernelLost(f"{type(exc).__name__}: {exc}") from exc
        finally:
            self.notebooks_run += 1
        return executed

    def shutdown(self) -> None:
        """Stop the kernel process and close its channels; safe to call twice."""
        try:
            self.client.stop_channels()
        except Exception:  # already closed, or never opened
            logger.debug("kernel channels already closed", exc_info=True)
        if self.manager.has_kernel:
            run_sync(self.manager.shutdown_kernel)(now=True)
