"""Datto RMM API v2: the account's devices (and sites, for their names), paged.

Sign-in: ``POST /auth/oauth/token`` with HTTP Basic ``public-client:public`` and the form
``grant_type=password&username=<API key>&password=<API secret>``; the answer's ``access_token``
is the bearer token (valid 100 hours). Then ``GET /api/v2/account/sites`` and ``GET
/api/v2/account/devices`` (``max=250`` a page, from ``page=0``), each page naming the next in
``pageDetails.nextPageUrl``. ``base_url`` is the account's regional platform
(``https://concord-api.centrastage.net`` and so on): required.

Written as the device export the Datto RMM importer reads (:mod:`workbench.sources.datto_rmm`):
``uid, siteUid, siteName, hostname, deviceType.category, deviceType.type, deviceClass,
operatingSystem, lastSeen, online, suspended, deleted, creationDate, udf1..udf30``. Dates given
as epoch milliseconds are written as ISO 8601 UTC. The API's device record has no group
membership, so the ``_NotBillable_`` group of a hand-made export cannot be fetched: a device to
leave out must be deleted or suspended in the RMM, or excluded in the mappings.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from workbench.fetch.http import FetchError, VendorClient, pages_by_link
from workbench.fetch.source import Export, Source, SourceContext

PAGE_SIZE = 250
UDFS = tuple(f"udf{number}" for number in range(1, 31))
COLUMNS = (
    "uid",
    "siteUid",
    "siteName",
    "hostname",
    "deviceType.category",
    "deviceType.type",
    "deviceClass",
    "operatingSystem",
    "lastSeen",
    "online",
    "suspended",
    "deleted",
    "creationDate",
    *UDFS,
)


def platform(context: SourceContext) -> str:
    root = context.setting("base_url")
    if not root:
        raise FetchError(
            "datto_rmm: [fetch.datto_rmm] in workspace.toml needs base_url, the account's "
            'platform, e.g. base_url = "https://concord-api.centrastage.net"'
        )
    return root


def connect(context: SourceContext) -> VendorClient:
    credentials = context.credentials()
    client = VendorClient("datto_rmm", context.http, credentials)
    answer = client.request(
        "POST",
        context.setting("token_url") or f"{platform(context)}/auth/oauth/token",
        form={
            "grant_type": "password",
            "username": credentials["api_key"],
            "password": credentials["api_secret"],
        },
        auth=("public-client", "public"),
    )
    token = answer.body.get("access_token") if isinstance(answer.body, dict) else None
    if not token:
        raise FetchError("datto_rmm: the token answer held no access_token")
    client.session.headers["Authorization"] = f"Bearer {token}"
    return client


def _listed(context: SourceContext, path: str, key: str) -> Iterator[dict[str, Any]]:
    client = context.client
    url = f"{platform(context)}/api/v2/account/{path}"
    return pages_by_link(
        client,
        lambda: client.request("GET", url, params={"max": PAGE_SIZE, "page": 0}),
        key,
        lambda page: (page.get("pageDetails") or {}).get("nextPageUrl"),
    )


def devices(context: SourceContext) -> Iterator[dict[str, Any]]:
    sites = {site.get("uid"): site.get("name") for site in _listed(context, "sites", "sites")}
    for device in _listed(context, "devices", "devices"):
        kind = device.get("deviceType") or {}
        udf = device.get("udf") or {}
        yield {
            "uid": device.get("uid"),
            "siteUid": device.get("siteUid"),
            "siteName": device.get("siteName") or sites.get(device.get("siteUid")),
            "hostname": device.get("hostname"),
            "deviceType.category": kind.get("category"),
            "deviceType.type": kind.get("type"),
            "deviceClass": device.get("deviceClass"),
            "operatingSystem": device.get("operatingSystem"),
            "lastSeen": _when(device.get("lastSeen")),
            "online": device.get("online"),
            "suspended": device.get("suspended"),
            "deleted": device.get("deleted"),
            "creationDate": _when(device.get("creationDate")),
            **{name: udf.get(name) for name in UDFS},
        }


def _when(value: Any) -> Any:
    """An epoch-milliseconds date as ISO 8601 UTC; text dates as they are."""
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        moment = datetime.fromtimestamp(int(value) / 1000, UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def exports(context: SourceContext) -> list[Export]:
    return [Export("datto_rmm/devices.csv", COLUMNS, lambda: devices(context))]


SOURCE = Source("datto_rmm", "Datto RMM", ("api_key", "api_secret"), connect, exports)
