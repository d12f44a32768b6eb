"""Bundles, aliases and SKU patterns on tiny workspaces whose every number is stated here.

The client is Acme Dental Group (Autotask company 10, catalogue in ``tests/builders.py``). Two
bundles are defined in the mappings workbook:

Gold managed user bundle (service 33, 95.00 a unit), per user:

=========  ==========================  ===========================  ===============  ========
part       component                   vendor SKU                   per bundle unit  rule
=========  ==========================  ===========================  ===============  ========
driver                                 Microsoft Business Premium   (factor 1)
component  Business Premium licence    Microsoft Business Premium   1                exact
component  Identity protection         Huntress identities          1                exact (cost 2.00)
component  EDR agent                   Huntress agents              1                at least
component  Security awareness          Huntress SAT learners        1                exact
=========  ==========================  ===========================  ===============  ========

Managed device bundle (service 34, 65.00 a unit), per device: driver RMM desktops + laptops;
components "Device management" (desktops + laptops, 1, exact) and "EDR agent" (Huntress
agents, 1, exact).

Stand-alone services: 30 Business Premium (26.40) from the Microsoft SKU and 31 Managed
workstation (45.00) from RMM desktops and laptops, as in ``test_engine``.

Mis-defined bundles (issue 19), as a new user writes them: :data:`DEVICE_DRIVERS_ONLY` is the
device bundle without its "Device management" component, so its driver SKUs Desktop and Laptop
also feed Managed workstation (28 devices: 28 x 45.00 = 1,260.00 of unbilled usage that the
bundle may already include); :data:`GOLD_WITHOUT_LICENCE` is the Gold bundle without its
"Business Premium licence" component, the per-user form of the same trap (27 users: 27 x 26.40
= 712.80). Each driver SKU is warned about once: two warnings for the first, one for the second.
"""

from __future__ import annotations

import html
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from tests.builders import (
    device,
    ms_row,
    write_autotask,
    write_huntress,
    write_mappings,
    write_ms,
    write_rmm,
    write_workspace,
)
from tests.test_dashboard import _flatten
from workbench import Status, reconcile_workspace, views
from workbench.batch import run_batch
from workbench.bundles import Component, check_component, expected_quantity
from workbench.cli import main
from workbench.dashboard import (
    MAPPING_WARNING_CLASS,
    build_dashboard,
    mapping_review,
    period_catalogue,
)
from workbench.errors import InputError
from workbench.mapping import Mappings, MappingWarning
from workbench.result import Reconciliation
from workbench.workspace import Workspace

PREMIUM_SKU = "CFQ7TTC0LCHC:0002"
SERVICES = [
    ["Microsoft", PREMIUM_SKU, "Business Premium", "30", "Microsoft 365 Business Premium", 1, ""],
    ["Datto RMM", "Desktop", "Desktops", "31", "Managed workstation", 1, ""],
    ["Datto RMM", "Laptop", "Laptops", "31", "Managed workstation", 1, ""],
]
GOLD = "Gold managed user bundle"
DEVICE = "Managed device bundle"
BUNDLES = [
    ["33", GOLD, "driver", "", "Microsoft", PREMIUM_SKU, "Business Premium users", "", "", "", ""],
    ["33", GOLD, "component", "Business Premium licence", "Microsoft", PREMIUM_SKU, "Business Premium", "", 1, "exact", ""],
    ["33", GOLD, "component", "Identity protection", "Huntress", "identities", "ITDR identities", "", 1, "exact", "2.00"],
    ["33", GOLD, "component", "EDR agent", "Huntress", "agents", "EDR agents", "", 1, "at least", ""],
    ["33", GOLD, "component", "Security awareness", "Huntress", "sat_learners", "SAT learners", "", 1, "exact", ""],
    ["34", DEVICE, "driver", "", "Datto RMM", "Desktop", "Desktops", "", "", "", ""],
    ["34", DEVICE, "driver", "", "Datto RMM", "Laptop", "Laptops", "", "", "", ""],
    ["34", DEVICE, "component", "Device management", "Datto RMM", "Desktop", "Desktops", "", 1, "exact", ""],
    ["34", DEVICE, "component", "Device management", "Datto RMM", "Laptop", "Laptops", "", 1, "exact", ""],
    ["34", DEVICE, "component", "EDR agent", "Huntress", "agents", "EDR agents", "", 1, "exact", ""],
]  # fmt: skip
SERVICE_30 = "Microsoft 365 Business Premium"
DEVICE_DRIVERS_ONLY = [row for row in BUNDLES if row[3] != "Device management"]
GOLD_WITHOUT_LICENCE = [row for row in BUNDLES if row[3] != "Business Premium licence"]


def seats(count: int) -> dict[str, Any]:
    return ms_row("new", count, f"{count * 22}.00")


def huntress(agents: int, identities: int, learners: int) -> dict[str, str]:
    return {
        "id": "7",
        "name": "Acme Dental Group",
        "agents_count": str(agents),
        "billable_identity_count": str(identities),
        "sat_learner_count": str(learners),
    }


def workspace(
    root: Path,
    *,
    billed: dict[str, int],
    premium: int = 0,
    desktops: int = 0,
    laptops: int = 0,
    agents: int = 0,
    identities: int = 0,
    learners: int = 0,
    bundle_clients: list[list[Any]] | None = None,
    services: list[list[Any]] | None = None,
    aliases: list[list[Any]] | None = None,
    ms_rows: list[dict[str, Any]] | None = None,
    bundles: list[list[Any]] | None = None,
) -> Reconciliation:
    inputs = write_workspace(root)
    write_autotask(inputs / "autotask", lines=billed)
    if premium or ms_rows:
        write_ms(inputs / "ms.csv", ms_rows or [seats(premium)])
    if desktops or laptops:
        write_rmm(
            inputs / "rmm.csv",
            [device("Desktop") for _ in range(desktops)]
            + [device("Laptop") for _ in range(laptops)],
        )
    write_huntress(inputs / "h.csv", [huntress(agents, identities, learners)])
    write_mappings(
        root / "mappings.xlsx",
        customers=[],
        services=SERVICES if services is None else services,
        aliases=aliases,
        bundles=BUNDLES if bundles is None else bundles,
        bundle_clients=bundle_clients,
    )
    return reconcile_workspace(root, "2026-10")


def lines(result: Reconciliation) -> pd.DataFrame:
    return result.lines.set_index("line_id")


def test_a_per_user_bundle_follows_its_driver_and_checks_each_component(tmp_path: Path) -> None:
    """27 Business Premium users, 25 Gold bundles billed -> under-billed 2 x 95.00 = +190.00.

    Components at 27 bundle units: licence 27 of 27 (match, and the licences are the bundle's,
    so stand-alone service 30 expects none and shows no line); identities 29 against exactly
    27 -> 2 outside any bundle, no stand-alone service, 2 x 2.00 = 4.00 spent; EDR agents 31,
    at least 27 -> match (users with two devices); SAT learners 24 of 27 -> a gap of 3.
    """
    result = workspace(
        tmp_path, billed={"33": 25}, premium=27, agents=31, identities=29, learners=24
    )
    found = lines(result)
    bundle = found.loc["10:33"]
    assert (bundle["status"], bundle["billed_quantity"], bundle["expected_quantity"]) == (
        Status.UNDER_BILLED,
        25,
        27,
    )
    assert bundle["revenue_impact"] == Decimal("190.00")
    assert bundle["cost_impact"] == Decimal("80.00")
    assert "27 Business Premium users" in bundle["reason"]
    components = {
        line_id.split(":", 2)[2]: (row["status"], row["billed_quantity"], row["expected_quantity"])
        for line_id, row in found.iterrows()
        if str(line_id).startswith("10:33:")
    }
    assert components == {
        "Business Premium licence": (Status.MATCH, 27, 27),
        "Identity protection": (Status.OUTSIDE_BUNDLE, 27, 29),
        "EDR agent": (Status.MATCH, 27, 31),
        "Security awareness": (Status.BUNDLE_GAP, 27, 24),
    }
    assert found.loc["10:33:Identity protection", "vendor_spend"] == Decimal("4.00")
    assert "3 bundle units without it" in found.loc["10:33:Security awareness", "reason"]
    assert "10:30" not in found.index  # the licences are in the bundle, not billed twice
    summary = result.summary()
    assert summary.revenue_leaking == Decimal("190.00")
    assert summary.outside_bundle_spend == Decimal("4.00")
    assert summary.bundle_findings == 2
    assert summary.billed_revenue == Decimal("2375.00")  # 25 x 95.00; components bill nothing
    assert (result.coverage["matched"] + result.coverage["excluded"]).sum() > 0


def test_a_licence_billed_both_in_the_bundle_and_on_its_own_is_billed_twice(
    tmp_path: Path,
) -> None:
    """Gold 27 and Business Premium 27 billed, 27 users: the bundle matches; the 27 stand-alone
    licences have no usage left -> billed without usage, -27 x 26.40 = -712.80."""
    result = workspace(
        tmp_path, billed={"33": 27, "30": 27}, premium=27, agents=27, identities=27, learners=27
    )
    found = lines(result)
    assert found.loc["10:33", "status"] == Status.MATCH
    standalone = found.loc["10:30"]
    assert (standalone["status"], standalone["expected_quantity"]) == (
        Status.BILLED_WITHOUT_USAGE,
        0,
    )
    assert standalone["revenue_impact"] == Decimal("-712.80")
    assert "27 more are covered by the client's bundle" in standalone["reason"]


def test_units_beyond_an_exact_component_go_to_their_stand_alone_service(tmp_path: Path) -> None:
    """A per-device bundle: 3 desktops + 2 laptops -> 5 bundle units, billed 5 (match). Device
    management takes exactly 5 workstations, so service 31 expects none. EDR: 4 agents for 5
    devices -> gap 1. With 7 workstations (5 + 2 laptops more) and the bundle still billed 5:
    bundle under-billed 2 x 65.00 = +130.00, and nothing left over for service 31."""
    result = workspace(tmp_path / "a", billed={"34": 5}, desktops=3, laptops=2, agents=4)
    found = lines(result)
    assert found.loc["10:34", "status"] == Status.MATCH
    assert found.loc["10:34:Device management", "status"] == Status.MATCH
    assert (
        found.loc["10:34:EDR agent", "status"],
        found.loc["10:34:EDR agent", "difference"],
    ) == (Status.BUNDLE_GAP, -1)
    assert "10:31" not in found.index
    grown = lines(workspace(tmp_path / "b", billed={"34": 5}, desktops=3, laptops=4, agents=7))
    assert grown.loc["10:34", "revenue_impact"] == Decimal("130.00")
    assert grown.loc["10:34:EDR agent", "status"] == Status.MATCH
    assert "10:31" not in grown.index


def test_surplus_of_an_exact_component_with_a_service_is_checked_there(tmp_path: Path) -> None:
    """Gold billed 20 with 20 users; 24 identities, and identities also map to stand-alone
    service 31 (a stand-in for "Identity threat detection", 45.00): 20 go to the bundle and the
    4 beyond it are unbilled usage on service 31, +4 x 45.00 = +180.00."""
    services = [*SERVICES, ["Huntress", "identities", "ITDR", "31", "Managed workstation", 1, ""]]
    result = workspace(
        tmp_path,
        billed={"33": 20},
        premium=20,
        agents=20,
        identities=24,
        learners=20,
        services=services,
    )
    found = lines(result)
    assert found.loc["10:33:Identity protection", "status"] == Status.MATCH
    assert "4 beyond the bundle" in found.loc["10:33:Identity protection", "reason"]
    standalone = found.loc["10:31"]
    assert (standalone["status"], standalone["expected_quantity"]) == (Status.UNBILLED_USAGE, 4)
    assert standalone["revenue_impact"] == Decimal("180.00")
    assert "20 more are covered" in standalone["reason"]


def test_client_terms_minimum_adjustment_and_waiver(tmp_path: Path) -> None:
    """Minimum 30 with 27 users -> 30 units (billed 30: match); the components are checked
    against the 27 users, since a minimum brings no licences (27 identities: no gap, nothing
    outside). A -2 adjustment (two shared kiosk seats) with 27 users -> 25 (billed 25: match).
    Waived security awareness: not checked, with the note, and no gap although nobody has a
    SAT seat."""
    minimum = workspace(
        tmp_path / "minimum",
        billed={"33": 30},
        premium=27,
        agents=27,
        identities=27,
        learners=27,
        bundle_clients=[["10", "Acme Dental Group", "33", 30, "", "", ""]],
    )
    found = lines(minimum)
    bundle = found.loc["10:33"]
    assert (bundle["status"], bundle["expected_quantity"]) == (Status.MATCH, 30)
    assert "agreed minimum of 30" in bundle["reason"]
    assert found.loc["10:33:Identity protection", "billed_quantity"] == 27
    assert minimum.summary().bundle_findings == 0
    adjusted = workspace(
        tmp_path / "adjusted",
        billed={"33": 25},
        premium=27,
        agents=25,
        identities=25,
        learners=0,
        bundle_clients=[
            ["10", "Acme", "33", "", -2, "Security awareness", "kiosk staff use shared logins"]
        ],
    )
    found = lines(adjusted)
    assert (found.loc["10:33", "status"], found.loc["10:33", "expected_quantity"]) == (
        Status.MATCH,
        25,
    )
    waived = found.loc["10:33:Security awareness"]
    assert waived["status"] == Status.NOT_RECONCILED
    assert "kiosk staff use shared logins" in waived["reason"]
    assert adjusted.summary().bundle_findings == 0


def test_a_bundle_listed_for_a_client_but_not_billed_is_unbilled_usage(tmp_path: Path) -> None:
    """Bundle clients lists Acme for Gold, the contract bills none, 12 users -> +12 x 95.00."""
    result = workspace(
        tmp_path,
        billed={"30": 0},
        premium=12,
        agents=12,
        identities=12,
        learners=12,
        bundle_clients=[["10", "Acme Dental Group", "33", "", "", "", ""]],
    )
    bundle = lines(result).loc["10:33"]
    assert (bundle["status"], bundle["revenue_impact"]) == (
        Status.UNBILLED_USAGE,
        Decimal("1140.00"),
    )


def test_a_bundle_on_the_contract_at_0_units_is_under_billed(tmp_path: Path) -> None:
    """The contract carries Gold at 0 units, 12 users: under-billed +12 x 95.00 = +1140.00 (cost
    12 x 40.00) on its contract service, not unbilled usage."""
    result = workspace(
        tmp_path, billed={"33": 0}, premium=12, agents=12, identities=12, learners=12
    )
    bundle = lines(result).loc["10:33"]
    assert (
        bundle["status"],
        bundle["billed_quantity"],
        bundle["expected_quantity"],
        bundle["revenue_impact"],
        bundle["cost_impact"],
        bundle["contract_service_id"],
    ) == (Status.UNDER_BILLED, 0, 12, Decimal("1140.00"), Decimal("480.00"), "43")
    assert bundle["reason"].endswith("the contract bills 0: on the contract at 0 units")


def test_a_bundle_whose_driver_vendor_is_missing_is_not_reconciled(tmp_path: Path) -> None:
    """No Partner Center file: the Gold bundle cannot be counted, its components neither."""
    result = workspace(tmp_path, billed={"33": 25}, agents=25, identities=25, learners=25)
    found = lines(result)
    assert found.loc["10:33", "status"] == Status.NOT_RECONCILED
    assert "Microsoft" in found.loc["10:33", "reason"]
    assert set(found.loc[found.index.str.startswith("10:33:"), "status"]) == {Status.NOT_RECONCILED}
    # Every Huntress record is still accounted for (on the component lines' evidence).
    huntress = result.coverage.set_index("source_file").filter(like="h.csv", axis=0).iloc[0]
    assert huntress["records"] == huntress["matched"] + huntress["excluded"]


def test_aliases_and_sku_patterns(tmp_path: Path) -> None:
    """An annual variant (SkuId 0003, alias ``CFQ7TTC0LCHC:*``) counts as Business Premium:
    10 + 5 = 15 users against 15 billed on service 30. A pattern ignore rule keeps a trial SKU
    out with its reason."""
    annual = ms_row("new", 5, "110.00", SkuId="0003", SkuName="Business Premium (annual)")
    trial = ms_row("new", 25, "1.00", ProductId="TRIAL123", SkuId="0001", SkuName="Copilot trial")
    result = workspace(
        tmp_path,
        billed={"30": 15},
        ms_rows=[ms_row("new", 10, "220.00"), annual, trial],
        aliases=[["Microsoft", "CFQ7TTC0LCHC:*", PREMIUM_SKU, "term variants"]],
        services=[
            *SERVICES,
            ["Microsoft", "TRIAL*", "Trials", "", "", "", "trials are not billed"],
        ],
    )
    found = lines(result)
    assert (found.loc["10:30", "status"], found.loc["10:30", "expected_quantity"]) == (
        Status.MATCH,
        15,
    )
    reasons = set(result.excluded["reason"])
    assert "SKU excluded in mappings: trials are not billed" in reasons


@pytest.mark.parametrize(
    ("rule", "available", "expected"),
    [
        # rule, available -> required, consumed, short, surplus (10 bundle units, 1 each)
        ("exact", 8, (10, 8, 2, 0)),
        ("exact", 12, (10, 10, 0, 2)),
        ("at least", 8, (10, 8, 2, 0)),
        ("at least", 12, (10, 12, 0, 0)),
        ("at most", 8, (10, 8, 0, 0)),
        ("at most", 12, (10, 10, 0, 2)),
    ],
)
def test_component_rules(rule: Any, available: int, expected: tuple[int, ...]) -> None:
    component = Component("x", (("huntress", "agents", "agents"),), Fraction(1), rule, None)
    check = check_component(component, 10, available)
    assert (check.required, check.consumed, check.short, check.surplus) == expected


def test_per_unit_fractions_round_up_to_whole_units() -> None:
    """Half a backup TB per user at 7 users -> 3.5 -> 4 required; 26 users / 5 per pack -> 6."""
    half = Component("backup", (("acronis", "tb", "TB"),), Fraction(1, 2), "exact", None)
    assert check_component(half, 7, 4).required == 4
    assert expected_quantity(Fraction(26, 5), None) == 6


def test_bundle_sheet_mistakes_are_named(tmp_path: Path) -> None:
    inputs = write_workspace(tmp_path)
    write_autotask(inputs / "autotask", lines={"33": 1})
    bad = [row[:] for row in BUNDLES]
    bad[2][9] = "roughly"
    write_mappings(tmp_path / "mappings.xlsx", customers=[], services=SERVICES, bundles=bad)
    with pytest.raises(InputError) as caught:
        reconcile_workspace(tmp_path, "2026-10")
    message = str(caught.value)
    assert "[Bundles]" in message and "row 4" in message and "Rule" in message
    write_mappings(
        tmp_path / "mappings.xlsx",
        customers=[],
        services=[*SERVICES, ["Huntress", "agents", "EDR", "33", GOLD, 1, ""]],
        bundles=BUNDLES,
    )
    with pytest.raises(InputError, match="is a bundle"):
        reconcile_workspace(tmp_path, "2026-10")


def test_a_service_row_without_a_service_or_a_reason_is_refused(tmp_path: Path) -> None:
    inputs = write_workspace(tmp_path)
    write_autotask(inputs / "autotask", lines={"30": 1})
    write_mappings(
        tmp_path / "mappings.xlsx",
        customers=[],
        services=[*SERVICES, ["Huntress", "agents", "EDR agents", "", "", "", ""]],
    )
    with pytest.raises(InputError) as caught:
        reconcile_workspace(tmp_path, "2026-10")
    assert "[Services]" in str(caught.value) and "row 5" in str(caught.value)


# --- issue 19: a bundle's driver that is also billed on its own ----------------------------

DESKTOP_WARNING = (
    "Managed device bundle (34) is driven by Datto RMM SKU Desktop (Desktops), which also feeds "
    "Managed workstation (31) on its own and is not one of the bundle's components: every "
    "client of the bundle is expected to pay for those units twice, in the bundle and on "
    "Managed workstation. If the bundle includes them, list Desktop as a component of Managed "
    "device bundle in sheet Bundles; if the client pays for both, leave the mappings as they are."
)
DEVICES_ALSO_DRIVE = (
    "Datto RMM shows 28; the contract bills 0: used but not on the contract; these 20 Desktops "
    "+ 8 Laptops also drive the Managed device bundle, which does not list them as a "
    "component: see the mapping warning before approving"
)


def device_bundle_drivers_only(root: Path) -> Reconciliation:
    """28 devices (20 desktops, 8 laptops) billed as 28 device bundles, and 28 EDR agents."""
    return workspace(
        root,
        billed={"34": 28},
        desktops=20,
        laptops=8,
        agents=28,
        bundles=DEVICE_DRIVERS_ONLY,
    )


def test_a_device_bundle_whose_drivers_feed_a_service_is_warned_and_its_line_says_why(
    tmp_path: Path,
) -> None:
    """The issue's case: the bundle matches (28 of 28) and Managed workstation, which is not on
    the contract, shows the 28 devices as unbilled usage, 28 x 45.00 = 1,260.00. Its reason says
    the devices also drive the bundle; the warning names bundle, SKU and service once per SKU."""
    result = device_bundle_drivers_only(tmp_path)
    assert [str(warning) for warning in result.mapping_warnings] == [
        DESKTOP_WARNING,
        DESKTOP_WARNING.replace("Desktop (Desktops)", "Laptop (Laptops)").replace(
            "list Desktop", "list Laptop"
        ),
    ]
    assert result.mapping_warnings[0] == MappingWarning(
        "34", DEVICE, "datto_rmm", "Desktop", "Desktops", "31", "Managed workstation"
    )
    found = lines(result)
    assert found.loc["10:34", "status"] == Status.MATCH
    workstation = found.loc["10:31"]
    assert (workstation["status"], workstation["expected_quantity"]) == (
        Status.UNBILLED_USAGE,
        28,
    )
    assert workstation["revenue_impact"] == Decimal("1260.00")
    assert workstation["reason"] == DEVICES_ALSO_DRIVE
    # The client's own result keeps the warnings about its bundle.
    assert result.for_client("10").mapping_warnings == result.mapping_warnings


def test_the_per_user_trap_a_driver_licence_not_among_the_components(tmp_path: Path) -> None:
    """Gold without its licence component, Business Premium mapped through a pattern row
    (``CFQ7TTC0LCHC:*``): 27 users, Gold billed 27 (match), and the 27 licences are unbilled
    usage on service 30, 27 x 26.40 = 712.80, with the reason saying they drive Gold too."""
    any_term = ["Microsoft", "CFQ7TTC0LCHC:*", "Business Premium", "30", SERVICE_30, 1, ""]
    result = workspace(
        tmp_path,
        billed={"33": 27},
        premium=27,
        agents=27,
        identities=27,
        learners=27,
        bundles=GOLD_WITHOUT_LICENCE,
        services=[any_term, *SERVICES[1:]],
    )
    assert result.mapping_warnings == (
        MappingWarning(
            "33",
            GOLD,
            "microsoft",
            PREMIUM_SKU,
            "Business Premium users",
            "30",
            SERVICE_30,
        ),
    )
    found = lines(result)
    assert found.loc["10:33", "status"] == Status.MATCH
    licences = found.loc["10:30"]
    assert (licences["status"], licences["revenue_impact"]) == (
        Status.UNBILLED_USAGE,
        Decimal("712.80"),
    )
    assert licences["reason"] == (
        "Microsoft shows 27; the contract bills 0: used but not on the contract; these 27 "
        "Business Premium users also drive the Gold managed user bundle, which does not list "
        "them as a component: see the mapping warning before approving"
    )


def test_drivers_are_matched_to_services_as_the_reconciliation_matches_usage(
    tmp_path: Path,
) -> None:
    """Only Desktop is warned about. Laptop has an exact ignore row, which wins over the
    ``*`` pattern that would feed Managed workstation; Notebook is an alias of Laptop, so no
    usage ever counts as Notebook; two pattern rows of Desktop's service feed one service, said
    once. The well-defined bundles of this module raise no warning."""
    services = [
        ["Datto RMM", "Laptop", "Laptops", "", "", "", "laptops are sold in the bundle only"],
        ["Datto RMM", "*", "Any device", "31", "Managed workstation", 1, ""],
        ["Datto RMM", "*", "Any device", "31", "Managed workstation", 1, ""],
    ]
    path = write_mappings(
        tmp_path / "mappings.xlsx",
        customers=[],
        services=services,
        aliases=[["Datto RMM", "Notebook", "Laptop", "old device class"]],
        bundles=[
            *DEVICE_DRIVERS_ONLY,
            ["34", DEVICE, "driver", "", "Datto RMM", "Notebook", "Notebooks", "", "", "", ""],
        ],
    )
    assert [(w.sku, w.service_id) for w in Mappings.read(path).warnings] == [("Desktop", "31")]
    well_defined = write_mappings(
        tmp_path / "well-defined.xlsx", customers=[], services=SERVICES, bundles=BUNDLES
    )
    assert Mappings.read(well_defined).warnings == ()


def test_every_face_shows_the_warnings_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``workbench run`` prints each warning once (not once per client), the all-clients
    workbook's Summary and the notebooks' headline list them, the dashboard's mapping review
    shows them above its cards, and ``workbench review`` prints them under its header."""
    result = device_bundle_drivers_only(tmp_path)
    texts = [str(warning) for warning in result.mapping_warnings]
    assert len(texts) == 2

    messages: list[str] = []
    batch = run_batch(tmp_path, "2026-10", tmp_path / "out", jobs=1, progress=messages.append)
    assert batch.ok
    assert [m for m in messages if "warning" in m] == [f"  warning: {text}" for text in texts]
    book = openpyxl.load_workbook(batch.folder / "All clients - 2026-10.xlsx")
    summary = [row[0] for row in book["Summary"].iter_rows(values_only=True)]
    heading = summary.index("Check the mappings first")
    assert summary[heading + 1 : heading + 3] == texts
    assert summary.index("Key figures") == heading + 4

    headline = views.headline(result)
    assert list(headline.loc["Mapping warning", "Value"]) == texts
    catalogue = period_catalogue(Workspace.open(tmp_path), "2026-10")
    assert mapping_review(result, catalogue).warnings == result.mapping_warnings
    banners = [
        html.unescape(widget.value)
        for widget in _flatten(build_dashboard(tmp_path))
        if MAPPING_WARNING_CLASS in str(getattr(widget, "value", ""))
    ]
    assert banners == [
        "".join(
            f'<div class="wb-banner wb-tone-warn {MAPPING_WARNING_CLASS}">{text}</div>'
            for text in texts
        )
    ]

    capsys.readouterr()
    assert main(["review", "--workspace", str(tmp_path), "--period", "2026-10"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[1:3] == [f"warning: {text}" for text in texts]
