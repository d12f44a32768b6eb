"""The mapping review: each vendor customer and SKU nobody has mapped, with a way to map it.

:func:`mapping_review` lists them from a reconciliation and the PSA's catalogue, each customer
with the PSA company the reconciliation suggests (its score and why): the customers with a
suggestion first, most confident first, then the others, biggest vendor spend first; tests check
it without widgets. :class:`MappingReviewPanel` shows one card per customer or SKU, whose buttons
save ``mappings.xlsx`` through :mod:`workbench.mapping_edits`, which records who made each change.
Above the cards, every suggestion scoring at least a chosen minimum can be confirmed at once: the
panel first says how many customers that maps (and to which companies), and saves only when the
person confirms. With logins, only a login with the mapper role may change mappings; without
them, the person named in the review's *Reviewer*.
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
    CustomerChoice,
    SavedEdit,
    exclude_customer,
    exclude_sku,
    map_customer,
    map_customers,
    map_sku,
)
from workbench.matching import Suggestion
from workbench.money import ZERO, format_money, total
from workbench.result import Reconciliation, Status
from workbench.service_matching import ServiceSuggestion, suggest_services
from workbench.sources import Catalogue
from workbench.views import plural

#: CSS classes tests and stylesheets rely on.
REVIEW_CLASS = "wb-review"
REVIEW_MESSAGE_CLASS = "wb-review-message"
MAPPING_WARNING_CLASS = "wb-mapping-warning"
BULK_CLASS = "wb-map-bulk"

#: The minimum score the bulk confirmation starts at: suggestions as sure as they come.
BULK_MINIMUM = 100.0
#: The confirmation question names this many customers and their companies, then counts the rest.
_NAMED_IN_QUESTION = 8


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
    """The unmapped vendor customers and SKUs of a reconciliation.

    A customer's suggestion is the one the reconciliation made (``customer_matches``: by the
    identifiers it shares with mapped customers, else by name), with its score and reasons.
    Customers with a suggestion come first, highest score first, then those without; customers
    of one score, and SKUs, biggest vendor spend first. A SKU's suggestion is the closest PSA
    service by name and price (:func:`~workbench.service_matching.suggest_services`); ``mapped``
    are the mappings workbook's Services rows, whose SKU names also speak for their services.
    """
    unmapped = result.unmapped
    customer_lines = unmapped[unmapped["status"] == Status.UNMAPPED_CUSTOMER]
    suggested = {
        (str(vendor), str(key)): (str(company_id), float(score), str(reasons))
        for vendor, key, company_id, score, reasons in result.customer_matches[
            [
                "vendor",
                "customer_key",
                "suggested_company_id",
                "suggestion_score",
                "suggestion_reasons",
            ]
        ].itertuples(index=False)
        if company_id
    }
    names = dict(
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
                suggestion=_suggestion(suggested.get((str(vendor), str(key))), names),
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
        customers=tuple(sorted(customers, key=_by_confidence)),
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
    suggested: tuple[str, float, str] | None, companies: dict[str, str]
) -> Suggestion | None:
    """The reconciliation's suggestion, with its reasons."""
    if suggested is None:
        return None
    company_id, score, reasons = suggested
    return Suggestion(
        company_id,
        str(companies.get(company_id, company_id)),
        score,
        tuple(reasons.split("; ")) if reasons else (),
    )


def _by_confidence(customer: CustomerToMap) -> tuple[bool, float, Decimal, str]:
    """Suggested customers first, most confident first; then biggest spend, then by name."""
    score = customer.suggestion.score if customer.suggestion is not None else 0.0
    return (
        customer.suggestion is None,
        -score,
        -(customer.spend or ZERO),
        customer.customer_name.casefold(),
    )


def suggestions_at_least(review: MappingReview, minimum: float) -> list[CustomerToMap]:
    """The customers whose suggestion scores ``minimum`` or more, most confident first: what
    a bulk confirmation at that score maps."""
    return [
        customer
        for customer in review.customers
        if customer.suggestion is not None and customer.suggestion.score >= minimum
    ]


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
    Confirming the suggestions at or above a minimum score asks first (how many, which
    customers to which companies, as whom), and saves them as one change only on the answer.

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
        self.minimum = widgets.BoundedFloatText(
            value=BULK_MINIMUM, min=0, max=100, step=1, description="Minimum score"
        ).add_class("wb-map-bulk-minimum")
        self.minimum.style.description_width = "110px"
        self.minimum.layout.width = "190px"
        self.ask = action_button(
            "Confirm every suggestion at or above it\u2026", "wb-map-bulk-ask", "success"
        )
        self.counted = widgets.HTML().add_class("wb-map-bulk-count")
        self.question = widgets.HTML().add_class("wb-map-bulk-question")
        self.yes = action_button("", "wb-map-bulk-yes", "success")
        cancel = action_button("Cancel", "wb-map-bulk-cancel")
        self.confirmation = widgets.VBox(
            [self.question, widgets.HBox([self.yes, cancel]).add_class("wb-review-controls")]
        ).add_class("wb-map-bulk-confirmation")
        self.confirmation.layout.display = "none"
        self.bulk = widgets.VBox(
            [
                widgets.HBox([self.minimum, self.ask, self.counted]).add_class(
                    "wb-review-controls"
                ),
                self.confirmation,
            ]
        ).add_class(BULK_CLASS)
        self.root = widgets.VBox(
            [self.heading, self.warnings, self.message, self.bulk, self.cards]
        ).add_class(REVIEW_CLASS)
        self.unmapped_lines = 0
        self.currency = "USD"
        self.review = MappingReview((), (), (), ())
        self.asked: tuple[CustomerToMap, ...] = ()  # what the open question would confirm
        self.minimum.observe(lambda _: self._count(), names="value")
        self.ask.on_click(lambda _: self._ask())
        self.yes.on_click(lambda _: self._confirm_asked())
        cancel.on_click(lambda _: self._close_question())

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
        self.review = review
        self._close_question()
        suggested = any(customer.suggestion is not None for customer in review.customers)
        # A login without the mapper role reads the suggestions; its clicks would be refused.
        self.bulk.layout.display = "" if suggested and self.may_map else "none"
        self._count()

    def _count(self) -> None:
        """Say how many suggestions the minimum score takes, and close a question about another."""
        self._close_question()
        taken = suggestions_at_least(self.review, float(self.minimum.value))
        self.counted.value = (
            f'<span class="wb-review-facts">{plural(len(taken), "suggestion")} score '
            f"{self.minimum.value:g} or more</span>"
        )

    def _ask(self) -> None:
        """Ask before confirming every suggestion at or above the minimum score."""
        minimum = float(self.minimum.value)
        taken = suggestions_at_least(self.review, minimum)
        if self._refused():
            return
        if not taken:
            self.message.value = banner_html(
                f"No suggestion scores {minimum:g} or more: lower the minimum score.",
                "warn",
                "Nothing to confirm.",
            )
            return
        self.asked = tuple(taken)
        named = "".join(
            f"<li>{html.escape(each.customer_name)} ({html.escape(_vendor_title(each.vendor))}) "
            f"\u2192 <strong>{html.escape(each.suggestion.company_name)}</strong> "
            f"(score {each.suggestion.score:.0f})</li>"
            for each in taken[:_NAMED_IN_QUESTION]
            if each.suggestion is not None
        )
        more = len(taken) - _NAMED_IN_QUESTION
        who = self.who().strip()
        self.question.value = (
            '<div class="wb-banner wb-tone-warn">'
            f"<strong>Confirm {html.escape(plural(len(taken), 'suggestion'))} scoring "
            f"{minimum:g} or more?</strong> Each vendor customer below is mapped to its "
            f"suggested PSA company in {html.escape(self.workbook.name)}"
            + (f", recorded as {html.escape(who)}" if who else "")
            + f":<ul>{named}</ul>"
            + (f"and {plural(more, 'more customer')}." if more > 0 else "")
            + "</div>"
        )
        self.yes.description = f"Confirm {plural(len(taken), 'suggestion')}"
        self.confirmation.layout.display = ""

    def _confirm_asked(self) -> None:
        choices = [
            CustomerChoice(
                vendor=each.vendor,
                customer_id=each.customer_key,
                customer_name=each.customer_name,
                company_id=each.suggestion.company_id,
                company_name=each.suggestion.company_name,
            )
            for each in self.asked
            if each.suggestion is not None
        ]
        self._close_question()
        if choices:
            self._apply(lambda who: map_customers(self.workbook, choices, who=who))

    def _close_question(self) -> None:
        self.asked = ()
        self.confirmation.layout.display = "none"

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

    def _refused(self) -> bool:
        """Say so, and answer True, when the page's login may not change mappings."""
        if self.may_map:
            return False
        assert self.login is not None
        self.message.value = banner_html(
            self.login.refusal("the mapping review", "change mappings", MAPPER),
            "bad",
            "Not saved.",
        )
        return True

    def _apply(self, change: Callable[[str], SavedEdit]) -> None:
        """Save one change as the page's person, then refresh the page and say what changed."""
        if self._refused():
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
            for part in (self.bulk, *self.cards.children)
            for widget in descendants(part)
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
