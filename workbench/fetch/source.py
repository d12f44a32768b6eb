"""What a system's fetcher declares: its credentials, how to connect, and the files it writes.

Each module of :mod:`workbench.fetch` (``autotask``, ``microsoft``, ...) defines one
:class:`Source`. Its :attr:`Source.exports` names every file it writes, each with a function that
asks the API for the records only when called: a file a previous fetch completed is kept without
a request, so a fetch run again after a failure goes on where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from workbench.fetch.credentials import Credentials, lookup
from workbench.fetch.http import VendorClient
from workbench.workspace import Connection, HttpSettings, Workspace, period_bounds


@dataclass(frozen=True)
class Export:
    """One file a source writes into the period's inputs.

    Attributes
    ----------
    file
        Its path in the inputs folder (``autotask/Companies.csv``).
    columns
        Its header, in the importer's column names.
    rows
        Asks the API for the records, each a mapping of column to value.
    """

    file: str
    columns: tuple[str, ...]
    rows: Callable[[], Iterable[Mapping[str, Any]]]


@dataclass
class SourceContext:
    """What a source's fetch knows: the workspace, the month, its connection and client.

    Attributes
    ----------
    invoice
        An invoice to fetch (Microsoft's billed export), when the person named one.
    """

    workspace: Workspace
    period: str
    connection: Connection
    source: Source
    invoice: str | None = None
    _client: VendorClient | None = field(default=None, repr=False)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def http(self) -> HttpSettings:
        return self.workspace.http

    @property
    def start(self) -> date:
        return period_bounds(self.period)[0]

    @property
    def end(self) -> date:
        return period_bounds(self.period)[1]

    def setting(self, key: str, default: str = "") -> str:
        """A ``[fetch.<source>]`` setting, without a trailing slash on URLs."""
        value = self.connection.settings.get(key, default)
        return value.rstrip("/") if key.endswith("_url") else value

    def credentials(self) -> Credentials:
        """The source's credentials, looked up (once) by the name the workspace gives."""
        if "credentials" not in self._cache:
            self._cache["credentials"] = lookup(
                self.connection.source, self.connection.credentials, self.source.parts
            )
        found: Credentials = self._cache["credentials"]
        return found

    @property
    def client(self) -> VendorClient:
        """The connected client, made (and signed in) at its first use."""
        if self._client is None:
            self._client = self.source.connect(self)
        return self._client

    def once(self, key: str, make: Callable[[], Any]) -> Any:
        """A value asked for once per fetch (a token, the list of companies)."""
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def requests_made(self) -> list[str]:
        """The requests made so far, as shown; emptied, so each file logs its own."""
        if self._client is None:
            return []
        made = list(self._client.requests_made)
        self._client.requests_made.clear()
        return made

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


@dataclass(frozen=True)
class Source:
    """A system the workbench fetches from.

    Attributes
    ----------
    name
        As in ``[fetch.<name>]`` and ``--source``.
    title
        For messages: "Autotask".
    parts
        The credential parts it needs (``username``, ``secret``, ...).
    connect
        Makes the signed-in client (asking for a token where the API wants one).
    exports
        The files it writes for a period.
    """

    name: str
    title: str
    parts: tuple[str, ...]
    connect: Callable[[SourceContext], VendorClient]
    exports: Callable[[SourceContext], list[Export]]
