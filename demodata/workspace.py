"""The demo workspace: the demo MSP's month written as the systems export it.

:func:`write_demo_workspace` writes ``workspace.toml``, the month's Autotask API exports, the
vendors' exports (Partner Center, Datto RMM, Huntress, Acronis, Datto BCDR, Pax8, a legacy
Partner Center file, SentinelOne read through a profile), ``mappings.xlsx`` and
``ground_truth.json``. :class:`DemoWriter`'s own random stream draws what a real export varies
(ids, dates, devices' last contact), so the files are the same on every run.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

from demodata.layouts import (
    ACRONIS_HEADER,
    BCDR_HEADER,
    HUNTRESS_HEADER,
    LEGACY_HEADER,
    MS_HEADER,
    PAX8_ITEMS_HEADER,
    RMM_HEADER,
    SENTINELONE_HEADER,
    iso_text,
    mdy_text,
    money_text,
    write_csv,
)
from demodata.msp import (
    ALIAS_ROWS,
    BACKUP_GB,
    CANCEL_DAY,
    EXPIRED_SITE,
    GOLD_MINIMUM_EXTRA,
    GOLD_TERMS_CLIENT,
    INTERNAL_TENANT_NAME,
    KEEPER_ADDED,
    KEEPER_ADDED_DAY,
    KEEPER_ADDED_SEATS,
    KEEPER_ANNUAL_CLIENT,
    KEEPER_ANNUAL_SKU,
    LEGACY_CLIENT,
    LEGACY_E3,
    LEGACY_SEATS,
    MAPPING_VENDOR_NAMES,
    MORE_SERVICE_ROWS,
    MS_POWER_BI,
    MSP_NAME,
    NEW_SITE_NAME,
    NEW_TENANT_NAME,
    PERIOD,
    RENAMED_FROM,
    RENAMED_TO,
    SEAT_DECREASE_DAY,
    SEAT_INCREASE_DAY,
    SEED,
    SENTINELONE_CLIENTS,
    SENTINELONE_PROFILE,
    SERVICES,
    TENANT_LINKED_AGENTS,
    TENANT_LINKED_CLIENT,
    TENANT_LINKED_ORG,
    TENANT_LINKED_ORG_ID,
    VENDOR_NAMES,
    WAIVER_NOTE,
    DemoBuilder,
    bundle_rows,
    demo_msp,
)
from workbench.fetch import autotask as autotask_layout
from workbench.mapping import mappings_book


class DemoWriter:
    def __init__(self, builder: DemoBuilder, root: Path) -> None:
        self.b = builder
        self.root = root
        self.inputs = root / "periods" / builder.period / "inputs"
        self.rng = random.Random(SEED + 1)

    def write(self) -> None:
        (self.root / "workspace.toml").write_text(
            f'[workspace]\nname = "{MSP_NAME}"\ncurrency = "USD"\n', encoding="utf-8"
        )
        self._autotask()
        self._microsoft()
        self._rmm()
        self._huntress()
        self._more_vendors()
        self._mappings()
        truth = self.b.truth
        (self.root / "periods" / self.b.period / "ground_truth.json").write_text(
            json.dumps(truth, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )

    # Autotask --------------------------------------------------------------------------------
    def _autotask(self) -> None:
        b = self.b
        folder = self.inputs / "autotask"
        companies, contracts, contract_services, units = [], [], [], []
        ids = iter(range(1_000_001, 9_000_000, 3))
        for client in b.clients:
            companies.append(
                {
                    "id": client.company_id,
                    "companyName": client.name,
                    "companyNumber": f"C{client.company_id[-4:]}",
                    "companyType": "1",
                    "isActive": "True",
                    "parentCompanyID": "",
                }
            )
            contract_id = str(next(ids))
            contracts.append(
                {"id": contract_id, "companyID": client.company_id, "contractName": f"{client.name} - Managed Services", "contractNumber": f"MS-{contract_id[-5:]}",
                 "contractType": "7", "status": "1", "startDate": iso_text(date(2025, 1, 1)), "endDate": iso_text(date(2027, 12, 31)), "contractPeriodType": "m", "billingPreference": "1"}
            )  # fmt: skip
            for key in sorted(client.billed):
                service = SERVICES[key]
                contract_service_id = str(next(ids))
                adjusted = (
                    "135.00" if (client.name, key) == ("Foxglove Architects", "server") else ""
                )
                contract_services.append(
                    {"id": contract_service_id, "contractID": contract_id, "serviceID": service.service_id, "unitPrice": money_text(service.price), "unitCost": money_text(service.cost),
                     "adjustedPrice": adjusted, "internalCurrencyUnitPrice": money_text(service.price), "internalCurrencyAdjustedPrice": adjusted,
                     "invoiceDescription": service.name, "internalDescription": "", "quoteItemID": "", "isOptional": "False"}
                )  # fmt: skip
                unit_row = {"contractID": contract_id, "contractServiceID": contract_service_id, "serviceID": service.service_id, "cost": "", "internalCurrencyPrice": "",
                            "approveAndPostDate": "", "organizationalLevelAssociationID": "", "vendorCompanyID": ""}  # fmt: skip
                price = Decimal(adjusted) if adjusted else service.price
                billed = client.billed[key]
                units.append(
                    {
                        **unit_row,
                        "id": str(next(ids)),
                        "startDate": iso_text(b.start),
                        "endDate": iso_text(b.end),
                        "units": str(billed),
                        "price": money_text(price * billed),
                        "cost": money_text(service.cost * billed),
                    }
                )
                if client.name in (
                    "Dunmore Accounting",
                    "Oakline Property Management",
                    "Zephyr Travel",
                ):
                    previous_end = b.start - timedelta(days=1)
                    units.append(
                        {
                            **unit_row,
                            "id": str(next(ids)),
                            "startDate": iso_text(previous_end.replace(day=1)),
                            "endDate": iso_text(previous_end),
                            "units": str(billed),
                            "price": money_text(price * billed),
                            "approveAndPostDate": iso_text(b.start),
                        }
                    )
            if client.name == "Maple Street Bakery":
                old_contract = str(next(ids))
                contracts.append(
                    {"id": old_contract, "companyID": client.company_id, "contractName": f"{client.name} - Legacy Support", "contractNumber": f"LS-{old_contract[-5:]}",
                     "contractType": "7", "status": "0", "startDate": iso_text(date(2023, 1, 1)), "endDate": iso_text(date(2027, 12, 31)), "contractPeriodType": "m", "billingPreference": "1"}
                )  # fmt: skip
                old_service = str(next(ids))
                service = SERVICES["workstation"]
                contract_services.append(
                    {
                        "id": old_service,
                        "contractID": old_contract,
                        "serviceID": service.service_id,
                        "unitPrice": "40.00",
                        "unitCost": "12.00",
                        "adjustedPrice": "",
                        "invoiceDescription": service.name,
                        "isOptional": "False",
                    }
                )
                units.append(
                    {
                        "id": str(next(ids)),
                        "contractID": old_contract,
                        "contractServiceID": old_service,
                        "serviceID": service.service_id,
                        "startDate": iso_text(b.start),
                        "endDate": iso_text(b.end),
                        "units": "10",
                        "price": "400.00",
                    }
                )
        services = [
            {"id": s.service_id, "name": s.name, "description": s.name, "invoiceDescription": s.name, "unitPrice": money_text(s.price), "unitCost": money_text(s.cost), "periodType": "m", "isActive": "True"}
            for s in SERVICES.values()
        ]  # fmt: skip
        # The columns Autotask's REST API gives, as `workbench fetch` writes them.
        for name, columns, rows in (
            ("Companies.csv", autotask_layout.COMPANIES, companies),
            ("Contracts.csv", autotask_layout.CONTRACTS, contracts),
            ("Services.csv", autotask_layout.SERVICES, services),
            ("ContractServices.csv", autotask_layout.CONTRACT_SERVICES, contract_services),
            ("ContractServiceUnits.csv", autotask_layout.CONTRACT_SERVICE_UNITS, units),
        ):
            write_csv(folder / name, list(columns), rows)

    # Microsoft -------------------------------------------------------------------------------
    def ms_row(
        self,
        tenant: str,
        customer: str,
        sku: tuple[str, str],
        charge: str,
        seats: int,
        cost: Decimal,
        subscription: str,
        start: date,
        direction: int = 1,
    ) -> dict[str, Any]:
        b = self.b
        days = (b.end - start).days + 1
        full = (b.end - b.start).days + 1
        effective = (cost * days / full).quantize(Decimal("0.0001")) if days != full else cost
        line = effective.quantize(Decimal("0.01"), rounding=ROUND_DOWN) * seats * direction
        product_id, sku_id = sku[0].split(":")
        casing = charge if self.rng.random() < 0.7 else charge[0].upper() + charge[1:]
        return {
            "PartnerId": "8f1c2d3e-0000-4a5b-9c6d-0e1f2a3b4c5d", "CustomerId": tenant, "CustomerName": customer,
            "CustomerDomainName": f"{''.join(ch for ch in customer.lower() if ch.isalnum())[:20]}.onmicrosoft.com", "CustomerCountry": "US",
            "InvoiceNumber": "G052637185", "MpnId": "6543210", "Tier2MpnId": "", "OrderId": subscription[:8].upper(), "OrderDate": mdy_text(start),
            "ProductId": product_id, "SkuId": sku_id, "AvailabilityId": "CFQ7TTC0K5DM", "SkuName": sku[1], "ProductName": sku[1],
            "ChargeType": casing, "UnitPrice": money_text(cost), "Quantity": str(seats), "Subtotal": money_text(line), "TaxTotal": "0.00", "Total": money_text(line),
            "Currency": "USD", "PriceAdjustmentDescription": "", "PublisherName": "Microsoft Corporation", "PublisherId": "",
            "SubscriptionDescription": sku[1], "SubscriptionId": subscription, "ChargeStartDate": mdy_text(start), "ChargeEndDate": mdy_text(b.end),
            "TermAndBillingCycle": "One-Year commitment for monthly/yearly billing", "EffectiveUnitPrice": f"{effective:.4f}", "UnitType": "Licenses",
            "AlternateId": subscription[-12:], "BillableQuantity": str(seats), "BillingFrequency": "Monthly", "PricingCurrency": "USD",
            "PCToBCExchangeRate": "1", "PCToBCExchangeRateDate": mdy_text(b.start), "MeterDescription": "", "ReservationOrderId": "", "CreditReasonCode": "",
            "SubscriptionStartDate": "1/1/2026", "SubscriptionEndDate": "12/31/2026", "ReferenceId": "", "ProductQualifiers": "", "PromotionId": "", "ProductCategory": "Productivity",
        }  # fmt: skip

    def _microsoft(self) -> None:
        b = self.b
        rows: list[dict[str, Any]] = []
        for client in b.clients:
            customer = RENAMED_TO if client.name == "Granite State Roofing" else client.name
            for key in ("premium", "standard", "exchange"):
                service = SERVICES[key]
                sku = service.skus[0]
                used = client.vendor_count(key)
                billed_before = client.billed.get(key, 0)
                if used == 0 and billed_before == 0:
                    continue
                subscription = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
                args = (client.tenant, customer, sku)
                if client.name == "Acme Dental Group" and key == client.m365:
                    day = b.start.replace(day=SEAT_INCREASE_DAY)
                    rows.append(
                        self.ms_row(
                            *args, "cycleCharge", used - 2, service.cost, subscription, b.start
                        )
                    )
                    rows.append(
                        self.ms_row(
                            *args,
                            "addQuantity",
                            used - 2,
                            service.cost,
                            subscription,
                            day,
                            direction=-1,
                        )
                    )
                    rows.append(
                        self.ms_row(*args, "addQuantity", used, service.cost, subscription, day)
                    )
                elif client.name == "Ironwood Manufacturing" and key == client.m365:
                    day = b.start.replace(day=SEAT_DECREASE_DAY)
                    rows.append(
                        self.ms_row(
                            *args, "cycleCharge", used + 3, service.cost, subscription, b.start
                        )
                    )
                    rows.append(
                        self.ms_row(
                            *args,
                            "removeQuantity",
                            used + 3,
                            service.cost,
                            subscription,
                            day,
                            direction=-1,
                        )
                    )
                    rows.append(
                        self.ms_row(*args, "removeQuantity", used, service.cost, subscription, day)
                    )
                elif client.name == "Dunmore Accounting" and key == "exchange":
                    rows.append(
                        self.ms_row(
                            *args, "cycleCharge", billed_before, service.cost, subscription, b.start
                        )
                    )
                    rows.append(
                        self.ms_row(
                            *args,
                            "cancelImmediate",
                            billed_before,
                            service.cost,
                            subscription,
                            b.start.replace(day=CANCEL_DAY),
                            direction=-1,
                        )
                    )
                else:
                    rows.append(
                        self.ms_row(*args, "cycleCharge", used, service.cost, subscription, b.start)
                    )
            if client.name == "Evergreen Family Law":
                rows.append(
                    self.ms_row(
                        client.tenant,
                        customer,
                        MS_POWER_BI,
                        "new",
                        3,
                        Decimal("12.00"),
                        self.random_uuid(),
                        b.start,
                    )
                )
                b.truth["unmapped_skus"].append(
                    {
                        "company_id": client.company_id,
                        "vendor": "microsoft",
                        "sku": MS_POWER_BI[0],
                        "quantity": 3,
                        "vendor_spend": "36.00",
                    }
                )
            if client.name == "Keystone Title & Escrow":
                trial = self.ms_row(
                    client.tenant,
                    customer,
                    SERVICES["premium"].skus[0],
                    "new",
                    25,
                    Decimal("0"),
                    self.random_uuid(),
                    b.start,
                )
                rows.append(
                    {
                        **trial,
                        "PromotionId": "39NFJQT1Q5KG:0001",
                        "TermAndBillingCycle": "One-Month trial",
                    }
                )
                credit = self.ms_row(
                    client.tenant,
                    customer,
                    SERVICES[client.m365].skus[0],
                    "customerCredit",
                    1,
                    Decimal("10.00"),
                    self.random_uuid(),
                    b.start,
                    direction=-1,
                )
                rows.append({**credit, "CreditReasonCode": "Service outage credit"})
        new_tenant = self.random_uuid()
        premium = SERVICES["premium"]
        rows.append(
            self.ms_row(
                new_tenant,
                NEW_TENANT_NAME,
                premium.skus[0],
                "new",
                8,
                premium.cost,
                self.random_uuid(),
                b.start,
            )
        )
        b.truth["unmapped_customers"].append(
            {
                "vendor": "microsoft",
                "customer_key": new_tenant,
                "sku": premium.skus[0][0],
                "quantity": 8,
                "vendor_spend": money_text(premium.cost * 8),
            }
        )
        self.internal_tenant = self.random_uuid()
        rows.append(
            self.ms_row(
                self.internal_tenant,
                INTERNAL_TENANT_NAME,
                premium.skus[0],
                "cycleCharge",
                12,
                premium.cost,
                self.random_uuid(),
                b.start,
            )
        )
        self.rng.shuffle(rows)
        self.new_tenant = new_tenant
        write_csv(
            self.inputs / "microsoft" / "Reconciliation_G052637185.csv", MS_HEADER, rows, bom=True
        )

    def random_uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # Datto RMM ------------------------------------------------------------------------------
    def device_row(
        self, site_uid: str, site: str, category: str, position: int, **extra: str
    ) -> dict[str, Any]:
        kinds = {"Desktop": ("Desktop", "device", "Windows 11 Pro"), "Laptop": ("Laptop", "device", "Windows 11 Pro"),
                 "Server": ("Server", "device", "Windows Server 2022 Standard"), "Network Device": ("Network Device", "rmmnetworkdevice", "")}  # fmt: skip
        type_name, device_class, system = kinds[category]
        prefix = "".join(word[0] for word in site.split() if word[0].isalpha())[:4].upper()
        seen = self.b.end - timedelta(days=self.rng.randint(0, 6))
        return {
            "uid": self.random_uuid(), "siteUid": site_uid, "siteName": site, "hostname": f"{prefix}-{category[:3].upper()}{position:03d}",
            "deviceType.category": category, "deviceType.type": type_name, "deviceClass": device_class, "operatingSystem": system,
            "lastSeen": f"{seen.isoformat()}T{self.rng.randint(0, 23):02d}:{self.rng.randint(0, 59):02d}:00Z", "online": "true" if self.rng.random() < 0.8 else "false",
            "suspended": "false", "deleted": "false", "creationDate": iso_text(date(2025, self.rng.randint(1, 12), self.rng.randint(1, 28))), "groups": "",
            **extra,
        }  # fmt: skip

    def _rmm(self) -> None:
        b = self.b
        rows: list[dict[str, Any]] = []
        for client in b.clients:
            counts = {
                "Desktop": client.desktops,
                "Laptop": client.laptops,
                "Server": client.servers,
                "Network Device": client.network,
            }
            for category, count in counts.items():
                rows.extend(
                    self.device_row(client.site_uid, client.name, category, n)
                    for n in range(1, count + 1)
                )
            if client.name == "Bluewater Logistics":
                rows.append(
                    self.device_row(client.site_uid, client.name, "Desktop", 901, deleted="true")
                )
                rows.append(
                    self.device_row(client.site_uid, client.name, "Laptop", 902, deleted="true")
                )
                rows.append(
                    self.device_row(
                        client.site_uid,
                        client.name,
                        "Desktop",
                        903,
                        groups="Front desk;_NotBillable_",
                    )
                )
            if client.name == "Summit Physical Therapy":
                rows.append(
                    self.device_row(client.site_uid, client.name, "Laptop", 904, suspended="true")
                )
        new_site = self.random_uuid()
        rows.extend(self.device_row(new_site, NEW_SITE_NAME, "Desktop", n) for n in range(1, 5))
        b.truth["unmapped_customers"].append(
            {
                "vendor": "datto_rmm",
                "customer_key": new_site,
                "sku": "Desktop",
                "quantity": 4,
                "vendor_spend": None,
            }
        )
        write_csv(self.inputs / "datto_rmm" / "devices.csv", RMM_HEADER, rows)

    # Huntress -------------------------------------------------------------------------------
    def _huntress(self) -> None:
        rows = []
        for client in self.b.clients:
            if not client.huntress:
                continue
            juniper = client.name == "Juniper Pediatrics"
            name = "Juniper Pediatrics PLLC" if juniper else client.name
            # Juniper's organization is not connected to Microsoft 365: its suggestion is its name's.
            tenant = "" if juniper else client.tenant
            rows.append(
                {"id": client.huntress_id, "name": name, "key": "".join(ch for ch in client.name.lower() if ch.isalnum())[:16],
                 "agents_count": str(client.vendor_count("edr")), "billable_identity_count": str(client.vendor_count("itdr")),
                 "microsoft_365_users_count": str(client.users), "microsoft_365_tenant_id": tenant,
                 "sat_learner_count": str(client.vendor_count("sat")), "created_at": "2025-03-04T15:20:11Z", "updated_at": "2026-10-31T23:10:42Z"}
            )  # fmt: skip
            if client.name == TENANT_LINKED_CLIENT:
                rows.append(
                    {"id": TENANT_LINKED_ORG_ID, "name": TENANT_LINKED_ORG, "key": "saltmarshshippin",
                     "agents_count": str(TENANT_LINKED_AGENTS), "billable_identity_count": "0",
                     "microsoft_365_users_count": str(client.users), "microsoft_365_tenant_id": client.tenant,
                     "sat_learner_count": "0", "created_at": "2026-10-20T09:02:37Z", "updated_at": "2026-10-31T23:10:42Z"}
                )  # fmt: skip
                self.b.truth["unmapped_customers"].append(
                    {
                        "vendor": "huntress",
                        "customer_key": TENANT_LINKED_ORG_ID,
                        "sku": "agents",
                        "quantity": TENANT_LINKED_AGENTS,
                        "vendor_spend": None,
                    }
                )
            if client.name == "Juniper Pediatrics":
                self.b.truth["unmapped_customers"].append(
                    {
                        "vendor": "huntress",
                        "customer_key": client.huntress_id,
                        "sku": "agents",
                        "quantity": client.used["edr"],
                        "vendor_spend": None,
                    }
                )
                if client.used.get("sat"):
                    self.b.truth["unmapped_customers"].append(
                        {
                            "vendor": "huntress",
                            "customer_key": client.huntress_id,
                            "sku": "sat_learners",
                            "quantity": client.used["sat"],
                            "vendor_spend": None,
                        }
                    )
        write_csv(self.inputs / "huntress" / "organizations.csv", HUNTRESS_HEADER, rows)

    # The vendors added later ---------------------------------------------------------------------
    def _more_vendors(self) -> None:
        b = self.b
        rng = random.Random(SEED + 3)
        start, end = b.start.isoformat(), b.end.isoformat()
        acronis: list[dict[str, str]] = []
        bcdr: list[dict[str, str]] = []
        pax8: list[dict[str, str]] = []
        sentinelone: list[dict[str, str]] = []
        for client in b.clients:
            ids = client.vendor_ids
            if "acronis" in ids:
                tenant = {
                    "tenant_id": ids["acronis"],
                    "tenant_name": client.name,
                    "edition": "Advanced Backup",
                }
                acronis.append(
                    {
                        **tenant,
                        "usage_name": "storage",
                        "value": str(BACKUP_GB[client.name] * 1024**3),
                        "measurement_unit": "bytes",
                    }
                )
                acronis.append(
                    {
                        **tenant,
                        "usage_name": "protected_workstations",
                        "value": str(client.desktops + client.laptops),
                        "measurement_unit": "quantity",
                    }
                )
            if "datto_bcdr" in ids:
                bcdr.append(
                    {"serialNumber": f"S5{rng.randint(100000, 999999)}", "name": f"{client.name} SIRIS", "model": "S5-2", "clientCompanyName": client.name,
                     "organizationName": ids["datto_bcdr"], "servicePlan": "Infinite Cloud Retention", "agentCount": str(client.servers + 1),
                     "localStorageUsed.size": f"{rng.randint(200, 900)}.5", "localStorageUsed.units": "GB",
                     "offsiteStorageUsed.size": f"{rng.randint(1, 4)}.{rng.randint(0, 9)}", "offsiteStorageUsed.units": "TB"}
                )  # fmt: skip
            if "pax8" in ids:
                keeper = SERVICES["keeper"]
                annual = client.name == KEEPER_ANNUAL_CLIENT
                item = {"companyId": ids["pax8"], "companyName": client.name, "unitOfMeasure": "User", "term": "Annual" if annual else "Monthly",
                        "sku": KEEPER_ANNUAL_SKU if annual else keeper.skus[0][0],
                        "description": "Keeper Business", "productId": "9a1f0c2e-4b5d-4e6f-8a7b-000000000k01", "productName": "Keeper Business",
                        "rateType": "Partner Buy Rate", "chargeType": "per_unit", "price": money_text(keeper.cost), "currencyCode": "USD"}  # fmt: skip
                seats = client.users
                total = money_text(keeper.cost * seats)
                pax8.append({**item, "id": f"ii-{len(pax8) + 1:05d}", "type": "subscription", "startPeriod": start, "endPeriod": end, "quantity": str(seats),
                             "subtotal": total, "cost": money_text(keeper.cost), "costTotal": total, "total": total})  # fmt: skip
                if client.name == KEEPER_ADDED:
                    added_from = b.start.replace(day=KEEPER_ADDED_DAY)
                    days = (b.end - added_from).days + 1
                    prorated = money_text(
                        (keeper.cost * KEEPER_ADDED_SEATS * days / 31).quantize(Decimal("0.01"))
                    )
                    pax8.append({**item, "id": f"ii-{len(pax8) + 1:05d}", "type": "prorate", "startPeriod": added_from.isoformat(), "endPeriod": end,
                                 "quantity": str(KEEPER_ADDED_SEATS), "subtotal": prorated, "cost": money_text(keeper.cost), "costTotal": prorated, "total": prorated})  # fmt: skip
            if "sentinelone" in ids:
                sentinelone.append({"Site ID": ids["sentinelone"], "Site Name": client.name, "SKU": "Complete",
                                    "Active Agents": str(client.used["edr"]), "Site State": "Active", "Expiration": "2027-06-30"})  # fmt: skip
                if client.name == SENTINELONE_CLIENTS[0]:
                    sentinelone.append({"Site ID": f"S1-{rng.randint(100000, 999999)}", "Site Name": EXPIRED_SITE, "SKU": "Complete",
                                        "Active Agents": "3", "Site State": "Expired", "Expiration": "2026-03-31"})  # fmt: skip
        legacy_client = b.client(LEGACY_CLIENT)
        e3 = SERVICES["e3"]
        amount = money_text(e3.cost * LEGACY_SEATS)
        legacy = [
            {"PartnerId": "8f1c2d3e-0000-4a5b-9c6d-0e1f2a3b4c5d", "CustomerId": legacy_client.tenant.upper(), "CustomerName": legacy_client.name,
             "MpnId": "6543210", "InvoiceNumber": "D035000123", "OrderId": "8B3C1D2E", "SubscriptionId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
             "OfferId": LEGACY_E3, "DurableOfferId": LEGACY_E3, "OfferName": "Office 365 E3", "SubscriptionStartDate": "1/1/2024",
             "SubscriptionEndDate": "12/31/2026", "ChargeStartDate": mdy_text(b.start), "ChargeEndDate": mdy_text(b.end), "ChargeType": "Cycle fee",
             "UnitPrice": money_text(e3.cost), "Quantity": str(LEGACY_SEATS), "Amount": amount, "TotalOtherDiscount": "0.00", "Subtotal": amount,
             "Tax": "0.00", "TotalForCustomer": amount, "Currency": "USD", "DomainName": "northgateins.onmicrosoft.com",
             "SubscriptionName": "Office 365 E3", "SubscriptionDescription": "Office 365 E3", "BillingCycleType": "Monthly"}
        ]  # fmt: skip
        write_csv(self.inputs / "acronis" / "usage.csv", ACRONIS_HEADER, acronis)
        write_csv(self.inputs / "datto_bcdr" / "devices.csv", BCDR_HEADER, bcdr)
        write_csv(self.inputs / "pax8" / "invoice_items.csv", PAX8_ITEMS_HEADER, pax8)
        write_csv(
            self.inputs / "microsoft" / "LicenseBased_D035000123.csv",
            LEGACY_HEADER,
            legacy,
            bom=True,
        )
        write_csv(self.inputs / "sentinelone" / "sites.csv", SENTINELONE_HEADER, sentinelone)
        (self.root / "profiles").mkdir(exist_ok=True)
        (self.root / "profiles" / "sentinelone.toml").write_text(
            SENTINELONE_PROFILE, encoding="utf-8"
        )

    def _more_customer_rows(self) -> list[list[object]]:
        return [
            [MAPPING_VENDOR_NAMES[vendor], key, client.name, client.company_id, client.name, ""]
            for client in self.b.clients
            for vendor, key in sorted(client.vendor_ids.items())
        ]

    # Mappings workbook ------------------------------------------------------------------------
    def _mappings(self) -> None:
        customer_rows: list[list[object]] = []
        for client in self.b.clients:
            ms_name = RENAMED_FROM if client.name == "Granite State Roofing" else client.name
            customer_rows.append(
                ["Microsoft", client.tenant, ms_name, client.company_id, client.name, ""]
            )
            if client.name != "Harbor View Marina":
                customer_rows.append(
                    ["Datto RMM", client.site_uid, client.name, client.company_id, client.name, ""]
                )
            if client.huntress and client.name != "Juniper Pediatrics":
                customer_rows.append(
                    [
                        "Huntress",
                        client.huntress_id,
                        client.name,
                        client.company_id,
                        client.name,
                        "",
                    ]
                )
        customer_rows.append(
            [
                "Microsoft",
                self.internal_tenant,
                INTERNAL_TENANT_NAME,
                "",
                "",
                "Our own tenant: not billed to a client",
            ]
        )
        service_rows: list[list[object]] = [
            [VENDOR_NAMES[s.vendor], sku, sku_name, s.service_id, s.name, s.factor, ""]
            for s in SERVICES.values()
            for sku, sku_name in s.skus
        ]
        customer_rows.extend(self._more_customer_rows())
        service_rows.extend(MORE_SERVICE_ROWS)
        tolerance_rows: list[list[object]] = [
            [s.service_id, s.name, s.tolerance] for s in SERVICES.values()
        ]
        terms_rows: list[list[object]] = [
            [summit.company_id, summit.name, SERVICES["gold"].service_id, summit.users + GOLD_MINIMUM_EXTRA, "", "Security awareness training", WAIVER_NOTE]
            for summit in [self.b.client(GOLD_TERMS_CLIENT)]
        ]  # fmt: skip
        book = mappings_book(
            customer_rows,
            service_rows,
            tolerance_rows,
            aliases=ALIAS_ROWS,
            bundles=bundle_rows(),
            bundle_clients=terms_rows,
        )
        book.properties.creator = "MSP billing workbench demo"
        book.save(self.root / "mappings.xlsx")


def write_demo_workspace(root: str | Path, *, seed: int = SEED, period: str = PERIOD) -> Path:
    """Write the demo workspace under ``root`` (created if needed) and return it."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    DemoWriter(demo_msp(seed=seed, period=period), root).write()
    return root
