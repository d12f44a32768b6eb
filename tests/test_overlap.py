"""Overlapping exports: a record held by two files, or twice by one, counts once.

Every input file of the demo and of each PSA sample is given a partial copy beside it (its
header and first three data rows, as ``head`` would save it): the month's lines must not move,
and each copied record is accounted for as the same record as the original row. Then the cases
the issue names (an RMM site saved on its own, a Huntress organization repeated, the Partner
Center file also saved as a workbook, the first additions of a ConnectWise export saved again),
and the conflicts: one key, two versions, the month stops naming both rows.
"""

from __future__ import annotations

import csv
import re
import shutil
import stat
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from workbench import Reconciliation, Status, reconcile_workspace
from workbench.errors import InputError
from workbench.sources.reading import read_table

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo" / "workspace"
SAMPLES = ROOT / "demo" / "psa-samples"
PERIOD = "2026-10"
WORKSPACES = {"demo": DEMO, **{path.name: path for path in sorted(SAMPLES.iterdir())}}
COPIED_ROWS = 3


def _input_files() -> list[tuple[str, str]]:
    return [
        (name, path.relative_to(root).as_posix())
        for name, root in WORKSPACES.items()
        for path in sorted((root / "periods" / PERIOD / "inputs").rglob("*"))
        if path.is_file()
    ]


def _copy_workspace(name: str, tmp_path: Path) -> Path:
    copy = tmp_path / name
    shutil.copytree(
        WORKSPACES[name], copy, ignore=shutil.ignore_patterns("ledger.sqlite*", "outputs")
    )
    for path in copy.rglob("*"):
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    return copy


def _save_first_rows(path: Path, target: Path, rows: int) -> None:
    """What ``head`` (or deleting rows in Excel) leaves: the title and header rows and the first
    ``rows`` data rows."""
    keep = read_table(path).header_row + rows
    if path.suffix == ".xlsx":
        book = openpyxl.load_workbook(path)
        for sheet in book.worksheets:
            if sheet.max_row > keep:
                sheet.delete_rows(keep + 1, sheet.max_row - keep)
        book.save(target)
        return
    lines = path.read_bytes().splitlines(keepends=True)
    target.write_bytes(b"".join(lines[:keep]))


@pytest.fixture(scope="module")
def originals() -> dict[str, Reconciliation]:
    return {name: reconcile_workspace(root, PERIOD) for name, root in WORKSPACES.items()}


def _same_lines(result: Reconciliation, original: Reconciliation) -> None:
    pd.testing.assert_frame_equal(result.lines, original.lines)
    assert result.summary() == original.summary()


@pytest.mark.parametrize(("workspace", "input_file"), _input_files())
def test_a_partial_copy_of_any_export_changes_nothing(
    workspace: str, input_file: str, originals: dict[str, Reconciliation], tmp_path: Path
) -> None:
    root = _copy_workspace(workspace, tmp_path)
    original = root / input_file
    partial = original.with_name(f"{original.stem} (first rows){original.suffix}")
    _save_first_rows(original, partial, COPIED_ROWS)

    result = reconcile_workspace(root, PERIOD)

    _same_lines(result, originals[workspace])
    coverage = result.coverage.set_index("source_file")
    names = [path.relative_to(root).as_posix() for path in (original, partial)]
    copied = coverage.loc[names[1]]
    if copied["reference"]:
        return  # an Autotask lookup export (Companies, Services, ...): its rows name, not count
    # Files are read in name order, so either file may hold the first copy of a record.
    assert copied["records"] > 0
    assert coverage["same_record"].sum() == copied["records"]
    assert coverage.loc[names, "same_record"].sum() == copied["records"]
    left_out = result.excluded[result.excluded["reason"].str.startswith("same record as ")]
    for this_file, other_file in (names, names[::-1]):
        pointing = left_out[left_out["source_file"] == this_file]["reason"]
        assert pointing.str.fullmatch(rf"same record as {re.escape(other_file)} row \d+").all()


def test_an_rmm_site_saved_on_its_own_is_not_counted_again(
    originals: dict[str, Reconciliation], tmp_path: Path
) -> None:
    """``head -51 devices.csv > devices-first-site.csv``: Acme stays at its 21 workstations
    (counted twice, they made it under-billed 21 vs 42)."""
    root = _copy_workspace("demo", tmp_path)
    devices = root / "periods" / PERIOD / "inputs" / "datto_rmm" / "devices.csv"
    _save_first_rows(devices, devices.with_name("devices-first-site.csv"), 50)

    result = reconcile_workspace(root, PERIOD)

    _same_lines(result, originals["demo"])
    acme = result.lines[
        (result.lines["company_name"] == "Acme Dental Group")
        & (result.lines["service_name"] == "Managed workstation")
    ].iloc[0]
    assert (acme["status"], acme["billed_quantity"], acme["expected_quantity"]) == (
        Status.MATCH,
        21,
        21,
    )
    # "devices-first-site.csv" sorts before "devices.csv", so it is read first.
    excluded = result.excluded[result.excluded["reason"].str.startswith("same record as ")]
    assert len(excluded) == 50
    assert excluded["source_file"].unique().tolist() == [
        f"periods/{PERIOD}/inputs/datto_rmm/devices.csv"
    ]
    assert excluded["reason"].iloc[0] == (
        f"same record as periods/{PERIOD}/inputs/datto_rmm/devices-first-site.csv row 2"
    )


def test_a_repeated_huntress_organization_counts_once(
    originals: dict[str, Reconciliation], tmp_path: Path
) -> None:
    root = _copy_workspace("demo", tmp_path)
    organizations = root / "periods" / PERIOD / "inputs" / "huntress" / "organizations.csv"
    lines = organizations.read_text(encoding="utf-8").splitlines(keepends=True)
    bluewater = next(line for line in lines if ",Bluewater Logistics," in line)
    organizations.write_text("".join([*lines, bluewater]), encoding="utf-8")

    result = reconcile_workspace(root, PERIOD)

    _same_lines(result, originals["demo"])
    edr = result.lines[
        (result.lines["company_name"] == "Bluewater Logistics")
        & (result.lines["service_name"].str.contains("EDR|Endpoint", regex=True))
    ]
    assert edr["expected_quantity"].tolist() == [42]
    repeated = result.excluded[
        (result.excluded["source_row"] == len(lines) + 1)
        & result.excluded["source_file"].str.endswith("organizations.csv")
    ]
    assert (
        repeated["reason"].tolist()
        == [
            f"same record as periods/{PERIOD}/inputs/huntress/organizations.csv "
            f"row {lines.index(bluewater) + 1}"
        ]
        * 3
    )  # agents, identities, learners


def _as_workbook(source: Path, target: Path) -> None:
    """The Partner Center file as Excel saves it: numbers as numbers, dates as dates."""
    with source.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(rows[0])
    numeric = {"UnitPrice", "Quantity", "Subtotal", "TaxTotal", "Total", "BillableQuantity"}
    dated = {"ChargeStartDate", "ChargeEndDate", "OrderDate"}
    for row in rows[1:]:
        cells: list[object] = []
        for name, text in zip(rows[0], row, strict=True):
            if name in numeric and text:
                cells.append(float(text))
            elif name in dated and text:
                cells.append(datetime.strptime(text, "%m/%d/%Y"))
            else:
                cells.append(text)
        sheet.append(cells)
    book.save(target)


def test_the_partner_center_file_also_saved_as_a_workbook_counts_once(
    originals: dict[str, Reconciliation], tmp_path: Path
) -> None:
    root = _copy_workspace("demo", tmp_path)
    invoice = root / "periods" / PERIOD / "inputs" / "microsoft" / "Reconciliation_G052637185.csv"
    _as_workbook(invoice, invoice.with_suffix(".xlsx"))

    result = reconcile_workspace(root, PERIOD)

    _same_lines(result, originals["demo"])
    coverage = result.coverage.set_index("source_file")
    copy = coverage.loc[invoice.with_suffix(".xlsx").relative_to(root).as_posix()]
    assert copy["same_record"] == copy["records"] == 36


def test_the_first_connectwise_additions_saved_again_change_nothing(
    originals: dict[str, Reconciliation], tmp_path: Path
) -> None:
    """``head -5`` of the additions export beside it: nothing over-billed, nothing to remove."""
    root = _copy_workspace("connectwise", tmp_path)
    export = root / "periods" / PERIOD / "inputs" / "connectwise" / "connectwise-export.csv"
    _save_first_rows(export, export.with_name("connectwise-first.csv"), 4)

    result = reconcile_workspace(root, PERIOD)

    _same_lines(result, originals["connectwise"])
    assert result.summary() == originals["connectwise"].summary()


# One key, two versions: the month stops and names both rows.


def _rewrite_row(path: Path, row: int, column: str, value: str) -> None:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[row - 1][rows[0].index(column)] = value
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


@pytest.mark.parametrize(
    ("workspace", "input_file", "column", "value", "problem"),
    [
        (
            "demo",
            "datto_rmm/devices.csv",
            "deleted",
            "true",
            r"devices_copy\.csv, row 2: the same record \(.+\) as "
            r"periods/2026-10/inputs/datto_rmm/devices\.csv row 2, but its quantity differs: "
            r"1 there, 0 here",
        ),
        (
            "demo",
            "huntress/organizations.csv",
            "agents_count",
            "99",
            r"organizations_copy\.csv, row 2: the same record \(4100\|agents\) as "
            r"periods/2026-10/inputs/huntress/organizations\.csv row 2, but its quantity "
            r"differs: 24 there, 99 here",
        ),
        (
            "demo",
            "autotask/ContractServiceUnits.csv",
            "units",
            "99",
            r"ContractServiceUnits_copy\.csv, row 2: the same record \(\d+\) as "
            r"periods/2026-10/inputs/autotask/ContractServiceUnits\.csv row 2, but its "
            r"quantity differs",
        ),
        (
            "connectwise",
            "connectwise/connectwise-export.csv",
            "Quantity",
            "99",
            r"connectwise-export_copy\.csv, row 2: the same record \(.+\) as "
            r"periods/2026-10/inputs/connectwise/connectwise-export\.csv row 2, but its "
            r"quantity differs",
        ),
    ],
)
def test_one_record_in_two_versions_stops_the_month_naming_both_rows(
    workspace: str, input_file: str, column: str, value: str, problem: str, tmp_path: Path
) -> None:
    root = _copy_workspace(workspace, tmp_path)
    original = root / "periods" / PERIOD / "inputs" / input_file
    copy = original.with_name(f"{original.stem}_copy{original.suffix}")  # read second
    _save_first_rows(original, copy, 1)
    _rewrite_row(copy, 2, column, value)

    with pytest.raises(InputError, match=problem) as raised:
        reconcile_workspace(root, PERIOD)

    assert raised.value.row == 2
    assert "remove the older or partial export" in str(raised.value)


def test_a_price_read_from_a_workbook_and_from_a_csv_is_one_value(tmp_path: Path) -> None:
    """12.5 from a workbook cell and 12.50 from a CSV make the same key."""
    from workbench.sources.reading import record_keys

    assert record_keys([Decimal("12.50"), Decimal("100")], ["a", "b"]) == ["12.5|a", "100|b"]
    assert record_keys([Decimal("12.5")], [None]) == ["12.5|"]
