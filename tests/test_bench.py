"""The benchmark suite's parts: the scale generator, the baselines, and a whole small run.

The generated workspace used here, :data:`TINY`, is 30 clients with about 600 contract lines and
6,000 usage rows, with a discrepancy injected in 2% of the (client, service) lines and one RMM
site of 5 devices (3 desktops, 2 laptops) left unmapped. Its ground truth lists the injected
discrepancies; the engine must find exactly those, and the bare pandas and datacompy baselines
must count as many, and so must the same joins and sums in DuckDB.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from workbench import reconcile_workspace
from workbench.mapping import Mappings
from workbench.result import ADJUSTMENT_STATUSES, Status
from workbench.workspace import read_period_inputs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import baselines  # noqa: E402
import scale  # noqa: E402

CORPUS = ROOT / "tests" / "corpus" / "files"
TINY = scale.Scale("tiny", clients=30, contract_lines=600, usage_rows=6_000, discrepancy_rate=0.02)
PERIOD = "2026-10"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scale.workspace_for(TINY, folder=tmp_path_factory.mktemp("scales"))


def _truth(workspace: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (workspace / "periods" / PERIOD / "ground_truth.json").read_text(encoding="utf-8")
    )
    return data


def _fingerprint(workspace: Path) -> dict[str, str]:
    """Every file's content; the mappings workbook by its cell values (it carries a timestamp)."""
    prints = {}
    for path in sorted(workspace.rglob("*")):
        if not path.is_file():
            continue
        if path.suffix == ".xlsx":
            book = openpyxl.load_workbook(path, read_only=True)
            values = [list(sheet.values) for sheet in book.worksheets]
            content = repr(values).encode()
        else:
            content = path.read_bytes()
        prints[str(path.relative_to(workspace))] = hashlib.sha256(content).hexdigest()
    return prints


def test_the_generator_is_deterministic(tiny: Path, tmp_path: Path) -> None:
    again = scale.workspace_for(TINY, folder=tmp_path / "again")
    other = scale.workspace_for(TINY, folder=tmp_path / "other", seed=scale.SEED + 1)
    assert _fingerprint(again) == _fingerprint(tiny)
    assert _fingerprint(other) != _fingerprint(tiny)
    # Kept once generated: asking again returns the same folder untouched.
    assert scale.workspace_for(TINY, folder=tmp_path / "again") == again


def test_the_generated_sizes_are_the_ones_asked_for(tiny: Path) -> None:
    truth = _truth(tiny)
    assert truth["clients"] == 30
    assert 0.8 * 600 <= truth["contract_lines"] <= 1.2 * 600
    assert 0.8 * 6_000 <= truth["usage_rows"] <= 1.2 * 6_000
    inputs = read_period_inputs(tiny, PERIOD)
    assert len(inputs.usage) - truth["usage_rows"] == 30 * 2  # 3 records per Huntress row


def test_the_engine_finds_exactly_the_injected_discrepancies(tiny: Path) -> None:
    truth = _truth(tiny)
    result = reconcile_workspace(tiny, PERIOD)
    lines = result.lines
    found = lines[lines["status"].isin(ADJUSTMENT_STATUSES)]
    assert {
        row.line_id: {
            "status": str(row.status),
            "billed": int(row.billed_quantity),
            "expected": int(row.expected_quantity),
        }
        for row in found.itertuples(index=False)
    } == truth["discrepancies"]
    assert len(truth["discrepancies"]) >= 4
    assert {str(status) for status in found["status"]} == {str(s) for s in ADJUSTMENT_STATUSES}
    unmapped = lines[lines["status"] == Status.UNMAPPED_CUSTOMER]
    assert sorted(
        (row.vendor, row.vendor_customer_key, row.vendor_sku, int(row.expected_quantity))
        for row in unmapped.itertuples(index=False)
    ) == sorted(
        (entry["vendor"], entry["customer_key"], entry["sku"], entry["quantity"])
        for entry in truth["unmapped_customers"]
    )
    # Every other line matches: no false findings from sites, subscriptions or Huntress counts.
    others = lines[~lines["status"].isin([*ADJUSTMENT_STATUSES, Status.UNMAPPED_CUSTOMER])]
    assert set(others["status"]) == {Status.MATCH}
    coverage = result.coverage
    usage = coverage[coverage["source_file"].str.contains("datto_rmm|microsoft|huntress")]
    assert int(usage["rows_read"].sum()) == truth["usage_rows"]


def test_the_baselines_count_the_engines_discrepancies(tiny: Path) -> None:
    inputs = read_period_inputs(tiny, PERIOD)
    mappings = Mappings.read(tiny / "mappings.xlsx")
    truth = _truth(tiny)["discrepancies"]
    counts = baselines.pandas_reconcile(inputs, mappings)
    for status in ADJUSTMENT_STATUSES:
        expected = sum(1 for line in truth.values() if line["status"] == str(status))
        assert counts[str(status)] == expected, status
    assert baselines.datacompy_reconcile(inputs, mappings) == len(truth)
    assert baselines.duckdb_reconcile(inputs, mappings) == counts


def test_the_raw_readers_read_every_row_of_the_inputs(tiny: Path, tmp_path: Path) -> None:
    folder = tiny / "periods" / PERIOD / "inputs"
    files = read_period_inputs(tiny, PERIOD).files
    assert baselines.pyarrow_read_inputs(folder) == int(files["rows_read"].sum())
    assert baselines.pandas_read_inputs(folder) == int(files["rows_read"].sum())
    # Workbooks: every sheet's rows under its first, as pandas counts them: 3 in pc.xlsx, 1 and
    # 3 on the two sheets of pc_second_sheet.xlsx, 7 under the first title row of the last.
    for name in ("pc.xlsx", "pc_second_sheet.xlsx", "pc_title_blank_total.xlsx"):
        shutil.copy(CORPUS / name, tmp_path / name)
    assert baselines.pyarrow_read_inputs(tmp_path) == baselines.pandas_read_inputs(tmp_path) == 14


@pytest.mark.browser
def test_the_suite_runs_on_the_small_scale_and_writes_its_table(tmp_path: Path) -> None:
    environment = {
        **os.environ,
        "BENCH_SCALES": "small",
        "BENCH_XLSX_ROWS": "500",
        "BENCH_ADJUSTMENT_ROWS": "500",
        "BENCH_BATCH_CLIENTS": "2",
        "BENCH_RESULTS": str(tmp_path),
        # Once each and page loads 2 s apart: the table's making, not its figures, is tested
        # here (the medians by test_the_median_run_of_each_measurement_is_reported).
        "BENCH_RUNS": "1",
        "BENCH_DASHBOARD_GAP": "2",
    }
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "suite.py")],
        env=environment,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
        cwd=ROOT,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = (tmp_path / "suite.md").read_text(encoding="utf-8")
    assert report.strip() == completed.stdout.strip()
    figures = json.loads((tmp_path / "suite.json").read_text(encoding="utf-8"))
    measures = [row["measure"] for row in figures["rows"]]
    for start in (
        "import",
        "reconcile (",
        "reconcile",
        "per-client notebook",
        "whole batch",
        "workbench review, month from the period store",
        "dashboard until interactive",
        "dashboard client switch",
        "xlsx read (500 ",
        "workbook write (500 ",
    ):
        assert any(measure.startswith(start) for measure in measures), start
    for row in figures["rows"]:
        assert row["ours_seconds"] > 0, row
        assert row["ours_peak_mib"] > 0, row
        if row["baseline_seconds"] is not None:
            assert row["ratio"] == pytest.approx(
                row["ours_seconds"] / row["baseline_seconds"], rel=0.01, abs=0.002
            )
    assert any("discrepancies found: engine 13," in note for note in figures["notes"])


def test_the_median_run_of_each_measurement_is_reported() -> None:
    import suite

    seconds = iter([3.0, 10.0, 1.0, 30.0, 2.0, 20.0])  # rounds of (ours, baseline)

    def run(name: str) -> dict[str, Any]:
        return {"seconds": next(seconds), "peak_mib": 100 if name == "ours" else 50, "n": name}

    ours, baseline = suite.run_alternating(["ours", "baseline"], run)

    assert suite.RUNS == 3  # the default, as make bench runs it
    assert (ours["seconds"], ours["runs"]) == (2.0, [3.0, 1.0, 2.0])
    assert (baseline["seconds"], baseline["runs"]) == (20.0, [10.0, 30.0, 20.0])
    assert (ours["peak_mib"], baseline["n"]) == (100, "baseline")
