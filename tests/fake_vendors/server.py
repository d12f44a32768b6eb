"""A real HTTP server on a free local port that answers as the vendors' APIs document.

Each vendor lives under its own prefix (``/autotask``, ``/graph``, ``/datto``, ``/huntress``,
``/pax8``, ``/cw``) and serves the records of a workspace period's exports (the demo month's,
so what a fetch writes must reconcile to the demo's known figures). The paths, field names,
paging and error bodies follow the published references listed in each handler's docstring.

Faults are queued per path (:meth:`FakeVendors.fault`): a 429 with ``Retry-After``, a 500, a
slow answer (the server waits before answering), each consumed by the next matching request.
Every request is recorded (:attr:`FakeVendors.seen`: method and path), and everything created
by a push is kept (:attr:`FakeVendors.created`).
"""

from __future__ import annotations

import base64
import csv
import gzip
import io
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

#: The credentials the fake vendors accept.
AUTOTASK = {
    "username": "api@northwind.example",
    "integration_code": "NWINTEGRATION1",
    "secret": "at-s3cret-value",
}
DATTO = {"api_key": "datto-key-123", "api_secret": "datto-s3cret-value"}
HUNTRESS = {"api_key": "hk_public_123", "api_secret": "hs_s3cret_value"}
PAX8 = {"client_id": "pax8-client", "client_secret": "pax8-s3cret-value"}
MICROSOFT = {
    "tenant_id": "partner-tenant",
    "client_id": "graph-app",
    "client_secret": "graph-s3cret-value",
}
CONNECTWISE = {
    "company": "northwind",
    "public_key": "cwpub",
    "private_key": "cw-s3cret-value",
    "client_id": "cw-client-id",
}


class Number(str):
    """A JSON number written exactly as the export wrote it (``144.00``, never ``144.0``)."""


def to_json(value: Any) -> str:
    """JSON text in which :class:`Number` values are raw number tokens."""
    if isinstance(value, Number):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(to_json(each) for each in value) + "]"
    return json.dumps(value)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def typed(row: dict[str, str], numbers: set[str], flags: set[str] = frozenset()) -> dict[str, Any]:  # type: ignore[assignment]
    """A CSV row as an API record: blanks null, numbers as numbers, flags as booleans."""
    record: dict[str, Any] = {}
    for key, text in row.items():
        if text == "":
            record[key] = None
        elif key in numbers:
            record[key] = Number(text)
        elif key in flags:
            record[key] = text.strip().casefold() == "true"
        else:
            record[key] = text
    return record


@dataclass
class Fault:
    path: str  # a part of the path it applies to
    kind: str  # "429", "500", "slow"
    value: float = 0.0  # Retry-After seconds, or the delay of a slow answer


@dataclass
class FakeVendors:
    """The server. Start it with :meth:`start` (or as a context manager)."""

    inputs: Path
    page_size: int = 50
    seen: list[tuple[str, str]] = field(default_factory=list)
    created: list[dict[str, Any]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> FakeVendors:
        vendors = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                vendors.handle(self, "GET")

            def do_POST(self) -> None:
                vendors.handle(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.pages: dict[str, tuple[list[dict[str, Any]], int]] = {}
        self.operations: dict[str, int] = {}
        self.tokens: set[str] = set()
        self.load()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FakeVendors:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def fault(self, path: str, kind: str, value: float = 0.0, times: int = 1) -> None:
        """Queue a fault for the next ``times`` requests whose path contains ``path``."""
        with self.lock:
            self.faults.extend(Fault(path, kind, value) for _ in range(times))

    def requests_to(self, part: str) -> int:
        return sum(1 for _, path in self.seen if part in path)

    # The data ----------------------------------------------------------------------------

    def load(self) -> None:
        """The records each vendor serves, from the period's export files."""
        at = self.inputs / "autotask"
        ids = {
            "id",
            "companyID",
            "contractID",
            "serviceID",
            "contractServiceID",
            "parentCompanyID",
            "quoteItemID",
            "contractType",
            "status",
            "companyType",
            "units",
            "billingPreference",
            "organizationalLevelAssociationID",
            "vendorCompanyID",
        }
        money = {
            "unitPrice",
            "unitCost",
            "adjustedPrice",
            "internalCurrencyUnitPrice",
            "internalCurrencyAdjustedPrice",
            "price",
            "cost",
            "internalCurrencyPrice",
        }
        flags = {"isActive", "isOptional"}
        self.autotask = (
            {
                entity: [typed(row, ids | money, flags) for row in read_csv(at / f"{entity}.csv")]
                for entity in (
                    "Companies",
                    "Contracts",
                    "Services",
                    "ContractServices",
                    "ContractServiceUnits",
                )
            }
            if at.is_dir()
            else {}
        )
        huntress = self.inputs / "huntress" / "organizations.csv"
        counts = {
            "id",
            "agents_count",
            "billable_identity_count",
            "microsoft_365_users_count",
            "sat_learner_count",
        }
        self.huntress = (
            [typed(row, counts) for row in read_csv(huntress)] if huntress.exists() else []
        )
        devices = self.inputs / "datto_rmm" / "devices.csv"
        self.devices = []
        for row in read_csv(devices) if devices.exists() else []:
            # As the API shapes a device: no groups, deviceType and udf as objects.
            plain = {
                k: v
                for k, v in row.items()
                if not k.startswith("udf") and "." not in k and k != "groups"
            }
            record = typed(plain, set(), {"online", "suspended", "deleted"})
            record["deviceType"] = {
                "category": row["deviceType.category"],
                "type": row["deviceType.type"],
            }
            record["udf"] = {k: v or None for k, v in row.items() if k.startswith("udf")}
            self.devices.append(record)
        self.sites = list(
            {
                d["siteUid"]: {"uid": d["siteUid"], "name": d["siteName"]} for d in self.devices
            }.values()
        )
        items = self.inputs / "pax8" / "invoice_items.csv"
        self.pax8_items = []
        for row in read_csv(items) if items.exists() else []:
            record = typed(row, {"quantity", "price", "subtotal", "cost", "costTotal", "total"})
            record["subTotal"] = record.pop("subtotal")  # the API's spelling
            record.pop("id", None)  # the API's invoice items carry no id
            self.pax8_items.append(record)
        folder = self.inputs / "microsoft"
        numbers = {
            "UnitPrice",
            "Quantity",
            "Subtotal",
            "TaxTotal",
            "Total",
            "EffectiveUnitPrice",
            "BillableQuantity",
            "PCToBCExchangeRate",
        }
        self.microsoft = [
            {key[0].lower() + key[1:]: value for key, value in typed(row, numbers).items()}
            for path in (sorted(folder.glob("Reconciliation_*.csv")) if folder.is_dir() else [])
            for row in read_csv(path)
        ]
        additions = self.inputs / "connectwise" / "connectwise-export.csv"
        self.agreements: list[dict[str, Any]] = []
        self.additions: dict[int, list[dict[str, Any]]] = {}
        for number, row in enumerate(read_csv(additions) if additions.exists() else [], start=1):
            agreement = next((a for a in self.agreements if a["name"] == row["Agreement"]), None)
            if agreement is None:
                agreement = {
                    "id": 100 + len(self.agreements),
                    "name": row["Agreement"],
                    "type": {"id": 1, "name": row["Agreement Type"]},
                    "company": {
                        "id": 500 + len(self.agreements),
                        "identifier": row["Company"][:20],
                        "name": row["Company"],
                    },
                    "agreementStatus": row["Agreement Status"],
                    "cancelledFlag": False,
                }
                self.agreements.append(agreement)
            self.additions.setdefault(agreement["id"], []).append(
                {
                    "id": 9000 + number,
                    "agreementId": agreement["id"],
                    "product": {
                        "id": number,
                        "identifier": row["Product ID"],
                        "description": row["Description"],
                    },
                    "description": row["Description"],
                    "quantity": Number(row["Quantity"]),
                    "lessIncluded": Number(row["Less Included"] or "0"),
                    "unitPrice": Number(row["Unit Price"]),
                    "unitCost": Number(row["Unit Cost"] or "0"),
                    "billCustomer": row["Bill Customer"],
                    "effectiveDate": row["Effective Date"] or None,
                    "cancelledDate": row["Cancelled Date"] or None,
                    "agreementStatus": row["Agreement Status"],
                }
            )

    # Dispatch ----------------------------------------------------------------------------

    def handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        with self.lock:
            self.seen.append((method, parts.path))
            fault = next((f for f in self.faults if f.path in parts.path), None)
            if fault is not None:
                self.faults.remove(fault)
        if fault is not None:
            if fault.kind == "429":
                return self.answer(
                    request,
                    429,
                    {"message": "Too many requests"},
                    {"Retry-After": f"{fault.value:g}"},
                )
            if fault.kind == "500":
                return self.answer(request, 500, {"errors": ["An unexpected error occurred"]})
            if fault.kind == "slow":
                time.sleep(fault.value)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        for prefix, route in (
            ("/autotask/", self.autotask_api),
            ("/huntress/", self.huntress_api),
            ("/datto/", self.datto_api),
            ("/pax8/", self.pax8_api),
            ("/login/", self.microsoft_login),
            ("/graph/", self.graph_api),
            ("/blob/", self.blob_store),
            ("/cw/", self.connectwise_api),
        ):
            if parts.path.startswith(prefix):
                return route(request, method, parts.path[len(prefix) - 1 :], query, body)
        self.answer(request, 404, {"message": "no such endpoint"})

    def answer(
        self,
        request: BaseHTTPRequestHandler,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> None:
        content = raw if raw is not None else (b"" if body is None else to_json(body).encode())
        try:
            request.send_response(status)
            request.send_header(
                "Content-Type", "application/json" if raw is None else "application/octet-stream"
            )
            request.send_header("Content-Length", str(len(content)))
            for key, value in (headers or {}).items():
                request.send_header(key, value)
            request.end_headers()
            request.wfile.write(content)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (a timeout)
            pass

    # Autotask REST ----------------------------------------------------------------------

    def autotask_api(
        self,
        request: BaseHTTPRequestHandler,
        method: str,
        path: str,
        query: dict[str, str],
        body: bytes,
    ) -> None:
        """Autotask REST v1.0 (api-evangelist/kaseya OpenAPI: kaseya-contractserviceunits and
        kaseya-contractserviceadjustments): headers ApiIntegrationCode, UserName, Secret;
        ``POST /V1.0/<Entity>/query`` with ``{"filter": [...], "IncludeFields": [...]}``
        answering ``{"items": [...], "pageDetails": {"count", "requestCount", "prevPageUrl",
        "nextPageUrl"}}``; ``POST /V1.0/ContractServiceAdjustments`` answering ``{"itemId"}``;
        401 with no body for wrong credentials; the zone lookup answers ``{"zoneName", "url",
        "webUrl", "ci"}``."""
        if path == "/zoneInformation":
            return self.answer(
                request,
                200,
                {
                    "zoneName": "Fake zone",
                    "url": f"{self.url}/autotask/ATServicesRest/",
                    "webUrl": f"{self.url}/autotask/",
                    "ci": 0,
                },
            )
        headers = request.headers
        if (headers.get("ApiIntegrationCode"), headers.get("UserName"), headers.get("Secret")) != (
            AUTOTASK["integration_code"],
            AUTOTASK["username"],
            AUTOTASK["secret"],
        ):
            return self.answer(request, 401)
        match = re.fullmatch(r"/ATServicesRest/V1\.0/(\w+)/query(/next)?", path)
        if match and match.group(2) and method == "GET":
            return self.next_page(request, query.get("paging", ""))
        if match and method == "POST":
            entity = match.group(1)
            if entity not in self.autotask:
                return self.answer(request, 404, {"errors": [f"{entity} is not an entity"]})
            asked = json.loads(body or b"{}")
            filters = asked.get("filter") or asked.get("Filter") or []
            if not filters:
                return self.answer(request, 500, {"errors": ["A filter is required"]})
            rows = [row for row in self.autotask[entity] if all(_keeps(f, row) for f in filters)]
            fields = asked.get("IncludeFields") or asked.get("includeFields") or []
            if fields:
                rows = [{name: row.get(name) for name in fields} for row in rows]
            token = uuid.uuid4().hex
            self.pages[token] = (rows, 0)
            return self.next_page(
                request, token, f"/autotask/ATServicesRest/V1.0/{entity}/query/next"
            )
        if path == "/ATServicesRest/V1.0/ContractServiceAdjustments" and method == "POST":
            adjustment = json.loads(body, parse_float=Decimal)
            missing = [
                name
                for name in ("contractID", "serviceID", "effectiveDate", "unitChange")
                if adjustment.get(name) is None
            ]
            if missing:
                return self.answer(request, 500, {"errors": [f"{missing[0]} is required"]})
            with self.lock:
                self.created.append({"psa": "autotask", **adjustment})
                item_id = 7000 + len(self.created)
            return self.answer(request, 200, {"itemId": item_id})
        self.answer(request, 404, {"errors": ["The requested resource does not exist."]})

    def next_page(self, request: BaseHTTPRequestHandler, token: str, next_path: str = "") -> None:
        if token not in self.pages:
            return self.answer(request, 404, {"errors": ["paging token expired"]})
        rows, start = self.pages[token]
        page = rows[start : start + self.page_size]
        more = start + self.page_size < len(rows)
        if more:  # each page names the next by its own position, as Autotask's paging does
            token = uuid.uuid4().hex
            self.pages[token] = (rows, start + self.page_size)
        path = next_path or urlsplit(request.path).path
        self.answer(
            request,
            200,
            {
                "items": page,
                "pageDetails": {
                    "count": len(page),
                    "requestCount": self.page_size,
                    "prevPageUrl": None,
                    "nextPageUrl": f"{self.url}{path}?paging={token}" if more else None,
                },
            },
        )

    def paged_list(
        self,
        request: BaseHTTPRequestHandler,
        key: str,
        rows: list[dict[str, Any]],
        query: dict[str, str],
        path: str,
    ) -> None:
        """Datto RMM's paging (api-evangelist/datto v2 account OpenAPI): ``page`` from 0 and
        ``max``; ``{"pageDetails": {"count", "totalCount", "prevPageUrl", "nextPageUrl"}, key: [...]}``."""
        page, size = int(query.get("page", 0)), min(int(query.get("max", 250)), self.page_size)
        chunk = rows[page * size : (page + 1) * size]
        more = (page + 1) * size < len(rows)
        self.answer(
            request,
            200,
            {
                "pageDetails": {
                    "count": len(chunk),
                    "totalCount": len(rows),
                    "prevPageUrl": None,
                    "nextPageUrl": f"{self.url}{path}?max={size}&page={page + 1}" if more else None,
                },
                key: chunk,
            },
        )

    def huntress_api(
        self,
        request: BaseHTTPRequestHandler,
        method: str,
        path: str,
        query: dict[str, str],
        body: bytes,
    ) -> None:
        """Huntress API v1 (api-evangelist/huntress organizations OpenAPI): HTTP Basic with the
        API key and secret; ``GET /v1/organizations?limit&page_token`` answering
        ``{"organizations": [...], "pagination": {"next_page_url", "next_page_token"}}``;
        a wrong credential is 401 ``{"message": ...}``."""
        if request.headers.get("Authorization") != basic(
            HUNTRESS["api_key"], HUNTRESS["api_secret"]
        ):
            return self.answer(request, 401, {"message": "Invalid API credentials"})
        if path != "/v1/organizations" or method != "GET":
            return self.answer(request, 404, {"message": "Not found"})
        limit = min(int(query.get("limit", 10)), 500, self.page_size)
        start = int(query.get("page_token") or 0)
        chunk = self.huntress[start : start + limit]
        token = str(start + limit) if start + limit < len(self.huntress) else None
        self.answer(
            request,
            200,
            {
                "organizations": chunk,
                "pagination": {
                    "current_page_count": len(chunk),
                    "limit": limit,
                    "total_count": len(self.huntress),
                    "next_page_token": token,
                    "next_page_url": f"{self.url}/huntress/v1/organizations?limit={limit}&page_token={token}"
                    if token
                    else None,
                },
            },
        )

    def datto_api(
        self,
        request: BaseHTTPRequestHandler,
        method: str,
        path: str,
        query: dict[str, str],
        body: bytes,
    ) -> None:
        """Datto RMM API v2: ``POST /auth/oauth/token`` (Basic public-client:public, password
        grant with the API key and secret), then ``/api/v2/account/sites`` and ``/devices``
        with a bearer token; 401 ``{"error": "unauthorized", ...}`` otherwise."""
        if path == "/auth/oauth/token" and method == "POST":
            form = _form(body)
            if request.headers.get("Authorization") != basic("public-client", "public") or (
                form.get("grant_type"),
                form.get("username"),
                form.get("password"),
            ) != ("password", DATTO["api_key"], DATTO["api_secret"]):
                return self.answer(
                    request, 401, {"error": "unauthorized", "error_description": "Bad credentials"}
                )
            token = uuid.uuid4().hex
            self.tokens.add(token)
            return self.answer(
                request, 200, {"access_token": token, "token_type": "bearer", "expires_in": 359999}
            )
        if not _authorised(request, self.tokens):
            return self.answer(request, 401, {"error": "invalid_token"})
        if path == "/api/v2/account/devices":
            return self.paged_list(request, "devices", self.devices, query, "/datto" + path)
        if path == "/api/v2/account/sites":
            return self.paged_list(request, "sites", self.sites, query, "/datto" + path)
        self.answer(request, 404, {"message": "Not found"})

    def pax8_api(
        self,
        request: BaseHTTPRequestHandler,
        method: str,
        path: str,
        query: dict[str, str],
        body: bytes,
    ) -> None:
        """Pax8 partner API v1 (api-evangelist/pax8 access-token and invoices OpenAPI):
        ``POST /v1/token`` (client credentials, JSON) answering ``{"access_token", "expires_in",
        "token_type"}`` or 401 ``{"error": "access_denied", "error_description": ...}``;
        ``GET /v1/invoices`` and ``/v1/invoices/{id}/items`` paged by ``page``/``size`` with
        ``{"content": [...], "page": {"size", "totalElements", "totalPages", "number"}}``."""
        if path == "/v1/token" and method == "POST":
            asked = json.loads(body or b"{}")
            if (asked.get("client_id"), asked.get("client_secret"), asked.get("grant_type")) != (
                PAX8["client_id"],
                PAX8["client_secret"],
                "client_credentials",
            ):
                return self.answer(
                    request, 401, {"error": "access_denied", "error_description": "Unauthorized"}
                )
            token = uuid.uuid4().hex
            self.tokens.add(token)
            return self.answer(
                request, 200, {"access_token": token, "expires_in": 86400, "token_type": "Bearer"}
            )
        if not _authorised(request, self.tokens):
            return self.answer(
                request, 401, {"error": "access_denied", "error_description": "Unauthorized"}
            )
        invoice = {
            "id": "0b157f32-a423-4fc4-bed0-82ef2f913ab2",
            "invoiceDate": "2026-11-01",
            "status": "Unpaid",
            "total": Number("0"),
            "currencyCode": "USD",
        }
        if path == "/v1/invoices":
            start, end = (
                query.get("invoiceDateRangeStart", ""),
                query.get("invoiceDateRangeEnd", "9"),
            )
            rows = [invoice] if self.pax8_items and start <= invoice["invoiceDate"] <= end else []
            return self.content_page(request, rows, query)
        if path == f"/v1/invoices/{invoice['id']}/items":
            return self.content_page(request, self.pax8_items, query)
        self.answer(request, 404, {"message": "Not found"})

    def content_page(
        self, request: BaseHTTPRequestHandler, rows: list[dict[str, Any]], query: dict[str, str]
    ) -> None:
        number, size = (
            int(query.get("page", 0)),
            min(int(query.get("size", 10)), 200, self.page_size),
        )
        pages = max((len(rows) + size - 1) // size, 1)
        self.answer(
            request,
            200,
            {
                "content": rows[number * size : (number + 1) * size],
                "page": {
                    "size": size,
                    "totalElements": len(rows),
                    "totalPages": pages,
                    "number": number,
                },
            },
        )

    def microsoft_login(
        self,
        request: BaseHTTPRequestHandler,
        method: str,
        path: str,
        query: dict[str, str],
        body: bytes,
    ) -> None:
        """Microsoft identity platform client-credentials token: ``POST
        /<tenant>/oauth2/v2.0/token``; a wrong secret is 401 ``{"error": "invalid_client",
        "error_description": ...}``."""
        form = _form(body)
        if path != f"/{MICROSOFT['tenant_id']}/oauth2/v2.0/token" or (
            form.get("client_id"),
            form.get("client_secret"),
            form.get("grant_type"),
        ) != (MICROSOFT["client_id"], MICROSOFT["client_secret"], "client_credentials"):
            return self.answer(
                request,
                401,
                {
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided.",
                },
            )
        token = uuid.uuid4().hex
        self.tokens.add(token)
        self.answer(
            request, 200, {"token_type": "Bearer", "expires_in": 3599, "access_token": token}
        )

    def graph_api(
        self,
        request: BaseHTTPRequestHandler,
        method: str,
        path: str,
        query: dict[str, str],
        body: bytes,
    ) -> None:
        """Microsoft Graph partner billing (microsoftgraph/microsoft-graph-docs-contrib:
        partners-billing-billedreconciliation-export, -unbilledreconciliation-export,
        -operation-get, -manifest-get): the export answers 202 with ``Location``; the operation
        is ``running`` (with ``Retry-After``) once, then ``succeeded`` naming the manifest,
        whose blob is gzip-compressed JSON lines behind a shared access signature."""
        if not _authorised(request, self.tokens):
            return self.answer(
                request,
                401,
                {
                    "error": {
                        "code": "InvalidAuthenticationToken",
                        "message": "Access token is empty.",
                    }
                },
            )
        if path.endswith("/reconciliation/billed/export") or path.endswith(
            "/reconciliation/unbilled/export"
        ):
            asked = json.loads(body or b"{}")
            if path.endswith("/billed/export") and not asked.get("invoiceId"):
                return self.answer(
                    request,
                    400,
                    {"error": {"code": "BadRequest", "message": "invoiceId is required"}},
                )
            operation = uuid.uuid4().hex
            self.operations[operation] = 0
            return self.answer(
                request,
                202,
                None,
                {
                    "Location": f"{self.url}/graph/v1.0/reports/partners/billing/operations/{operation}"
                },
            )
        match = re.fullmatch(r"/v1\.0/reports/partners/billing/operations/(\w+)", path)
        if match and match.group(1) in self.operations:
            polls = self.operations[match.group(1)]
            self.operations[match.group(1)] = polls + 1
            common = {
                "id": match.group(1),
                "createdDateTime": "2026-11-05T08:12:53",
                "lastActionDateTime": "2026-11-05T08:37:48Z",
            }
            if polls == 0:
                return self.answer(
                    request,
                    200,
                    {
                        "@odata.type": "#microsoft.graph.partners.billing.runningOperation",
                        **common,
                        "status": "running",
                    },
                    {"Retry-After": "0.01"},
                )
            return self.answer(
                request,
                200,
                {
                    "@odata.type": "#microsoft.graph.partners.billing.exportSuccessOperation",
                    **common,
                    "status": "succeeded",
                    "resourceLocation@odata.navigationLink": f"{self.url}/graph/v1.0/reports/partners/billing/manifests/{match.group(1)}",
                },
            )
        match = re.fullmatch(r"/v1\.0/reports/partners/billing/manifests/(\w+)", path)
        if match:
            return self.answer(
                request,
                200,
                {
                    "id": match.group(1),
                    "schemaVersion": "2",
                    "dataFormat": "compressedJSON",
                    "createdDateTime": "2026-11-05T06:34:34.87Z",
                    "eTag": "WYjLro78HdMg6vUWR",
                    "partnerTenantId": MICROSOFT["tenant_id"],
                    "rootDirectory": f"{self.url}/blob/billedusage/PartnerTenantId={MICROSOFT['tenant_id']}",
                    "sasToken": "sv=2021-08-06&sr=d&sp=rl&sig=FAKESIGNATURE",
                    "partitionType": "Default",
                    "blobCount": 2,
                    "blobs": [
                        {"name": "part-00000.json.gz", "partitionValue": "default"},
                        {"name": "part-00001.json.gz", "partitionValue": "default"},
                    ],
                },
            )
        self.answer(
            request, 404, {"error": {"code": "ResourceNotFound", "message": "no such resource"}}
        )

    def blob_store(
        self,
        request: BaseHTTPRequestHandler,
        method: str,
        path: str,
        query: dict[str, str],
        body: bytes,
    ) -> None:
        """Azure blob storage behind a shared access signature: 403 without it (or with an
        Authorization header, which a SAS request must not mix in)."""
        if query.get("sig") != "FAKESIGNATURE" or request.headers.get("Authorization"):
            return self.answer(request, 403, None)
        half = (len(self.microsoft) + 1) // 2
        part = (
            self.microsoft[:half] if path.endswith("part-00000.json.gz") else self.microsoft[half:]
        )
        self.answer(request, 200, raw=gzipped_json_lines(part))

    def connectwise_api(
        self,
        request: BaseHTTPRequestHandler,
        method: str,
        path: str,
        query: dict[str, str],
        body: bytes,
    ) -> None:
        """ConnectWise Manage REST 3.0: HTTP Basic ``company+public:private`` and a ``clientId``
        header; ``GET /finance/agreements`` (``conditions``, ``page`` from 1, ``pageSize``) and
        ``/finance/agreements/{id}/additions`` answering JSON arrays; ``POST`` of an addition
        answering the addition; 401 ``{"code": "Unauthorized", "message": ...}``."""
        expected = basic(
            f"{CONNECTWISE['company']}+{CONNECTWISE['public_key']}", CONNECTWISE["private_key"]
        )
        if (
            request.headers.get("Authorization") != expected
            or request.headers.get("clientId") != CONNECTWISE["client_id"]
        ):
            return self.answer(
                request, 401, {"code": "Unauthorized", "message": "Invalid credentials"}
            )
        page, size = (
            int(query.get("page", 1)),
            min(int(query.get("pageSize", 25)), 1000, self.page_size),
        )
        if path == "/v4_6_release/apis/3.0/finance/agreements" and method == "GET":
            rows = self.agreements
            condition = re.fullmatch(r'name="(.*)"', query.get("conditions", ""))
            if condition:
                rows = [a for a in rows if a["name"] == condition.group(1).replace('\\"', '"')]
            return self.answer(request, 200, rows[(page - 1) * size : page * size])
        match = re.fullmatch(r"/v4_6_release/apis/3\.0/finance/agreements/(\d+)/additions", path)
        if match and int(match.group(1)) in self.additions:
            if method == "GET":
                rows = self.additions[int(match.group(1))]
                return self.answer(request, 200, rows[(page - 1) * size : page * size])
            addition = json.loads(body, parse_float=Decimal)
            if not (addition.get("product") or {}).get("identifier"):
                return self.answer(
                    request, 400, {"code": "InvalidObject", "message": "product is required"}
                )
            with self.lock:
                self.created.append(
                    {"psa": "connectwise", "agreementId": int(match.group(1)), **addition}
                )
                created_id = 9500 + len(self.created)
            return self.answer(
                request,
                201,
                {
                    "id": created_id,
                    **{k: v for k, v in addition.items() if not isinstance(v, Decimal)},
                },
            )
        self.answer(request, 404, {"code": "NotFound", "message": "Not found"})


def _keeps(condition: dict[str, Any], row: dict[str, Any]) -> bool:
    """An Autotask filter condition (eq, gte, lte, gt, lt, noteq) on one record."""
    value, wanted = row.get(condition["field"]), condition.get("value")
    if value is None:
        return False
    if isinstance(value, Number) or isinstance(wanted, int | float):
        value, wanted = float(value), float(wanted)  # type: ignore[arg-type]
    else:
        value, wanted = str(value)[:19], str(wanted)[:19]  # ISO dates compare as text
    return {
        "eq": value == wanted,
        "noteq": value != wanted,
        "gte": value >= wanted,
        "lte": value <= wanted,
        "gt": value > wanted,
        "lt": value < wanted,
    }[condition["op"]]


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def gzipped_json_lines(records: list[dict[str, Any]]) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb") as handle:
        for record in records:
            handle.write((to_json(record) + "\n").encode())
    return buffer.getvalue()


def _authorised(request: BaseHTTPRequestHandler, tokens: set[str]) -> bool:
    header = request.headers.get("Authorization") or ""
    return header.startswith("Bearer ") and header[7:] in tokens


def _form(body: bytes) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(body.decode()).items()}
