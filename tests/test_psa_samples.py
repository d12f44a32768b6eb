"""The PSA sample workspaces (``demo/psa-samples/<psa>``): every PSA export kind, end to end.

Each sample bills three clients of the main demo for managed workstations (Datto RMM) and their
Microsoft 365 plan (Partner Center); the first is billed 2 seats short (under-billed), the
second one workstation too many (over-billed), and the third keeps Business Standard on its
contract at 0 units while Partner Center shows 1 seat (under-billed, not unbilled usage: the
line exists; ConnectWise's addition is 0 less 0 included). Syncro's sample adds Keeper seats from a Pax8
subscriptions export (a trial subscription does not count); HaloPSA's receives its Partner
Center file as an Excel workbook. ``ground_truth.json`` beside each sample's inputs lists every
line's expected outcome.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from demodata import PSA_SAMPLES, write_psa_sample
from tests.conftest import PERIOD, ROOT
from workbench import Status, reconcile_workspace

SAMPLES = ROOT / "demo" / "psa-samples"
PSA_FORMAT = {
    "connectwise": "ConnectWise agreement additions export",
    "halopsa": "HaloPSA recurring invoice lines",
    "syncro": "Syncro invoice schedule lines (cents)",
    "autotask-ui": "Autotask contract services, UI export (Account Name)",
}


@pytest.mark.parametrize("psa", PSA_SAMPLES)
def test_each_psa_sample_reconciles_to_its_ground_truth(psa: str) -> None:
    result = reconcile_workspace(SAMPLES / psa, PERIOD)
    truth = json.loads(
        (SAMPLES / psa / "periods" / PERIOD / "ground_truth.json").read_text(encoding="utf-8")
    )
    lines = result.lines.set_index("line_id")
    assert set(lines.index) == set(truth["lines"])
    for line_id, expected in truth["lines"].items():
        line = lines.loc[line_id]
        found = (
            line["status"],
            line["billed_quantity"],
            None if pd.isna(line["expected_quantity"]) else int(line["expected_quantity"]),
        )
        assert found == (expected["status"], expected["billed"], expected["expected"]), line_id
        assert (line["revenue_impact"], line["cost_impact"]) == (
            Decimal(expected["revenue_impact"]),
            Decimal(expected["cost_impact"]),
        )
    summary = result.summary()
    assert (summary.clients, summary.discrepancies, summary.coverage) == (3, 3, 1.0)
    assert summary.counts[Status.UNBILLED_USAGE] == 0
    formats = set(result.coverage["format"])
    assert PSA_FORMAT[psa] in formats
    if psa == "syncro":
        pax8 = result.coverage.set_index("format").loc["Pax8 subscriptions"]
        assert (pax8["matched"], pax8["excluded"]) == (1, 1)  # the trial is left out
    if psa == "halopsa":
        assert any(name.endswith("Reconciliation.xlsx") for name in result.coverage["source_file"])


@pytest.mark.parametrize("psa", PSA_SAMPLES)
def test_the_psa_samples_are_reproduced_by_the_generator(tmp_path: Path, psa: str) -> None:
    import openpyxl

    fresh = write_psa_sample(tmp_path / psa, psa)
    shipped = SAMPLES / psa
    files = sorted(p.relative_to(shipped) for p in shipped.rglob("*") if p.is_file())
    assert sorted(p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file()) == files
    for relative in files:
        if relative.suffix == ".xlsx":
            old, new = (openpyxl.load_workbook(root / relative) for root in (shipped, fresh))
            assert [list(old[s].values) for s in old.sheetnames] == [
                list(new[s].values) for s in new.sheetnames
            ]
        else:
            assert (fresh / relative).read_bytes() == (shipped / relative).read_bytes(), relative
