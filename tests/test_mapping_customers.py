"""Matching vendor customers to PSA companies (:meth:`Mappings.match_customers`) on tiny frames.

Two PSA companies, 10 Acme Dental Group and 11 Birch Law Partners. The Customers sheet:

=========  =========  ===================  =======  =====================================
vendor     id         name                 company  note
=========  =========  ===================  =======  =====================================
datto_rmm  SITE-A     Acme HQ              10       an id in capitals
datto_rmm  site-b     Birch (old row)      10       the same id twice: the last row wins
datto_rmm  SITE-B     Birch Law            11
huntress   501        Old Name             10       renamed at the vendor since
pax8       P-9        (excluded)           -        "a test tenant"
=========  =========  ===================  =======  =====================================

The vendor customers of the month, and what each gets:

* datto_rmm site-a: 10, by id (case ignored);
* datto_rmm Site-B: 11, the last row naming the id;
* huntress 501 "Acme Dental": 10 by id, noted as renamed at the vendor;
* pax8 p-9: excluded, with the sheet's reason;
* datto_rmm site-c "Birch Law Partners": 11, by exact name;
* datto_rmm site-d "Acme Dental Grp": unmapped, the name suggesting 10 (the RMM carries no
  identifier another vendor shares, so there is no evidence to search).
"""

from __future__ import annotations

import pandas as pd

from workbench.mapping import CustomerMapping, Mappings

COMPANIES = pd.DataFrame(
    {
        "company_id": pd.Series(["10", "11"], dtype="str"),
        "company_name": pd.Series(["Acme Dental Group", "Birch Law Partners"], dtype="str"),
    }
)
SHEET = (
    CustomerMapping("datto_rmm", "site-a", "Acme HQ", "10", "Acme Dental Group"),
    CustomerMapping("datto_rmm", "site-b", "Birch (old row)", "10", "Acme Dental Group"),
    CustomerMapping("datto_rmm", "site-b", "Birch Law", "11", "Birch Law Partners"),
    CustomerMapping("huntress", "501", "Old Name", "10", "Acme Dental Group"),
    CustomerMapping("pax8", "p-9", "", "", "", exclude_reason="a test tenant"),
)
SEEN = pd.DataFrame(
    {
        "vendor": ["datto_rmm", "datto_rmm", "huntress", "pax8", "datto_rmm", "datto_rmm"],
        "customer_key": ["SITE-A", "Site-B", "501", "P-9", "site-c", "site-d"],
        "customer_name": [
            "Acme HQ",
            "Birch Law",
            "Acme Dental",
            "Test",
            "Birch Law Partners",
            "Acme Dental Grp",
        ],
    },
    dtype=object,
)


def test_customers_are_matched_by_id_then_exact_name_else_suggested() -> None:
    matched = Mappings(customers=SHEET).match_customers(SEEN, COMPANIES)
    assert matched["company_id"].tolist() == ["10", "11", "10", "", "11", ""]
    assert matched["company_name"].tolist() == [
        "Acme Dental Group",
        "Birch Law Partners",
        "Acme Dental Group",
        "",
        "Birch Law Partners",
        "",
    ]
    assert matched["method"].tolist() == ["id", "id", "id", "excluded", "exact name", "unmapped"]
    notes = matched["note"].tolist()
    assert notes[:2] == ["", ""]
    assert notes[2] == "renamed at the vendor: was 'Old Name'"
    assert notes[3] == "a test tenant"
    assert notes[4] == ""
    assert notes[5].startswith("no customer mapping by id, and no PSA company has this exact")
    assert "Suggested: Acme Dental Group" in notes[5]
    assert matched["suggested_company_id"].tolist() == ["", "", "", "", "", "10"]
    # The key and name each customer came with are kept as they came.
    assert matched["customer_key"].tolist() == SEEN["customer_key"].tolist()
    assert str(matched["customer_key"].dtype) == "str"


def test_no_customer_seen_matches_nothing() -> None:
    matched = Mappings(customers=SHEET).match_customers(SEEN.iloc[:0], COMPANIES)
    assert matched.empty
    assert list(matched.columns)[:3] == ["vendor", "customer_key", "customer_name"]


def test_ids_beyond_ascii_compare_casefolded() -> None:
    """Ids of plain ASCII are lowered by Arrow, the others casefolded one by one: a German
    "ß" matches "SS" either way round, and Danish capitals their small letters."""
    sheet = (
        *SHEET,
        CustomerMapping("huntress", "STRASSE-1", "Acme Street", "10", "Acme Dental Group"),
        CustomerMapping("huntress", "ærø-7", "Birch Aero", "11", "Birch Law Partners"),
    )
    seen = pd.DataFrame(
        {
            "vendor": ["huntress", "huntress", "huntress", "datto_rmm"],
            "customer_key": ["Straße-1", "ÆRØ-7", "aero-7", "SITE-B"],
            "customer_name": ["Acme Street", "Birch Aero", "Birch Aero", "Birch Law"],
        },
        dtype=object,
    )
    matched = Mappings(customers=sheet).match_customers(seen, COMPANIES)
    assert matched["company_id"].tolist() == ["10", "11", "", "11"]
    assert matched["method"].tolist() == ["id", "id", "unmapped", "id"]
