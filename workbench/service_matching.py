"""Service suggestions: which PSA service an unmapped vendor SKU is probably billed as.

A vendor SKU no Services row maps is listed in the mapping review for a person to map.
:func:`suggest_services` ranks the PSA's services for it, for that person to confirm (never
applied on its own), from two kinds of evidence, each given as a reason:

* **Name** (0 to 100): the SKU's name against the service's name and against the names of the
  SKUs already billed as that service (a monthly SKU's annual twin is named like it). Names are
  reduced to words, without billing words ("per user", "annual", "NCE", "licence") and with
  the usual shortenings spelled out ("M365", "Std"). The score is a weighted Dice: twice the
  weight of the words both names share over the weight of all their words, a word weighing
  more the fewer services and SKUs carry it ("Keeper" says more than "Business"). Two names
  that each carry an edition the other lacks ("Basic" against "Premium", "Plan 1" against
  "Plan 2", "E3" against "E5") are different products: the name scores nothing.
* **Price**, where the SKU's unit cost (vendor spend over quantity) and the service's prices
  are known. A service whose unit cost (what the PSA records the MSP pays) is within 10% of the
  SKU's unit cost gains 15; else a unit price 1 to 3 times the SKU's unit cost (a usual markup)
  gains 5, one under 0.9 times it (sold below cost) loses 20 and one over 6 times it loses 10.
  Price alone never suggests: many services cost alike.
* **Vendor**: a service other SKUs of the same vendor are billed as gains 5.

The score is capped at 100.

A service is suggested when its name scores at least :data:`NAME_FLOOR` and name and price
together at least :data:`DEFAULT_THRESHOLD`. The factor (vendor units per service unit) is for
the person to set: a SKU counted in GB billed "per 100 GB" shows as a price far off.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from rapidfuzz import fuzz

from workbench.mapping import ServiceMapping
from workbench.matching import without_accents
from workbench.money import to_cents

__all__ = [
    "DEFAULT_THRESHOLD",
    "EDITION_WORDS",
    "NAME_FLOOR",
    "ServiceSuggestion",
    "suggest_services",
]

#: Name and price together must reach this for a service to be suggested.
DEFAULT_THRESHOLD = 60.0
#: The name alone must reach this: price says which of a few named alike, not which at all.
NAME_FLOOR = 40.0

#: Words naming an edition or tier of one product: two names each carrying one the other
#: lacks are different products. Numbers count too ("Plan 1", "S5-2").
EDITION_WORDS: frozenset[str] = frozenset(
    {
        "basic", "standard", "premium", "business", "enterprise", "essentials", "essential",
        "advanced", "pro", "plus", "professional", "starter", "lite", "light", "ultimate",
        "complete", "core", "elite", "e1", "e3", "e5", "f1", "f3", "a1", "a3", "a5", "p1",
        "p2", "frontline", "kiosk", "home", "personal", "family", "team", "teams", "free",
    }
)  # fmt: skip

#: Words that say how a SKU is billed or counted, not what it is.
_BILLING_WORDS = frozenset(
    {
        "per", "user", "users", "seat", "seats", "month", "monthly", "mo", "annual", "annually",
        "yearly", "year", "yr", "years", "licence", "license", "licences", "licenses",
        "subscription", "nce", "commitment", "term", "paid", "billed", "billing", "the", "a",
        "for", "with", "of", "and", "each", "unit", "units", "count", "devices", "device",
        "new", "commerce", "legacy", "trial",
    }
)  # fmt: skip
#: Shortenings spelled out before names are compared.
_SPELLED_OUT = {
    "m365": "microsoft 365",
    "o365": "office 365",
    "ms": "microsoft",
    "msft": "microsoft",
    "bus": "business",
    "biz": "business",
    "prem": "premium",
    "std": "standard",
    "ent": "enterprise",
    "ess": "essentials",
    "adv": "advanced",
    "mgd": "managed",
    "mgmt": "management",
    "pwd": "password",
    "pw": "password",
    "av": "antivirus",
    "bkp": "backup",
    "svc": "service",
    "svcs": "services",
    "ws": "workstation",
    "srv": "server",
}
_WORD = re.compile(r"[a-z0-9]+")
#: Two words of five letters or more this alike ("licences"/"licenses" aside) are one word.
_WORD_MATCH = 88.0
#: Price evidence, and a service the vendor's other SKUs are billed as, in score points.
_SAME_COST, _USUAL_MARKUP, _BELOW_COST, _FAR_ABOVE = 15.0, 5.0, -20.0, -10.0
_SAME_VENDOR = 5.0
_COST_MARGIN = Decimal("0.10")


@dataclass(frozen=True)
class ServiceSuggestion:
    """A PSA service that a vendor SKU may be billed as, for a person to confirm.

    Attributes
    ----------
    service_id, service_name
        The PSA service suggested.
    score
        Name and price evidence together, 0 to 100 (see the module docstring).
    reasons
        What the name and the prices say, in words a person can check.
    """

    service_id: str
    service_name: str
    score: float
    reasons: tuple[str, ...]


def suggest_services(
    sku_name: str,
    services: pd.DataFrame,
    *,
    vendor: str = "",
    spend: Decimal | None = None,
    quantity: int = 0,
    mapped: Sequence[ServiceMapping] = (),
    limit: int = 3,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[ServiceSuggestion]:
    """Rank the PSA services an unmapped vendor SKU may be billed as.

    Parameters
    ----------
    sku_name
        The vendor's name of the SKU ("Microsoft 365 Business Premium (annual)").
    services
        The PSA catalogue's services: ``service_id, service_name`` and, when known,
        ``unit_price, unit_cost`` (Decimal, or None).
    vendor
        The SKU's vendor key (``microsoft``): services its other SKUs are billed as say so.
    spend, quantity
        What the SKU cost this period and how many units: the SKU's unit cost is their ratio.
        No spend (the export gives no prices) or no quantity: prices are not compared.
    mapped
        The mappings workbook's Services rows: SKUs already billed as a service lend it their
        names. Excluded rows and rows naming no service are ignored.
    limit
        At most this many suggestions.
    threshold
        Only services scoring at least this (and :data:`NAME_FLOOR` on the name) are suggested.

    Returns
    -------
    list of ServiceSuggestion
        Best first; equal scores in service-name order.
    """
    sku_words = _words(sku_name)
    if not sku_words:
        return []
    known_names: dict[str, list[str]] = {}
    vendor_services: set[str] = set()
    for mapping in mapped:
        if mapping.service_id and not mapping.exclude_reason:
            if mapping.sku_name:
                known_names.setdefault(mapping.service_id, []).append(mapping.sku_name)
            if vendor and mapping.vendor == vendor:
                vendor_services.add(mapping.service_id)
    rows = services.to_dict("records")
    weights = _weights(
        [_words(str(row["service_name"])) for row in rows]
        + [_words(name) for names in known_names.values() for name in names]
        + [sku_words]
    )
    unit_cost = spend / quantity if spend is not None and quantity else None
    ranked = []
    for row in rows:
        service_id, service_name = str(row["service_id"]), str(row["service_name"])
        score, reasons = _name_score(sku_words, service_name, weights)
        for known in known_names.get(service_id, []):
            known_score, known_reasons = _name_score(sku_words, known, weights)
            if known_score > score:
                score = known_score
                reasons = [f"{known_reasons[0]}, a SKU already billed as this service"]
                reasons += known_reasons[1:]
        if score < NAME_FLOOR:
            continue
        points, price_reason = _price_evidence(
            unit_cost, _price(row.get("unit_price")), _price(row.get("unit_cost"))
        )
        score += points
        reasons.append(price_reason)
        if service_id in vendor_services:
            score += _SAME_VENDOR
            reasons.append("other SKUs of this vendor are billed as this service")
        if score >= threshold:
            ranked.append(
                ServiceSuggestion(
                    service_id, service_name, round(min(score, 100.0), 1), tuple(reasons)
                )
            )
    ranked.sort(key=lambda s: (-s.score, s.service_name.casefold(), s.service_id))
    return ranked[:limit]


def _words(name: str) -> list[str]:
    """A SKU or service name as the words that say what it is."""
    plain = without_accents(name.casefold().replace("&", " and "))
    words = []
    for word in _WORD.findall(plain):
        words += _SPELLED_OUT.get(word, word).split()
    return [word for word in words if word not in _BILLING_WORDS]


def _weights(names: list[list[str]]) -> dict[str, float]:
    counts = Counter(word for words in names for word in set(words))
    return {word: math.log((len(names) + 1) / count) + 0.5 for word, count in counts.items()}


def _name_score(
    sku_words: list[str], other_name: str, weights: dict[str, float]
) -> tuple[float, list[str]]:
    other = _words(other_name)
    shared = [word for word in sku_words if any(_same_word(word, each) for each in other)]
    sku_only = [word for word in sku_words if word not in shared]
    other_only = [word for word in other if not any(_same_word(word, each) for each in shared)]
    editions = (_editions(sku_only), _editions(other_only))
    if editions[0] and editions[1]:
        return 0.0, [
            f"another edition: {' '.join(editions[0])!r} against {' '.join(editions[1])!r}"
        ]
    total = sum(weights.get(w, 1.0) for w in sku_words) + sum(weights.get(w, 1.0) for w in other)
    score = 100 * 2 * sum(weights.get(w, 1.0) for w in shared) / total if total else 0.0
    reasons = [f"named like {other_name!r} (name score {score:.0f})"]
    if shared:
        reasons.append(f"shares {' '.join(dict.fromkeys(shared))!r}")
    return score, reasons


def _same_word(word: str, other: str) -> bool:
    if word == other:
        return True
    if any(char.isdigit() for char in word + other) or min(len(word), len(other)) < 5:
        return False
    return fuzz.ratio(word, other) >= _WORD_MATCH


def _editions(words: list[str]) -> list[str]:
    return [w for w in words if w in EDITION_WORDS or any(char.isdigit() for char in w)]


def _price(value: object) -> Decimal | None:
    if isinstance(value, Decimal) and value.is_finite() and value > 0:
        return value
    return None


def _price_evidence(
    unit_cost: Decimal | None, service_price: Decimal | None, service_cost: Decimal | None
) -> tuple[float, str]:
    """Points and the reason the SKU's unit cost gives a service, against its prices."""
    if unit_cost is None or unit_cost <= 0:
        return 0.0, "no unit cost for the SKU, so prices were not compared"
    cost = to_cents(unit_cost)
    if service_cost is not None and abs(unit_cost - service_cost) <= _COST_MARGIN * service_cost:
        return _SAME_COST, f"SKU unit cost {cost} is the service's unit cost {service_cost}"
    if service_price is None:
        return 0.0, "the service has no unit price to compare"
    ratio = service_price / unit_cost
    said = f"unit price {service_price} is {ratio:.2f} times the SKU unit cost {cost}"
    if ratio < Decimal("0.9"):
        return _BELOW_COST, f"{said}: sold below cost"
    if ratio > 6:
        return _FAR_ABOVE, f"{said}: far above a usual markup (or another factor)"
    if 1 <= ratio <= 3:
        return _USUAL_MARKUP, f"{said}: a usual markup"
    return 0.0, said
