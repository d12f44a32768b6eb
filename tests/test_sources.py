"""Importers: recognised by header, exact canonical rows, and bad input named precisely."""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from pandera.errors import SchemaError

from tests.builders import (
    TENANT,
    device,
    ms_row,
    write_autotask,
    write_huntress,
    write_ms,
    write_rmm,
)
from tests.conftest import DEMO, PERIOD
from workbench.errors import InputError
from workbench.frame_check import check_frame
from workbench.sources import detect, read_inputs
from workbench.sources.profiles import workspace_formats
from workbench.sources.reading import read_table
from workbench.sources.schemas import ContractLineSchema, UsageSchema
from workbench.workspace import period_bounds

START, END = period_bounds(PERIOD)


def read(folder: Path):  # type: ignore[no-untyped-def]
    return read_inputs(folder, folder, START, END)


def usage_of(folder: Path):  # type: ignore[no-untyped-def]
    write_autotask(folder / "autotask")
    return read(folder).usage


def test_formats_are_recognised_by_header_not_by_file_name(tmp_path: Path) -> None:
    demo_inputs = DEMO / "periods" / PERIOD / "inputs"
    renamed = {
        "microsoft/Reconciliation_G052637185.csv": "export (3).csv",
        "datto_rmm/devices.csv": "october.csv",
        "huntress/organizations.csv": "orgs-final-FINAL.csv",
        "autotask/ContractServiceUnits.csv": "a.csv",
    }
    titles = {}
    for original, new_name in renamed.items():
        target = tmp_path / new_name
        shutil.copy(demo_inputs / original, target)
        titles[new_name] = detect(read_table(target)).title
    assert titles == {
        "export (3).csv": "Microsoft Partner Center new-commerce reconciliation",
        "october.csv": "Datto RMM device export",
        "orgs-final-FINAL.csv": "Huntress organizations export",
        "a.csv": "Autotask ContractServiceUnits",
    }


def test_header_drift_and_extra_columns_are_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "ms.csv"
    write_ms(path, [ms_row("cycleCharge", 10, "220.00")])
    text = (
        path.read_text(encoding="utf-8-sig")
        .replace("CustomerId", "Customer ID")
        .replace("MpnId", "MPNID")
    )
    path.write_text(
        text.replace("\r\n", ",NewColumn\r\n", 1)
        .replace("\r\n", ",x\r\n")
        .replace(",NewColumn,x", ",NewColumn"),
        encoding="utf-8-sig",
    )
    assert detect(read_table(path)).key == "microsoft-nce"


def test_an_unknown_file_names_the_closest_formats(tmp_path: Path) -> None:
    path = tmp_path / "sentinelone.csv"
    path.write_text("Site Name,Agent Count,Product\nAcme,12,Complete\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        detect(read_table(path))
    message = str(caught.value)
    assert message.startswith(
        "sentinelone.csv, row 1: the header matches no known export. Closest:"
    )
    assert "(missing " in message


def test_partner_center_seats_are_the_net_position_per_subscription(tmp_path: Path) -> None:
    """10 seats charged; +2 mid-month (refund 10, charge 12); a trial and a credit that move no seats."""
    write_ms(
        tmp_path / "ms.csv",
        [
            ms_row("cycleCharge", 10, "220.00"),
            ms_row("AddQuantity", 10, "-120.65", ChargeStartDate="10/15/2026"),
            ms_row("addquantity", 12, "144.78", ChargeStartDate="10/15/2026"),
            ms_row("new", 25, "0.00", SubscriptionId="trial-1"),
            ms_row("customerCredit", 1, "-10.00", SubscriptionId="credit-1"),
        ],
    )
    usage = usage_of(tmp_path)
    assert usage["quantity"].tolist() == [10, -10, 12, 0, 0]
    assert int(usage.loc[usage["excluded_reason"] == "", "quantity"].sum()) == 12
    assert usage["excluded_reason"].tolist()[3:] == [
        "zero-amount row: trial or free offer, not billable usage",
        "customerCredit row: a credit, not a seat change",
    ]
    assert usage["amount"].tolist() == [
        Decimal("220.00"),
        Decimal("-120.65"),
        Decimal("144.78"),
        Decimal("0.00"),
        Decimal("-10.00"),
    ]
    assert set(usage["customer_key"]) == {TENANT}  # GUIDs compare case-insensitively
    assert set(usage["sku"]) == {"CFQ7TTC0LCHC:0002"}  # SKU id keeps its leading zeros
    assert usage["source_row"].tolist() == [2, 3, 4, 5, 6]


def test_a_blank_partner_center_subtotal_is_a_zero_charge(tmp_path: Path) -> None:
    """A blank Subtotal takes its direction from the Total; blank both, the row moves no seats."""
    write_ms(
        tmp_path / "ms.csv",
        [
            ms_row("cycleCharge", 10, "", Total="220.00"),
            ms_row("cycleCharge", 3, "", Total="", SubscriptionId="blank-1"),
        ],
    )
    usage = usage_of(tmp_path)
    assert usage["quantity"].tolist() == [10, 0]
    assert usage["amount"].tolist() == [Decimal("0"), Decimal("0")]
    assert usage["excluded_reason"].tolist() == [
        "",
        "zero-amount row: trial or free offer, not billable usage",
    ]


def test_rmm_exclusions_stay_visible_with_their_reason(tmp_path: Path) -> None:
    write_rmm(
        tmp_path / "rmm.csv",
        [
            device("Desktop"),
            device("Laptop", deleted="true"),
            device("Desktop", groups="Lab;_NotBillable_"),
            device("Server", suspended="TRUE"),
        ],
    )
    usage = usage_of(tmp_path)
    assert usage["excluded_reason"].tolist() == [
        "",
        "deleted device",
        "device in the _NotBillable_ group",
        "device suspended in the RMM",
    ]
    assert usage["quantity"].tolist() == [1, 0, 0, 0]


def test_huntress_rows_yield_one_record_per_metric(tmp_path: Path) -> None:
    write_huntress(
        tmp_path / "h.csv",
        [
            {
                "id": "7",
                "name": "Acme",
                "agents_count": "12",
                "billable_identity_count": "9",
                "sat_learner_count": "0",
            }
        ],
    )
    usage = usage_of(tmp_path)
    assert list(zip(usage["sku"], usage["quantity"], usage["source_row"], strict=True)) == [
        ("agents", 12, 2),
        ("identities", 9, 2),
        ("sat_learners", 0, 2),
    ]


def test_autotask_line_takes_the_adjusted_price_and_keeps_provenance(tmp_path: Path) -> None:
    write_autotask(
        tmp_path,
        contract_services=[
            {
                "id": "40",
                "contractID": "20",
                "serviceID": "30",
                "unitPrice": "26.40",
                "unitCost": "",
                "adjustedPrice": "24.00",
                "invoiceDescription": "M365",
            }
        ],
    )
    line = read(tmp_path).contract_lines.iloc[0]
    assert (
        line["company_name"],
        line["service_name"],
        line["quantity"],
        line["unit_price"],
        line["unit_cost"],
    ) == (
        "Acme Dental Group",
        "Microsoft 365 Business Premium",
        10,
        Decimal("24.00"),
        Decimal("0.00"),
    )
    assert (line["source_file"], line["source_row"]) == ("ContractServiceUnits.csv", 2)


def test_every_demo_row_reaches_the_canonical_frames() -> None:
    inputs = read_inputs(
        DEMO / "periods" / PERIOD / "inputs", DEMO, START, END, profiles=workspace_formats(DEMO)
    )
    for file in inputs.files.itertuples():
        frame = inputs.usage if file.side == "usage" else inputs.contract_lines
        rows = set(frame.loc[frame["source_file"] == file.source_file, "source_row"])
        if file.side == "usage" or file.source_file.endswith("ContractServiceUnits.csv"):
            assert rows == set(range(2, file.rows_read + 2)), file.source_file


def test_the_canonical_frames_are_checked_for_what_their_schemas_declare() -> None:
    """What every importer hands on is the schemas' frames, and a frame that strays from them
    (a float where money must be Decimal, a row numbered 0, a column missing) is refused."""
    inputs = read_inputs(
        DEMO / "periods" / PERIOD / "inputs", DEMO, START, END, profiles=workspace_formats(DEMO)
    )
    check_frame(UsageSchema, inputs.usage)
    check_frame(ContractLineSchema, inputs.contract_lines)
    amounts = inputs.usage["amount"].copy()
    amounts.iloc[0] = 1.5  # a float among the Decimals
    float_amount = inputs.usage.assign(amount=amounts)
    row_zero = inputs.contract_lines.assign(source_row=0)
    for model, frame, problem in (
        (UsageSchema, float_amount, "amount must be Decimal or None"),
        (ContractLineSchema, row_zero, "'source_row' fails greater_than_or_equal_to"),
        (UsageSchema, inputs.usage.drop(columns="sku"), "expected exactly"),
    ):
        with pytest.raises(SchemaError, match=problem):
            check_frame(model, frame, name="usage")


#: Where each demo usage file names its customer.
NAME_COLUMNS = (
    "CustomerName",
    "siteName",
    "name",
    "tenant_name",
    "organizationName",
    "companyName",
    "Site Name",
)


def test_provenance_points_at_the_row_in_the_file() -> None:
    inputs = read_inputs(
        DEMO / "periods" / PERIOD / "inputs", DEMO, START, END, profiles=workspace_formats(DEMO)
    )
    sample = inputs.usage.iloc[[0, 100, 500, -1]]
    for record in sample.itertuples():
        with (DEMO / record.source_file).open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        source = rows[record.source_row - 2]
        name = next(source[column] for column in NAME_COLUMNS if source.get(column))
        assert name == record.customer_name


BAD_CELLS = [
    (
        "ms.csv",
        lambda p: write_ms(
            p,
            [
                ms_row("cycleCharge", 10, "220.00"),
                ms_row("cycleCharge", 10, "220.00", Quantity="ten"),
            ],
        ),
        3,
        "Quantity",
        "'ten' is not a whole number",
    ),
    (
        "ms.csv",
        lambda p: write_ms(p, [ms_row("cycleCharge", 10, "220.00", Quantity="2.5")]),
        2,
        "Quantity",
        "'2.5' is not a whole number",
    ),
    (
        "ms.csv",
        lambda p: write_ms(p, [ms_row("cycleCharge", 10, "22O.00")]),
        2,
        "Subtotal",
        "'22O.00' is not an amount",
    ),
    (
        "rmm.csv",
        lambda p: write_rmm(p, [device("Desktop"), device("Laptop", deleted="maybe")]),
        3,
        "deleted",
        "'maybe' is not true or false",
    ),
    (
        "h.csv",
        lambda p: write_huntress(
            p,
            [
                {
                    "id": "7",
                    "name": "Acme",
                    "agents_count": "-3",
                    "billable_identity_count": "0",
                    "sat_learner_count": "0",
                }
            ],
        ),
        2,
        "agents_count",
        "-3 is negative",
    ),
]


@pytest.mark.parametrize(("name", "write", "row", "column", "problem"), BAD_CELLS)
def test_bad_cells_are_named_by_file_row_and_column(
    tmp_path: Path, name, write, row, column, problem
) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path / name)
    write_autotask(tmp_path / "autotask")
    with pytest.raises(InputError) as caught:
        read(tmp_path)
    error = caught.value
    assert (Path(error.file).name, error.row, error.column) == (name, row, column)
    assert str(error).startswith(f"{name}, row {row}, column {column!r}: {problem}")


AUTOTASK_UNIT = {
    "id": "50",
    "contractID": "20",
    "contractServiceID": "40",
    "serviceID": "30",
    "startDate": "2026-10-01T00:00:00Z",
    "endDate": "2026-10-31T00:00:00Z",
    "units": "10",
}


@pytest.mark.parametrize(
    ("unit", "row", "column", "problem"),
    [
        (
            {"contractServiceID": "41"},
            2,
            "contractServiceID",
            "contractServiceID '41' is not in the ContractServices export",
        ),
        ({"units": "-2"}, 2, "units", "-2 units is negative"),
        ({"startDate": "31/10/2026"}, 2, "startDate", "'31/10/2026' is not a date"),
    ],
)
def test_bad_autotask_rows_are_named(tmp_path: Path, unit, row, column, problem) -> None:  # type: ignore[no-untyped-def]
    write_autotask(tmp_path, units=[{**AUTOTASK_UNIT, **unit}])
    with pytest.raises(InputError) as caught:
        read(tmp_path)
    assert (caught.value.row, caught.value.column) == (row, column)
    assert problem in str(caught.value)


def test_a_missing_autotask_export_is_named(tmp_path: Path) -> None:
    write_autotask(tmp_path)
    (tmp_path / "Services.csv").unlink()
    with pytest.raises(InputError, match="has Autotask files but not Autotask Services"):
        read(tmp_path)


def test_a_repeated_entity_row_is_one_entity_and_a_changed_one_is_refused(tmp_path: Path) -> None:
    service = {
        "id": "40",
        "contractID": "20",
        "serviceID": "30",
        "unitPrice": "26.40",
        "unitCost": "22.00",
        "adjustedPrice": "",
        "invoiceDescription": "M365",
    }
    write_autotask(tmp_path, contract_services=[service, service])
    assert read(tmp_path).contract_lines["unit_price"].tolist() == [Decimal("26.40")]
    write_autotask(tmp_path, contract_services=[service, {**service, "adjustedPrice": "24.00"}])
    with pytest.raises(
        InputError,
        match=r"ContractServices.csv, row 3, column 'id': id '40' is also in "
        r".*ContractServices.csv row 2 of the ContractServices export, with other values",
    ):
        read(tmp_path)


def test_a_contract_service_without_price_is_refused(tmp_path: Path) -> None:
    service = {
        "id": "40",
        "contractID": "20",
        "serviceID": "30",
        "unitPrice": "",
        "unitCost": "",
        "adjustedPrice": "",
        "invoiceDescription": "M365",
    }
    write_autotask(tmp_path, contract_services=[service])
    with pytest.raises(
        InputError,
        match=r"ContractServices.csv, row 2, column 'unitPrice': the contract service has no unit price",
    ):
        read(tmp_path)


def test_ragged_rows_are_named_and_utf16_is_read(tmp_path: Path) -> None:
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("id,name,agents_count\n1,Acme,3\n2,Bluewater\n", encoding="utf-8")
    with pytest.raises(
        InputError, match=r"ragged.csv, row 3: the row has 2 cells but the header has 3"
    ):
        read_table(ragged)
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes("id,name\n1,Café Olé\n".encode("utf-16"))
    table = read_table(utf16)
    assert (table.encoding, table.frame.values.tolist()) == ("utf-16-le", [["1", "Café Olé"]])


def test_period_filter_excludes_rows_outside_the_month(tmp_path: Path) -> None:
    september = {
        **AUTOTASK_UNIT,
        "startDate": "2026-09-01T00:00:00Z",
        "endDate": "2026-09-30T00:00:00Z",
    }
    write_autotask(tmp_path, units=[september, {**AUTOTASK_UNIT, "id": "51"}])
    lines = read(tmp_path).contract_lines
    assert lines["excluded_reason"].tolist() == ["outside the billing period", ""]


def test_an_autotask_export_after_the_other_five_is_joined_with_them(tmp_path: Path) -> None:
    # The five exports in "a" alone stop the month (unit 51's contract service 41 is not in
    # them); the ContractServices export in "b", read after them, lists it.
    write_autotask(tmp_path / "a", lines={"30": 10, "31": 5})
    write_autotask(tmp_path / "b", lines={"31": 5})
    shutil.copy(
        write_autotask(tmp_path / "scratch", lines={"30": 10}) / "ContractServices.csv",
        tmp_path / "a" / "ContractServices.csv",
    )
    shutil.rmtree(tmp_path / "scratch")
    for name in ("Companies", "Contracts", "Services", "ContractServiceUnits"):
        (tmp_path / "b" / f"{name}.csv").unlink()
    with pytest.raises(InputError, match="contractServiceID '41' is not in the ContractServices"):
        read_inputs(tmp_path / "a", tmp_path, START, END)
    lines = read(tmp_path).contract_lines
    assert sorted(zip(lines["service_id"], lines["quantity"], strict=True)) == [
        ("30", 10),
        ("31", 5),
    ]
