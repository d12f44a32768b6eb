"""Mapping: vendor customers to PSA companies, vendor SKUs and metrics to PSA services.

The mappings workbook is the source of truth; a person edits it in Excel. Its sheets:

``Customers``
    Vendor | Vendor customer ID | Vendor customer name | PSA company ID | PSA company name |
    Exclude reason. A row with an exclude reason keeps that vendor customer out on purpose.
``Services``
    Vendor | Vendor SKU | Vendor SKU name | PSA service ID | PSA service name | Factor |
    Exclude reason. One SKU may feed several services and several SKUs one service; the
    factor converts vendor units into service units (0.01 for "per 100 GB").
``Tolerances``
    PSA service ID | PSA service name | Tolerance (units): a difference within it is a match.
``Aliases`` (optional)
    Vendor | Vendor SKU | Same as vendor SKU | Note. Term and billing-cycle variants of one
    product (a monthly and an annual Pax8 SKU, every SKU id of one Partner Center product) are
    counted as the SKU they are an alias of, so the product is mapped once. ``*`` and ``?``
    wildcards are allowed in the alias (``CFQ7TTC0LCHC:*``), and in the Services sheet's
    Vendor SKU too, where an exact row wins over a pattern (an ignore rule for ``*TRIAL*``).
``Bundles`` and ``Bundle clients`` (optional)
    Bundle services, their drivers and components, and per-client terms: see
    :mod:`workbench.bundles`.

A workbook can read without error and still not say what was meant: :attr:`Mappings.warnings`
lists what reads so (a bundle's driver SKU that also feeds a stand-alone service, see
:class:`MappingWarning`), and the reconciliation carries the list to every face.

Customers are matched by vendor id first, then by exact name (case and spacing ignored) against
PSA company names. Every match records its method so later matchers (fuzzy suggestions) slot in
as further methods that need a person's confirmation.
"""

from __future__ import annotations

import fnmatch
import functools
import operator
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from workbench.bundles import PARTS, RULES, Bundle, BundleRow, BundleTerms, bundles_from_rows
from workbench.customer_links import EVIDENCE_SCORE, customer_evidence, no_links
from workbench.errors import InputError
from workbench.matching import suggest
from workbench.sources.schemas import vendor_key

VENDOR_TITLES = {
    "microsoft": "Microsoft",
    "datto_rmm": "Datto RMM",
    "huntress": "Huntress",
    "pax8": "Pax8",
    "acronis": "Acronis",
    "datto_bcdr": "Datto BCDR",
    "sentinelone": "SentinelOne",
}
CUSTOMER_HEADERS = (
    "Vendor",
    "Vendor customer ID",
    "Vendor customer name",
    "PSA company ID",
    "PSA company name",
    "Exclude reason",
)
SERVICE_HEADERS = (
    "Vendor",
    "Vendor SKU",
    "Vendor SKU name",
    "PSA service ID",
    "PSA service name",
    "Factor",
    "Exclude reason",
)
TOLERANCE_HEADERS = ("PSA service ID", "PSA service name", "Tolerance (units)")
ALIAS_HEADERS = ("Vendor", "Vendor SKU", "Same as vendor SKU", "Note")
BUNDLE_HEADERS = (
    "Bundle service ID",
    "Bundle service name",
    "Part",
    "Component",
    "Vendor",
    "Vendor SKU",
    "Vendor SKU name",
    "Driver factor",
    "Per bundle unit",
    "Rule",
    "Unit cost",
)
BUNDLE_CLIENT_HEADERS = (
    "PSA company ID",
    "PSA company name",
    "Bundle service ID",
    "Minimum quantity",
    "Driver adjustment",
    "Waived components",
    "Note",
)
#: Sheets every mappings workbook has, and sheets read only when present.
SHEETS = ("Customers", "Services", "Tolerances")
OPTIONAL_SHEETS = ("Aliases", "Bundles", "Bundle clients")

MatchMethod = Literal["id", "exact name", "excluded", "unmapped"]

#: Columns holding numbers; every other column is text, so Excel keeps ids and SKUs as typed
#: (a tenant GUID or SKU "0001" must never become a number).
_NUMBER_COLUMNS = {
    "Factor",
    "Tolerance (units)",
    "Driver factor",
    "Per bundle unit",
    "Unit cost",
    "Minimum quantity",
    "Driver adjustment",
}


def name_key(text: str) -> str:
    """Exact-name comparison ignores case and spacing only."""
    return " ".join(text.casefold().split())


def _casefolded(values: np.ndarray, text: pa.Array) -> pa.Array:
    """``str(value).casefold()`` of each value, as Arrow text: made by Arrow when the text is
    all ASCII and has no missing value (casefolding ASCII is lowering it), else one by one."""
    if text.null_count == 0 and pc.all(pc.string_is_ascii(text), min_count=0).as_py():
        return pc.ascii_lower(text)
    return pa.array([str(value).casefold() for value in values.tolist()], type=pa.large_string())


@dataclass(frozen=True)
class CustomerMapping:
    vendor: str
    customer_key: str
    customer_name: str
    company_id: str
    company_name: str
    exclude_reason: str = ""


@dataclass(frozen=True)
class ServiceMapping:
    vendor: str
    sku: str
    sku_name: str
    service_id: str
    service_name: str
    factor: Fraction = Fraction(1)
    exclude_reason: str = ""


@dataclass(frozen=True)
class SkuAlias:
    vendor: str
    pattern: str  # a vendor SKU, or a pattern with * and ?
    sku: str  # the SKU it counts as
    note: str = ""

    def matches(self, vendor: str, sku: str) -> bool:
        return vendor == self.vendor and _sku_matches(self.pattern, sku)


@dataclass(frozen=True)
class MappingWarning:
    """A bundle's driver SKU that also feeds a stand-alone service and is not a component.

    Drivers are only counted (:mod:`workbench.bundles`), so every client of the bundle is also
    expected to pay the stand-alone service for the same units. That is right when the client
    pays for both, and a false finding when the bundle includes them: only the person who
    wrote the mappings knows which, so it is said once per bundle, SKU and service.
    """

    bundle_id: str
    bundle_name: str
    vendor: str
    sku: str
    sku_name: str  # as the Bundles sheet names the driver
    service_id: str
    service_name: str

    def __str__(self) -> str:
        vendor = VENDOR_TITLES.get(self.vendor, self.vendor)
        sku = self.sku if self.sku_name == self.sku else f"{self.sku} ({self.sku_name})"
        service = self.service_name or f"service {self.service_id}"
        named = f"{service} ({self.service_id})" if self.service_name else service
        return (
            f"{self.bundle_name} ({self.bundle_id}) is driven by {vendor} SKU {sku}, which also "
            f"feeds {named} on its own and is not one of the bundle's components: every client "
            "of the bundle is expected to pay for those units twice, in the bundle and on "
            f"{service}. If the bundle includes them, list {self.sku} as a component of "
            f"{self.bundle_name} in sheet Bundles; if the client pays for both, leave the "
            "mappings as they are."
        )


@dataclass(frozen=True)
class Mappings:
    """The content of a mappings workbook."""

    customers: tuple[CustomerMapping, ...] = ()
    services: tuple[ServiceMapping, ...] = ()
    tolerances: dict[str, int] = field(default_factory=dict)
    aliases: tuple[SkuAlias, ...] = ()
    bundles: dict[str, Bundle] = field(default_factory=dict)
    bundle_terms: tuple[BundleTerms, ...] = ()

    @classmethod
    def read(cls, path: Path) -> Mappings:
        """Read and check a mappings workbook."""
        if not path.exists():
            raise InputError(
                path, "the mappings workbook is missing", expected="mappings.xlsx in the workspace"
            )
        book = _Book.open(path)
        try:
            customers = [
                CustomerMapping(
                    vendor=vendor_key(row["Vendor"]),
                    customer_key=row["Vendor customer ID"].casefold(),
                    customer_name=row["Vendor customer name"],
                    company_id=row["PSA company ID"],
                    company_name=row["PSA company name"],
                    exclude_reason=row["Exclude reason"],
                )
                for row in _sheet_rows(
                    path, book, "Customers", CUSTOMER_HEADERS, required=("Vendor",)
                )
            ]
            services = []
            for number, row in _numbered_rows(
                path, book, "Services", SERVICE_HEADERS, required=("Vendor", "Vendor SKU")
            ):
                if not row["PSA service ID"] and not row["Exclude reason"]:
                    raise InputError(
                        f"{path} [Services]",
                        "a service row needs a PSA service ID or an exclude reason",
                        row=number,
                        column="PSA service ID",
                        expected="the service this SKU feeds, or why the SKU is ignored",
                    )
                services.append(
                    ServiceMapping(
                        vendor=vendor_key(row["Vendor"]),
                        sku=row["Vendor SKU"],
                        sku_name=row["Vendor SKU name"],
                        service_id=row["PSA service ID"],
                        service_name=row["PSA service name"],
                        factor=_factor(path, number, row["Factor"]),
                        exclude_reason=row["Exclude reason"],
                    )
                )
            tolerances = {
                row["PSA service ID"]: _whole(
                    path, number, "Tolerance (units)", row["Tolerance (units)"]
                )
                for number, row in _numbered_rows(
                    path, book, "Tolerances", TOLERANCE_HEADERS, required=("PSA service ID",)
                )
            }
            aliases = [
                SkuAlias(
                    vendor=vendor_key(row["Vendor"]),
                    pattern=row["Vendor SKU"],
                    sku=row["Same as vendor SKU"],
                    note=row["Note"],
                )
                for row in _sheet_rows(
                    path,
                    book,
                    "Aliases",
                    ALIAS_HEADERS,
                    required=("Vendor", "Vendor SKU", "Same as vendor SKU"),
                    optional=True,
                )
            ]
            bundle_rows = [
                _bundle_row(path, number, row)
                for number, row in _numbered_rows(
                    path,
                    book,
                    "Bundles",
                    BUNDLE_HEADERS,
                    required=("Bundle service ID", "Part", "Vendor", "Vendor SKU"),
                    optional=True,
                )
            ]
            terms = [
                _bundle_terms(path, number, row)
                for number, row in _numbered_rows(
                    path,
                    book,
                    "Bundle clients",
                    BUNDLE_CLIENT_HEADERS,
                    required=("PSA company ID", "Bundle service ID"),
                    optional=True,
                )
            ]
        finally:
            book.close()
        bundles = bundles_from_rows(bundle_rows)
        _check_bundles(path, bundles, bundle_rows, services, terms)
        for number, mapping in enumerate(customers, start=2):
            if not mapping.exclude_reason and not mapping.company_id:
                raise InputError(
                    path,
                    "a customer row needs a PSA company ID or an exclude reason",
                    row=number,
                    column="PSA company ID",
                )
        return cls(
            customers=tuple(customers),
            services=tuple(services),
            tolerances=tolerances,
            aliases=tuple(aliases),
            bundles=bundles,
            bundle_terms=tuple(terms),
        )

    def canonical_sku(self, vendor: str, sku: str) -> str:
        """The SKU a vendor SKU counts as: its alias target, else itself."""
        for alias in self.aliases:
            if alias.matches(vendor, sku):
                return alias.sku
        return sku

    def match_customers(
        self,
        vendor_customers: pd.DataFrame,
        companies: pd.DataFrame,
        links: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Decide which PSA company each vendor customer belongs to.

        Parameters
        ----------
        vendor_customers
            Distinct ``vendor, customer_key, customer_name``.
        companies
            The PSA's ``company_id, company_name``.
        links
            Identifiers the vendor customers carry across vendors
            (:data:`~workbench.customer_links.LINK_COLUMNS`); None: only the Microsoft
            customers' own tenants.

        Returns
        -------
        pandas.DataFrame
            ``vendor, customer_key, customer_name, company_id, company_name, method, note,
            suggested_company_id, suggestion_score, suggestion_reasons``; ``company_id`` is
            empty unless the method is "id" or "exact name". An unmatched customer that shares
            an identifier with mapped customers of one company gets that company
            (:func:`workbench.customer_links.customer_evidence`), scored above any name;
            otherwise the best fuzzy suggestion (:func:`workbench.matching.suggest`). Its
            score and reasons are in the note, the reasons also in ``suggestion_reasons``: a
            suggestion is never applied, a person confirms it in the mappings workbook.
            Identifiers that point at two companies suggest nothing, and the note says so.
        """
        # As Python lists first: iterating Arrow-backed columns makes a scalar per value.
        ids, titles = companies["company_id"].tolist(), companies["company_name"].tolist()
        names = [name_key(title) for title in titles]
        repeated = {name for name, times in Counter(names).items() if times > 1}
        by_name = {name: cid for name, cid in zip(names, ids, strict=True) if name not in repeated}
        company_names = dict(zip(ids, titles, strict=True))
        candidates = tuple((str(cid), str(name)) for cid, name in company_names.items())
        vendor = vendor_customers["vendor"].to_numpy(dtype=object)
        customer_key = vendor_customers["customer_key"].to_numpy(dtype=object)
        customer_name = vendor_customers["customer_name"].to_numpy(dtype=object)
        count = len(vendor)

        # By id: the Customers row naming each vendor customer, else -1, looked up vendor by
        # vendor. Ids compare without case: GUIDs arrive in either case, and Excel users retype.
        vendor_text = pa.array(vendor, type=pa.large_string(), from_pandas=True)
        key_text = pa.array(customer_key, type=pa.large_string(), from_pandas=True)
        folded = _casefolded(customer_key, key_text)
        mapped = np.full(count, -1, dtype=np.int64)
        for vendor_met, (sheet_keys, sheet_rows) in self._customer_ids.items():
            of_vendor = np.flatnonzero(vendor == vendor_met)
            found_at = (
                pc.index_in(folded.take(of_vendor), value_set=sheet_keys).fill_null(-1).to_numpy()
            )
            mapped[of_vendor] = np.where(found_at >= 0, sheet_rows[found_at], -1)
        found = np.flatnonzero(mapped >= 0)
        sheet = self._customer_sheet
        rows = mapped[found]
        company_id = np.full(count, "", dtype=object)
        method = np.full(count, "unmapped", dtype=object)
        note = np.full(count, "", dtype=object)
        suggested_id = np.full(count, "", dtype=object)
        score = np.zeros(count, dtype=np.float64)
        reason = sheet["exclude_reason"][rows]
        excluded, by_id = found[reason != ""], found[reason == ""]
        method[excluded], note[excluded] = "excluded", reason[reason != ""]
        rows = rows[reason == ""]
        company_id[by_id], method[by_id] = sheet["company_id"][rows], "id"
        # A name the sheet gives that the vendor no longer uses: said, never acted on.
        was = sheet["customer_name"][rows]
        differs = np.flatnonzero((was != "") & (was != customer_name[by_id]))
        for at, old_name, name in zip(
            by_id[differs].tolist(),
            was[differs].tolist(),
            customer_name[by_id[differs]].tolist(),
            strict=True,
        ):
            if name_key(old_name) != name_key(name):
                note[at] = f"renamed at the vendor: was {old_name!r}"

        # The others by exact name, else a suggestion for a person to confirm.
        unmatched = []
        for at in np.flatnonzero(mapped < 0).tolist():
            name = str(customer_name[at])
            if name_key(name) in by_name:
                company_id[at], method[at] = str(by_name[name_key(name)]), "exact name"
                continue
            unmatched.append(at)
        links = no_links() if links is None else links
        # Only customers of a vendor that carries identifiers (its own tenant for Microsoft,
        # else a link) can share one: the others are left out of the search, and with no
        # such customer left to suggest for there is nothing to search.
        carrying = np.isin(vendor, list({"microsoft", *links["vendor"].tolist()}))
        evidence = (
            customer_evidence(
                pd.DataFrame(
                    {
                        "vendor": vendor[carrying],
                        "customer_key": customer_key[carrying],
                        "customer_name": customer_name[carrying],
                        "company_id": company_id[carrying],
                        "method": method[carrying],
                    }
                ),
                links,
                company_names,
                VENDOR_TITLES,
            )
            if carrying[unmatched].any()
            else {}
        )
        suggestion_reasons = np.full(count, "", dtype=object)
        for at in unmatched:
            name = str(customer_name[at])
            note[at] = "no customer mapping by id, and no PSA company has this exact name"
            best = suggest(name, candidates, limit=1)
            shared = evidence.get((str(vendor[at]), str(customer_key[at])))
            if shared is not None and shared.conflicting:
                note[at] += ". " + "; ".join(shared.reasons)
                continue
            if shared is not None:
                suggested_id[at], score[at] = shared.company_id, EVIDENCE_SCORE
                reasons = list(shared.reasons)
                if best and best[0].company_id == shared.company_id:
                    reasons.append(f"the name fits too, score {best[0].score:.0f}")
                elif best:
                    reasons.append(
                        f"the name alone would suggest {best[0].company_name} "
                        f"(score {best[0].score:.0f})"
                    )
                suggested_name = company_names.get(shared.company_id, shared.company_id)
            elif best:
                suggested_id[at], score[at] = best[0].company_id, best[0].score
                reasons = list(best[0].reasons)
                suggested_name = best[0].company_name
            else:
                continue
            suggestion_reasons[at] = "; ".join(reasons)
            note[at] += (
                f". Suggested: {suggested_name} (score {score[at]:.0f}"
                f"{': ' + suggestion_reasons[at] if reasons else ''}); confirm it in mappings.xlsx"
            )
        # Each company's name (the last row of an id, as ``company_names`` keeps it).
        names_of = np.asarray([*company_names.values(), ""], dtype=object)
        position = pd.Index(list(company_names), dtype=object).get_indexer(
            pd.Index(company_id, dtype=object)
        )
        # An id no company has, and no id, are named "" (the last of ``names_of``).
        position[(position < 0) | (company_id == "")] = len(company_names)
        company_name = names_of[position]
        text = {
            "vendor": vendor,
            "customer_key": customer_key,
            "customer_name": customer_name,
            "company_id": company_id,
            "company_name": company_name,
            "method": method,
            "note": note,
            "suggested_company_id": suggested_id,
            "suggestion_reasons": suggestion_reasons,
        }
        # Made by Arrow from the Python strings (pandas' own conversion checks each first).
        made = {"vendor": vendor_text, "customer_key": key_text}
        columns = {
            column: pd.array(
                made[column]
                if column in made
                else pa.array(values, type=pa.large_string(), from_pandas=True),
                dtype="str",
            )
            for column, values in text.items()
        }
        reasons_column = columns.pop("suggestion_reasons")
        return pd.DataFrame(
            {**columns, "suggestion_score": score, "suggestion_reasons": reasons_column}
        )

    @functools.cached_property
    def _customer_sheet(self) -> dict[str, np.ndarray]:
        """The Customers sheet's columns the matching reads, by row."""
        return {
            column: np.fromiter(
                map(operator.attrgetter(column), self.customers),
                dtype=object,
                count=len(self.customers),
            )
            for column in (
                "vendor",
                "customer_key",
                "company_id",
                "customer_name",
                "exclude_reason",
            )
        }

    @functools.cached_property
    def _customer_ids(self) -> dict[str, tuple[pa.Array, np.ndarray]]:
        """Per vendor, the customer ids of the Customers sheet casefolded, and the row of
        each: the last rows naming an id come first, as a lookup takes the first."""
        sheet = self._customer_sheet
        keys = sheet["customer_key"]
        folded = _casefolded(keys, pa.array(keys, type=pa.large_string()))
        ids: dict[str, tuple[pa.Array, np.ndarray]] = {}
        has_id = keys != ""
        for vendor in dict.fromkeys(sheet["vendor"].tolist()):
            rows = np.flatnonzero((sheet["vendor"] == vendor) & has_id)[::-1]
            if len(rows):
                ids[vendor] = (folded.take(rows), rows)
        return ids

    def service_table(self, present: set[tuple[str, str]] | None = None) -> pd.DataFrame:
        """Service mappings as a frame: ``vendor, sku, service_id, service_name, factor,
        exclude_reason``.

        Rows whose Vendor SKU is a pattern are expanded to the ``present`` (vendor, SKU) pairs
        they match that no exact row names; without ``present`` they are left out.
        """
        exact = [m for m in self.services if not _is_pattern(m.sku)]
        named = {(m.vendor, m.sku) for m in exact}
        expanded = list(exact)
        for vendor, sku in sorted(present or ()):
            if (vendor, sku) not in named:
                expanded.extend(self._pattern_rows(vendor, sku))
        return pd.DataFrame.from_records(
            [
                {
                    "vendor": m.vendor,
                    "sku": m.sku,
                    "service_id": m.service_id,
                    "service_name": m.service_name,
                    "factor": m.factor,
                    "exclude_reason": m.exclude_reason,
                }
                for m in expanded
            ],
            columns=["vendor", "sku", "service_id", "service_name", "factor", "exclude_reason"],
        )

    def services_for(self, vendor: str, sku: str) -> list[ServiceMapping]:
        """The Services rows a counted vendor SKU (aliases applied) goes to, as the
        reconciliation finds them: the rows naming it, else those of the first pattern it
        matches."""
        exact = [
            m
            for m in self.services
            if m.vendor == vendor and m.sku == sku and not _is_pattern(m.sku)
        ]
        return exact or self._pattern_rows(vendor, sku)

    def _pattern_rows(self, vendor: str, sku: str) -> list[ServiceMapping]:
        pattern = next(
            (
                m
                for m in self.services
                if m.vendor == vendor and _is_pattern(m.sku) and _sku_matches(m.sku, sku)
            ),
            None,
        )
        if pattern is None:
            return []
        # Every row of the first matching pattern: one SKU may feed several services.
        return [
            ServiceMapping(
                vendor=vendor,
                sku=sku,
                sku_name=m.sku_name,
                service_id=m.service_id,
                service_name=m.service_name,
                factor=m.factor,
                exclude_reason=m.exclude_reason,
            )
            for m in self.services
            if m.vendor == vendor and m.sku == pattern.sku
        ]

    @functools.cached_property
    def warnings(self) -> tuple[MappingWarning, ...]:
        """Bundle drivers that also feed a stand-alone service without being a component of
        their bundle: one :class:`MappingWarning` per bundle, driver SKU and service."""
        found: dict[tuple[str, str, str, str], MappingWarning] = {}
        for bundle in self.bundles.values():
            components = {(v, s) for c in bundle.components for v, s, _ in c.skus}
            for driver in bundle.drivers:
                if (driver.vendor, driver.sku) in components:
                    continue
                if self.canonical_sku(driver.vendor, driver.sku) != driver.sku:
                    continue  # usage arrives as its alias target: this driver counts nothing
                for service in self.services_for(driver.vendor, driver.sku):
                    if service.exclude_reason:
                        continue  # an ignore rule, not a stand-alone service
                    key = (bundle.service_id, driver.vendor, driver.sku, service.service_id)
                    found.setdefault(
                        key,
                        MappingWarning(
                            bundle_id=bundle.service_id,
                            bundle_name=bundle.service_name,
                            vendor=driver.vendor,
                            sku=driver.sku,
                            sku_name=driver.sku_name,
                            service_id=service.service_id,
                            service_name=service.service_name,
                        ),
                    )
        return tuple(found.values())

    def terms_for(self, company_id: str, bundle_id: str) -> BundleTerms | None:
        return self._terms.get((company_id, bundle_id))

    @functools.cached_property
    def _terms(self) -> dict[tuple[str, str], BundleTerms]:
        return {(t.company_id, t.bundle_id): t for t in reversed(self.bundle_terms)}


def mappings_book(
    customers: list[list[object]] | None = None,
    services: list[list[object]] | None = None,
    tolerances: list[list[object]] | None = None,
    *,
    aliases: list[list[object]] | None = None,
    bundles: list[list[object]] | None = None,
    bundle_clients: list[list[object]] | None = None,
) -> openpyxl.Workbook:
    """A mappings workbook laid out for people, with the given rows (none: a blank template).

    Each sheet has a bold header, frozen panes, a filter, widths that fit, and text-formatted
    id columns.
    """
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for title, header, rows in (
        ("Customers", CUSTOMER_HEADERS, customers or []),
        ("Services", SERVICE_HEADERS, services or []),
        ("Tolerances", TOLERANCE_HEADERS, tolerances or []),
        ("Aliases", ALIAS_HEADERS, aliases or []),
        ("Bundles", BUNDLE_HEADERS, bundles or []),
        ("Bundle clients", BUNDLE_CLIENT_HEADERS, bundle_clients or []),
    ):
        sheet = book.create_sheet(title)
        sheet.append(list(header))
        for row in rows:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = PatternFill("solid", fgColor="1F4E78")
        for index, name in enumerate(header, start=1):
            letter = get_column_letter(index)
            width = max([len(name), *(len(str(row[index - 1])) for row in rows)]) + 2
            sheet.column_dimensions[letter].width = min(width, 48)
            text_format = "General" if name in _NUMBER_COLUMNS else "@"
            sheet.column_dimensions[letter].number_format = text_format
            for cell in sheet[letter][1:]:
                cell.number_format = text_format
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{max(len(rows), 1) + 1}"
    book.properties.creator = "MSP billing workbench"
    return book


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class _Book:
    """A workbook's sheets as rows of cell values, read with python-calamine (an order of
    magnitude faster than openpyxl on a mappings workbook with thousands of customers)."""

    def __init__(self, path: Path, workbook: Any) -> None:
        self.path = path
        self._workbook = workbook
        self.sheetnames: list[str] = list(workbook.sheet_names)

    @classmethod
    def open(cls, path: Path) -> _Book:
        from python_calamine import CalamineError, CalamineWorkbook

        try:
            return cls(path, CalamineWorkbook.from_path(str(path)))
        except (CalamineError, OSError, ValueError) as exc:
            raise InputError(
                path, f"cannot be opened as an Excel workbook ({exc})", expected="an .xlsx file"
            ) from None

    def rows(self, sheet: str) -> Iterator[list[object]]:
        from python_calamine import CalamineError

        try:
            values: list[list[object]] = self._workbook.get_sheet_by_name(sheet).to_python(
                skip_empty_area=False
            )
        except CalamineError as exc:
            raise InputError(self.path, f"sheet {sheet!r} cannot be read ({exc})") from None
        return iter(values)

    def close(self) -> None:
        self._workbook.close()


def _numbered_rows(
    path: Path,
    book: _Book,
    sheet: str,
    headers: tuple[str, ...],
    required: tuple[str, ...],
    *,
    optional: bool = False,
) -> list[tuple[int, dict[str, str]]]:
    if sheet not in book.sheetnames:
        if optional:
            return []
        raise InputError(
            path,
            f"sheet {sheet!r} is missing",
            expected=f"sheets {', '.join(SHEETS)}",
        )
    rows = book.rows(sheet)
    header = [_text(cell) for cell in next(rows, ())]
    positions = {}
    for name in headers:
        if name not in header:
            raise InputError(
                f"{path} [{sheet}]",
                f"column {name!r} is missing",
                row=1,
                column=name,
                expected=", ".join(headers),
            )
        positions[name] = header.index(name)
    result = []
    for number, cells in enumerate(rows, start=2):
        values = {
            name: _text(cells[index]) if index < len(cells) else ""
            for name, index in positions.items()
        }
        if not any(values.values()):
            continue
        for name in required:
            if not values[name]:
                raise InputError(
                    f"{path} [{sheet}]",
                    "the cell is empty",
                    row=number,
                    column=name,
                    expected="a value",
                )
        result.append((number, values))
    return result


def _sheet_rows(
    path: Path,
    book: _Book,
    sheet: str,
    headers: tuple[str, ...],
    required: tuple[str, ...],
    *,
    optional: bool = False,
) -> list[dict[str, str]]:
    return [
        values
        for _, values in _numbered_rows(path, book, sheet, headers, required, optional=optional)
    ]


def _factor(
    path: Path, row: int, text: str, *, sheet: str = "Services", column: str = "Factor"
) -> Fraction:
    if not text:
        return Fraction(1)
    try:
        factor = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise InputError(
            f"{path} [{sheet}]",
            f"{text!r} is not a number",
            row=row,
            column=column,
            expected="a positive number such as 1 or 0.01",
        ) from None
    if factor <= 0:
        raise InputError(
            f"{path} [{sheet}]",
            f"{text!r} is not positive",
            row=row,
            column=column,
            expected="a positive number such as 1 or 0.01",
        )
    return factor


def _whole(
    path: Path,
    row: int,
    column: str,
    text: str,
    *,
    sheet: str = "Tolerances",
    signed: bool = False,
) -> int:
    if not text:
        return 0
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        value = Fraction(-1 if not signed else 1, 2)
    if (value < 0 and not signed) or value.denominator != 1:
        raise InputError(
            f"{path} [{sheet}]",
            f"{text!r} is not a whole number of units",
            row=row,
            column=column,
            expected="a whole number, negative allowed" if signed else "0 or more",
        )
    return int(value)


def _is_pattern(sku: str) -> bool:
    return "*" in sku or "?" in sku


def _sku_matches(pattern: str, sku: str) -> bool:
    """Exact (case ignored) or a ``*``/``?`` wildcard pattern."""
    if not _is_pattern(pattern):
        return pattern.casefold() == sku.casefold()
    return fnmatch.fnmatchcase(sku.casefold(), pattern.casefold())


def _choice(path: Path, row: int, column: str, text: str, choices: tuple[str, ...]) -> str:
    value = " ".join(text.casefold().split())
    if value not in choices:
        raise InputError(
            f"{path} [Bundles]",
            f"{text!r} is not one of the choices",
            row=row,
            column=column,
            expected=" or ".join(repr(choice) for choice in choices),
        )
    return value


def _bundle_row(path: Path, row: int, values: dict[str, str]) -> BundleRow:
    part = _choice(path, row, "Part", values["Part"], PARTS)
    rule = _choice(path, row, "Rule", values["Rule"] or "exact", RULES)
    cost: Decimal | None = None
    if values["Unit cost"]:
        try:
            cost = Decimal(values["Unit cost"])
        except InvalidOperation:
            cost = Decimal(-1)
        if not cost.is_finite() or cost < 0:
            raise InputError(
                f"{path} [Bundles]",
                f"{values['Unit cost']!r} is not an amount",
                row=row,
                column="Unit cost",
                expected="an amount of 0 or more, such as 3.50, or empty",
            )
    return BundleRow(
        service_id=values["Bundle service ID"],
        service_name=values["Bundle service name"] or values["Bundle service ID"],
        part=part,  # type: ignore[arg-type]  # checked against PARTS
        component=values["Component"] or values["Vendor SKU name"] or values["Vendor SKU"],
        vendor=vendor_key(values["Vendor"]),
        sku=values["Vendor SKU"],
        sku_name=values["Vendor SKU name"] or values["Vendor SKU"],
        driver_factor=_factor(
            path, row, values["Driver factor"], sheet="Bundles", column="Driver factor"
        ),
        per_unit=_factor(
            path, row, values["Per bundle unit"], sheet="Bundles", column="Per bundle unit"
        ),
        rule=rule,  # type: ignore[arg-type]  # checked against RULES
        unit_cost=cost,
    )


def _bundle_terms(path: Path, row: int, values: dict[str, str]) -> BundleTerms:
    waived = frozenset(
        name.strip().casefold() for name in values["Waived components"].split(",") if name.strip()
    )
    return BundleTerms(
        company_id=values["PSA company ID"],
        bundle_id=values["Bundle service ID"],
        minimum=_whole(
            path, row, "Minimum quantity", values["Minimum quantity"], sheet="Bundle clients"
        ),
        driver_adjustment=_whole(
            path,
            row,
            "Driver adjustment",
            values["Driver adjustment"],
            sheet="Bundle clients",
            signed=True,
        ),
        waived=waived,
        note=values["Note"],
    )


def _check_bundles(
    path: Path,
    bundles: dict[str, Bundle],
    rows: list[BundleRow],
    services: list[ServiceMapping],
    terms: list[BundleTerms],
) -> None:
    """Refuse bundle definitions the reconciliation could only guess at."""
    for bundle in bundles.values():
        if not bundle.drivers:
            raise InputError(
                f"{path} [Bundles]",
                f"bundle {bundle.service_id} ({bundle.service_name}) has no driver row",
                column="Part",
                expected="at least one 'driver' row: the SKUs whose count the bundle follows",
            )
    for number, row in enumerate(rows, start=2):
        if row.part != "component":
            continue
        first = next(
            r
            for r in rows
            if r.service_id == row.service_id
            and r.part == "component"
            and r.component.casefold() == row.component.casefold()
        )
        if (first.per_unit, first.rule, first.unit_cost) != (
            row.per_unit,
            row.rule,
            row.unit_cost,
        ):
            raise InputError(
                f"{path} [Bundles]",
                f"component {row.component!r} has rows with different per-unit, rule or cost",
                row=number,
                column="Component",
                expected="the same Per bundle unit, Rule and Unit cost on every row of it",
            )
    for mapping in services:
        if mapping.service_id in bundles and not mapping.exclude_reason:
            raise InputError(
                f"{path} [Services]",
                f"service {mapping.service_id} is a bundle: its quantity comes from its drivers",
                column="PSA service ID",
                expected="no Services row for a bundle service (define it in sheet Bundles)",
            )
    for number, term in enumerate(terms, start=2):
        defined = bundles.get(term.bundle_id)
        if defined is None:
            raise InputError(
                f"{path} [Bundle clients]",
                f"{term.bundle_id!r} is not a bundle in sheet Bundles",
                row=number,
                column="Bundle service ID",
                expected="the Bundle service ID of a bundle defined in sheet Bundles",
            )
        known = {c.name.casefold() for c in defined.components}
        unknown = sorted(term.waived - known)
        if unknown:
            raise InputError(
                f"{path} [Bundle clients]",
                f"{', '.join(unknown)} is not a component of {defined.service_name}",
                row=number,
                column="Waived components",
                expected=", ".join(c.name for c in defined.components) or "no components",
            )
