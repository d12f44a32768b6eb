"""Proof that a warm kernel isolates clients: B after A in one kernel is B alone.

A warm kernel renders client after client. That is only safe if nothing one notebook leaves
behind (variables, a failed cell, the execution counter) changes what the next one shows.
:func:`isolation_differences` runs notebook A then notebook B on one warm kernel, runs B again
with stock papermill in a kernel of its own, and compares the two B notebooks cell by cell with
:func:`workbench.comparison.notebook_differences`.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import papermill
from papermill.exceptions import PapermillExecutionError

from workbench.comparison import notebook_differences
from workbench.warm import WarmKernel


def isolation_differences(
    first: tuple[Path, dict[str, str]],
    second: tuple[Path, dict[str, str]],
    folder: Path,
) -> list[str]:
    """How B run after A in one warm kernel differs from B run alone; empty when isolated.

    Parameters
    ----------
    first, second
        Notebooks A and B with their parameters. A may fail: B must not notice.
    folder
        Where the three executed notebooks are written (``first.ipynb``,
        ``second-after-first.ipynb``, ``second-alone.ipynb``), for a person to inspect.

    Returns
    -------
    list of str
        One line per cell of B that differs; empty if B shows exactly the same either way.
    """
    folder.mkdir(parents=True, exist_ok=True)
    first_notebook, first_parameters = first
    second_notebook, second_parameters = second
    after = folder / "second-after-first.ipynb"
    with WarmKernel(second_notebook.parent) as kernel:
        # A failing client is part of what B must be isolated from.
        with contextlib.suppress(PapermillExecutionError):
            kernel.execute_notebook(first_notebook, folder / "first.ipynb", first_parameters)
        kernel.execute_notebook(second_notebook, after, second_parameters)
    alone = folder / "second-alone.ipynb"
    papermill.execute_notebook(
        str(second_notebook),
        str(alone),
        parameters=second_parameters,
        kernel_name="python3",
        progress_bar=False,
        cwd=str(second_notebook.parent),
    )
    return notebook_differences(alone, after)
