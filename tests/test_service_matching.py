"""Service suggestions for unmapped vendor SKUs, on the demo MSP's catalogue.

The catalogue is the demo's 16 PSA services (``demodata.msp.SERVICES``: names, unit prices and
unit costs) and the mappings are its Services rows (every vendor SKU the demo bills, e.g.
"Keeper Business" as "Password manager (Keeper)"). Known outcomes:

* an annual twin of a mapped SKU, or a service named like the SKU, is suggested at 100 with
  its name, its matching unit cost and its vendor as reasons;
* another edition of a billed product ("Business Basic", "Plan 2", "E5") and the demo's
  unmapped "Power BI Pro" get no suggestion;
* of two backup services named alike, the one whose unit cost is the SKU's wins, and the
  other is told "far above a usual markup (or another factor)" or "sold below cost".
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from demodata.msp import SERVICES
from workbench.mapping import ServiceMapping
from workbench.service_matching import ServiceSuggestion, suggest_services

CATALOGUE = pd.DataFrame(
    [
        {
            "service_id": service.service_id,
            "service_name": service.name,
            "unit_price": service.price,
            "unit_cost": service.cost,
        }
        for service in SERVICES.values()
    ]
)
MAPPED = tuple(
    ServiceMapping(service.vendor, sku, sku_name, service.service_id, service.name)
    for service in SERVICES.values()
    for sku, sku_name in service.skus
)
BACKUP = pd.DataFrame(
    [
        {
            "service_id": "B1",
            "service_name": "Cloud backup (per GB)",
            "unit_price": Decimal("0.12"),
            "unit_cost": Decimal("0.06"),
        },
        {
            "service_id": "B2",
            "service_name": "Cloud backup (per 100 GB)",
            "unit_price": Decimal("12.00"),
            "unit_cost": Decimal("6.00"),
        },
    ]
)


def test_a_sku_named_like_a_service_costing_the_same_is_suggested() -> None:
    assert suggest_services(
        "Microsoft 365 Business Premium (annual)",
        CATALOGUE,
        vendor="microsoft",
        spend=Decimal("264.00"),
        quantity=12,
        mapped=MAPPED,
    ) == [
        ServiceSuggestion(
            "29683404",
            "Microsoft 365 Business Premium",
            100.0,
            (
                "named like 'Microsoft 365 Business Premium' (name score 100)",
                "shares 'microsoft 365 business premium'",
                "SKU unit cost 22.00 is the service's unit cost 22.00",
                "other SKUs of this vendor are billed as this service",
            ),
        )
    ]


def test_a_mapped_sku_lends_its_name_to_its_service() -> None:
    def keeper(mapped: tuple[ServiceMapping, ...]) -> list[ServiceSuggestion]:
        return suggest_services(
            "Keeper Business (annual)",
            CATALOGUE,
            vendor="pax8",
            spend=Decimal("30.00"),
            quantity=10,
            mapped=mapped,
        )

    assert keeper(MAPPED) == [
        ServiceSuggestion(
            "29683413",
            "Password manager (Keeper)",
            100.0,
            (
                "named like 'Keeper Business' (name score 100), a SKU already billed as this"
                " service",
                "shares 'keeper business'",
                "SKU unit cost 3.00 is the service's unit cost 3.00",
                "other SKUs of this vendor are billed as this service",
            ),
        )
    ]
    # Without the mapped SKU the service's own name is too unlike.
    assert keeper(()) == []


@pytest.mark.parametrize(
    "sku_name",
    [
        "Microsoft 365 Business Basic",
        "Exchange Online (Plan 2)",
        "Office 365 E5",
        "Power BI Pro",  # the demo's unmapped SKU: no service sells it
    ],
)
def test_another_edition_or_product_gets_no_suggestion(sku_name: str) -> None:
    assert (
        suggest_services(
            sku_name,
            CATALOGUE,
            vendor="microsoft",
            spend=Decimal("100.00"),
            quantity=10,
            mapped=MAPPED,
            threshold=0,
        )
        == []
    )


def test_the_unit_cost_tells_two_services_named_alike_apart() -> None:
    per_gb = suggest_services(
        "Acronis Cloud Backup storage (GB)",
        BACKUP,
        spend=Decimal("30.00"),
        quantity=500,
        threshold=0,
    )
    assert [(s.service_id, s.score) for s in per_gb] == [("B1", 70.6), ("B2", 35.5)]
    assert per_gb[0].reasons[-1] == "SKU unit cost 0.06 is the service's unit cost 0.06"
    assert per_gb[1].reasons[-1] == (
        "unit price 12.00 is 200.00 times the SKU unit cost 0.06: far above a usual markup"
        " (or another factor)"
    )
    per_100_gb = suggest_services(
        "Acronis Cloud Backup storage (GB)",
        BACKUP,
        spend=Decimal("3000.00"),
        quantity=500,
        threshold=0,
    )
    assert [(s.service_id, s.score) for s in per_100_gb] == [("B2", 60.5), ("B1", 35.6)]
    assert per_100_gb[1].reasons[-1] == (
        "unit price 0.12 is 0.02 times the SKU unit cost 6.00: sold below cost"
    )
    # At the default threshold only the service costing what the SKU costs is suggested.
    assert [
        s.service_id
        for s in suggest_services(
            "Acronis Cloud Backup storage (GB)", BACKUP, spend=Decimal("30.00"), quantity=500
        )
    ] == ["B1"]


def test_without_prices_the_name_decides() -> None:
    no_spend = suggest_services("Acronis Cloud Backup storage (GB)", BACKUP, threshold=0)
    assert [(s.service_id, s.score) for s in no_spend] == [("B1", 55.6), ("B2", 45.5)]
    assert no_spend[0].reasons[-1] == "no unit cost for the SKU, so prices were not compared"
    # A catalogue read without prices (only ids and names) is fine too.
    names_only = CATALOGUE[["service_id", "service_name"]]
    assert [
        (s.service_name, s.score, s.reasons[-1])
        for s in suggest_services(
            "Security Awareness Training", names_only, spend=Decimal("15.00"), quantity=10
        )
    ] == [("Security awareness training", 100.0, "the service has no unit price to compare")]
    assert suggest_services("Managed workstation", CATALOGUE.iloc[0:0]) == []
    assert suggest_services("(annual)", CATALOGUE) == []
