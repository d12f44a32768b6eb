"""End to end on the demo workspace: every injected discrepancy found, nothing else flagged."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from tests.conftest import (
    CLIENTS,
    DEMO,
    DISCREPANCIES,
    NOT_RECONCILED_LINES,
    OVER_BILLING_RISK,
    PERIOD,
    REVENUE_LEAKING,
    UNMAPPED_CUSTOMER_LINES,
    UNMAPPED_SKU_LINES,
    UNMAPPED_SPEND,
)
from workbench import Reconciliation, Status, text_codes
from workbench.money import total
from workbench.result import COVERAGE_OUTCOMES, RESULT_SCHEMAS
from workbench.store import inputs_id, load_inputs, save_inputs
from workbench.workspace import Workspace, read_period_inputs, reconcile_workspace


def _expected_quantity(value: Any) -> int | None:
    return None if pd.isna(value) else int(value)


def test_every_line_has_the_status_and_money_of_the_ground_truth(
    demo_result: Reconciliation, ground_truth: dict[str, Any]
) -> None:
    lines = demo_result.lines.set_index("line_id")
    for line_id, expected in ground_truth["lines"].items():
        line = lines.loc[line_id]
        assert (
            line["status"],
            line["billed_quantity"],
            _expected_quantity(line["expected_quantity"]),
        ) == (
            expected["status"],
            expected["billed"],
            expected["expected"],
        ), (expected["client"], expected["service"])
        assert line["revenue_impact"] == Decimal(expected["revenue_impact"]), (
            expected["client"],
            expected["service"],
        )
        assert line["cost_impact"] == Decimal(expected["cost_impact"]), (
            expected["client"],
            expected["service"],
        )


def test_no_line_beyond_the_ground_truth(
    demo_result: Reconciliation, ground_truth: dict[str, Any]
) -> None:
    compared = demo_result.lines[
        ~demo_result.lines["status"].isin([Status.UNMAPPED_CUSTOMER, Status.UNMAPPED_SKU])
    ]
    assert set(compared["line_id"]) == set(ground_truth["lines"])


def test_unmapped_lines_are_exactly_the_injected_ones(
    demo_result: Reconciliation, ground_truth: dict[str, Any]
) -> None:
    unmapped = demo_result.unmapped

    def spend(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    customers = unmapped[unmapped["status"] == Status.UNMAPPED_CUSTOMER]
    found = {
        (
            r.vendor,
            r.vendor_customer_key,
            r.vendor_sku,
            int(r.expected_quantity),
            spend(r.vendor_spend),
        )
        for r in customers.itertuples()
    }
    expected = {
        (u["vendor"], u["customer_key"], u["sku"], u["quantity"], u["vendor_spend"])
        for u in ground_truth["unmapped_customers"]
    }
    assert found == expected
    skus = unmapped[unmapped["status"] == Status.UNMAPPED_SKU]
    found = {
        (r.company_id, r.vendor, r.vendor_sku, int(r.expected_quantity), spend(r.vendor_spend))
        for r in skus.itertuples()
    }
    expected = {
        (u["company_id"], u["vendor"], u["sku"], u["quantity"], u["vendor_spend"])
        for u in ground_truth["unmapped_skus"]
    }
    assert found == expected


def test_summary_figures_are_exact(demo_result: Reconciliation) -> None:
    summary = demo_result.summary()
    assert summary.clients == CLIENTS
    assert summary.discrepancies == DISCREPANCIES
    assert summary.counts[Status.UNMAPPED_CUSTOMER] == UNMAPPED_CUSTOMER_LINES
    assert summary.counts[Status.UNMAPPED_SKU] == UNMAPPED_SKU_LINES
    assert summary.counts[Status.NOT_RECONCILED] == NOT_RECONCILED_LINES
    assert summary.revenue_leaking == REVENUE_LEAKING
    assert summary.over_billing_risk == OVER_BILLING_RISK
    assert summary.unmapped_spend == UNMAPPED_SPEND


def test_totals_equal_the_sum_of_lines_to_the_cent(demo_result: Reconciliation) -> None:
    lines = demo_result.lines
    assert all(
        isinstance(v, Decimal) and v == v.quantize(Decimal("0.01")) for v in lines["revenue_impact"]
    )
    summary = demo_result.summary()
    adjustments = demo_result.adjustments
    assert (
        total(adjustments["revenue_impact"]) == summary.revenue_leaking - summary.over_billing_risk
    )
    per_client = [
        total(demo_result.for_client(c).adjustments["revenue_impact"])
        for c in demo_result.clients["company_id"]
    ]
    assert total(per_client) == total(adjustments["revenue_impact"])


def test_every_input_record_is_accounted_for(demo_result: Reconciliation) -> None:
    coverage = demo_result.coverage.set_index("source_file")
    assert (coverage[COVERAGE_OUTCOMES].sum(axis=1) == coverage["records"]).all()
    assert (coverage["same_record"] == 0).all()
    rmm = coverage.loc["periods/2026-10/inputs/datto_rmm/devices.csv"]
    # 787 devices: 4 excluded (2 deleted, 1 _NotBillable_, 1 suspended), 4 on an unmapped site.
    assert (rmm["rows_read"], rmm["matched"], rmm["excluded"], rmm["unmapped_customer"]) == (
        787,
        779,
        4,
        4,
    )
    units = coverage.loc["periods/2026-10/inputs/autotask/ContractServiceUnits.csv"]
    # 17 previous-period rows and 1 on an inactive contract are excluded; 7 lines not reconciled.
    assert (units["rows_read"], units["excluded"], units["not_reconciled"], units["matched"]) == (
        166,
        18,
        7,
        141,
    )
    excluded_reasons = demo_result.excluded["reason"].value_counts().to_dict()
    assert excluded_reasons["outside the billing period"] == 17
    assert excluded_reasons["contract is inactive"] == 1
    assert excluded_reasons["deleted device"] == 2
    sites = coverage.loc["periods/2026-10/inputs/sentinelone/sites.csv"]
    # Read through the workspace's profile: 2 sites counted, 1 expired site left out by it.
    assert (sites["format"], sites["matched"], sites["excluded"]) == (
        "SentinelOne sites export (profile sentinelone.toml)",
        2,
        1,
    )


def test_not_reconciled_lines_say_why_and_are_never_a_match(demo_result: Reconciliation) -> None:
    lines = demo_result.lines
    not_reconciled = lines[lines["status"] == Status.NOT_RECONCILED]
    assert not_reconciled["expected_quantity"].isna().all()
    assert set(not_reconciled["service_name"]) == {
        "vCIO consulting (monthly)",
        "Managed EDR",
        "Security awareness training",
        "Gold managed user bundle: Security awareness training",
    }
    waived = not_reconciled[not_reconciled["service_name"].str.startswith("Gold")]
    assert waived["reason"].str.contains("waived for this client: front-desk kiosks").all()
    juniper = not_reconciled[not_reconciled["company_name"] == "Juniper Pediatrics"]
    assert juniper["reason"].str.contains("no mapped customer in Huntress").all()


def test_a_line_on_the_contract_at_0_units_is_under_billed_on_that_contract(
    demo_result: Reconciliation,
) -> None:
    """Zephyr's identity threat detection is on its contract at 0 units, Huntress shows 1; Cedar
    Ridge's 12 identities have no contract line at all."""
    lines = demo_result.lines.set_index("line_id")
    zephyr, cedar = lines.loc["29600268:29683408"], lines.loc["29600114:29683408"]
    assert (zephyr["status"], zephyr["contract_id"], zephyr["contract_service_id"]) == (
        Status.UNDER_BILLED,
        "1000967",
        "1000979",
    )
    assert zephyr["reason"] == "Huntress shows 1; the contract bills 0: on the contract at 0 units"
    assert (cedar["status"], cedar["contract_id"]) == (Status.UNBILLED_USAGE, "")


def test_customer_matching_methods(demo_result: Reconciliation) -> None:
    matches = demo_result.customer_matches.set_index(["vendor", "customer_name"])
    assert matches.loc[("datto_rmm", "Harbor View Marina"), "method"] == "exact name"
    renamed = matches.loc[("microsoft", "Granite State Roofing & Siding")]
    assert (renamed["method"], renamed["company_name"]) == ("id", "Granite State Roofing")
    assert "Granite State Roofing LLC" in renamed["note"]
    assert matches.loc[("microsoft", "Northwind Managed IT (internal)"), "method"] == "excluded"


def test_a_client_view_holds_only_that_clients_rows(demo_result: Reconciliation) -> None:
    """Client workbooks may leave the firm: no other client's lines, evidence or exclusions."""
    bluewater = demo_result.for_client("29600107")
    assert set(bluewater.lines["company_name"]) == {"Bluewater Logistics"}
    assert set(bluewater.evidence["customer"]) == {"Bluewater Logistics"}
    assert bluewater.excluded["reason"].tolist() == [
        "deleted device",
        "deleted device",
        "device in the _NotBillable_ group",
    ]
    internal = demo_result.excluded[
        demo_result.excluded["customer"] == "Northwind Managed IT (internal)"
    ]
    assert internal["company_id"].tolist() == [""]


def test_an_unmatched_customer_gets_a_suggestion_never_applied(demo_result: Reconciliation) -> None:
    matches = demo_result.customer_matches.set_index(["vendor", "customer_name"])
    juniper = matches.loc[("huntress", "Juniper Pediatrics PLLC")]
    assert (juniper["method"], juniper["company_id"]) == ("unmapped", "")  # not applied
    assert (juniper["suggested_company_id"], juniper["suggestion_score"]) == ("29600163", 100.0)
    assert (
        "Suggested: Juniper Pediatrics (score 100: vendor name: removed legal suffix 'PLLC')"
        in juniper["note"]
    )
    new_customer = matches.loc[("microsoft", "Lakeshore Dental Studio")]
    assert (new_customer["suggested_company_id"], new_customer["suggestion_score"]) == ("", 0.0)


def test_money_by_client_agrees_with_each_clients_summary(demo_result: Reconciliation) -> None:
    money = demo_result.money_by_client().set_index("company_id")
    assert len(money) == CLIENTS
    for company_id in demo_result.clients["company_id"]:
        summary = demo_result.for_client(company_id).summary()
        row = money.loc[company_id]
        assert (
            row["lines"],
            row["discrepancies"],
            row["revenue_leaking"],
            row["over_billing_risk"],
        ) == (
            summary.lines,
            summary.discrepancies,
            summary.revenue_leaking,
            summary.over_billing_risk,
        )
    assert total(money["revenue_leaking"]) == REVENUE_LEAKING
    assert total(money["over_billing_risk"]) == OVER_BILLING_RISK


def test_the_demos_bundles_raise_no_mapping_warning(demo_result: Reconciliation) -> None:
    """Every driver of the demo's bundles is also one of their components (issue 19)."""
    assert demo_result.mapping_warnings == ()


def test_inputs_in_many_arrow_chunks_reconcile_as_in_one(demo_result: Reconciliation) -> None:
    """The period store hands columns in Arrow chunks: rows taken across chunk boundaries (an
    unmapped customer's name, an excluded row's source) are the same rows as in one chunk."""
    inputs = read_period_inputs(DEMO, PERIOD)

    def chunked(frame: pd.DataFrame) -> pd.DataFrame:
        # A chunk (at least) every 7 rows, whatever chunks the columns had.
        parts = [frame.iloc[start : start + 7] for start in range(0, len(frame), 7)]
        return pd.concat(parts, ignore_index=True)

    usage, contract_lines = chunked(inputs.usage), chunked(inputs.contract_lines)
    chunks = pa.array(usage["customer_name"], type=pa.large_string()).num_chunks
    assert chunks >= len(usage) // 7
    result = reconcile_workspace(
        DEMO, PERIOD, dataclasses.replace(inputs, usage=usage, contract_lines=contract_lines)
    )
    assert len(result.excluded) > 0 and (result.lines["status"] == Status.UNMAPPED_CUSTOMER).any()
    for name in RESULT_SCHEMAS:
        pd.testing.assert_frame_equal(
            getattr(result, name), getattr(demo_result, name), check_exact=True
        )


def test_usage_rows_in_any_order_give_the_same_findings_and_coverage(
    demo_result: Reconciliation,
) -> None:
    """Exports list a file's, a customer's and a site's rows together, which the engine uses
    (runs of one record, of one file); rows shuffled across files must count the same."""
    inputs = read_period_inputs(DEMO, PERIOD)
    shuffled = inputs.usage.sample(frac=1, random_state=7).reset_index(drop=True)
    result = reconcile_workspace(DEMO, PERIOD, dataclasses.replace(inputs, usage=shuffled))
    findings = ["line_id", "status", "billed_quantity", "expected_quantity", "revenue_impact"]
    pd.testing.assert_frame_equal(
        result.lines[findings].sort_values("line_id").reset_index(drop=True),
        demo_result.lines[findings].sort_values("line_id").reset_index(drop=True),
    )
    pd.testing.assert_frame_equal(result.coverage, demo_result.coverage)
    assert len(result.evidence) == len(demo_result.evidence)
    assert len(result.excluded) == len(demo_result.excluded)


def test_a_month_read_back_from_the_store_reconciles_as_read_from_its_exports(
    demo_result: Reconciliation, workspace: Path
) -> None:
    """The store hands the month's keys, names and provenance back with their codes as Parquet
    keeps them, and the engine uses those codes: every frame is the same as from the exports,
    the unmapped customers' and excluded rows' texts included."""
    opened = Workspace.open(workspace)
    save_inputs(opened, PERIOD, read_period_inputs(opened, PERIOD))
    stored = load_inputs(opened, PERIOD, inputs_id(opened, PERIOD))
    assert stored is not None
    for frame, column in ((stored.usage, "customer_key"), (stored.contract_lines, "company_id")):
        known = text_codes.known(frame[column])
        assert known is not None, column
        codes, values = known
        assert values[codes].tolist() == frame[column].tolist(), column
    result = reconcile_workspace(workspace, PERIOD, stored)
    assert len(result.excluded) > 0 and (result.lines["status"] == Status.UNMAPPED_CUSTOMER).any()
    for name in RESULT_SCHEMAS:
        pd.testing.assert_frame_equal(
            getattr(result, name), getattr(demo_result, name), check_exact=True
        )
    assert result.mapping_warnings == demo_result.mapping_warnings
