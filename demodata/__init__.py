"""The seeded demo MSP: one billing month of exports in the vendors' real layouts.

Not part of the pipeline: it writes the files the pipeline reads (``workbench demo-data``, the
tests' fixtures, the benchmark's scales), so it lives beside ``workbench``, never inside it.

:func:`write_demo_workspace` writes a workspace with about 25 clients. Most are billed exactly
what they use; a known set of discrepancies of every kind is injected on purpose, and the
expected outcome of every line is written to ``periods/<period>/ground_truth.json`` so tests can
check the reconciliation exactly.

What is injected (see :mod:`demodata.msp`): under-billing after a mid-month seat increase in
Partner Center, over-billing of workstations whose RMM count includes deleted and
``_NotBillable_`` devices that must not count, usage never added to the contract, a service on
the contract at 0 units that is already in use, a service billed after its subscription was
cancelled, a Microsoft customer and an RMM site nobody mapped,
a SKU nobody mapped, services no vendor measures, a difference within tolerance, a vendor-side
rename, a site matched by exact name, an internal tenant excluded on purpose, trial and credit
rows, and Autotask rows outside the period or on an inactive contract.

Modules, by what they write:

``layouts``
    The vendors' export headers and how their values are written (also used by the tests).
``msp``
    The demo MSP: services, clients, the injected scenarios and the truth of every line.
``workspace``
    The demo workspace (``demo/workspace``).
``psa_samples``
    One small workspace per other PSA (``demo/psa-samples/<psa>``).
"""

from demodata.psa_samples import PSA_SAMPLES, write_psa_sample, write_psa_samples
from demodata.workspace import write_demo_workspace

__all__ = ["PSA_SAMPLES", "write_demo_workspace", "write_psa_sample", "write_psa_samples"]
