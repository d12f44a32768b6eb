"""Customer links: one organisation known to several vendors by the identifiers they share.

Exports carry other systems' identifiers beside their own. A Partner Center customer *is* a
Microsoft 365 tenant (its ``CustomerId`` is its key); a Huntress organization names the tenant
it watches (``microsoft_365_tenant_id``); a Pax8 invoice item names the company's id in the
MSP's own systems (``externalId``, usually the PSA company's id). A vendor customer nobody
mapped that shares such an identifier with a customer somebody did map is the same organisation
far more surely than any likeness of names says, so :func:`customer_evidence` suggests that
customer's PSA company, scored :data:`EVIDENCE_SCORE`, with the evidence as its reasons ("same
Microsoft tenant as the mapped Partner Center customer Contoso Ltd"). As every suggestion, it
is never applied without a person's confirmation.

Evidence that disagrees (one tenant on customers mapped to two companies) suggests nothing: the
reasons say which customers disagree, for a person to settle.

The links are a small frame, one row per vendor customer and identifier (:data:`LINK_COLUMNS`),
read by :func:`read_links` from the period's exports of the formats that carry them (only those
files, only once per set of exports: the period store keeps the frame beside the canonical
inputs). The canonical usage frame stays as it is: millions of rows need no column that a few
thousand customers fill.

Left out on purpose: Partner Center's ``CustomerDomainName`` is on no other vendor's export (its
tenant id already links Partner Center's own files); Datto RMM's device export names no other
system (the RMM's link to the PSA, a site's Autotask company, is in its API's sites, not in the
export); Datto BCDR and Acronis name only themselves.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from workbench.sources import huntress, pax8
from workbench.sources.formats import Format
from workbench.sources.reading import RawTable, header_key, read_table

__all__ = [
    "EVIDENCE_SCORE",
    "LINK_COLUMNS",
    "MICROSOFT_TENANT",
    "PAX8_EXTERNAL_ID",
    "Evidence",
    "customer_evidence",
    "no_links",
    "read_links",
]

#: One row per vendor customer and identifier it carries.
LINK_COLUMNS = ["vendor", "customer_key", "kind", "value"]

#: The kinds of identifier: a Microsoft 365 tenant id, a Pax8 company's external id.
MICROSOFT_TENANT = "microsoft tenant"
PAX8_EXTERNAL_ID = "pax8 external id"

#: The score of a suggestion made on shared identifiers: the top of the scale, and it wins over
#: any name reading, even one of 100 (names alike are not the same organisation; one tenant is).
EVIDENCE_SCORE = 100.0

#: The formats whose exports carry links: each with its vendor, what the link is, and the
#: importer's function that reads ``(customer key, value)`` pairs from a table.
_CARRIERS: tuple[tuple[Format, str, str, Callable[[RawTable], list[tuple[str, str]]]], ...] = (
    (huntress.ORGANIZATIONS, huntress.VENDOR, MICROSOFT_TENANT, huntress.tenant_links),
    (pax8.INVOICE_ITEMS, pax8.VENDOR, PAX8_EXTERNAL_ID, pax8.external_id_links),
    (pax8.SUBSCRIPTIONS, pax8.VENDOR, PAX8_EXTERNAL_ID, pax8.external_id_links),
)

#: How a reason names a vendor's customer.
_CUSTOMER_WORDS = {
    "microsoft": "Partner Center customer",
    "huntress": "Huntress organization",
    "pax8": "Pax8 company",
    "datto_rmm": "Datto RMM site",
    "acronis": "Acronis tenant",
    "datto_bcdr": "Datto BCDR organization",
}
_KIND_WORDS = {MICROSOFT_TENANT: "Microsoft tenant", PAX8_EXTERNAL_ID: "Pax8 external id"}
#: The vendor whose own identifier each kind is: its customers are named first.
_HOME = {MICROSOFT_TENANT: "microsoft", PAX8_EXTERNAL_ID: pax8.VENDOR}


def no_links() -> pd.DataFrame:
    """An empty links frame."""
    return pd.DataFrame({name: pd.Series(dtype="str") for name in LINK_COLUMNS})


def read_links(root: Path, files: pd.DataFrame, *, decimal_mark: str = ".") -> pd.DataFrame:
    """The links the period's exports carry, read from the files of the formats that have them.

    Parameters
    ----------
    root
        The workspace folder; ``files["source_file"]`` is relative to it.
    files
        The period's files as the canonical inputs list them (``source_file``, ``format``,
        ``side``): a file identical to one before it (side ``duplicate``) is not read again.
    decimal_mark
        The workspace's decimal mark, for reading the files as the importers did.

    Returns
    -------
    pandas.DataFrame
        :data:`LINK_COLUMNS`, one row per vendor customer and value, values as written (case
        and braces are ignored when compared).
    """
    carriers = {fmt.title: (fmt, vendor, kind, read) for fmt, vendor, kind, read in _CARRIERS}
    rows: set[tuple[str, str, str, str]] = set()
    for source_file, title, side in files[["source_file", "format", "side"]].itertuples(
        index=False
    ):
        if side != "usage" or title not in carriers:
            continue
        fmt, vendor, kind, read = carriers[title]
        table = read_table(
            root / str(source_file), decimal_mark=decimal_mark, recognise=_recognising(fmt)
        )
        rows.update((vendor, key, kind, value) for key, value in read(table))
    if not rows:
        return no_links()
    return pd.DataFrame(sorted(rows), columns=LINK_COLUMNS).astype("str")


@dataclass(frozen=True)
class Evidence:
    """What the identifiers a vendor customer shares say about its PSA company.

    Attributes
    ----------
    company_id
        The one company every customer sharing an identifier with it is mapped to; empty when
        they disagree (``conflicting``).
    reasons
        Each shared identifier and the mapped customer holding it, in words; for conflicting
        evidence, one reason naming the customers that disagree and their companies.
    conflicting
        The shared identifiers point at more than one company: nothing is suggested.
    """

    company_id: str
    reasons: tuple[str, ...]
    conflicting: bool = False


def customer_evidence(
    customers: pd.DataFrame,
    links: pd.DataFrame,
    company_names: Mapping[str, str],
    vendor_titles: Mapping[str, str],
) -> dict[tuple[str, str], Evidence]:
    """The evidence for each unmapped vendor customer that shares an identifier with a mapped
    one (or, for a Pax8 external id, that names a PSA company's id).

    Parameters
    ----------
    customers
        The period's vendor customers: ``vendor, customer_key, customer_name, company_id,
        method``; ``company_id`` set for a customer mapped by id or exact name, ``method``
        ``"unmapped"`` for those that need a suggestion.
    links
        :data:`LINK_COLUMNS`, as :func:`read_links` gives them. A Microsoft customer's own key
        is its tenant and need not be listed.
    company_names
        PSA company id -> name.
    vendor_titles
        Vendor key -> the vendor's name, for vendors :data:`_CUSTOMER_WORDS` does not know.

    Returns
    -------
    dict
        ``(vendor, customer_key)`` of an unmapped customer (its key as ``customers`` has it) ->
        :class:`Evidence`. Customers without shared identifiers are left out.
    """
    if customers.empty:
        return {}
    microsoft = customers[customers["vendor"] == "microsoft"]
    every = pd.concat(
        [
            links[LINK_COLUMNS].astype(object),
            pd.DataFrame(
                {
                    "vendor": "microsoft",
                    "customer_key": microsoft["customer_key"].astype(object),
                    "kind": MICROSOFT_TENANT,
                    "value": microsoft["customer_key"].astype(object),
                }
            ),
        ],
        ignore_index=True,
    )
    every["customer_key"] = every["customer_key"].map(lambda key: str(key).casefold())
    every["value"] = every["value"].map(_identifier)
    every = every[every["value"] != ""].drop_duplicates()
    seen = customers[["vendor", "customer_key", "customer_name", "company_id", "method"]].astype(
        object
    )
    seen = seen.assign(folded=seen["customer_key"].map(lambda key: str(key).casefold()))
    held = every.merge(
        seen, left_on=["vendor", "customer_key"], right_on=["vendor", "folded"], suffixes=("", "_")
    )
    # Who holds each identifier: the mapped customers, and the unmapped ones asking.
    holders: dict[tuple[str, str], list[tuple[str, str, str]]] = defaultdict(list)
    asking: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for vendor, key, kind, value, name, company_id, method in held[
        ["vendor", "customer_key_", "kind", "value", "customer_name", "company_id", "method"]
    ].itertuples(index=False):
        if company_id:
            holders[(kind, value)].append((str(vendor), str(name), str(company_id)))
        elif method == "unmapped":
            asking[(kind, value)].append((str(vendor), str(key)))
    companies_by_id = {str(cid).casefold(): str(cid) for cid in company_names}

    found: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)  # reason, company
    for (kind, value), askers in asking.items():
        # The customers holding it, by company; the system whose identifier it is first.
        by_company: dict[str, list[str]] = defaultdict(list)
        for vendor, name, company_id in sorted(
            holders.get((kind, value), ()),
            key=lambda holder: (holder[0] != _HOME[kind], holder[0], holder[1].casefold()),
        ):
            by_company[company_id].append(
                f"the mapped {_customer_words(vendor, vendor_titles)} {name}"
            )
        said = _KIND_WORDS[kind] + (f" ({value})" if kind != MICROSOFT_TENANT else "")
        pointers = [
            (f"same {said} as {' and '.join(customers)}", company_id)
            for company_id, customers in by_company.items()
        ]
        if kind == PAX8_EXTERNAL_ID and value in companies_by_id:
            company_id = companies_by_id[value]
            pointers.append(
                (
                    f"its Pax8 external id {value} is the id of PSA company "
                    f"{company_names[company_id]}",
                    company_id,
                )
            )
        for asker in askers:
            found[asker].extend(pointers)

    evidence = {}
    for asker, pointers in found.items():
        if not pointers:
            continue
        pointers = list(dict.fromkeys(pointers))
        companies = {company_id for _, company_id in pointers}
        if len(companies) == 1:
            evidence[asker] = Evidence(companies.pop(), tuple(reason for reason, _ in pointers))
            continue
        disagreeing = "; ".join(
            f"{reason}, mapped to {company_names.get(company_id, company_id)}"
            for reason, company_id in pointers
        )
        evidence[asker] = Evidence(
            "",
            (
                f"conflicting evidence: {disagreeing}; so no suggestion: choose the company "
                "(and check the mappings of those customers)",
            ),
            conflicting=True,
        )
    return evidence


def _recognising(fmt: Format) -> Callable[[Sequence[str]], bool]:
    """Whether a header is the format's: the importer found the table under such a header."""
    wanted = {header_key(name) for name in fmt.signature}
    return lambda cells: wanted <= {header_key(cell) for cell in cells}


def _identifier(value: object) -> str:
    """An identifier as compared: case, surrounding spaces and a GUID's braces ignored."""
    return str(value).strip().strip("{}").strip().casefold()


def _customer_words(vendor: str, vendor_titles: Mapping[str, str]) -> str:
    return _CUSTOMER_WORDS.get(vendor) or f"{vendor_titles.get(vendor, vendor)} customer"
