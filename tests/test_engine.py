"""Reconciliation rules on tiny workspaces whose every number is stated in the test.

Each workspace has one client, Acme Dental Group (Autotask company 10), billed through one
contract (20) from the catalogue in ``tests/builders.py``: 30 "Microsoft 365 Business Premium"
at 26.40 (cost 22.00), 31 "Managed workstation" at 45.00 (cost 12.00), 32 "Backup per 100 GB" at
9.99 (cost 4.00).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from tests.builders import (
    TENANT,
    device,
    ms_row,
    write_autotask,
    write_huntress,
    write_mappings,
    write_ms,
    write_rmm,
    write_workspace,
)
from workbench import Status, reconcile_workspace
from workbench.errors import InputError
from workbench.mapping import Mappings
from workbench.reconcile import _text_rows

ACME = ["Microsoft", TENANT, "Acme Dental Group", "10", "Acme Dental Group", ""]
ACME_SITE = ["Datto RMM", "site-1", "Acme Dental Group", "10", "Acme Dental Group", ""]
PREMIUM = [
    "Microsoft",
    "CFQ7TTC0LCHC:0002",
    "Business Premium",
    "30",
    "Microsoft 365 Business Premium",
    1,
    "",
]
DESKTOPS = ["Datto RMM", "Desktop", "Desktops", "31", "Managed workstation", 1, ""]
LAPTOPS = ["Datto RMM", "Laptop", "Laptops", "31", "Managed workstation", 1, ""]


def billed(inputs: Path, lines: dict[str, int], prices: dict[str, str] | None = None) -> None:
    """Autotask exports billing ``lines`` (service id -> units) to Acme in October 2026."""
    write_autotask(inputs / "autotask", lines=lines, prices=prices)


def line(root: Path, service_id: str):  # type: ignore[no-untyped-def]
    result = reconcile_workspace(root, "2026-10")
    return result.lines.set_index("line_id").loc[f"10:{service_id}"]


def test_several_skus_feed_one_service_and_sum(tmp_path: Path) -> None:
    """RMM: 3 desktops + 2 laptops = 5 workstations; billed 4 -> under-billed 1 x 45.00."""
    inputs = write_workspace(tmp_path)
    billed(inputs, {"31": 4})
    write_rmm(
        inputs / "rmm.csv",
        [device("Desktop") for _ in range(3)] + [device("Laptop") for _ in range(2)],
    )
    write_mappings(tmp_path / "mappings.xlsx", customers=[ACME_SITE], services=[DESKTOPS, LAPTOPS])
    found = line(tmp_path, "31")
    assert (
        found["status"],
        found["expected_quantity"],
        found["revenue_impact"],
        found["cost_impact"],
    ) == (Status.UNDER_BILLED, 5, Decimal("45.00"), Decimal("12.00"))


def test_a_factor_converts_units_and_rounds_up_to_whole_billing_units(tmp_path: Path) -> None:
    """Huntress 250 agents at factor 1/100 -> 2.5 -> 3 units of 'per 100 GB'; billed 2 at 9.99."""
    inputs = write_workspace(tmp_path)
    billed(inputs, {"32": 2})
    write_huntress(
        inputs / "h.csv",
        [
            {
                "id": "7",
                "name": "Acme Dental Group",
                "agents_count": "250",
                "billable_identity_count": "0",
                "sat_learner_count": "0",
            }
        ],
    )
    write_mappings(
        tmp_path / "mappings.xlsx",
        customers=[],
        services=[["Huntress", "agents", "EDR agents", "32", "Backup per 100 GB", "0.01", ""]],
    )
    found = line(tmp_path, "32")
    assert (found["status"], found["expected_quantity"], found["revenue_impact"]) == (
        Status.UNDER_BILLED,
        3,
        Decimal("9.99"),
    )


def test_a_difference_within_tolerance_is_a_match_and_beyond_it_is_not(tmp_path: Path) -> None:
    inputs = write_workspace(tmp_path)
    billed(inputs, {"31": 4})
    write_rmm(inputs / "rmm.csv", [device("Desktop") for _ in range(5)])
    write_mappings(
        tmp_path / "mappings.xlsx",
        customers=[ACME_SITE],
        services=[DESKTOPS],
        tolerances=[["31", "Managed workstation", 1]],
    )
    found = line(tmp_path, "31")
    assert (found["status"], found["difference"], found["revenue_impact"]) == (
        Status.MATCH,
        1,
        Decimal("0.00"),
    )
    write_rmm(inputs / "rmm.csv", [device("Desktop") for _ in range(6)])
    assert line(tmp_path, "31")["status"] == Status.UNDER_BILLED


def test_money_is_exact_at_odd_prices(tmp_path: Path) -> None:
    """7 missing seats at 3.3333 -> 23.3331 -> 23.33 (half-up per line, never a float)."""
    inputs = write_workspace(tmp_path)
    billed(inputs, {"30": 3}, prices={"30": "3.3333"})
    write_ms(inputs / "ms.csv", [ms_row("cycleCharge", 10, "220.00")])
    write_mappings(tmp_path / "mappings.xlsx", customers=[ACME], services=[PREMIUM])
    found = line(tmp_path, "30")
    assert (found["difference"], found["revenue_impact"], found["cost_impact"]) == (
        7,
        Decimal("23.33"),
        Decimal("154.00"),
    )


def ten_seats_in_use(root: Path, inputs: Path):  # type: ignore[no-untyped-def]
    """Partner Center shows Acme 10 Business Premium seats (26.40, cost 22.00): service 30's
    line."""
    write_ms(inputs / "ms.csv", [ms_row("cycleCharge", 10, "220.00")])
    write_mappings(root / "mappings.xlsx", customers=[ACME], services=[PREMIUM])
    return line(root, "30")


@pytest.mark.parametrize(
    ("lines", "status", "contract", "reason"),
    [
        ({"30": 0}, Status.UNDER_BILLED, ("20", "40"), "on the contract at 0 units"),
        ({"31": 4}, Status.UNBILLED_USAGE, ("", ""), "used but not on the contract"),
    ],
    ids=["kept on the contract at 0 units", "no contract line"],
)
def test_a_line_at_0_units_with_usage_is_under_billed_and_no_line_is_unbilled_usage(
    tmp_path: Path, lines: dict[str, int], status: Status, contract: tuple[str, str], reason: str
) -> None:
    """10 seats in use, none billed: 10 x 26.40 = 264.00 (cost 220.00) either way. Premium kept
    on the contract at 0 units is under-billed on its own contract service (20, 40); with only
    workstations on the contract it is unbilled usage, with no contract to adjust."""
    inputs = write_workspace(tmp_path)
    billed(inputs, lines)
    found = ten_seats_in_use(tmp_path, inputs)
    assert (
        found["status"],
        found["billed_quantity"],
        found["expected_quantity"],
        found["revenue_impact"],
        found["cost_impact"],
        (found["contract_id"], found["contract_service_id"]),
        found["reason"],
    ) == (
        status,
        0,
        10,
        Decimal("264.00"),
        Decimal("220.00"),
        contract,
        f"Microsoft shows 10; the contract bills 0: {reason}",
    )


def test_an_excluded_contract_line_is_not_on_the_contract(tmp_path: Path) -> None:
    """Premium's only unit row is September's (10 units, outside the billing period) and 10
    seats are in use: unbilled usage, 10 x 26.40, naming why the PSA's line does not count."""
    inputs = write_workspace(tmp_path)
    september = {"id": "50", "contractID": "20", "contractServiceID": "40", "serviceID": "30",
                 "startDate": "2026-09-01T00:00:00Z", "endDate": "2026-09-30T00:00:00Z", "units": "10"}  # fmt: skip
    write_autotask(inputs / "autotask", lines={"30": 10}, units=[september])
    found = ten_seats_in_use(tmp_path, inputs)
    assert (found["status"], found["revenue_impact"], found["contract_id"]) == (
        Status.UNBILLED_USAGE,
        Decimal("264.00"),
        "",
    )
    assert found["reason"].endswith(
        "used but not on the contract (its contract line is left out: outside the billing period)"
    )


def test_billed_without_usage_mirrors_unbilled_usage(tmp_path: Path) -> None:
    """Acme's Microsoft customer is mapped and in this month's export. Premium is billed 5 and
    the export lists no Premium seat: billed without usage, -5 x 26.40 = -132.00. Standard
    (mapped to 31 here, 45.00) shows 3 seats and is not on the contract: unbilled usage,
    +135.00. A line at 0 units with nothing in use is a match, not billed without usage."""
    inputs = write_workspace(tmp_path)
    billed(inputs, {"30": 5, "32": 0})
    standard = ms_row("cycleCharge", 3, "37.50", ProductId="CFQ7TTC0LDPB", SkuId="0001",
                      SkuName="Microsoft 365 Business Standard", SubscriptionId="s2")  # fmt: skip
    write_ms(inputs / "ms.csv", [standard])
    services = [
        PREMIUM,
        ["Microsoft", "CFQ7TTC0LDPB:0001", "Business Standard", "31", "Standard", 1, ""],
        ["Microsoft", "CFQ7TTC0LH16:0001", "Exchange", "32", "Backup per 100 GB", 1, ""],
    ]
    write_mappings(tmp_path / "mappings.xlsx", customers=[ACME], services=services)
    found = reconcile_workspace(tmp_path, "2026-10").lines.set_index("line_id")
    assert [
        (found.loc[key, "status"], found.loc[key, "expected_quantity"], found.loc[key, "revenue_impact"])
        for key in ("10:30", "10:31", "10:32")
    ] == [
        (Status.BILLED_WITHOUT_USAGE, 0, Decimal("-132.00")),
        (Status.UNBILLED_USAGE, 3, Decimal("135.00")),
        (Status.MATCH, 0, Decimal("0.00")),
    ]  # fmt: skip


def test_no_vendor_export_this_period_means_not_reconciled_never_clean(tmp_path: Path) -> None:
    """Workstations are mapped to the RMM, but the month has no RMM export."""
    inputs = write_workspace(tmp_path)
    billed(inputs, {"31": 4})
    write_mappings(tmp_path / "mappings.xlsx", customers=[ACME_SITE], services=[DESKTOPS])
    found = line(tmp_path, "31")
    assert found["status"] == Status.NOT_RECONCILED
    assert "no mapped customer in Datto RMM (or no export this period)" in found["reason"]
    result = reconcile_workspace(tmp_path, "2026-10")
    summary = result.summary()
    assert (summary.coverage, summary.discrepancies, summary.counts[Status.MATCH]) == (0.0, 0, 0)


def test_an_excluded_sku_is_kept_out_with_its_reason(tmp_path: Path) -> None:
    inputs = write_workspace(tmp_path)
    billed(inputs, {"30": 10})
    write_ms(
        inputs / "ms.csv",
        [
            ms_row("cycleCharge", 10, "220.00"),
            ms_row(
                "new",
                2,
                "0.50",
                ProductId="CFQ7TTC0LH0Q",
                SkuId="0001",
                SkuName="Teams Rooms Basic",
                SubscriptionId="s2",
            ),
        ],
    )
    ignore = [
        "Microsoft",
        "CFQ7TTC0LH0Q:0001",
        "Teams Rooms Basic",
        "",
        "",
        "",
        "Included free with every plan",
    ]
    write_mappings(tmp_path / "mappings.xlsx", customers=[ACME], services=[PREMIUM, ignore])
    result = reconcile_workspace(tmp_path, "2026-10")
    assert result.unmapped.empty
    assert result.excluded["reason"].tolist() == [
        "SKU excluded in mappings: Included free with every plan"
    ]


@pytest.mark.parametrize(
    ("sheet", "row", "message"),
    [
        (
            "Services",
            ["Microsoft", "X:0001", "X", "30", "Premium", "zero", ""],
            r"mappings.xlsx \[Services\], row 2, column 'Factor': 'zero' is not a number",
        ),
        (
            "Services",
            ["Microsoft", "X:0001", "X", "30", "Premium", "-1", ""],
            r"row 2, column 'Factor': '-1' is not positive",
        ),
        (
            "Customers",
            ["Microsoft", TENANT, "Acme", "", "", ""],
            r"row 2, column 'PSA company ID': a customer row needs a PSA company ID or an exclude reason",
        ),
    ],
)
def test_mapping_workbook_mistakes_are_named(
    tmp_path: Path, sheet: str, row: list[object], message: str
) -> None:
    path = write_mappings(
        tmp_path / "mappings.xlsx",
        customers=[row] if sheet == "Customers" else [],
        services=[row] if sheet == "Services" else [],
    )
    with pytest.raises(InputError, match=message):
        Mappings.read(path)


def test_a_mapping_workbook_without_a_sheet_is_named(tmp_path: Path) -> None:
    path = write_mappings(tmp_path / "mappings.xlsx", customers=[], services=[])
    import openpyxl

    book = openpyxl.load_workbook(path)
    del book["Tolerances"]
    book.save(path)
    with pytest.raises(InputError, match="sheet 'Tolerances' is missing"):
        Mappings.read(path)


def test_a_mappings_file_that_is_not_a_workbook_is_named(tmp_path: Path) -> None:
    path = tmp_path / "mappings.xlsx"
    path.write_text("Vendor,Vendor customer ID\nmicrosoft,abc\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"mappings\.xlsx.*cannot be opened as an Excel workbook"):
        Mappings.read(path)


def test_vendor_customer_ids_match_whatever_their_case(tmp_path: Path) -> None:
    """The RMM writes site UIDs in capitals; the mappings workbook has them in lower case."""
    inputs = write_workspace(tmp_path)
    billed(inputs, {"31": 2})
    write_rmm(
        inputs / "rmm.csv",
        [device("Desktop", siteUid="SITE-ABC", siteName="ACME-HQ") for _ in range(2)],
    )
    write_mappings(
        tmp_path / "mappings.xlsx",
        customers=[["Datto RMM", "site-abc", "Acme", "10", "Acme Dental Group", ""]],
        services=[DESKTOPS],
    )
    found = line(tmp_path, "31")
    assert (found["status"], found["expected_quantity"]) == (Status.MATCH, 2)


def test_rows_of_a_chunked_text_column_come_in_the_order_asked() -> None:
    """Three chunks (rows 0-1, 2-4, 5): rows taken from each, asked for out of order."""
    column = pd.concat(
        [
            pd.Series(["a", "b"], dtype="str"),
            pd.Series(["c", "d", "e"], dtype="str"),
            pd.Series(["f"], dtype="str"),
        ],
        ignore_index=True,
    )
    assert pa.array(column, type=pa.large_string()).num_chunks == 3
    taken = _text_rows(column, np.array([5, 0, 3, 1, 3, 2]))
    assert taken.to_pylist() == ["f", "a", "d", "b", "d", "c"]
    assert _text_rows(column, np.array([], dtype=np.int64)).to_pylist() == []
