"""Billing reconciliation workbench for managed service providers.

The package is one pipeline, each stage a module that may import the ones before it:
``sources`` (read exports into canonical frames) -> ``mapping`` (vendor customers and SKUs to
PSA companies and services) -> ``reconcile`` (billed against used) -> ``outputs`` (workbooks)
-> ``batch`` (the monthly run). ``dashboard`` is a face on the same results.
"""

import pandas as pd

# pandas 3 backs text columns with Arrow once pyarrow is installed (the period store needs it);
# measured at 2,000 clients, the reconciliation then took 15.9-17.8 s instead of 9.2-10.5 s
# (issue 13). Text stays in Python strings until the engine works on encoded keys.
pd.set_option("mode.string_storage", "python")

from workbench.errors import InputError, WorkbenchError  # noqa: E402
from workbench.reconcile import reconcile  # noqa: E402
from workbench.result import Reconciliation, Status  # noqa: E402
from workbench.workspace import Workspace, reconcile_workspace  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "InputError",
    "Reconciliation",
    "Status",
    "WorkbenchError",
    "Workspace",
    "__version__",
    "reconcile",
    "reconcile_workspace",
]
