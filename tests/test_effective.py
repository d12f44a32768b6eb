"""Effective dates and proration (``workbench.effective``).

The demo month is October 2026 (31 days). Its evidence dates four changes inside the month:

=============================  ==================  ==========  ====================
line                           client              changed on  from
=============================  ==================  ==========  ====================
29600100:29683404              Acme Dental Group   2026-10-15  Partner Center addQuantity
29600121:29683406              Dunmore Accounting  2026-10-03  Partner Center cancelImmediate
29600156:29683404              Ironwood Mfg.       2026-10-20  Partner Center removeQuantity
29600261:29683413              Yardley & Sons      2026-10-18  Pax8 prorate row
=============================  ==================  ==========  ====================

So with proration Acme's two seats bear 17/31 of October (15th to 31st): at 26.40 a seat Autotask
gets an adjusted unit price of 14.48 (26.40 x 17 / 31 = 14.477...), ConnectWise the full 26.40.
"""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from tests.conftest import DEMO, PERIOD
from workbench import Reconciliation, Workspace
from workbench.effective import EffectiveDate, effective_date, effective_dates, vendor_change_dates
from workbench.errors import InputError
from workbench.workspace import BillingSettings, Timing

ADVANCE = BillingSettings(Timing.ADVANCE, prorate=False)
ARREARS = BillingSettings(Timing.ARREARS, prorate=False)
ADVANCE_PRORATED = BillingSettings(Timing.ADVANCE, prorate=True)
ARREARS_PRORATED = BillingSettings(Timing.ARREARS, prorate=True)

OCTOBER_1, OCTOBER_15, NOVEMBER_1 = date(2026, 10, 1), date(2026, 10, 15), date(2026, 11, 1)

DEMO_CHANGES = {
    "29600100:29683404": date(2026, 10, 15),
    "29600121:29683406": date(2026, 10, 3),
    "29600156:29683404": date(2026, 10, 20),
    "29600261:29683413": date(2026, 10, 18),
}


def workspace_with(tmp_path: Path, billing: str) -> Path:
    root = tmp_path / "workspace"
    root.mkdir()
    (root / "workspace.toml").write_text(
        f'[workspace]\nname = "Test MSP"\ncurrency = "USD"\n\n{billing}', encoding="utf-8"
    )
    return root


@pytest.mark.parametrize(
    ("billing", "change_date", "expected"),
    [
        # Advance: this month is invoiced; the change starts next month at the full price.
        (ADVANCE, None, EffectiveDate(NOVEMBER_1, Fraction(1))),
        (ADVANCE, OCTOBER_15, EffectiveDate(NOVEMBER_1, Fraction(1))),
        # Arrears: this month is still to invoice, at the new quantity for all of it.
        (ARREARS, None, EffectiveDate(OCTOBER_1, Fraction(1))),
        (ARREARS, OCTOBER_15, EffectiveDate(OCTOBER_1, Fraction(1))),
        # Proration bills from the vendor's date, whichever the timing.
        (ADVANCE_PRORATED, OCTOBER_15, EffectiveDate(OCTOBER_15, Fraction(17, 31), OCTOBER_15)),
        (ARREARS_PRORATED, OCTOBER_15, EffectiveDate(OCTOBER_15, Fraction(17, 31), OCTOBER_15)),
        (
            ARREARS_PRORATED,
            date(2026, 10, 31),
            EffectiveDate(date(2026, 10, 31), Fraction(1, 31), date(2026, 10, 31)),
        ),
        # Without a mid-period vendor date, proration changes nothing.
        (ADVANCE_PRORATED, None, EffectiveDate(NOVEMBER_1, Fraction(1))),
        (ARREARS_PRORATED, OCTOBER_1, EffectiveDate(OCTOBER_1, Fraction(1))),
        (ARREARS_PRORATED, date(2026, 9, 20), EffectiveDate(OCTOBER_1, Fraction(1))),
        (ADVANCE_PRORATED, NOVEMBER_1, EffectiveDate(NOVEMBER_1, Fraction(1))),
    ],
)
def test_effective_date_by_timing_proration_and_vendor_date(
    billing: BillingSettings, change_date: date | None, expected: EffectiveDate
) -> None:
    assert effective_date(PERIOD, billing, change_date) == expected


def test_february_of_a_leap_year_has_29_days() -> None:
    found = effective_date("2028-02", ARREARS_PRORATED, date(2028, 2, 15))
    assert found == EffectiveDate(date(2028, 2, 15), Fraction(15, 29), date(2028, 2, 15))
    assert effective_date("2026-12", ADVANCE).starts == date(2027, 1, 1)


def test_first_period_price_follows_each_psa_rule() -> None:
    prorated = EffectiveDate(OCTOBER_15, Fraction(17, 31), OCTOBER_15)
    assert prorated.first_period_price(Decimal("26.40"), "autotask") == Decimal("14.48")
    assert prorated.first_period_price(Decimal("26.40"), "connectwise") == Decimal("26.40")
    assert prorated.first_period_price(Decimal("-4.80"), "autotask") == Decimal("-2.63")
    whole = EffectiveDate(NOVEMBER_1, Fraction(1))
    assert whole.first_period_price(Decimal("26.40"), "autotask") == Decimal("26.40")
    with pytest.raises(ValueError, match="no import rule for PSA 'halopsa'"):
        whole.first_period_price(Decimal("1"), "halopsa")


def test_vendor_change_dates_come_from_the_evidence_rows(demo_result: Reconciliation) -> None:
    assert vendor_change_dates(demo_result, Workspace.open(DEMO)) == DEMO_CHANGES


def test_effective_dates_of_the_demo_adjustments(demo_result: Reconciliation) -> None:
    workspace = dataclasses.replace(Workspace.open(DEMO), billing=ARREARS_PRORATED)
    lines = list(demo_result.adjustments["line_id"])
    table = effective_dates(demo_result, workspace, lines).set_index("line_id")
    assert list(table.index) == lines
    prorated = table[table["share"] != 1]
    assert dict(zip(prorated.index, prorated["starts"], strict=True)) == DEMO_CHANGES
    assert dict(zip(prorated.index, prorated["share"], strict=True)) == {
        "29600100:29683404": Fraction(17, 31),
        "29600121:29683406": Fraction(29, 31),
        "29600156:29683404": Fraction(12, 31),
        "29600261:29683413": Fraction(14, 31),
    }
    whole = table[table["share"] == 1]
    assert len(whole) == 9  # Zephyr's identity seat, on the contract at 0, is among them
    assert set(whole["starts"]) == {OCTOBER_1}
    assert set(whole["change_date"]) == {None}

    advance = dataclasses.replace(workspace, billing=ADVANCE)
    table = effective_dates(demo_result, advance, lines)
    assert set(table["starts"]) == {NOVEMBER_1}
    assert set(table["share"]) == {Fraction(1)}


def test_the_demo_and_a_template_workspace_bill_in_advance_without_proration(
    tmp_path: Path,
) -> None:
    from workbench.workspace import new_workspace

    assert Workspace.open(DEMO).billing == ADVANCE
    assert new_workspace(tmp_path / "new", "New MSP").billing == ADVANCE


def test_billing_settings_are_read_from_workspace_toml(tmp_path: Path) -> None:
    root = workspace_with(tmp_path, '[billing]\ntiming = "arrears"\nprorate = true\n')
    assert Workspace.open(root).billing == ARREARS_PRORATED


@pytest.mark.parametrize(
    ("billing", "message"),
    [
        (
            '[billing]\ntiming = "monthly"\n',
            "workspace.toml: [billing] timing 'monthly' is not known (expected timing = "
            '"advance" (changes start next period) or "arrears" (changes start within the '
            "period))",
        ),
        (
            '[billing]\nprorate = "yes"\n',
            "workspace.toml: [billing] prorate 'yes' is not true or false (expected prorate = "
            "true or prorate = false, without quotes)",
        ),
        (
            "[billing]\nproration = true\n",
            "workspace.toml: [billing] has an unknown key 'proration' (expected only timing "
            "and prorate)",
        ),
        (
            'billing = "advance"\n',
            "workspace.toml: billing is not a table (expected a [billing] table with timing = "
            '"advance" and prorate = false)',
        ),
    ],
)
def test_bad_billing_settings_name_the_file_and_key(
    tmp_path: Path, billing: str, message: str
) -> None:
    # A top-level key must come before [workspace]; place it first for the last case.
    root = workspace_with(tmp_path, "" if billing.startswith("billing") else billing)
    if billing.startswith("billing"):
        settings = root / "workspace.toml"
        settings.write_text(billing + settings.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(InputError) as raised:
        Workspace.open(root)
    assert str(raised.value) == message
    assert raised.value.file == str(root / "workspace.toml")


def test_a_missing_evidence_file_dates_nothing(demo_result: Reconciliation, tmp_path: Path) -> None:
    root = tmp_path / "copy"
    shutil.copytree(DEMO, root, copy_function=shutil.copyfile)
    (root / "periods" / PERIOD / "inputs" / "pax8" / "invoice_items.csv").unlink()
    found = vendor_change_dates(demo_result, Workspace.open(root))
    assert found == {k: v for k, v in DEMO_CHANGES.items() if k != "29600261:29683413"}
