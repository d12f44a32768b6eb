"""Import profiles: a vendor nobody built an importer for, described once in the workspace.

The fixture is a SentinelOne-style sites export with three sites:

=========  ===========  =============  ==========  ===========
row        Site ID      Site Name      SKU         Active Agents
=========  ===========  =============  ==========  ===========
2          S-1          Acme Dental    Complete    42
3          S-2          Bluewater      Control     17
4          S-3          Old Lab        Complete    n/a         (Site State: expired -> left out)
=========  ===========  =============  ==========  ===========
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from workbench.errors import InputError
from workbench.sources.formats import ReadContext
from workbench.sources.profiles import PROFILE_FOLDER, read_profile, workspace_formats
from workbench.sources.reading import read_table

CONTEXT = ReadContext("periods/2026-10/inputs/s1.csv", date(2026, 10, 1), date(2026, 10, 31))
SITES = "Site ID,Site Name,SKU,Active Agents,Site State\nS-1,Acme Dental,Complete,42,active\nS-2,Bluewater,Control,17,Active\nS-3,Old Lab,Complete,n/a,expired\n"
PROFILE = """
[profile]
vendor = "SentinelOne"
title = "SentinelOne sites export"
customer_id = "Site ID"
customer_name = "Site Name"
product = "SKU"
quantity = "Active Agents"
[profile.keep]
"Site State" = ["active", "Active"]
"""


def workspace_with(tmp_path: Path, profile: str = PROFILE) -> Path:
    (tmp_path / PROFILE_FOLDER).mkdir()
    (tmp_path / PROFILE_FOLDER / "sentinelone.toml").write_text(profile, encoding="utf-8")
    (tmp_path / "s1.csv").write_text(SITES, encoding="utf-8")
    return tmp_path


def test_a_profile_reads_any_vendor_into_usage_records(tmp_path: Path) -> None:
    (fmt,) = workspace_formats(workspace_with(tmp_path))
    assert (fmt.key, fmt.side, fmt.signature) == (
        "profile:sentinelone",
        "usage",
        ("Site ID", "Site Name", "SKU", "Active Agents", "Site State"),
    )
    usage = fmt.read(read_table(tmp_path / "s1.csv"), CONTEXT)
    assert usage[
        ["vendor", "customer_key", "customer_name", "sku", "quantity", "source_row"]
    ].values.tolist() == [
        ["sentinelone", "S-1", "Acme Dental", "Complete", 42, 2],
        ["sentinelone", "S-2", "Bluewater", "Control", 17, 3],
        ["sentinelone", "S-3", "Old Lab", "Complete", 0, 4],
    ]
    assert usage["excluded_reason"].tolist() == [
        "",
        "",
        "left out by profile sentinelone.toml: Site State is 'expired'",
    ]


def test_a_fixed_product_and_explicit_identifying_columns(tmp_path: Path) -> None:
    profile = PROFILE.replace(
        'product = "SKU"', 'product_value = "EDR seat"\nidentify = ["Site ID", "Active Agents"]'
    )
    (fmt,) = workspace_formats(workspace_with(tmp_path, profile))
    assert fmt.signature == ("Site ID", "Active Agents")
    usage = fmt.read(read_table(tmp_path / "s1.csv"), CONTEXT)
    assert set(usage["sku"]) == {"EDR seat"}


def test_a_bad_count_on_a_kept_row_is_named(tmp_path: Path) -> None:
    (fmt,) = workspace_formats(
        workspace_with(
            tmp_path, PROFILE.replace('"active", "Active"', '"active", "Active", "expired"')
        )
    )
    with pytest.raises(
        InputError, match=r"s1.csv, row 4, column 'Active Agents': 'n/a' is not a count"
    ):
        fmt.read(read_table(tmp_path / "s1.csv"), CONTEXT)


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        (
            "[profile]\nvendor = 'X'\nquantity = 'Q'\nproduct = 'P'",
            "the profile has no customer_id",
        ),
        (
            "[profile]\nvendor = 'X'\ncustomer_id = 'C'\nquantity = 'Q'",
            "needs exactly one of product and product_value",
        ),
        (
            "[profile]\nvendor = 'X'\ncustomer_id = 'C'\nquantity = 'Q'\nproduct = 'P'\ncolour = 'red'",
            "unknown setting colour",
        ),
        ("[profile\nvendor = 'X'", "not a valid TOML file"),
    ],
)
def test_profile_mistakes_are_named(tmp_path: Path, profile: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(profile, encoding="utf-8")
    with pytest.raises(InputError, match=message) as caught:
        read_profile(path)
    assert caught.value.file == str(path)
