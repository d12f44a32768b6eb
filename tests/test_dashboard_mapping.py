"""The dashboard's mapping review: the list, the buttons, and the workbook they change.

Every test works on a copy of the demo workspace and picks its vendor customer, SKU, company
and service from that copy's reconciliation and catalogue, never by name (the demo data
changes). The widget tests click the real buttons in this process; the browser test signs in to the real
server as a mapper in headless Chromium and then reads ``mappings.xlsx`` and the ledger (who
made the change) from disk.
"""

from __future__ import annotations

import getpass
import html
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.conftest import PERIOD, Dashboard
from tests.test_dashboard import (
    _flatten,
    _screenshot,
    sign_in,
)
from tests.test_mapping_edits import company_name_of, unmapped_customer_with_suggestion
from workbench.dashboard import (
    REVIEW_MESSAGE_CLASS,
    UNMAPPED_TABLE_CLASS,
    build_dashboard,
    forget_results,
    kpi_tiles,
    mapping_review,
    period_catalogue,
    period_inputs,
    period_result,
)
from workbench.dashboard.mapping_review import BULK_CLASS, MappingReviewPanel
from workbench.ledger import Ledger
from workbench.logins import Login
from workbench.mapping import VENDOR_TITLES, Mappings
from workbench.money import total
from workbench.result import Reconciliation, Status
from workbench.sources import Catalogue
from workbench.workspace import Workspace, read_period_inputs, reconcile_workspace


def _with_class(app: Any, css_class: str) -> list[Any]:
    return [w for w in _flatten(app) if css_class in getattr(w, "_dom_classes", ())]


def _card(app: Any, attribute: str, value: str) -> Any:
    """The review card whose header carries ``data-<attribute>="<value>"``."""
    cards = [
        card
        for card in _with_class(app, "wb-review-card")
        if f'{attribute}="{value}"' in card.children[0].value
    ]
    assert len(cards) == 1, f"{len(cards)} cards with {attribute}={value!r}"
    return cards[0]


def _message(app: Any) -> str:
    """The review's message as the page shows it (tags kept, entities decoded)."""
    return html.unescape(str(_with_class(app, REVIEW_MESSAGE_CLASS)[0].value))


def _tile_values(app: Any) -> list[str]:
    return [str(w.value) for w in _with_class(app, "wb-tiles")[0].children]


def _unmapped_customers(result: Reconciliation) -> pd.DataFrame:
    return result.unmapped[result.unmapped["status"] == Status.UNMAPPED_CUSTOMER]


# --- what the review lists -----------------------------------------------------------------


def test_the_review_lists_every_unmapped_customer_and_sku_with_its_suggestion(
    workspace: Path,
) -> None:
    result = reconcile_workspace(workspace, PERIOD)
    catalogue = read_period_inputs(workspace, PERIOD).catalogue

    review = mapping_review(result, catalogue)

    customers = _unmapped_customers(result)
    assert {(c.vendor, c.customer_key) for c in review.customers} == set(
        zip(customers["vendor"], customers["vendor_customer_key"], strict=True)
    )
    matches = result.customer_matches.set_index(["vendor", "customer_key"])
    for customer in review.customers:
        match = matches.loc[(customer.vendor, customer.customer_key)]
        lines = customers[customers["vendor_customer_key"] == customer.customer_key]
        priced = [value for value in lines["vendor_spend"] if value is not None]
        assert customer.spend == (total(priced) if priced else None)
        assert [quantity for _, quantity in customer.usage] == list(lines["expected_quantity"])
        if match["suggested_company_id"]:
            assert customer.suggestion is not None
            assert customer.suggestion.company_id == match["suggested_company_id"]
            assert customer.suggestion.score == match["suggestion_score"]
            assert customer.suggestion.reasons  # the matcher says why
            assert "; ".join(customer.suggestion.reasons) == match["suggestion_reasons"]
        else:
            assert customer.suggestion is None
    # By confidence: suggested customers, highest score first; then the others, by spend.
    order = [
        (c.suggestion is None, -(c.suggestion.score if c.suggestion else 0), -(c.spend or 0))
        for c in review.customers
    ]
    assert order == sorted(order)
    assert [c.suggestion is None for c in review.customers] == [False] * 3 + [True]
    skus = result.unmapped[result.unmapped["status"] == Status.UNMAPPED_SKU]
    assert {(s.vendor, s.sku) for s in review.skus} == set(
        zip(skus["vendor"], skus["vendor_sku"], strict=True)
    )
    assert len(review.companies) == len(catalogue.companies)
    assert len(review.services) == len(catalogue.services)


def test_companies_sharing_a_name_are_told_apart_by_id(workspace: Path) -> None:
    result = reconcile_workspace(workspace, PERIOD)
    catalogue = Catalogue(
        companies=pd.DataFrame(
            {"company_id": ["7", "3", "5"], "company_name": ["Acme", "Birch", "ACME"]}
        ),
        services=pd.DataFrame({"service_id": ["S1"], "service_name": ["Backup"]}),
    )

    review = mapping_review(result, catalogue)

    assert [(c.id, c.label) for c in review.companies] == [
        ("5", "ACME (ID 5)"),
        ("7", "Acme (ID 7)"),
        ("3", "Birch"),
    ]
    assert [c.name for c in review.companies] == ["ACME", "Acme", "Birch"]


# --- the buttons, clicked in this process ------------------------------------------------


def test_choosing_another_company_saves_the_workbook_and_refreshes_the_page(
    workspace: Path,
) -> None:
    before = reconcile_workspace(workspace, PERIOD)
    line = _unmapped_customers(before).iloc[0]
    vendor, key = str(line["vendor"]), str(line["vendor_customer_key"])
    companies = read_period_inputs(workspace, PERIOD).catalogue.companies
    company = companies.sort_values("company_id").iloc[-1]
    app = build_dashboard(workspace)
    card = _card(app, "data-customer-id", key)

    _with_class(card, "wb-company-choice")[0].value = company["company_id"]
    _with_class(card, "wb-map-company")[0].click()

    after = reconcile_workspace(workspace, PERIOD)
    message = _message(app)
    assert "wb-tone-good" in message
    assert (
        f"Mapped {line['vendor_customer_name']} ({VENDOR_TITLES[vendor]}) to "
        f"{company['company_name']}; mappings.xlsx saved, previous version kept in "
        "mappings.history/mappings-"
    ) in message
    assert (
        f"{len(after.unmapped)} vendor line" in message
        and f"({len(before.unmapped)} before)" in message
    )
    mapped = [m for m in Mappings.read(workspace / "mappings.xlsx").customers if m.customer_key]
    assert (vendor, key.casefold(), str(company["company_id"])) in {
        (m.vendor, m.customer_key, m.company_id) for m in mapped
    }
    assert not [
        c for c in _with_class(app, "wb-review-card") if key in c.children[0].value
    ]  # its card is gone
    assert _tile_values(app) == [tile.html() for tile in kpi_tiles(after)]
    history = list((workspace / "mappings.history").iterdir())
    assert len(history) == 1
    # Without logins the change is recorded as the name in Reviewer: this account's, unchanged.
    assert _edits(workspace) == [
        (
            getpass.getuser(),
            f"Mapped {line['vendor_customer_name']} ({VENDOR_TITLES[vendor]}) to "
            f"{company['company_name']}",
            f"mappings.history/{history[0].name}",
        )
    ]


def _edits(workspace: Path) -> list[tuple[str, str, str]]:
    with Ledger.open(workspace / "ledger.sqlite") as ledger:
        return [(e.who, e.summary, e.previous_version) for e in ledger.mapping_edits()]


@pytest.mark.parametrize("roles", [{"viewer"}, {"reviewer"}])
def test_only_a_mapper_login_changes_the_mappings(workspace: Path, roles: set[str]) -> None:
    line = _unmapped_customers(reconcile_workspace(workspace, PERIOD)).iloc[-1]
    key = str(line["vendor_customer_key"])
    content = (workspace / "mappings.xlsx").read_bytes()
    app = build_dashboard(workspace, login=Login("lee", frozenset(roles)))
    card = _card(app, "data-customer-id", key)
    _with_class(card, "wb-exclude-reason")[0].value = "test tenant of the MSP"

    _with_class(card, "wb-exclude")[0].click()  # hidden from lee; a click is refused anyway

    role = next(iter(roles))
    keeps = "--role reviewer --role mapper" if role == "reviewer" else "--role mapper"
    assert _message(app) == (
        '<div class="wb-banner wb-tone-bad"><strong>Not saved.</strong> '
        f"lee ({role}) may read the mapping review but not change mappings: that needs the "
        f"mapper role (an admin gives it with `workbench users roles lee {keeps}`).</div>"
    )
    assert all(
        box.layout.display == "none"
        for card in _with_class(app, "wb-review-card")
        for box in _with_class(card, "wb-review-controls")
    )
    assert _with_class(app, BULK_CLASS)[0].layout.display == "none"  # no bulk confirmation
    assert (workspace / "mappings.xlsx").read_bytes() == content
    assert not (workspace / "mappings.history").exists()


def _at_least(result: Reconciliation, minimum: float) -> dict[tuple[str, str], str]:
    """The unmapped customers whose suggestion scores ``minimum`` or more, and its company."""
    matches = result.customer_matches
    lines = _unmapped_customers(result)[["vendor", "vendor_customer_key"]].drop_duplicates()
    suggested = matches.merge(
        lines, left_on=["vendor", "customer_key"], right_on=["vendor", "vendor_customer_key"]
    )
    suggested = suggested[
        (suggested["suggested_company_id"] != "") & (suggested["suggestion_score"] >= minimum)
    ]
    return dict(
        zip(
            zip(suggested["vendor"], suggested["customer_key"], strict=True),
            suggested["suggested_company_id"],
            strict=True,
        )
    )


#: The bulk tests' minimum score: on the demo it takes the two suggestions of 100 (one of them
#: by a shared tenant) and leaves the branch's of 98.
BULK_SCORE = 99


def test_confirming_every_suggestion_at_or_above_a_score_asks_first_and_maps_those(
    workspace: Path,
) -> None:
    before = reconcile_workspace(workspace, PERIOD)
    taken, left = _at_least(before, BULK_SCORE), _at_least(before, 0)
    assert (len(taken), len(left)) == (2, 3)
    content = (workspace / "mappings.xlsx").read_bytes()
    app = build_dashboard(workspace)
    question = _with_class(app, "wb-map-bulk-question")[0]
    confirmation = _with_class(app, "wb-map-bulk-confirmation")[0]
    minimum = _with_class(app, "wb-map-bulk-minimum")[0]

    def counted() -> str:
        return html.unescape(str(_with_class(app, "wb-map-bulk-count")[0].value))

    assert "2 suggestions score 100 or more" in counted()  # the minimum starts at the top
    minimum.value = 0
    assert "3 suggestions score 0 or more" in counted()
    minimum.value = BULK_SCORE
    assert "2 suggestions score 99 or more" in counted()
    _with_class(app, "wb-map-bulk-ask")[0].click()
    asked = html.unescape(question.value)
    assert confirmation.layout.display == ""
    assert "Confirm 2 suggestions scoring 99 or more?" in asked
    assert asked.count("<li>") == 2
    assert f"recorded as {getpass.getuser()}" in asked
    assert (workspace / "mappings.xlsx").read_bytes() == content  # asked, nothing saved yet

    _with_class(app, "wb-map-bulk-cancel")[0].click()
    assert confirmation.layout.display == "none"
    assert (workspace / "mappings.xlsx").read_bytes() == content
    _with_class(app, "wb-map-bulk-ask")[0].click()
    _with_class(app, "wb-map-bulk-yes")[0].click()

    assert "wb-tone-good" in _message(app)
    assert "2 changes: Mapped " in _message(app)
    mapped = {
        (m.vendor, m.customer_key): m.company_id
        for m in Mappings.read(workspace / "mappings.xlsx").customers
    }
    assert {key: mapped.get((key[0], key[1].casefold())) for key in left} == {
        key: taken.get(key) for key in left
    }  # exactly those at or above the score, each to its suggested company
    after = reconcile_workspace(workspace, PERIOD)
    assert _at_least(after, 0) == {key: c for key, c in left.items() if key not in taken}
    history = list((workspace / "mappings.history").iterdir())
    assert [(who, previous) for who, _, previous in _edits(workspace)] == [
        (getpass.getuser(), f"mappings.history/{history[0].name}")
    ] * 2


def test_excluding_asks_for_a_reason_first(workspace: Path) -> None:
    line = _unmapped_customers(reconcile_workspace(workspace, PERIOD)).iloc[-1]
    key = str(line["vendor_customer_key"])
    content = (workspace / "mappings.xlsx").read_bytes()
    app = build_dashboard(workspace)
    card = _card(app, "data-customer-id", key)
    exclude = _with_class(card, "wb-exclude")[0]

    exclude.click()

    assert "<strong>Not saved.</strong> Write why" in _message(app)
    assert (workspace / "mappings.xlsx").read_bytes() == content
    assert not exclude.disabled  # the card can still be used

    _with_class(card, "wb-exclude-reason")[0].value = "test tenant of the MSP"
    exclude.click()

    assert f"Excluded {line['vendor_customer_name']}" in _message(app)
    after = reconcile_workspace(workspace, PERIOD)
    assert key not in set(after.unmapped["vendor_customer_key"])
    assert "customer excluded in mappings: test tenant of the MSP" in set(after.excluded["reason"])


def test_mapping_a_sku_to_a_service_with_a_factor(workspace: Path) -> None:
    before = reconcile_workspace(workspace, PERIOD)
    line = before.unmapped[before.unmapped["status"] == Status.UNMAPPED_SKU].iloc[0]
    service = read_period_inputs(workspace, PERIOD).catalogue.services.iloc[0]
    app = build_dashboard(workspace)
    card = _card(app, "data-sku", str(line["vendor_sku"]))
    _with_class(card, "wb-service-choice")[0].value = service["service_id"]
    factor = _with_class(card, "wb-factor")[0]

    factor.value = "none"
    _with_class(card, "wb-map-sku")[0].click()
    refused = _message(app)
    factor.value = "2"
    _with_class(card, "wb-map-sku")[0].click()

    assert "Factor 'none' is not a positive number such as 1 or 0.01" in refused
    assert f"to {service['service_name']} (factor 2); mappings.xlsx saved" in _message(app)
    services = Mappings.read(workspace / "mappings.xlsx").services
    assert [(m.service_id, m.factor) for m in services if m.sku == line["vendor_sku"]] == [
        (service["service_id"], 2)
    ]
    after = reconcile_workspace(workspace, PERIOD)
    assert line["line_id"] not in set(after.unmapped["line_id"])


def test_an_unmapped_sku_gets_the_closest_service_and_its_confirmation_maps_it(
    workspace: Path,
) -> None:
    result = reconcile_workspace(workspace, PERIOD)
    line = result.unmapped[result.unmapped["status"] == Status.UNMAPPED_SKU].iloc[0]
    catalogue = read_period_inputs(workspace, PERIOD).catalogue
    # The PSA sells the SKU under its own name: a service the vendor's name points to.
    named = pd.DataFrame(
        [
            {
                "service_id": "29689999",
                "service_name": f"{line['vendor_sku_name']} licence",
                "unit_price": None,
                "unit_cost": None,
            }
        ]
    )
    with_service = Catalogue(
        companies=catalogue.companies,
        services=pd.concat([catalogue.services, named], ignore_index=True),
    )

    without = mapping_review(result, catalogue)
    review = mapping_review(result, with_service)

    assert [s.suggestion for s in without.skus] == [None] * len(without.skus)
    sku = next(s for s in review.skus if s.sku == line["vendor_sku"])
    assert sku.suggestion is not None and sku.suggestion.service_id == "29689999"
    assert sku.suggestion.reasons  # says why
    saved: list[int | None] = []
    panel = MappingReviewPanel(
        workspace / "mappings.xlsx", refresh=lambda: saved.append(0) or 0, who=lambda: "dana"
    )
    panel.show(result, review)
    card = _card(panel.root, "data-sku", str(line["vendor_sku"]))
    assert "Suggested PSA service: <strong>" in card.children[0].value
    _with_class(card, "wb-confirm-sku")[0].click()

    services = Mappings.read(workspace / "mappings.xlsx").services
    assert [(m.service_id, m.factor) for m in services if m.sku == line["vendor_sku"]] == [
        ("29689999", 1)
    ]
    assert saved == [0]  # the page refreshed


# --- the browser ---------------------------------------------------------------------------


@pytest.mark.browser
def test_confirming_a_suggestion_in_the_browser_changes_mappings_xlsx(
    tmp_path: Path, team_dashboard: Dashboard
) -> None:
    from playwright.sync_api import expect

    workspace = team_dashboard.workspace
    before = reconcile_workspace(workspace, PERIOD)
    customer = unmapped_customer_with_suggestion(before)
    vendor, key = str(customer["vendor"]), str(customer["customer_key"])
    company_id = str(customer["suggested_company_id"])
    company_name = company_name_of(workspace, company_id)
    workbook = workspace / "mappings.xlsx"
    original = workbook.read_bytes()
    # Excel's owner file: the workbook is open in Excel.
    owner_file = workspace / "~$mappings.xlsx"
    owner_file.write_bytes(b"\x05Alice")

    url, browser = team_dashboard.url, team_dashboard.browser
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, url, "dana")  # a mapper
    card = page.locator(".wb-review-customer").filter(
        has=page.locator(f'[data-vendor="{vendor}"][data-customer-id="{key}"]')
    )
    expect(card).to_have_count(1, timeout=60_000)
    expect(card.locator(".wb-review-suggestion")).to_contain_text(company_name)
    message = page.locator(f".{REVIEW_MESSAGE_CLASS}")

    card.locator("button.wb-confirm").click()
    expect(message).to_contain_text("is open in Excel", timeout=60_000)
    expect(message).to_contain_text("Close it in Excel and try again.")
    assert workbook.read_bytes() == original
    assert not (workspace / "mappings.history").exists()
    _screenshot(page, tmp_path / "mapping-review-open-in-excel.png")

    owner_file.unlink()  # Excel closed
    card.locator("button.wb-confirm").click()
    expect(message).to_contain_text(
        f"Mapped {customer['customer_name']} ({VENDOR_TITLES[vendor]}) to "
        f"{company_name}; mappings.xlsx saved, previous version kept in "
        "mappings.history/",
        timeout=60_000,
    )
    after = reconcile_workspace(workspace, PERIOD)
    expect(card).to_have_count(0)
    expect(
        page.locator(f'table.{UNMAPPED_TABLE_CLASS} tr[data-line-id^="unmapped:{vendor}:"]')
    ).to_have_count(
        len(_unmapped_customers(after).query("vendor == @vendor")),
    )
    expect(page.locator(".wb-tile-note").nth(2)).to_have_text(kpi_tiles(after)[2].note)
    _screenshot(page, tmp_path / "mapping-review.png")

    mapped = [
        m
        for m in Mappings.read(workbook).customers
        if (m.vendor, m.customer_key) == (vendor, key.casefold())
    ]
    assert [(m.company_id, m.company_name, m.exclude_reason) for m in mapped] == [
        (company_id, company_name, "")
    ]
    history = list((workspace / "mappings.history").iterdir())
    assert len(history) == 1 and history[0].read_bytes() == original
    assert key not in set(_unmapped_customers(after)["vendor_customer_key"])
    assert _edits(workspace) == [
        (
            "dana",
            f"Mapped {customer['customer_name']} ({VENDOR_TITLES[vendor]}) to {company_name}",
            f"mappings.history/{history[0].name}",
        )
    ]


@pytest.mark.browser
def test_the_review_in_the_browser_shows_the_tenant_a_suggestion_rests_on(
    tmp_path: Path, team_dashboard: Dashboard
) -> None:
    from playwright.sync_api import expect

    workspace = team_dashboard.workspace
    matches = reconcile_workspace(workspace, PERIOD).customer_matches
    by_tenant = matches[matches["suggestion_reasons"].str.startswith("same Microsoft tenant")]
    assert len(by_tenant) == 1  # the demo's Huntress organization on a client's tenant
    customer = by_tenant.iloc[0]
    company_name = company_name_of(workspace, str(customer["suggested_company_id"]))

    url, browser = team_dashboard.url, team_dashboard.browser
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, url, "vera")  # a viewer reads the suggestions too
    card = page.locator(".wb-review-customer").filter(
        has=page.locator(
            f'[data-vendor="{customer["vendor"]}"][data-customer-id="{customer["customer_key"]}"]'
        )
    )
    expect(card).to_have_count(1, timeout=60_000)
    suggestion = card.locator(".wb-review-suggestion")
    expect(suggestion).to_contain_text(
        f"Suggested PSA company: {company_name} (match score 100 of 100; same Microsoft "
        f"tenant as the mapped Partner Center customer {company_name}"
    )
    # The first card: the most confident suggestion.
    expect(page.locator(".wb-review-customer").first).to_contain_text("score 100")
    expect(page.locator(f".{BULK_CLASS}")).to_be_hidden()  # vera may not map
    _screenshot(page, tmp_path / "mapping-review-tenant.png")


@pytest.mark.browser
def test_confirming_the_suggestions_above_a_score_in_the_browser_maps_exactly_those(
    tmp_path: Path, team_dashboard: Dashboard
) -> None:
    from playwright.sync_api import expect

    workspace = team_dashboard.workspace
    before = reconcile_workspace(workspace, PERIOD)
    taken, left = _at_least(before, BULK_SCORE), _at_least(before, 0)
    assert (len(taken), len(left)) == (2, 3)
    workbook = workspace / "mappings.xlsx"
    original = workbook.read_bytes()

    url, browser = team_dashboard.url, team_dashboard.browser
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, url, "dana")  # a mapper
    bulk = page.locator(f".{BULK_CLASS}")
    expect(bulk).to_be_visible(timeout=60_000)
    minimum = bulk.locator(".wb-map-bulk-minimum input")
    minimum.fill(str(BULK_SCORE))
    minimum.press("Enter")
    expect(bulk.locator(".wb-map-bulk-count")).to_contain_text(
        f"2 suggestions score {BULK_SCORE} or more", timeout=30_000
    )
    bulk.locator("button.wb-map-bulk-ask").click()
    question = bulk.locator(".wb-map-bulk-question")
    expect(question).to_contain_text(
        f"Confirm 2 suggestions scoring {BULK_SCORE} or more?", timeout=30_000
    )
    expect(question).to_contain_text("recorded as dana")
    expect(question.locator("li")).to_have_count(2)
    assert workbook.read_bytes() == original  # asked, nothing saved
    _screenshot(page, tmp_path / "mapping-review-bulk-question.png")

    bulk.locator("button.wb-map-bulk-yes").click()
    expect(page.locator(f".{REVIEW_MESSAGE_CLASS}")).to_contain_text(
        "2 changes: Mapped ", timeout=60_000
    )
    for vendor, key in taken:
        expect(page.locator(f'[data-vendor="{vendor}"][data-customer-id="{key}"]')).to_have_count(0)
    customers = _unmapped_customers(before)[["vendor", "vendor_customer_key"]]
    expect(page.locator(".wb-review-customer")).to_have_count(
        len(customers.drop_duplicates()) - len(taken)
    )
    _screenshot(page, tmp_path / "mapping-review-bulk.png")

    mapped = {(m.vendor, m.customer_key): m.company_id for m in Mappings.read(workbook).customers}
    assert {key: mapped.get((key[0], key[1].casefold())) for key in left} == {
        key: taken.get(key) for key in left
    }
    history = list((workspace / "mappings.history").iterdir())
    assert len(history) == 1 and history[0].read_bytes() == original
    names = dict(
        zip(
            zip(
                before.customer_matches["vendor"],
                before.customer_matches["customer_key"],
                strict=True,
            ),
            before.customer_matches["customer_name"],
            strict=True,
        )
    )
    assert sorted(_edits(workspace)) == sorted(
        (
            "dana",
            f"Mapped {names[key]} ({VENDOR_TITLES[key[0]]}) to "
            f"{company_name_of(workspace, company_id)}",
            f"mappings.history/{history[0].name}",
        )
        for key, company_id in taken.items()
    )


# --- reading once ----------------------------------------------------------------------------


def test_the_dashboard_reads_a_periods_inputs_once_until_a_file_changes(workspace: Path) -> None:
    opened = Workspace.open(workspace)
    inputs = period_inputs(opened, PERIOD)
    result = period_result(opened, PERIOD)
    assert period_inputs(opened, PERIOD) is inputs
    assert period_catalogue(opened, PERIOD) is inputs.catalogue
    assert period_result(opened, PERIOD) is result

    # A mapping change re-reconciles the inputs already read.
    forget_results(opened)
    again = period_result(opened, PERIOD)
    assert again is not result and period_inputs(opened, PERIOD) is inputs
    pd.testing.assert_frame_equal(again.lines, result.lines)

    # An export added to the folder is read, and the period reconciled again.
    folder = opened.inputs_folder(PERIOD)
    export = sorted(folder.rglob("*.csv"))[0]
    shutil.copyfile(export, export.with_name(f"copy of {export.name}"))
    reread = period_inputs(opened, PERIOD)
    assert reread is not inputs
    assert len(reread.files) == len(inputs.files) + 1
    assert period_result(opened, PERIOD).files.equals(reread.files)
