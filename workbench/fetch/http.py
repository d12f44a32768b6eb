"""One HTTP client for every system's API: timeouts, retries, rate limits and paging.

Built on ``requests``, which the workbench already has (papermill and Jupyter need it), so
talking to six APIs adds no download: a session keeps connections open from page to page, and
``response.json(parse_float=Decimal)`` keeps money exact.

What every call gets, with the numbers from the workspace's ``[fetch]`` table
(:class:`~workbench.workspace.HttpSettings`):

* a timeout on each request;
* retries with a doubling backoff after a timeout, a lost connection or a 5xx answer;
* a 429 waits for its ``Retry-After`` (seconds or a date; the backoff when it gives none), as
  long as that is no longer than ``max_wait``;
* a 401 or 403 ends the fetch at once with one line naming the source: a wrong key does not
  get better by asking again.

A request that creates something (``workbench push``) is retried only when the system surely did
not act on it: a 429, or a connection that was never made. After a timeout or a 5xx the change
may or may not have been made, so it is reported, not sent twice.

Nothing here writes a secret: the URLs and bodies shown in messages are those the caller marks
as safe to show, and every message is scrubbed of the credentials' values.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import requests

from workbench.errors import WorkbenchError
from workbench.fetch.credentials import Credentials
from workbench.workspace import HttpSettings

#: Answers that mean the credentials are wrong, expired or lack a permission.
REFUSED = (401, 403)


class FetchError(WorkbenchError):
    """A request to a system's API failed for good; the message is one line naming the source."""


class CredentialsRefused(FetchError):
    """The system refused the credentials (401 or 403)."""


class NotSent(FetchError):
    """A request that creates something failed before the system could act on it."""


@dataclass(frozen=True)
class Answer:
    """A successful answer: its status, headers and JSON body (numbers with decimals as
    :class:`~decimal.Decimal`), or its raw bytes when it is not JSON."""

    status: int
    headers: Mapping[str, str]
    body: Any
    content: bytes


class VendorClient:
    """Requests to one source's API, with the workspace's patience.

    Parameters
    ----------
    source
        The system (``autotask``), named in every message.
    settings
        Timeouts, retries, backoff and the longest wait.
    credentials
        Scrubbed from every message; ``None`` for a source that needs none yet.
    headers
        Sent with every request (authentication headers, ``clientId``).
    sleep
        How to wait; the real ``time.sleep`` except where a caller has its own clock.
    """

    def __init__(
        self,
        source: str,
        settings: HttpSettings,
        credentials: Credentials | None = None,
        headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.source = source
        self.settings = settings
        self.credentials = credentials
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json", **(headers or {})})
        self._sleep = sleep
        #: Every request made, as shown (method and URL without secrets), for the fetch log.
        self.requests_made: list[str] = []

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> VendorClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def scrub(self, text: str) -> str:
        """Text without any credential value in it."""
        return self.credentials.scrub(text) if self.credentials else text

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str | None] | None = None,
        auth: tuple[str, str] | None = None,
        shown: str | None = None,
        creates: bool = False,
    ) -> Answer:
        """Make a request, retrying as the module says, and return its successful answer.

        Parameters
        ----------
        headers
            Added to the client's for this request; a header given ``None`` is left out.
        shown
            How the request is named in messages and the fetch log, when its URL carries
            something secret (a shared access signature); the URL itself otherwise.
        creates
            The request creates something: retried only when surely not acted on.

        Raises
        ------
        CredentialsRefused
            On a 401 or 403.
        NotSent
            For a request that creates something, when it surely was not acted on.
        FetchError
            On any other failure, once the retries are spent.
        """
        name = shown or _without_query(url, params)
        self.requests_made.append(f"{method} {name}")
        tries = self.settings.retries + 1
        for attempt in range(tries):
            last = attempt == tries - 1
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    data=form if json_body is None else json_text(json_body).encode(),
                    headers={
                        **({} if json_body is None else {"Content-Type": "application/json"}),
                        **(headers or {}),
                    },
                    auth=auth,
                    timeout=self.settings.timeout,
                )
            except requests.ConnectionError as exc:
                # A connection dropped after the request went out may have been acted on;
                # only a connection never made is surely not sent.
                never_connected = isinstance(exc, requests.ConnectTimeout) or (
                    "NewConnectionError" in repr(exc) or "refused" in str(exc)
                )
                if creates and not never_connected:
                    raise FetchError(
                        f"{self.source}: {method} {name} got no answer in "
                        f"{self.settings.timeout:g} s: it may have been made; check "
                        f"{self.source} before sending it again"
                    ) from None
                if last:
                    raise (NotSent if creates else FetchError)(
                        f"{self.source}: cannot reach {name} after {tries} tries ({_reason(exc)})"
                    ) from None
                self._sleep(self._backoff(attempt))
                continue
            except requests.Timeout:
                if creates:
                    raise FetchError(
                        f"{self.source}: {method} {name} got no answer in "
                        f"{self.settings.timeout:g} s: it may have been made; check "
                        f"{self.source} before sending it again"
                    ) from None
                if last:
                    raise FetchError(
                        f"{self.source}: {name} did not answer within "
                        f"{self.settings.timeout:g} s, {tries} times"
                    ) from None
                self._sleep(self._backoff(attempt))
                continue
            except requests.RequestException as exc:
                raise FetchError(
                    f"{self.source}: {method} {name} failed ({_reason(exc)})"
                ) from None

            status = response.status_code
            if status in REFUSED:
                credentials = f" {self.credentials.name!r}" if self.credentials else ""
                raise CredentialsRefused(
                    self.scrub(
                        f"{self.source}: the API refused the credentials{credentials} "
                        f"({status}{_said(response)}): check them, and that the API user may "
                        "read (and, to push, write) what is asked"
                    )
                )
            if status == 429:
                wait = _retry_after(response.headers.get("Retry-After"))
                wait = self._backoff(attempt) if wait is None else wait
                if wait > self.settings.max_wait:
                    raise FetchError(
                        f"{self.source}: rate limited, and asked to wait {wait:g} s, longer than "
                        f"max_wait ({self.settings.max_wait:g} s under [fetch] in "
                        "workspace.toml): run the fetch again later"
                    )
                if last:
                    raise (NotSent if creates else FetchError)(
                        f"{self.source}: still rate limited (429) after {tries} tries at {name}: "
                        "run it again later"
                    )
                self._sleep(wait)
                continue
            if status >= 500:
                if creates:
                    raise FetchError(
                        self.scrub(
                            f"{self.source}: {method} {name} failed ({status}"
                            f"{_said(response)}): it may or may not have been made; check "
                            f"{self.source} before sending it again"
                        )
                    )
                if last:
                    raise FetchError(
                        self.scrub(
                            f"{self.source}: {name} failed {tries} times, last with {status}"
                            f"{_said(response)}"
                        )
                    )
                self._sleep(self._backoff(attempt))
                continue
            if status >= 400:
                raise (NotSent if creates else FetchError)(
                    self.scrub(
                        f"{self.source}: {method} {name} was refused ({status}{_said(response)})"
                    )
                )
            return Answer(status, response.headers, _body(response), response.content)
        raise AssertionError("the loop returns or raises")  # pragma: no cover

    def _backoff(self, attempt: int) -> float:
        return float(min(self.settings.backoff * 2**attempt, self.settings.max_wait))

    def wait(self, seconds: float) -> None:
        """Wait before asking again (an export still running)."""
        self._sleep(min(seconds, self.settings.max_wait))


def pages_by_link(
    client: VendorClient,
    first: Callable[[], Answer],
    items: str,
    next_link: Callable[[Any], str | None],
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
) -> Iterator[dict[str, Any]]:
    """Every item of a list whose pages name the next one (``pageDetails.nextPageUrl``).

    Parameters
    ----------
    first
        Asks for the first page (a GET, or a query POSTed with its filter).
    items
        The key of each page's list of items.
    next_link
        The next page's URL in a page's body, ``None`` (or empty) on the last page.
    """
    answer = first()
    seen: set[str] = set()
    while True:
        yield from _items(client, answer.body, items)
        link = next_link(answer.body)
        if not link:
            return
        if link in seen:  # a server naming a page again would otherwise never end
            raise FetchError(f"{client.source}: the API named the page {link} twice")
        seen.add(link)
        answer = client.request(method, link, headers=headers)


def pages_by_number(
    client: VendorClient,
    url: str,
    items: str,
    *,
    params: Mapping[str, Any] | None = None,
    page: str = "page",
    first_page: int = 0,
    size: tuple[str, int] | None = None,
    last_page: Callable[[Any, int], bool] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Iterator[dict[str, Any]]:
    """Every item of a list asked for page by page (``?page=0&size=200``).

    Parameters
    ----------
    items
        The key of each page's list of items (``""`` when the page is the list itself).
    size
        The page size parameter and value, if the API takes one.
    last_page
        Whether a page (its body and number) is the last; by default, a page with fewer items
        than the page size, or with none.
    """
    number = first_page
    while True:
        query = {**(params or {}), page: number}
        if size:
            query[size[0]] = size[1]
        answer = client.request("GET", url, params=query, headers=headers)
        found = list(_items(client, answer.body, items))
        yield from found
        if last_page is not None:
            if last_page(answer.body, number):
                return
        elif not found or (size is not None and len(found) < size[1]):
            return
        number += 1


def _items(client: VendorClient, body: Any, key: str) -> Iterator[dict[str, Any]]:
    listed = body.get(key) if key and isinstance(body, dict) else body
    if listed is None:
        listed = []
    if not isinstance(listed, list):
        raise FetchError(f"{client.source}: the API answered without a list of {key or 'items'}")
    for item in listed:
        if not isinstance(item, dict):
            raise FetchError(f"{client.source}: the API listed {item!r} among the {key}")
        yield item


def _body(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json(parse_float=Decimal)
    except ValueError:
        return None


def json_text(value: Any) -> str:
    """JSON text with :class:`~decimal.Decimal` amounts as exact numbers (``95.00``, never
    ``95.0`` or a float's rounding): what is sent is what the dry run shows."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a number JSON can carry")
        return f"{value:f}"
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{json.dumps(str(k))}: {json_text(v)}" for k, v in value.items()) + "}"
        )
    if isinstance(value, list | tuple):
        return "[" + ", ".join(json_text(each) for each in value) + "]"
    if hasattr(value, "item") and not isinstance(value, str):  # a numpy number
        return json_text(value.item())
    return json.dumps(value, ensure_ascii=False)


def _said(response: requests.Response) -> str:
    """What an error answer says, in one line: each API words it its own way."""
    body = _body(response)
    message = ""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):  # Microsoft Graph: {"error": {"code", "message"}}
            message = str(error.get("message") or error.get("code") or "")
        elif isinstance(body.get("errors"), list) and body["errors"]:  # Autotask
            message = "; ".join(str(each) for each in body["errors"])
        else:  # Pax8 {"error", "error_description"}, ConnectWise and Huntress {"message"}
            message = str(body.get("error_description") or body.get("message") or error or "")
    elif response.text and len(response.text) < 200 and "<" not in response.text:
        message = response.text
    message = " ".join(message.split())
    return f": {message[:300]}" if message else ""


def _retry_after(value: str | None) -> float | None:
    """A ``Retry-After`` header in seconds: a number of seconds, or an HTTP date."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _without_query(url: str, params: Mapping[str, Any] | None) -> str:
    if not params:
        return url
    return url + "?" + "&".join(f"{key}={value}" for key, value in params.items())


def _reason(exc: BaseException) -> str:
    """Why a connection failed, without the URL (which ``requests`` repeats at length)."""
    text = str(exc)
    for known in ("Connection refused", "Name or service not known", "timed out", "reset"):
        if known in text:
            return known.casefold()
    return type(exc).__name__
