"""Suggestions from identifiers vendor customers share across vendors, on a tiny workspace.

The workspace (:func:`tiny`) has three PSA companies, 10 Acme Dental Group, 11 Birch Law
Partners and 12 Cedar Ridge Veterinary, and these vendor customers:

==========  ===========  ======================  ====================  =======================
vendor      id           name                    identifier            mapped (by id) to
==========  ===========  ======================  ====================  =======================
Microsoft   T-ACME       Acme Dental Group       its tenant            10
Microsoft   T-BIRCH      Birch Law Partners      its tenant            11
Microsoft   T-DUAL       Dual Tenant Co          its tenant            10
Huntress    504          Dual Huntress           tenant T-DUAL         11
Huntress    501          Harbour Holdings        tenant T-ACME         -
Huntress    502          Birchwood Legal         tenant {T-BIRCH}      -
Huntress    503          Zenith Works            tenant T-DUAL         -
Huntress    505          Cedar Ridge Vet Clinic  tenant T-ACME         -
Huntress    506          Quiet Meadow            none                  -
Pax8        P-2          Mapped Pax8             external id EXT-9     11
Pax8        P-1          Kestrel Partners        external id 12        -
Pax8        P-3          Other Name              external id ext-9     -
==========  ===========  ======================  ====================  =======================

What each unmapped customer gets, exactly:

* 501 Harbour Holdings: Acme (10), by the tenant alone (no name is close);
* 502 Birchwood Legal: Birch (11), its tenant written in braces and capitals;
* 503 Zenith Works: nothing: T-DUAL is on customers mapped to 10 and to 11;
* 505 Cedar Ridge Vet Clinic: Acme (10), the tenant winning over the name (Cedar Ridge
  Veterinary), which the reasons mention;
* 506 Quiet Meadow: nothing (no identifier, no name close);
* P-1 Kestrel Partners: Cedar (12), its external id being company 12's id;
* P-3 Other Name: Birch (11), sharing P-2's external id.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from demodata.layouts import PAX8_ITEMS_HEADER, write_csv
from tests.builders import (
    ms_row,
    write_autotask,
    write_huntress,
    write_mappings,
    write_ms,
    write_workspace,
)
from workbench import reconcile_workspace
from workbench.customer_links import LINK_COLUMNS, read_links
from workbench.period import Period
from workbench.workspace import read_period_inputs

PERIOD = "2026-10"
T_ACME = "0a000000-0000-4000-8000-00000000a0c0"
T_BIRCH = "0b000000-0000-4000-8000-000000000b1c"
T_DUAL = "0d000000-0000-4000-8000-000000000d0a"


def _org(org_id: str, name: str, tenant: str) -> dict[str, str]:
    return {"id": org_id, "name": name, "agents_count": "3", "billable_identity_count": "0",
            "microsoft_365_tenant_id": tenant, "sat_learner_count": "0"}  # fmt: skip


def _item(item_id: str, company_id: str, name: str, external_id: str) -> dict[str, str]:
    return {"id": item_id, "companyId": company_id, "companyName": name, "externalId": external_id,
            "type": "subscription", "startPeriod": "2026-10-01", "endPeriod": "2026-10-31",
            "quantity": "4", "sku": "KPR-BUS-M", "productId": "k1", "productName": "Keeper Business",
            "chargeType": "per_unit", "price": "3.00", "total": "12.00", "currencyCode": "USD"}  # fmt: skip


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    root = tmp_path / "tiny"
    inputs = write_workspace(root)
    write_autotask(inputs / "autotask")
    write_csv(
        inputs / "autotask" / "Companies.csv",
        ["id", "companyName", "companyType"],
        [
            {"id": "10", "companyName": "Acme Dental Group", "companyType": "1"},
            {"id": "11", "companyName": "Birch Law Partners", "companyType": "1"},
            {"id": "12", "companyName": "Cedar Ridge Veterinary", "companyType": "1"},
        ],
    )
    write_ms(
        inputs / "microsoft" / "reconciliation.csv",
        [
            ms_row(
                "cycleCharge",
                5,
                "110.00",
                CustomerId=tenant,
                CustomerName=name,
                SubscriptionId=f"a0b1c2d3-0000-4000-8000-00000000000{n}",
            )
            for n, (tenant, name) in enumerate(
                [
                    (T_ACME, "Acme Dental Group"),
                    (T_BIRCH, "Birch Law Partners"),
                    (T_DUAL, "Dual Tenant Co"),
                ]
            )
        ],
    )
    write_huntress(
        inputs / "huntress" / "organizations.csv",
        [
            _org("504", "Dual Huntress", T_DUAL),
            _org("501", "Harbour Holdings", T_ACME),
            _org("502", "Birchwood Legal", "{" + T_BIRCH.upper() + "}"),
            _org("503", "Zenith Works", T_DUAL),
            _org("505", "Cedar Ridge Vet Clinic", T_ACME),
            _org("506", "Quiet Meadow", ""),
        ],
    )
    write_csv(
        inputs / "pax8" / "invoice_items.csv",
        PAX8_ITEMS_HEADER,
        [
            _item("ii-1", "P-2", "Mapped Pax8", "EXT-9"),
            _item("ii-2", "P-1", "Kestrel Partners", "12"),
            _item("ii-3", "P-3", "Other Name", "ext-9"),
        ],
    )
    write_mappings(
        root / "mappings.xlsx",
        customers=[
            ["Microsoft", T_ACME, "Acme Dental Group", "10", "Acme Dental Group", ""],
            ["Microsoft", T_BIRCH, "Birch Law Partners", "11", "Birch Law Partners", ""],
            ["Microsoft", T_DUAL, "Dual Tenant Co", "10", "Acme Dental Group", ""],
            ["Huntress", "504", "Dual Huntress", "11", "Birch Law Partners", ""],
            ["Pax8", "P-2", "Mapped Pax8", "11", "Birch Law Partners", ""],
        ],
        services=[],
    )
    return root


def _matches(root: Path) -> pd.DataFrame:
    result = reconcile_workspace(root, PERIOD)
    return result.customer_matches.set_index(["vendor", "customer_key"])


def test_the_links_are_read_from_the_exports_that_carry_them(tiny: Path) -> None:
    links = read_links(tiny, read_period_inputs(tiny, PERIOD).files)

    assert list(links.columns) == LINK_COLUMNS
    assert sorted(links.itertuples(index=False, name=None)) == [
        ("huntress", "501", "microsoft tenant", T_ACME),
        ("huntress", "502", "microsoft tenant", "{" + T_BIRCH.upper() + "}"),
        ("huntress", "503", "microsoft tenant", T_DUAL),
        ("huntress", "504", "microsoft tenant", T_DUAL),
        ("huntress", "505", "microsoft tenant", T_ACME),
        ("pax8", "p-1", "pax8 external id", "12"),
        ("pax8", "p-2", "pax8 external id", "EXT-9"),
        ("pax8", "p-3", "pax8 external id", "ext-9"),
    ]


def test_a_shared_tenant_suggests_the_mapped_customers_company(tiny: Path) -> None:
    matches = _matches(tiny)

    harbour = matches.loc[("huntress", "501")]
    assert (harbour["method"], harbour["company_id"]) == ("unmapped", "")  # never applied
    assert (harbour["suggested_company_id"], harbour["suggestion_score"]) == ("10", 100.0)
    assert harbour["suggestion_reasons"] == (
        "same Microsoft tenant as the mapped Partner Center customer Acme Dental Group"
    )
    assert harbour["note"] == (
        "no customer mapping by id, and no PSA company has this exact name. Suggested: Acme "
        "Dental Group (score 100: same Microsoft tenant as the mapped Partner Center customer "
        "Acme Dental Group); confirm it in mappings.xlsx"
    )
    birchwood = matches.loc[("huntress", "502")]
    assert (birchwood["suggested_company_id"], birchwood["suggestion_reasons"]) == (
        "11",
        "same Microsoft tenant as the mapped Partner Center customer Birch Law Partners",
    )


def test_a_tenant_on_customers_of_two_companies_suggests_nothing_and_says_why(
    tiny: Path,
) -> None:
    zenith = _matches(tiny).loc[("huntress", "503")]

    assert (zenith["suggested_company_id"], zenith["suggestion_score"]) == ("", 0.0)
    assert zenith["suggestion_reasons"] == ""
    assert zenith["note"] == (
        "no customer mapping by id, and no PSA company has this exact name. conflicting "
        "evidence: same Microsoft tenant as the mapped Partner Center customer Dual Tenant Co, "
        "mapped to Acme Dental Group; same Microsoft tenant as the mapped Huntress organization "
        "Dual Huntress, mapped to Birch Law Partners; so no suggestion: choose the company (and "
        "check the mappings of those customers)"
    )


def test_the_tenant_wins_over_a_name_and_the_reasons_say_what_the_name_said(
    tiny: Path,
) -> None:
    matches = _matches(tiny)
    clinic = matches.loc[("huntress", "505")]

    assert (clinic["suggested_company_id"], clinic["suggestion_score"]) == ("10", 100.0)
    reasons = clinic["suggestion_reasons"].split("; ")
    assert reasons[0] == (
        "same Microsoft tenant as the mapped Partner Center customer Acme Dental Group"
    )
    assert reasons[1].startswith("the name alone would suggest Cedar Ridge Veterinary (score ")
    assert len(reasons) == 2
    quiet = matches.loc[("huntress", "506")]
    assert (quiet["suggested_company_id"], quiet["suggestion_reasons"]) == ("", "")


def test_a_pax8_external_id_suggests_the_psa_company_it_names_or_shares(tiny: Path) -> None:
    matches = _matches(tiny)

    kestrel = matches.loc[("pax8", "p-1")]
    assert (kestrel["suggested_company_id"], kestrel["suggestion_reasons"]) == (
        "12",
        "its Pax8 external id 12 is the id of PSA company Cedar Ridge Veterinary",
    )
    other = matches.loc[("pax8", "p-3")]
    assert (other["suggested_company_id"], other["suggestion_reasons"]) == (
        "11",
        "same Pax8 external id (ext-9) as the mapped Pax8 company Mapped Pax8",
    )


def test_the_links_are_stored_with_the_month_and_serve_once_its_exports_are_gone(
    tiny: Path,
) -> None:
    month = Period.open(tiny, PERIOD)
    stored = month.result().customer_matches
    pd.testing.assert_frame_equal(stored, reconcile_workspace(tiny, PERIOD).customer_matches)

    # The exports archived, then a mappings edit: the month is reconciled from the store.
    shutil.rmtree(tiny / "periods" / PERIOD / "inputs")
    (tiny / "periods" / PERIOD / "inputs").mkdir()
    book = tiny / "mappings.xlsx"
    write_mappings(
        book,
        customers=[
            ["Microsoft", T_ACME, "Acme Dental Group", "10", "Acme Dental Group", ""],
            ["Microsoft", T_BIRCH, "Birch Law Partners", "11", "Birch Law Partners", ""],
        ],
        services=[],
    )
    again = Period.open(tiny, PERIOD)
    matches = again.result().customer_matches.set_index(["vendor", "customer_key"])

    assert "no longer in" in again.changes[0]
    assert matches.loc[("huntress", "501"), "suggested_company_id"] == "10"
    # Nobody holds T-DUAL any more: Zenith Works shares it with unmapped customers only.
    assert matches.loc[("huntress", "503"), "suggested_company_id"] == ""
    assert matches.loc[("huntress", "504"), "suggested_company_id"] == ""
