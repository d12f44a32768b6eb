"""Billing reconciliation workbench for managed service providers.

The package is one pipeline, each stage a module that may import the ones before it:
``sources`` (read exports into canonical frames) -> ``mapping`` (vendor customers and SKUs to
PSA companies and services) -> ``reconcile`` (billed against used) -> ``outputs`` (workbooks)
-> ``batch`` (the monthly run). ``dashboard`` is a face on the same results.
"""

from workbench.errors import InputError, WorkbenchError
from workbench.reconcile import reconcile
from workbench.result import Reconciliation, Status
from workbench.workspace import Workspace, reconcile_workspace

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
