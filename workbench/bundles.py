"""Bundles: one contract line that stands for several vendor licences, per user or per device.

A bundle service ("Gold managed user", "Managed device bundle") is billed in bundle units. Its
definition lives in the mappings workbook, sheet ``Bundles``, one row per vendor SKU:

``driver`` rows
    The count anchor. The bundle units a client should be billed are the sum of its driver SKUs'
    counts, each times its *driver factor*: users licensed by chosen Microsoft 365 SKUs for a
    per-user bundle, devices of chosen classes in the RMM for a per-device bundle. Drivers are
    only counted: the same licences still feed any service they are mapped to, unless they are
    also listed as a component. A driver that feeds a service without being a component is
    reported by :attr:`~workbench.mapping.Mappings.warnings`: the client may pay for both, or
    the bundle include them, and only the mappings' author knows which.
``component`` rows
    What each bundle unit includes, *per bundle unit* (1 EDR agent, 1 security-awareness
    learner, 0.5 TB of backup...). Rows with the same component name are alternatives whose
    counts add up (EDR agents from Huntress or SentinelOne). The *rule* says how the count is
    checked against ``required = ceil(per bundle unit x bundle units the drivers stand for)``:

    ``exact``
        every required unit present, and no more: a shortfall is a *bundle gap* (bundles sold
        without the security seat); units beyond it are licences paid for but not in any bundle.
    ``at least``
        a shortfall is a gap; any more are covered by the bundle (a user with two devices
        under a per-user bundle that protects every device of the user).
    ``at most``
        units beyond the required ones are outside the bundle; fewer is fine (a kiosk shared by
        several users needs fewer user licences than the devices it is sold for).

A component consumes the vendor units it covers: they do not feed the SKU's stand-alone service
as well, so a bundle client is never asked to pay twice for the same licence. Units outside the
bundle go on to the SKU's stand-alone service (where the usual verdict applies: unbilled usage,
for example); if no service is mapped to the SKU, they are reported as *outside bundle* with
their cost when the row gives a unit cost.

Per-client terms live in sheet ``Bundle clients``: a minimum quantity (expected units are never
below it), a driver adjustment in units (three shared kiosks counted as devices but sold as one
seat: -2), and waived components (an exception agreed with the client, with its note). A bundle
applies to a client whose contract bills the bundle service or who has a row there. As for any
service, a bundle kept on the contract at 0 units is under-billed when its drivers count more,
and one with only a row there (no contract line) is unbilled usage.

All arithmetic is in whole vendor units and :class:`~fractions.Fraction` factors: nothing is
rounded but the final ``ceil`` to whole bundle units and whole required component units.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Literal

Part = Literal["driver", "component"]
Rule = Literal["exact", "at least", "at most"]
PARTS: tuple[Part, ...] = ("driver", "component")
RULES: tuple[Rule, ...] = ("exact", "at least", "at most")


@dataclass(frozen=True)
class BundleRow:
    """One row of the ``Bundles`` sheet, checked."""

    service_id: str
    service_name: str
    part: Part
    component: str
    vendor: str
    sku: str
    sku_name: str
    driver_factor: Fraction = Fraction(1)
    per_unit: Fraction = Fraction(1)
    rule: Rule = "exact"
    unit_cost: Decimal | None = None


@dataclass(frozen=True)
class BundleTerms:
    """One client's terms for one bundle (sheet ``Bundle clients``)."""

    company_id: str
    bundle_id: str
    minimum: int = 0
    driver_adjustment: int = 0
    waived: frozenset[str] = frozenset()  # component names, case-folded
    note: str = ""

    def waives(self, component: str) -> bool:
        return component.casefold() in self.waived


@dataclass(frozen=True)
class Driver:
    vendor: str
    sku: str
    sku_name: str
    factor: Fraction


@dataclass(frozen=True)
class Component:
    name: str
    skus: tuple[tuple[str, str, str], ...]  # (vendor, sku, sku name)
    per_unit: Fraction
    rule: Rule
    unit_cost: Decimal | None

    @property
    def vendors(self) -> set[str]:
        return {vendor for vendor, _, _ in self.skus}


@dataclass(frozen=True)
class Bundle:
    service_id: str
    service_name: str
    drivers: tuple[Driver, ...]
    components: tuple[Component, ...]

    @property
    def driver_vendors(self) -> set[str]:
        return {driver.vendor for driver in self.drivers}

    def skus(self) -> set[tuple[str, str]]:
        """Every (vendor, SKU) this bundle counts or includes."""
        drivers = {(d.vendor, d.sku) for d in self.drivers}
        return drivers | {(v, s) for c in self.components for v, s, _ in c.skus}


def bundles_from_rows(rows: Iterable[BundleRow]) -> dict[str, Bundle]:
    """Group checked sheet rows into bundles, keyed by service id, in first-seen order.

    Components keep the per-unit, rule and unit cost of their first row; the mappings reader
    refuses rows of one component that disagree.
    """
    drivers: dict[str, list[Driver]] = {}
    components: dict[str, dict[str, list[BundleRow]]] = {}
    names: dict[str, str] = {}
    for row in rows:
        names.setdefault(row.service_id, row.service_name)
        drivers.setdefault(row.service_id, [])
        components.setdefault(row.service_id, {})
        if row.part == "driver":
            drivers[row.service_id].append(
                Driver(row.vendor, row.sku, row.sku_name, row.driver_factor)
            )
        else:
            components[row.service_id].setdefault(row.component.casefold(), []).append(row)
    bundles = {}
    for service_id, name in names.items():
        parts = []
        for members in components[service_id].values():
            first = members[0]
            parts.append(
                Component(
                    name=first.component,
                    skus=tuple((m.vendor, m.sku, m.sku_name) for m in members),
                    per_unit=first.per_unit,
                    rule=first.rule,
                    unit_cost=first.unit_cost,
                )
            )
        bundles[service_id] = Bundle(service_id, name, tuple(drivers[service_id]), tuple(parts))
    return bundles


def driver_units(bundle: Bundle, counts: dict[tuple[str, str], int]) -> Fraction:
    """Bundle units the drivers stand for: sum of driver SKU counts times their factors."""
    return sum(
        (counts.get((d.vendor, d.sku), 0) * d.factor for d in bundle.drivers), start=Fraction(0)
    )


def included_units(units: Fraction, terms: BundleTerms | None) -> int:
    """Whole bundle units the drivers stand for: rounded up, adjusted. Components are checked
    against these: a minimum the client pays for brings no licences with it."""
    return max(math.ceil(units) + (terms.driver_adjustment if terms else 0), 0)


def expected_quantity(units: Fraction, terms: BundleTerms | None) -> int:
    """Whole bundle units to bill: :func:`included_units`, never below the client's minimum."""
    return max(included_units(units, terms), terms.minimum if terms else 0)


@dataclass(frozen=True)
class ComponentCheck:
    """How one component's vendor count compares with what the bundle units include.

    ``consumed`` units are covered by the bundle; ``short`` bundle units lack the component
    (a gap); ``surplus`` units are outside the bundle and go on to stand-alone services.
    """

    required: int
    available: int
    consumed: int
    short: int
    surplus: int


def check_component(component: Component, bundle_units: int, available: int) -> ComponentCheck:
    """Apply the component's rule; ``available`` is the client's vendor count not yet used."""
    required = math.ceil(component.per_unit * bundle_units)
    if component.rule == "at least":
        consumed = available
        short = max(required - available, 0)
    elif component.rule == "exact":
        consumed = min(available, required)
        short = required - consumed
    else:  # at most
        consumed = min(available, required)
        short = 0
    return ComponentCheck(
        required=required,
        available=available,
        consumed=consumed,
        short=short,
        surplus=available - consumed,
    )
