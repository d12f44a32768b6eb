"""The period store: a month read once, kept as Parquet, used only while it is current.

Each test works on its own copy of the demo workspace, since opening a period writes its store.
"""

from __future__ import annotations

import ast
import shutil
import stat
from decimal import Decimal
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from tests.conftest import DEMO, PERIOD, ROOT
from workbench import Status, reconcile_workspace, text_codes
from workbench.errors import WorkbenchError
from workbench.ledger import Ledger, ledger_path
from workbench.outputs.workbook_review import export_review
from workbench.period import Period, pick_client
from workbench.result import RESULT_SCHEMAS
from workbench.sources.reading import repeated_text
from workbench.store import STORE_FOLDER, load_result, read_frame, save_result, write_frame
from workbench.workspace import read_period_inputs


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    copy = tmp_path / "workspace"
    shutil.copytree(DEMO, copy, ignore=shutil.ignore_patterns("ledger.sqlite*", STORE_FOLDER))
    for path in copy.rglob("*"):
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    return copy


def _same_cells(stored: pd.DataFrame, original: pd.DataFrame) -> None:
    """Equal frames, dtypes included, and every cell of the same Python type (26.40 stays
    26.40, a status stays a Status)."""
    pd.testing.assert_frame_equal(stored, original, check_exact=True)
    for column in original.columns:
        assert [type(v) for v in stored[column]] == [type(v) for v in original[column]], column
        if original[column].dtype == object:
            assert [str(v) for v in stored[column]] == [str(v) for v in original[column]], column


def test_a_frame_keeps_its_types_and_exact_values(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "text": pd.Series(["Acme", "", "Ærø =1+2"], dtype="str"),
            "count": [1, -2, 3],
            "maybe": pd.Series([4, None, 6], dtype="Int64"),
            "score": [0.5, 97.25, float("nan")],
            "money": pd.Series([Decimal("26.40"), None, Decimal("-0.0045")], dtype=object),
            # Text columns hold text (Arrow-backed); only an object column holds the members.
            "status": pd.Series(
                [Status.MATCH, Status.UNDER_BILLED, Status.BUNDLE_GAP], dtype=object
            ),
            # Dictionary-encoded text as results keep it: the texts held, sorted, as objects.
            "encoded": pd.Categorical(
                ["used", "billed", "used"], categories=pd.Index(["billed", "used"], dtype=object)
            ),
        }
    )
    kinds = write_frame(frame, tmp_path / "frame.parquet")
    assert kinds == {
        "text": "str",
        "count": "int64",
        "maybe": "Int64",
        "score": "float64",
        "money": "decimal",
        "status": "status",
        "encoded": "category",
    }
    _same_cells(read_frame(tmp_path / "frame.parquet", kinds), frame)


def test_text_read_with_its_codes_keeps_them_only_while_it_is_the_same(tmp_path: Path) -> None:
    """A column Parquet keeps dictionary-encoded comes back as plain text, with its codes
    remembered: a copy shares them, a column changed or set anew has none (its Arrow data is
    new), so the engine never uses stale codes."""
    frame = pd.DataFrame(
        {"vendor": pd.Series(["pax8", "huntress", "pax8", "", "pax8"], dtype="str")}
    )
    kinds = write_frame(frame, tmp_path / "frame.parquet")
    read = read_frame(tmp_path / "frame.parquet", kinds, ["vendor"])
    _same_cells(read, frame)
    known = text_codes.known(read["vendor"])
    assert known is not None
    codes, values = known
    assert codes.dtype == np.int8  # three texts: a byte per row
    assert values[codes].tolist() == ["pax8", "huntress", "pax8", "", "pax8"]
    assert text_codes.known(read.copy()["vendor"]) is not None
    assert text_codes.known(read_frame(tmp_path / "frame.parquet", kinds)["vendor"]) is None

    changed = read.copy()
    changed.loc[1, "vendor"] = "acronis"
    assert text_codes.known(changed["vendor"]) is None
    assert text_codes.known(read["vendor"]) is not None  # the original is unchanged
    renewed = read.assign(vendor=read["vendor"].str.upper())
    assert text_codes.known(renewed["vendor"]) is None


def test_text_held_by_arrow_is_stored_as_arrow_holds_it(tmp_path: Path) -> None:
    """The canonical frames' text (Arrow-backed, a repeated text in chunks of one block, keys
    in many chunks) is written without Python strings and reads back the same, with codes."""
    rows = 70_000
    frame = pd.DataFrame(
        {
            "source_file": pd.Series(repeated_text("inputs/devices.csv", rows)),
            "record_key": pd.Series(pd.array([f"k{n}" for n in range(rows)], dtype="str")),
            "quantity": np.ones(rows, dtype=np.int64),
        }
    )
    kinds = write_frame(frame, tmp_path / "frame.parquet")
    assert kinds == {"source_file": "str", "record_key": "str", "quantity": "int64"}
    read = read_frame(tmp_path / "frame.parquet", kinds, ["source_file"])
    pd.testing.assert_frame_equal(read, frame, check_exact=True)
    known = text_codes.known(read["source_file"])
    assert known is not None
    assert known[1].tolist() == ["inputs/devices.csv"] and not known[0].any()


def test_the_month_round_trips_exactly(workspace: Path) -> None:
    month = Period.open(workspace, PERIOD)
    stored, inputs = month.result(), month.inputs()
    fresh = reconcile_workspace(workspace, PERIOD)
    for name in RESULT_SCHEMAS:
        _same_cells(getattr(stored, name), getattr(fresh, name))
    assert (stored.period, stored.currency, stored.mapping_warnings) == (
        fresh.period,
        fresh.currency,
        fresh.mapping_warnings,
    )
    read = read_period_inputs(workspace, PERIOD)
    for name in ("contract_lines", "usage", "files"):
        _same_cells(getattr(inputs, name), getattr(read, name))
    _same_cells(inputs.catalogue.services, read.catalogue.services.reset_index(drop=True))
    assert stored.summary() == fresh.summary()


def _snapshots(workspace: Path, kind: str) -> list[str]:
    store = workspace / "periods" / PERIOD / STORE_FOLDER
    return sorted(path.name for path in store.glob(f"{kind}-*"))


def test_a_mappings_edit_reconciles_the_stored_inputs_again_and_says_so(workspace: Path) -> None:
    first = Period.open(workspace, PERIOD)
    before = first.result()
    assert first.changes == []  # nothing stored yet: nothing to compare with
    inputs, results = _snapshots(workspace, "inputs"), _snapshots(workspace, "result")
    assert (len(inputs), len(results)) == (1, 1)

    again = Period.open(workspace, PERIOD)
    assert again.result().summary() == before.summary() and again.changes == []
    assert _snapshots(workspace, "result") == results

    book = openpyxl.load_workbook(workspace / "mappings.xlsx")
    row = next(
        r for r in book["Tolerances"].iter_rows(min_row=2) if r[1].value == "Managed workstation"
    )
    row[2].value = 5
    book.save(workspace / "mappings.xlsx")

    edited = Period.open(workspace, PERIOD)
    after = edited.result()
    assert edited.changes == ["changed: mappings.xlsx"]
    assert _snapshots(workspace, "inputs") == inputs  # the exports were not read again
    assert len(_snapshots(workspace, "result")) == 2
    assert after.summary().over_billing_risk == before.summary().over_billing_risk - Decimal(
        "135.00"
    )


def test_a_changed_export_is_read_again_and_named(workspace: Path) -> None:
    Period.open(workspace, PERIOD).result()
    devices = workspace / "periods" / PERIOD / "inputs" / "datto_rmm" / "devices.csv"
    devices.write_text(devices.read_text(encoding="utf-8").rstrip("\n") + "\n\n", encoding="utf-8")
    (workspace / "periods" / PERIOD / "inputs" / "Thumbs.db").write_bytes(b"\x00")

    month = Period.open(workspace, PERIOD)
    month.result()

    assert month.changes == [
        f"added: periods/{PERIOD}/inputs/Thumbs.db",
        f"changed: periods/{PERIOD}/inputs/datto_rmm/devices.csv",
    ]
    assert len(_snapshots(workspace, "inputs")) == 2


def test_a_damaged_store_says_so(workspace: Path, tmp_path: Path) -> None:
    folder = save_result(reconcile_workspace(workspace, PERIOD), tmp_path / "result")
    (folder / "lines.parquet").write_bytes(b"not parquet")
    with pytest.raises(WorkbenchError, match=r"is damaged .*delete the folder and run again"):
        load_result(folder)
    with pytest.raises(WorkbenchError, match="is not a stored reconciliation"):
        load_result(tmp_path)


def test_a_client_is_found_by_one_rule(workspace: Path) -> None:
    month = Period.open(workspace, PERIOD)
    assert month.client("29600100") == ("29600100", "Acme Dental Group")
    assert month.client(29600100) == ("29600100", "Acme Dental Group")
    assert month.client("  acme dental GROUP ") == ("29600100", "Acme Dental Group")
    with pytest.raises(WorkbenchError, match="no client 'Acme' in 2026-10: give a PSA company id"):
        pick_client(month.result().clients, "Acme", PERIOD)


def test_no_module_of_the_package_uses_pickle() -> None:
    """A stored month is data only: nothing the workbench opens can run code from a file."""
    for path in (ROOT / "workbench").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = {
            (node.module or "").split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
        } | {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        assert "pickle" not in modules, path


def test_the_import_files_come_from_the_store_once_the_exports_are_gone(
    workspace: Path, tmp_path: Path
) -> None:
    """Billing in arrears with proration takes the vendors' change dates; once the month is
    stored, deleting its exports changes nothing in the import files."""
    settings = workspace / "workspace.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8") + '\n[billing]\ntiming = "arrears"\nprorate = true\n',
        encoding="utf-8",
    )
    month = Period.open(workspace, PERIOD)
    with Ledger.open(ledger_path(month.workspace)) as ledger:
        ledger.decide_many(
            PERIOD, [row for _, row in month.result().adjustments.iterrows()], "approve", who="sam"
        )
    before = export_review(workspace, PERIOD, tmp_path / "before")
    changes = next(
        path for path in before.import_files if path.name.startswith("autotask-contract")
    )
    text = changes.read_text(encoding="utf-8")
    assert "2026-10-15" in text  # Acme's two seats added on 15 October, from Partner Center

    inputs = workspace / "periods" / PERIOD / "inputs"
    for path in [path for path in inputs.rglob("*") if path.is_file()]:
        path.chmod(stat.S_IWUSR | stat.S_IRUSR)
        path.unlink()
    gone = Period.open(workspace, PERIOD)
    gone.result()
    assert gone.changes[0].startswith(f"the exports of {PERIOD} are no longer in ")

    after = export_review(workspace, PERIOD, tmp_path / "after")
    assert [path.name for path in after.import_files] == [path.name for path in before.import_files]
    for old, new in zip(before.import_files, after.import_files, strict=True):
        if old.suffix == ".csv":
            assert new.read_bytes() == old.read_bytes()
