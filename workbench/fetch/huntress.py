"""Huntress API v1: organizations, with the counts the organizations export shows.

``GET /v1/organizations?limit=500`` (500 is the most a page holds), then each page's
``pagination.next_page_url`` (or its ``next_page_token`` as ``page_token``) until a page has none.
HTTP Basic with the account's API key and secret. Written as the organizations export the
Huntress importer reads (:mod:`workbench.sources.huntress`): ``id, name, key, agents_count,
billable_identity_count, microsoft_365_users_count, microsoft_365_tenant_id, sat_learner_count,
created_at, updated_at``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from workbench.fetch.http import VendorClient, pages_by_link
from workbench.fetch.source import Export, Source, SourceContext

API = "https://api.huntress.io"
PAGE_SIZE = 500
COLUMNS = (
    "id",
    "name",
    "key",
    "agents_count",
    "billable_identity_count",
    "microsoft_365_users_count",
    "microsoft_365_tenant_id",
    "sat_learner_count",
    "created_at",
    "updated_at",
)


def connect(context: SourceContext) -> VendorClient:
    credentials = context.credentials()
    client = VendorClient("huntress", context.http, credentials)
    client.session.auth = (credentials["api_key"], credentials["api_secret"])
    return client


def organizations(context: SourceContext) -> Iterator[dict[str, Any]]:
    url = f"{context.setting('base_url', API)}/v1/organizations"

    def next_page(body: Any) -> str | None:
        pagination = body.get("pagination") or {}
        if pagination.get("next_page_url"):
            return str(pagination["next_page_url"])
        token = pagination.get("next_page_token")
        return f"{url}?limit={PAGE_SIZE}&page_token={token}" if token else None

    client = context.client
    for organization in pages_by_link(
        client,
        lambda: client.request("GET", url, params={"limit": PAGE_SIZE}),
        "organizations",
        next_page,
    ):
        yield {name: organization.get(name) for name in COLUMNS}


def exports(context: SourceContext) -> list[Export]:
    return [Export("huntress/organizations.csv", COLUMNS, lambda: organizations(context))]


SOURCE = Source("huntress", "Huntress", ("api_key", "api_secret"), connect, exports)
