"""The mapping review: each vendor customer and SKU nobody has mapped, with a way to map it.

:func:`mapping_review` lists them from a reconciliation and the PSA's catalogue, biggest vendor
spend first, each customer with the closest PSA company (its score and why); tests check it
without widgets. :class:`MappingReviewPanel` shows one card per customer or SKU, whose buttons
save ``mappings.xlsx`` through :mod:`workbench.mapping_edits`, which records who made each change.
With logins, only a login with the mapper role may; without them, the person named in the
review's *Reviewer*.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import ipywidgets as widgets
import pandas as pd

from workbench.dashboard.page import (
    DOT,
    action_button,
    banner_html,
    close_all,
    descendants,
    error_html,
    section_html,
)
from workbench.errors import WorkbenchError
from workbench.logins import MAPPER, Login
from workbench.mapping import VENDOR_TITLES, MappingWarning, ServiceMapping
from workbench.mapping_edits import (
    HISTORY_FOLDER_SUFFIX,
    SavedEdit,
    exclude_customer,
    exclude_sku,
    map_customer,
    map_sku,
)
from workbench.matching import Suggestion, suggest
from workbench.money import ZERO, format_money, total
from workbench.result import Reconciliation, Status
from workbench.service_matching import ServiceSuggestion, suggest_services
from workbench.sources import Catalogue
from workbench.views import plural

#: CSS classes tests and stylesheets rely on.
REVIEW_CLASS = "wb-review"
REVIEW_MESSAGE_CLASS = "wb-review-message"
MAPPING_WARNING_CLASS = "wb-mapping-warning"


@dataclass(frozen=True)
class CustomerToMap:
    """A vendor customer no client is mapped to, with its vendor spend and best suggestion."""

    vendor: str
    customer_key: str
    customer_name: str
    usage: tuple[tuple[str, int], ...]  # (vendor SKU name, quantity)
    spend: Decimal | None  # None: the export gives no prices
    suggestion: Suggestion | None


@dataclass(frozen=True)
class SkuToMap:
    """A vendor SKU no service is mapped to, with the clients using it."""

    vendor: str
    sku: str
    sku_name: str
    clients: tuple[str, ...]
    quantity: int
    spend: Decimal | None
    suggestion: ServiceSuggestion | None = None


@dataclass(frozen=True)
class Choice:
    """A PSA company or service a person can pick: its label is the name, with the id added
    when two share a name."""

    id: str
    name: str
    label: str


@dataclass(frozen=True)
class MappingReview:
    """What the mapping review lists, and the PSA companies and services (by label) to choose.

    ``warnings`` are mappings that read fine but probably say something else than was meant
    (:class:`~workbench.mapping.MappingWarning`): the review shows them above its cards.
    """

    customers: tuple[CustomerToMap, ...]
    skus: tuple[SkuToMap, ...]
    companies: tuple[Choice, ...]
    services: tuple[Choice, ...]
    warnings: tuple[MappingWarning, ...] = ()


def mapping_review(
    result: Reconciliation, catalogue: Catalogue, mapped: Sequence[ServiceMapping] = ()
) -> MappingReview:
    """The unmapped vendor customers and SKUs of a reconciliation, biggest vendor spend first.

    A customer's suggestion is the one the reconciliation made (``customer_matches``), with the
    reasons :func:`~workbench.matching.suggest` gives for it. A SKU's is the closest PSA service
    by name and price (:func:`~workbench.service_matching.suggest_services`); ``mapped`` are the
    mappings workbook's Services rows, whose SKU names also speak for their services.
    """
    unmapped = result.unmapped
    customer_lines = unmapped[unmapped["status"] == Status.UNMAPPED_CUSTOMER]
    suggested = {
        (str(vendor), str(key)): (str(company_id), float(score))
        for vendor, key, company_id, score in result.customer_matches[
            ["vendor", "customer_key", "suggested_company_id", "suggestion_score"]
        ].itertuples(index=False)
        if company_id
    }
    names = list(
        zip(catalogue.companies["company_id"], catalogue.companies["company_name"], strict=True)
    )
    customers = []
    for (vendor, key), group in customer_lines.groupby(
        ["vendor", "vendor_customer_key"], sort=False
    ):
        name = str(group["vendor_customer_name"].iat[0])
        customers.append(
            CustomerToMap(
                vendor=str(vendor),
                customer_key=str(key),
                customer_name=name,
                usage=tuple(
                    (
                        str(row["vendor_sku_name"] or row["vendor_sku"]),
                        int(row["expected_quantity"]),
                    )
                    for row in group.to_dict("records")
                ),
                spend=_spend(group),
                suggestion=_suggestion(name, suggested.get((str(vendor), str(key))), names),
            )
        )
    sku_lines = unmapped[unmapped["status"] == Status.UNMAPPED_SKU]
    skus = []
    for (vendor, sku), group in sku_lines.groupby(["vendor", "vendor_sku"], sort=False):
        sku_name, quantity, spend = (
            str(group["vendor_sku_name"].iat[0]),
            int(group["expected_quantity"].sum()),
            _spend(group),
        )
        best = suggest_services(
            sku_name or str(sku),
            catalogue.services,
            vendor=str(vendor),
            spend=spend,
            quantity=quantity,
            mapped=mapped,
            limit=1,
        )
        skus.append(
            SkuToMap(
                vendor=str(vendor),
                sku=str(sku),
                sku_name=sku_name,
                clients=tuple(sorted(set(group["company_name"]), key=str.casefold)),
                quantity=quantity,
                spend=spend,
                suggestion=best[0] if best else None,
            )
        )
    return MappingReview(
        customers=tuple(
            sorted(customers, key=lambda c: (-(c.spend or ZERO), c.customer_name.casefold()))
        ),
        skus=tuple(sorted(skus, key=lambda s: (-(s.spend or ZERO), s.sku_name.casefold()))),
        companies=_choices(catalogue.companies, "company_id", "company_name"),
        services=_choices(catalogue.services, "service_id", "service_name"),
        warnings=result.mapping_warnings,
    )


#: Per kind of card: the confirm button's class, the picker's, the pick button's, and the
#: picker's wording without a suggestion.
_CHOOSING = {
    "company": ("wb-confirm", "wb-company-choice", "wb-map-company", "Choose the company"),
    "service": ("wb-confirm-sku", "wb-service-choice", "wb-map-sku", "Choose the PSA service"),
}


def _choosing(
    kind: str,
    suggested: tuple[str, str] | None,
    choices: tuple[Choice, ...],
    map_to: Callable[[str, str], None],
) -> tuple[list[widgets.Widget], widgets.Dropdown, widgets.Button]:
    """A card's *Confirm suggestion* button (when there is a suggestion, ``(id, name)``), its
    picker of another company or service, and the button mapping to the one picked."""
    confirm_class, picker_class, pick_class, placeholder = _CHOOSING[kind]
    controls: list[widgets.Widget] = []
    if suggested is not None:
        suggested_id, suggested_name = suggested
        confirm = action_button("Confirm suggestion", confirm_class, "success")
        confirm.tooltip = f"Map to {suggested_name}"
        confirm.on_click(lambda _: map_to(suggested_id, suggested_name))
        controls.append(confirm)
        placeholder = f"Choose another {kind}"
    picker = _picker(f"{placeholder}\u2026", choices, picker_class)
    names = {choice.id: choice.name for choice in choices}
    pick = action_button(f"Map to this {kind}", pick_class)
    pick.on_click(lambda _: map_to(picker.value, names.get(picker.value, "")))
    return controls, picker, pick


def _spend(lines: pd.DataFrame) -> Decimal | None:
    priced = [value for value in lines["vendor_spend"] if value is not None]
    return total(priced) if priced else None


def _suggestion(
    name: str, suggested: tuple[str, float] | None, companies: list[tuple[str, str]]
) -> Suggestion | None:
    """The reconciliation's suggestion, with the reasons the matcher gives for it."""
    if suggested is None:
        return None
    company_id, score = suggested
    ranked = {each.company_id: each for each in suggest(name, companies, limit=5)}
    if company_id in ranked:
        return ranked[company_id]
    return Suggestion(company_id, dict(companies).get(company_id, company_id), score, ())


def _choices(frame: pd.DataFrame, id_column: str, name_column: str) -> tuple[Choice, ...]:
    pairs = [(str(i), str(n)) for i, n in zip(frame[id_column], frame[name_column], strict=True)]
    shared = Counter(name.casefold() for _, name in pairs)
    choices = [
        Choice(each_id, name, f"{name} (ID {each_id})" if shared[name.casefold()] > 1 else name)
        for each_id, name in pairs
    ]
    return tuple(sorted(choices, key=lambda choice: (choice.label.casefold(), choice.id)))


def _picker(placeholder: str, choices: tuple[Choice, ...], css_class: str) -> widgets.Dropdown:
    options = [(placeholder, ""), *((choice.label, choice.id) for choice in choices)]
    picker = widgets.Dropdown(options=options, value="").add_class(css_class)
    picker.layout.width = "300px"
    return picker


def _reason_box(placeholder: str, css_class: str) -> widgets.Text:
    box = widgets.Text(placeholder=placeholder).add_class(css_class)
    box.layout.width = "300px"
    return box


def _vendor_title(vendor: str) -> str:
    return VENDOR_TITLES.get(vendor, vendor)


class MappingReviewPanel:
    """The mapping review: one card per unmapped vendor customer or SKU, with its choices.

    A choice saves ``mappings.xlsx`` through :mod:`workbench.mapping_edits`, then calls
    ``refresh`` (which reconciles again and refills the whole page, this panel included) and
    says in plain words what changed. A problem is a message in the panel, never a traceback.

    Parameters
    ----------
    workbook
        The workspace's ``mappings.xlsx``.
    refresh
        Reconciles again; returns the unmapped lines now (None: the period cannot be shown).
    who
        Who a change is recorded as, asked at each click.
    login
        The page's login; None without logins. With one, only a mapper may change mappings.
    """

    def __init__(
        self,
        workbook: Path,
        refresh: Callable[[], int | None],
        who: Callable[[], str],
        login: Login | None = None,
    ) -> None:
        self.workbook = workbook
        self.refresh = refresh
        self.who = who
        self.login = login
        self.heading = widgets.HTML()
        self.message = widgets.HTML().add_class(REVIEW_MESSAGE_CLASS)
        self.warnings = widgets.HTML()
        self.cards = widgets.VBox().add_class("wb-review-cards")
        self.root = widgets.VBox([self.heading, self.warnings, self.message, self.cards]).add_class(
            REVIEW_CLASS
        )
        self.unmapped_lines = 0
        self.currency = "USD"

    def show(self, result: Reconciliation, review: MappingReview) -> None:
        self.unmapped_lines = len(result.unmapped)
        self.currency = result.currency
        to_do = len(review.customers) + len(review.skus)
        self.heading.value = section_html(
            "Mapping review",
            (
                f"{plural(len(review.customers), 'vendor customer')} and "
                f"{plural(len(review.skus), 'vendor SKU')} to map. Confirm the suggested PSA "
                "company, choose another, or exclude with a reason. Each choice is saved in "
                f"{self.workbook.name} (the previous version is kept in "
                f"{self.workbook.stem}{HISTORY_FOLDER_SUFFIX}) and the figures refresh."
            )
            if to_do
            else "",
            ""
            if to_do
            else '<p class="wb-empty">Every vendor customer and SKU used this period is mapped.</p>',
        )
        self.warnings.value = "".join(
            f'<div class="wb-banner wb-tone-warn {MAPPING_WARNING_CLASS}">'
            f"{html.escape(str(warning))}</div>"
            for warning in review.warnings
        )
        cards = [self._customer_card(each, review) for each in review.customers]
        cards += [self._sku_card(each, review) for each in review.skus]
        self._replace_cards(cards)

    def show_error(self, error: WorkbenchError) -> None:
        self.heading.value = section_html(
            "Mapping review",
            "",
            error_html(error, "Cannot list the PSA's companies and services."),
        )
        self.warnings.value = ""
        self._replace_cards([])

    def _replace_cards(self, cards: list[widgets.Widget]) -> None:
        old = self.cards.children
        self.cards.children = cards
        for card in old:
            close_all(card)

    def _customer_card(self, customer: CustomerToMap, review: MappingReview) -> widgets.Widget:
        vendor = _vendor_title(customer.vendor)
        usage = ", ".join(f"{name} \u00d7 {quantity:,}" for name, quantity in customer.usage)
        facts = DOT.join(
            [f"{vendor} customer ID {customer.customer_key}", usage, self._spend(customer.spend)]
        )
        who = (
            f'<div class="wb-review-who" data-vendor="{html.escape(customer.vendor)}" '
            f'data-customer-id="{html.escape(customer.customer_key)}">'
            f'<span class="wb-review-name">{html.escape(customer.customer_name)}</span> '
            f'<span class="wb-review-facts">{html.escape(facts)}</span></div>'
        )
        suggestion = customer.suggestion
        if suggestion is not None:
            reasons = "; ".join(suggestion.reasons)
            who += (
                '<div class="wb-review-suggestion">Suggested PSA company: '
                f"<strong>{html.escape(suggestion.company_name)}</strong> "
                f"(match score {suggestion.score:.0f} of 100"
                + (f"; {html.escape(reasons)}" if reasons else "")
                + ")</div>"
            )
        else:
            who += (
                '<div class="wb-review-suggestion wb-review-none">No PSA company name is close '
                "enough to suggest one: choose the company, or exclude this customer.</div>"
            )

        def map_to(company_id: str, company_name: str) -> None:
            self._apply(
                lambda who: map_customer(
                    self.workbook,
                    vendor=customer.vendor,
                    customer_id=customer.customer_key,
                    customer_name=customer.customer_name,
                    company_id=company_id,
                    company_name=company_name,
                    who=who,
                )
            )

        controls, company, pick = _choosing(
            "company",
            (suggestion.company_id, suggestion.company_name) if suggestion else None,
            review.companies,
            map_to,
        )
        reason = _reason_box("Reason to exclude, e.g. our own tenant", "wb-exclude-reason")
        exclude = action_button("Exclude", "wb-exclude", "warning")
        exclude.on_click(
            lambda _: self._apply(
                lambda who: exclude_customer(
                    self.workbook,
                    vendor=customer.vendor,
                    customer_id=customer.customer_key,
                    customer_name=customer.customer_name,
                    reason=reason.value,
                    who=who,
                )
            )
        )
        controls += [widgets.HBox([company, pick]), widgets.HBox([reason, exclude])]
        return (
            widgets.VBox([widgets.HTML(who), self._controls(controls)])
            .add_class("wb-review-card")
            .add_class("wb-review-customer")
        )

    def _sku_card(self, sku: SkuToMap, review: MappingReview) -> widgets.Widget:
        vendor = _vendor_title(sku.vendor)
        facts = DOT.join(
            [
                f"{vendor} SKU {sku.sku}",
                f"{sku.quantity:,} in use at {', '.join(sku.clients)}",
                self._spend(sku.spend),
            ]
        )
        who = (
            f'<div class="wb-review-who" data-vendor="{html.escape(sku.vendor)}" '
            f'data-sku="{html.escape(sku.sku)}">'
            f'<span class="wb-review-name">{html.escape(sku.sku_name or sku.sku)}</span> '
            f'<span class="wb-review-facts">{html.escape(facts)}</span></div>'
        )
        suggestion = sku.suggestion
        if suggestion is not None:
            who += (
                '<div class="wb-review-suggestion">Suggested PSA service: '
                f"<strong>{html.escape(suggestion.service_name)}</strong> "
                f"(match score {suggestion.score:.0f} of 100; "
                f"{html.escape('; '.join(suggestion.reasons))}). "
            )
        else:
            who += (
                '<div class="wb-review-suggestion wb-review-none">No PSA service is close enough '
                "to suggest one: choose the service it is billed as. "
            )
        who += (
            "The factor converts vendor units into service units: 1 for one to one, 0.01 "
            'for "per 100 GB".</div>'
        )
        factor = widgets.Text(value="1", description="Factor").add_class("wb-factor")
        factor.layout.width = "130px"
        factor.style.description_width = "45px"

        def map_to(service_id: str, service_name: str) -> None:
            self._apply(
                lambda who: map_sku(
                    self.workbook,
                    vendor=sku.vendor,
                    sku=sku.sku,
                    sku_name=sku.sku_name,
                    service_id=service_id,
                    service_name=service_name,
                    factor=factor.value,
                    who=who,
                )
            )

        controls, service, pick = _choosing(
            "service",
            (suggestion.service_id, suggestion.service_name) if suggestion else None,
            review.services,
            map_to,
        )
        reason = _reason_box("Reason to exclude, e.g. free SKU", "wb-sku-exclude-reason")
        exclude = action_button("Exclude", "wb-exclude-sku", "warning")
        exclude.on_click(
            lambda _: self._apply(
                lambda who: exclude_sku(
                    self.workbook,
                    vendor=sku.vendor,
                    sku=sku.sku,
                    sku_name=sku.sku_name,
                    reason=reason.value,
                    who=who,
                )
            )
        )
        controls += [widgets.HBox([service, factor, pick]), widgets.HBox([reason, exclude])]
        return (
            widgets.VBox([widgets.HTML(who), self._controls(controls)])
            .add_class("wb-review-card")
            .add_class("wb-review-sku")
        )

    @property
    def may_map(self) -> bool:
        """Without logins anyone at the page maps; with them, mappers only."""
        return self.login is None or self.login.may_map

    def _controls(self, controls: list[widgets.Widget]) -> widgets.HBox:
        box = widgets.HBox(controls).add_class("wb-review-controls")
        # A login without the mapper role reads the cards; its clicks would be refused anyway.
        box.layout.display = "" if self.may_map else "none"
        return box

    def _spend(self, spend: Decimal | None) -> str:
        if spend is None:
            return "no prices in the export"
        return f"vendor spend {format_money(spend, self.currency)} / month"

    def _apply(self, change: Callable[[str], SavedEdit]) -> None:
        """Save one change as the page's person, then refresh the page and say what changed."""
        if not self.may_map:
            assert self.login is not None
            self.message.value = banner_html(
                self.login.refusal("the mapping review", "change mappings", MAPPER),
                "bad",
                "Not saved.",
            )
            return
        who = self.who().strip()
        if not who:
            self.message.value = banner_html(
                "Write your name in Reviewer (in the review above): every change to the "
                "mappings says who made it.",
                "bad",
                "Not saved.",
            )
            return
        buttons = [
            widget
            for card in self.cards.children
            for widget in descendants(card)
            if isinstance(widget, widgets.Button)
        ]
        for button in buttons:
            button.disabled = True
        self.message.value = banner_html(f"Saving {self.workbook.name}\u2026", "neutral")
        try:
            saved = change(who)
        except Exception as error:  # a click must never end in a traceback on the page
            problem = (
                str(error)
                if isinstance(error, WorkbenchError)
                else f"Something went wrong ({type(error).__name__}: {error})."
            )
            self.message.value = banner_html(problem, "bad", "Not saved.")
            for button in buttons:
                button.disabled = False
            return
        before = self.unmapped_lines
        after = self.refresh()
        refreshed = (
            f" The figures are refreshed: {plural(after, 'vendor line')} still unmapped "
            f"({before} before)."
            if after is not None
            else ""
        )
        self.message.value = banner_html(saved.message + refreshed, "good")
