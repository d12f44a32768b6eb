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
        for prefix, route in (("/autotask/", self.autotask_api),):
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
