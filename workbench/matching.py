"""Fuzzy suggestions: which PSA company a vendor customer probably is, for a person to confirm.

:mod:`workbench.mapping` matches vendor customers by id and then by exact name. What is left
over is often the same organisation spelled differently ("Acme Dental, Inc. (EU)" against
"Acme Dental"), but it may also be a different organisation with a similar name ("Apex Dental",
"South Star Logistics"). A wrong guess costs more than no guess, so nothing here is applied on
its own: :func:`suggest` ranks candidates with a score and the reasons behind it, and a person
confirms each one in the mappings workbook.

Both names are first reduced to a comparison key by :func:`normalise_name`, which keeps a trail
of every step it applied. The key keeps distinctive words and drops what says nothing about
identity: case, accents, punctuation, legal forms of many countries (:data:`LEGAL_SUFFIXES`),
region or environment qualifiers, a leading (or catalogue-style trailing) "The". Unambiguous
abbreviations are spelled out.

The score (0 to 100) of two keys is the best of these readings; each says in the suggestion's
reasons what it took for granted:

* **Plain**: the lower of two views of the keys.

  - characters: the better of ``fuzz.token_sort_ratio`` (word order ignored) and ``fuzz.ratio``
    with the spaces removed ("North Star" against "Northstar"); and
  - words: every word of either key is paired with its closest word in the other
    (``fuzz.ratio``), and the similarities are averaged with weights that favour rare words.
    Weights come from the company list: a word carried by many companies ("dental", "church",
    "and") says little, one carried by a single company ("apex", "pediatric") says a lot.

  The character view alone scores look-alikes high ("South Star Logistics" against "North Star
  Logistics" is 90), because they differ in few letters; the word view catches that the
  differing word is the distinctive one. The word view alone forgives too much when a short
  generic word is garbled; the character view keeps it honest. Surnames a letter apart that are
  different families (:data:`DISTINCT_SURNAMES`: Johnson and Johnston) never pair as a typo.
* **Shortened words** (at most 97): every word pairs, some only as a shortened form ("FAM MED"
  for "Family Medicine", "ENGRG" for "Engineering": a word's start, or its consonants in order),
  none as a typo. The character view is not asked: shortening is what it penalises.
* **Words left off or added** (at most 95). ``fuzz.WRatio`` and ``token_set_ratio`` were
  rejected because they score a name contained in another ("Acme Dental" in "Acme Dental Lab")
  at 90 to 100, which is the classic look-alike. So a name that is another with words left off
  (or added) is judged by *which* words differ. It is suggested only when all of these hold:

  1. every word of the shorter name pairs with a word of the longer, which has the rest over;
  2. the shorter name has two words or more, one of them distinctive: neither a word of form
     (:data:`FORM_WORDS`: "Group", "Services", "Associates", "Public", "County") nor of trade
     (:data:`TRADE_WORDS`: "Dental", "Law", "Church", "Lab"), and carried by few companies
     (under 2% of them, or under 5);
  3. no word over is distinctive: "Acme Dental Studio" is not Acme Dental, "First Baptist
     Church" is not First Baptist Church *of Riverside*;
  4. a trade word over is not the longer name's last word (what the organisation is) when the
     shorter name names a trade itself, unless it follows an "and" ("& Heating", a second line
     of business): "Acme Dental Lab" is not Acme Dental, but "Martinez & Okafor" is Martinez &
     Okafor Law Offices and "St Columba's Church" is St. Columba's Parish Church; and
  5. no other company can be read the same way: "Summit Therapy" fits Summit Physical and
     Summit Pediatric Therapy, so neither is suggested.

  The score is the similarity of the shared words less 3 for each word of form over and 5 for
  each word of trade.
* **Cut short** (92): vendor portals cut names at a length. A vendor name of 15 characters or
  more whose key is the start of exactly one company's key, cut inside a word or after a joining
  word ("First Baptist Church of Rive"). A cut at a word's end is judged as words left off.
* **Initials** (90): a name written as three to six capitals ("RCU", "R.C.U.") that are the
  initials of exactly one company's words (Riverside Credit Union).
* **Branch or site**: a trailing part after a spaced dash, slash, bar or colon, in brackets, or
  a number ("- Harbor Branch", "/ Warehouse", "(Site 2)", "#2") is left out and the rest
  compared, less 2 when it holds a site word (:data:`SITE_WORDS`) or a number, less 6 when it
  is anything else of up to four words ("- Springfield": a town, probably a site). The whole
  name is compared too, so a PSA that keeps each site as a company gets the site's company.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
from rapidfuzz import fuzz, process

__all__ = [
    "ABBREVIATIONS",
    "DEFAULT_THRESHOLD",
    "DISTINCT_SURNAMES",
    "FORM_WORDS",
    "LEGAL_SUFFIXES",
    "QUALIFIERS",
    "SITE_WORDS",
    "TRADE_WORDS",
    "Suggestion",
    "normalise_name",
    "suggest",
    "without_accents",
]

#: Suggestions below this score are not shown. Chosen on the tuning part of the labelled corpus
#: in ``tests/matching_pairs.py``: the must-not-match names top out at 80 (a distinctive word
#: more or less) and the right companies score 83 or more but for typos in short words ("Dnetal",
#: "Dye").
DEFAULT_THRESHOLD = 82.0

#: Legal-form suffixes removed from the end of a name, written in their dotted form; the dots
#: are optional when matching ("LLC" and "L.L.C." both match "L.L.C."), a space may follow a dot
#: ("s. r. o."), case and accents are ignored, and several may follow one another ("Co., Ltd.",
#: "Oy Ab"). A suffix is removed only after a space or a comma and only when words remain;
#: the longest form that fits wins ("Pty. Ltd." over "Ltd."). "S.p.A." is removed undotted only
#: as written, "SpA", so that a day spa keeps its "Spa".
LEGAL_SUFFIXES: tuple[str, ...] = (
    # United States, Canada
    "Incorporated",
    "Inc.",
    "Corporation",
    "Corp.",
    "Company",
    "Co.",
    "Limited Liability Company",
    "L.L.C.",
    "L.C.",
    "P.L.L.C.",
    "L.L.P.",
    "L.L.L.P.",
    "L.P.",
    "P.C.",
    "P.A.",
    "P.S.C.",
    "S.C.",
    "Chtd.",
    "Chartered",
    "U.L.C.",
    # United Kingdom, Ireland, Commonwealth
    "(Pty) Ltd.",
    "(Pty)",
    "Pty. Ltd.",
    "Pty. Limited",
    "Pty.",
    "Pvt. Ltd.",
    "Private Limited",
    "Pte. Ltd.",
    "Pte.",
    "Limited",
    "Ltd.",
    "P.L.C.",
    "D.A.C.",
    "C.L.G.",
    "C.I.C.",
    "N.L.",
    # German-speaking countries
    "GmbH & Co. KG",
    "GmbH",
    "gGmbH",
    "AG",
    "KGaA",
    "KG",
    "OHG",
    "e.V.",
    # France, Belgium, Italy, Spain, Portugal, Latin America
    "S.A.R.L.",
    "E.U.R.L.",
    "S.A.S.U.",
    "S.A.S.",
    "S.N.C.",
    "S. de R.L. de C.V.",
    "S.A. de C.V.",
    "S. de R.L.",
    "S.A.",
    "S.A.U.",
    "S.R.L.",
    "S.p.A.",
    "S.L.U.",
    "S.L.",
    "Ltda.",
    "Lda.",
    "B.V.B.A.",
    "S.P.R.L.",
    # Netherlands, Nordic and Baltic countries
    "B.V.",
    "N.V.",
    "V.O.F.",
    "Oy Ab",
    "Oyj",
    "Oy",
    "AB (publ)",
    "AB",
    "A/S",
    "ApS",
    "I/S",
    "ASA",
    "AS",
    "OÜ",
    "SIA",
    "UAB",
    # Central and Eastern Europe, Turkey, Greece
    "spol. s r.o.",
    "s.r.o.",
    "a.s.",
    "Sp. z o.o.",
    "Sp.j.",
    "Kft.",
    "Zrt.",
    "Nyrt.",
    "Bt.",
    "d.o.o.",
    "d.d.",
    "EOOD",
    "OOD",
    "Ltd. Şti.",
    "A.Ş.",
    "A.E.",
    "E.P.E.",
    "S.E.",
    # Asia
    "Sdn. Bhd.",
    "Sdn.",
    "Berhad",
    "Bhd.",
    "Tbk.",
    "K.K.",
    "G.K.",
    "Y.K.",
    "Co., Ltd.",
)

#: Words that, after a dash, slash, bar or colon or in brackets at the end of a name, mark a
#: branch or site of an organisation ("- Harbor Branch", "(Main Office)", "/ Warehouse"); a
#: number there ("- Site 2", "#2") does too.
SITE_WORDS: frozenset[str] = frozenset(
    {
        "branch", "office", "offices", "site", "location", "campus", "warehouse", "store",
        "shop", "plant", "factory", "depot", "yard", "annex", "annexe", "building", "bldg",
        "hq", "headquarters", "facility", "satellite", "floor", "suite", "wing", "division",
        "department", "dept", "unit", "main", "head", "downtown", "uptown", "midtown", "north",
        "south", "east", "west", "central",
    }
)  # fmt: skip

#: Words that say what form an organisation takes or where it works, not which one it is nor
#: its trade: one may be left off or added ("Kessler Engineering" is Kessler Engineering
#: Services). Words many companies carry count as these too.
FORM_WORDS: frozenset[str] = frozenset(
    {
        "group", "groups", "company", "companies", "services", "service", "associates",
        "associated", "association", "partners", "partnership", "holdings", "enterprises",
        "enterprise", "international", "global", "worldwide", "national", "regional",
        "federal", "public", "community", "family", "united", "general", "chartered",
        "professional", "professionals", "specialists", "solutions", "systems", "industries",
        "office", "offices", "practice", "practices", "firm", "agency", "center", "centre",
        "clinic", "clinics", "hospital", "surgery", "home", "homes", "house", "trust", "parish",
        "county", "city", "town", "township", "village", "borough", "district", "management",
        "team", "ltd", "inc", "llc", "co",
        # professional designations after a firm's name ("Hendricks Accounting, CPAs")
        "cpa", "cpas", "dds", "dmd", "md", "esq",
    }
)  # fmt: skip

#: Words that say what an organisation does. One may be left off a name that names no trade of
#: its own ("Martinez & Okafor" is Martinez & Okafor Law Offices), but a different last word of
#: trade makes a different organisation ("Acme Dental Lab" is not Acme Dental).
TRADE_WORDS: frozenset[str] = frozenset(
    {
        # health
        "dental", "dentistry", "dentists", "dentist", "orthodontics", "orthodontic",
        "endodontics", "periodontics", "oral", "medical", "medicine", "health", "healthcare",
        "hospice", "pediatrics", "pediatric", "paediatrics", "therapy", "physiotherapy",
        "physical", "rehab", "rehabilitation", "chiropractic", "optometry", "optical", "eye",
        "vision", "urgent", "care", "veterinary", "animal", "pet", "pharmacy", "laboratory",
        "laboratories", "lab", "labs", "imaging", "radiology", "orthopedic", "orthopaedic",
        "orthopedics", "nursing", "senior", "living", "assisted", "retirement",
        # law, money, property
        "law", "legal", "attorneys", "attorney", "lawyers", "solicitors", "barristers",
        "notary", "accounting", "accountants", "accountancy", "tax",
        "bookkeeping", "audit", "financial", "finance", "advisors", "advisers", "wealth",
        "investments", "investment", "capital", "insurance", "brokers", "realty", "estate",
        "property", "properties", "title", "escrow", "mortgage", "bank", "credit", "union",
        "housing",
        # faith, learning, civic
        "church", "chapel", "ministries", "ministry", "fellowship", "congregation", "temple",
        "synagogue", "mosque", "cathedral", "diocese", "baptist", "lutheran", "methodist",
        "episcopal", "catholic", "presbyterian", "pentecostal", "evangelical", "christian",
        "bible", "assembly", "school", "schools", "academy", "college", "university",
        "library", "museum", "preschool", "nursery", "childcare", "daycare", "learning",
        "education", "council", "municipality", "authority", "board", "police", "fire",
        "water", "foundation", "institute", "charity",
        # making, building, moving
        "manufacturing", "machining", "fabrication", "metal", "metals", "plastics", "tool",
        "die", "engineering", "engineers", "construction", "contracting", "contractors",
        "builders", "roofing", "guttering", "plumbing", "heating", "cooling", "hvac",
        "electric", "electrical", "mechanical", "architects", "architecture", "design",
        "logistics", "freight", "trucking", "transport", "transportation", "shipping",
        "distribution", "warehousing", "supply", "supplies", "trading", "landscaping", "lawn",
        # selling, serving
        "restaurant", "bakery", "cafe", "catering", "winery", "brewery", "farm", "farms",
        "hotel", "travel", "tours", "marina", "consulting", "consultants", "marketing",
        "media", "staffing", "recruitment", "technology", "technologies", "software",
        "computers", "security", "printing", "automotive", "motors", "salon", "spa",
        "fitness", "studio", "seafoods", "foods",
    }
)  # fmt: skip

#: Surnames a letter or two apart that belong to different families: they never pair as a typo
#: of one another ("Johnston Plumbing" is not Johnson Plumbing).
DISTINCT_SURNAMES: tuple[frozenset[str], ...] = tuple(
    frozenset(family)
    for family in (
        ("johnson", "johnston", "jonson"),
        ("jansen", "jensen", "janssen", "jansson", "janson"),
        ("hansen", "hanson", "hansson"),
        ("larsen", "larson", "larsson"),
        ("olsen", "olson", "olsson"),
        ("petersen", "peterson", "pedersen", "pederson"),
        ("andersen", "anderson", "andersson"),
        ("nielsen", "nilsen", "nilsson", "nelson"),
        ("carlsen", "carlson", "karlsson"),
        ("christensen", "christenson", "christiansen"),
        ("eriksen", "erikson", "erickson", "ericson", "eriksson"),
        ("thompson", "thomson", "thomsen"),
        ("stephens", "stevens", "stephen", "steven"),
        ("stephenson", "stevenson"),
        ("phillips", "philips", "phelps"),
        ("mathews", "matthews"),
        ("reid", "reed", "read", "reade"),
        ("clark", "clarke"),
        ("brown", "browne"),
        ("gray", "grey"),
        ("meyer", "meier", "mayer", "maier", "myer", "myers", "meyers"),
        ("schmidt", "schmitt", "schmid", "smit", "schmit"),
        ("fischer", "fisher"),
        ("smith", "smyth", "smythe"),
        ("mcdonald", "macdonald"),
        ("mclean", "maclean"),
        ("allen", "allan", "allyn"),
        ("lowe", "low"),
        ("wolf", "wolfe", "woolf"),
        ("cohen", "cohn"),
        ("katz", "kats"),
        ("kaiser", "keizer", "kayser"),
        ("weber", "webber"),
        ("berg", "burg"),
    )
)

#: Region and environment words that, in brackets ("(EU)", "[Test]") or after a dash
#: ("- UK", "- Old", or an en or em dash), mark a copy of a customer rather than a different organisation.
QUALIFIERS: tuple[str, ...] = (
    "EU",
    "UK",
    "US",
    "USA",
    "NA",
    "EMEA",
    "APAC",
    "LATAM",
    "ANZ",
    "AU",
    "NZ",
    "CA",
    "Test",
    "Testing",
    "Sandbox",
    "Demo",
    "Trial",
    "Dev",
    "Staging",
    "Old",
    "Legacy",
    "Inactive",
    "Archived",
    "Disabled",
    "Closed",
    "Duplicate",
    "Do Not Use",
    "DNU",
)

#: Abbreviations spelled out, each standing for one word only in organisation names. Left out
#: on purpose: "Assoc" (associates or association), "Tech" (technology or technical), "Med"
#: (medical or medicine), "Eng" (engineering or English), "Dist" (district or distribution).
#: "St" is handled apart: "Saint" at the start of a name or after "of", else "Street".
ABBREVIATIONS: dict[str, str] = {
    "Intl": "International",
    "Int'l": "International",
    "Natl": "National",
    "Svc": "Service",
    "Svcs": "Services",
    "Mfg": "Manufacturing",
    "Mgmt": "Management",
    "Mgt": "Management",
    "Acctg": "Accounting",
    "Assocs": "Associates",
    "Assn": "Association",
    "Bros": "Brothers",
    "Ctr": "Center",
    "Centre": "Center",
    "Grp": "Group",
    "Hldgs": "Holdings",
    "Lab": "Laboratory",
    "Labs": "Laboratories",
    "Dept": "Department",
    "Univ": "University",
    "Hosp": "Hospital",
    "Mt": "Mount",
    "Ft": "Fort",
}

#: Words that join names together and say nothing about which organisation is meant.
_JOINING_WORDS = frozenset({"and", "of", "the", "for", "at", "in", "on"})
#: Two words pair at this ``fuzz.ratio`` or more: one wrong letter in a word of seven or more
#: ("Meridan", "Hendersen"), not "Marys" against "Marks" (80) or "Riverdale" against "Riverside".
_WORD_MATCH = 85.0
#: A word's shortened form ("Constr", "Engrg") pairs with it at this similarity.
_SHORTENED = 90.0
_VOWELS = frozenset("aeiou")
#: A word carried by at least this share of the companies, and at least this many, says little.
_COMMON_SHARE, _COMMON_COUNT = 0.02, 5
#: What each reading costs or scores at most; see the module docstring.
_SHORTENED_CAP = 97.0
_CONTAINED_CAP = 95.0
_CONTAINED_PLAINLY = 80.0
_FORM_COST, _TRADE_COST = 3.0, 5.0
_CUT_SHORT = 92.0
_CUT_LENGTH = 15
_INITIALS = 90.0
_SITE_COST, _TAIL_COST = 2.0, 6.0
#: Companies sharing a distinctive word but scoring under this ``token_set_ratio`` are not
#: compared word by word: no reading would suggest them.
_SHARING_ENOUGH = 60.0


@dataclass(frozen=True)
class Suggestion:
    """A PSA company that a vendor customer may be, for a person to confirm.

    Attributes
    ----------
    company_id, company_name
        The PSA company suggested.
    score
        Similarity of the normalised names, 0 (nothing alike) to 100 (same key).
    reasons
        What was normalised to compare the names, and what still differs; empty when the names
        are the same apart from case and spacing.
    """

    company_id: str
    company_name: str
    score: float
    reasons: tuple[str, ...]


def normalise_name(name: str) -> tuple[str, list[str]]:
    """Reduce an organisation name to a comparison key, saying what was done.

    Parameters
    ----------
    name
        A customer or company name as a vendor or PSA spells it.

    Returns
    -------
    tuple of (str, list of str)
        The key (lower case, words separated by one space) and the steps actually applied, in
        order, in words a person can check, such as ``"removed legal suffix 'Inc.'"``.

    Examples
    --------
    >>> normalise_name("The Acme Dental Co. (EU)")
    ('acme dental', ["removed qualifier '(EU)'", "removed legal suffix 'Co.'", "removed leading 'The'", 'ignored case'])
    """
    key, trail, _ = _normalised(name)
    return key, list(trail)


def suggest(
    name: str,
    companies: Sequence[tuple[str, str]],
    *,
    limit: int = 3,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[Suggestion]:
    """Rank the PSA companies a vendor customer may be.

    Parameters
    ----------
    name
        The vendor customer name that matched no company by id or exact name.
    companies
        ``(company_id, company_name)`` of every PSA company; rare words in these names weigh
        more than common ones, and a name is suggested for words left off, for its initials or
        as cut short only when no other company fits as well.
    limit
        At most this many suggestions.
    threshold
        Only companies scoring at least this are suggested.

    Returns
    -------
    list of Suggestion
        Best first; equal scores in company-name order. Never to be applied without a person's
        confirmation.
    """
    if not isinstance(companies, tuple):  # a tuple is taken as is: the index is cached on it
        companies = tuple((str(cid), str(cname)) for cid, cname in companies)
    index = _company_index(companies)
    best: dict[int, tuple[float, tuple[str, ...]]] = {}
    for vendor, cost in _vendor_names(name):
        for position, score, notes in _readings(vendor, index, threshold + cost):
            score = round(score - cost, 1)
            if score < threshold or score <= best.get(position, (-1.0, ()))[0]:
                continue
            best[position] = (score, _reasons(vendor, index.normalised(position), notes))
    ranked = [
        Suggestion(*index.companies[position], score, reasons)
        for position, (score, reasons) in best.items()
    ]
    ranked.sort(key=lambda s: (-s.score, s.company_name.casefold(), s.company_id))
    return ranked[:limit]


@dataclass(frozen=True)
class _Name:
    """A normalised name: its key, the trail of steps, the key before case was ignored, and
    whether a vendor portal may have cut it short (it is long enough, and not a site's head)."""

    key: str
    trail: tuple[str, ...]
    cased: str
    may_be_cut: bool = False


def _vendor_names(name: str) -> Iterator[tuple[_Name, float]]:
    """The vendor name's head without a branch or site part, with what leaving it out costs,
    then the whole name (an equal score keeps the first, whose reasons say more)."""
    site = _site(name)
    if site is not None:
        head, tail, known = site
        key, trail, cased = _normalised(head)
        if known:
            step, cost = f"left out the site {tail!r}", _SITE_COST
        else:
            step, cost = f"left out {tail!r}, taken for a site or department", _TAIL_COST
        yield _Name(key, (step, *trail), cased), cost
    yield _Name(*_normalised(name), may_be_cut=len(name.strip()) >= _CUT_LENGTH), 0.0


@dataclass(frozen=True)
class _CompanyIndex:
    """What :func:`suggest` compares a vendor name with, made once per company list. Most
    vendor names need only the keys, the words' carriers and weights: the parts that only cut
    short names and initials read are made when first read."""

    companies: tuple[tuple[str, str], ...]
    keys: list[str]  # comparison keys, in company order
    joined: list[str]  # the same without spaces
    weights: dict[str, float]
    unseen_weight: float
    counts: dict[str, int]  # how many companies carry each word
    common_count: float  # carried by this many companies or more, a word says little
    carriers: dict[str, list[int]]  # companies carrying each word

    def distinctive(self, word: str) -> bool:
        """A word that says which organisation is meant: not a joining word, nor one of form or
        trade, and carried by few companies."""
        return (
            word not in _JOINING_WORDS
            and word not in FORM_WORDS
            and word not in TRADE_WORDS
            and self.counts.get(word, 0) < self.common_count
        )

    def weight(self, word: str) -> float:
        return 0.3 if word in _JOINING_WORDS else self.weights.get(word, self.unseen_weight)

    def normalised(self, position: int) -> _Name:
        return _Name(*_normalised(self.companies[position][1]))

    @cached_property
    def vocabulary(self) -> list[str]:
        return sorted(self.carriers)

    @cached_property
    def by_key(self) -> list[tuple[str, int]]:
        """(key, position), sorted: the companies a cut name starts."""
        return sorted((key, position) for position, key in enumerate(self.keys))

    @cached_property
    def initials(self) -> dict[str, list[int]]:
        """Companies by the first letters of their words."""
        initials: dict[str, list[int]] = defaultdict(list)
        for position, key in enumerate(self.keys):
            words = key.split()
            # With and without the joining words: "FBCR" and "FBCOR" for First Baptist Church
            # of Riverside.
            for letters in {
                "".join(word[0] for word in words),
                "".join(word[0] for word in words if word not in _JOINING_WORDS),
            }:
                if len(letters) >= 3:
                    initials[letters].append(position)
        return dict(initials)


@lru_cache(maxsize=8)
def _company_index(companies: tuple[tuple[str, str], ...]) -> _CompanyIndex:
    keys = [_normalised(company_name)[0] for _, company_name in companies]
    carriers: dict[str, list[int]] = defaultdict(list)
    for position, key in enumerate(keys):
        for word in dict.fromkeys(key.split()):
            carriers[word].append(position)
    counts = {word: len(positions) for word, positions in carriers.items()}
    total = len(companies)
    # Inverse document frequency: a word in every name weighs nothing, one in a single name a
    # lot. Joining words weigh little whatever their count; every word keeps a floor so a
    # name made only of common words can still be compared.
    weights = {
        word: 0.3 if word in _JOINING_WORDS else max(math.log((total + 1) / (count + 1)), 0.3)
        for word, count in counts.items()
    }
    return _CompanyIndex(
        companies,
        keys,
        [key.replace(" ", "") for key in keys],
        weights,
        max(math.log(total + 1), 1.0),
        counts,
        max(_COMMON_COUNT, _COMMON_SHARE * total),
        dict(carriers),
    )


def _readings(
    vendor: _Name, index: _CompanyIndex, threshold: float
) -> Iterator[tuple[int, float, list[str]]]:
    """Every company a reading of the vendor name scores, with the score and its notes (a
    company may come more than once)."""
    key = vendor.key
    # The character view bounds the plain score from above, so it picks the candidates worth
    # the word view, computed for every company at once in rapidfuzz's C code.
    # (Scores under the cutoff come back as 0: rapidfuzz can then skip most comparisons.)
    characters = np.maximum(
        process.cdist([key], index.keys, scorer=fuzz.token_sort_ratio, score_cutoff=threshold)[0],
        process.cdist(
            [key.replace(" ", "")], index.joined, scorer=fuzz.ratio, score_cutoff=threshold
        )[0],
    )
    candidates = set(np.flatnonzero(characters >= threshold).tolist())
    # Shortened words and words left off are not bounded by the character view: their
    # candidates are the companies sharing a distinctive word with the vendor name, less those
    # sharing too little of it for any reading (on the labelled corpus, the names read so
    # score 80 or more on ``token_set_ratio``, which is 100 for a name contained in another).
    candidates |= {
        position
        for position in _sharing_a_word(key.split(), index) - candidates
        if fuzz.token_set_ratio(key, index.keys[position]) >= _SHARING_ENOUGH
    }
    comparisons = {position: _compare(key, index.keys[position], index) for position in candidates}
    contained = [p for p, each in comparisons.items() if each.contained is not None]
    for position, each in comparisons.items():
        yield position, each.score, each.notes
        if each.contained is not None and len(contained) == 1:
            # Only when no other company can be read the same way.
            yield position, *each.contained
    if vendor.may_be_cut:
        yield from _cut_short(key, index)
    yield from _by_initials(vendor.cased, index)


def _sharing_a_word(words: list[str], index: _CompanyIndex) -> set[int]:
    """The companies carrying a distinctive word of the vendor name, or one a typo away."""
    found: set[int] = set()
    for word in words:
        if word in index.carriers:
            alike = [word]
        elif len(word) >= 4 and word not in FORM_WORDS and word not in TRADE_WORDS:
            # A typo in the distinctive word: the words of the company list it is close to.
            alike = [
                each
                for each, _, _ in process.extract(
                    word, index.vocabulary, scorer=fuzz.ratio, score_cutoff=_WORD_MATCH, limit=3
                )
            ]
        else:
            continue
        for each in alike:
            # A distinctive word is carried by few companies, so the candidates stay few.
            if index.distinctive(each):
                found.update(index.carriers[each])
    return found


@dataclass(frozen=True)
class _Comparison:
    """The plain (or shortened-words) score and notes of a vendor key against a company key,
    and the score and notes of reading one as the other with words left off, when it may."""

    score: float
    notes: list[str]
    contained: tuple[float, list[str]] | None = None


@dataclass(frozen=True)
class _Pairing:
    """A word of one name and the closest word of the other."""

    word: str
    closest: str
    similarity: float
    shortened: bool

    @property
    def paired(self) -> bool:
        return self.similarity >= _WORD_MATCH


def _compare(key: str, company_key: str, index: _CompanyIndex) -> _Comparison:
    if key == company_key:
        return _Comparison(100.0, [])
    characters = max(
        fuzz.token_sort_ratio(key, company_key),
        fuzz.ratio(key.replace(" ", ""), company_key.replace(" ", "")),
    )
    left, right = _join_compounds(key.split(), company_key.split())
    vendor_side = [_pair(word, right, index) for word in left]
    company_side = [_pair(word, left, index) for word in right]
    total = weighted = 0.0
    notes = []
    for side in (vendor_side, company_side):
        for pairing in side:
            weight = index.weight(pairing.word)
            total += weight
            if pairing.paired:
                weighted += weight * pairing.similarity
                if side is vendor_side and pairing.shortened:
                    notes.append(f"{pairing.word!r} read as short for {pairing.closest!r}")
                elif side is vendor_side and pairing.word != pairing.closest:
                    notes.append(
                        f"{pairing.word!r} taken for {pairing.closest!r} ({pairing.similarity:.0f})"
                    )
            elif pairing.word not in _JOINING_WORDS:
                # A word that pairs with nothing counts for nothing: "south" is not partly
                # "north".
                notes.append(f"{pairing.word!r} pairs with no word of the other name")
    words = weighted / total if total else 0.0
    # 100 is kept for keys that are the same; a compound written apart still differs.
    score = min(characters, words, 99.0)
    vendor_over = [p for p in vendor_side if not p.paired and p.word not in _JOINING_WORDS]
    company_over = [p for p in company_side if not p.paired and p.word not in _JOINING_WORDS]
    if not vendor_over and not company_over:
        pairs = [p for p in vendor_side + company_side if p.word not in _JOINING_WORDS]
        if any(p.shortened for p in pairs) and all(
            p.shortened or p.word == p.closest for p in pairs
        ):
            score = max(score, min(words, _SHORTENED_CAP))
        return _Comparison(round(score, 1), notes)
    if vendor_over and company_over:
        return _Comparison(round(score, 1), notes)
    if not vendor_over:
        contained = _contained(vendor_side, company_side, right, index, "left off by")
    else:
        contained = _contained(company_side, vendor_side, left, index, "added by")
    # A name contained in another is suggested by the rules for words left off or none: a
    # distinctive word more in a long name ("... Library Foundation") would pass plainly.
    return _Comparison(round(min(score, _CONTAINED_PLAINLY), 1), notes, contained)


def _contained(
    shorter: list[_Pairing],
    longer: list[_Pairing],
    longer_words: list[str],
    index: _CompanyIndex,
    how: str,
) -> tuple[float, list[str]] | None:
    """Score the shorter name as the longer one with words left off (rules in the module
    docstring), or None when it may not be read so."""
    kept = [p for p in shorter if p.word not in _JOINING_WORDS]
    over = [p.word for p in longer if not p.paired and p.word not in _JOINING_WORDS]
    # The company's spelling of each shared word says how distinctive it is.
    shared = [p.closest if how == "left off by" else p.word for p in kept]
    if len(kept) < 2 or not any(index.distinctive(word) for word in shared):
        return None
    if any(index.distinctive(word) for word in over):
        return None
    names_a_trade = any(word in TRADE_WORDS for word in shared)
    last_kept = max(longer_words.index(p.closest) for p in kept if p.closest in longer_words)
    after_and = "and" in longer_words[last_kept + 1 : last_kept + 2]
    # What the longer name says the organisation is: its last word of trade ("Studio" in "Acme
    # Dental Studio Group").
    what_it_is = next((word for word in reversed(longer_words) if word in TRADE_WORDS), "")
    cost = 0.0
    notes = []
    for word in over:
        if word in TRADE_WORDS:
            if names_a_trade and word == what_it_is and not after_and:
                return None
            cost += _TRADE_COST
            notes.append(f"{word!r} {how} the vendor name (a word of trade)")
        else:
            cost += _FORM_COST
            notes.append(f"{word!r} {how} the vendor name (a word of form)")
    weights = [index.weight(word) for word in shared]
    similarity = sum(w * p.similarity for w, p in zip(weights, kept, strict=True)) / sum(weights)
    notes.append("no other PSA company name fits with words left off or added")
    return round(min(similarity, _CONTAINED_CAP) - cost, 1), notes


def _pair(word: str, others: list[str], index: _CompanyIndex) -> _Pairing:
    similarity, closest = max(
        ((_word_similarity(word, other, index), other) for other in others), default=(0.0, "")
    )
    return _Pairing(word, closest, similarity, _is_shortened(word, closest, index))


def _word_similarity(word: str, other: str, index: _CompanyIndex) -> float:
    """``fuzz.ratio`` of two words, or 90 when one is a shortened form of the other ("Constr",
    "Engrg"); distinct surnames a letter apart stay under the pairing mark."""
    ratio, shortened = _letters_alike(word, other)
    if shortened and _is_shortened(word, other, index):
        return max(ratio, _SHORTENED)
    return ratio


def _is_shortened(word: str, other: str, index: _CompanyIndex) -> bool:
    """One word is a shortened form of the other (see :func:`_letters_alike`), which is a word
    of form or trade: "Oak" is not short for "Oakwood"."""
    return _letters_alike(word, other)[1] and not index.distinctive(max(word, other, key=len))


@lru_cache(maxsize=262144)
def _letters_alike(word: str, other: str) -> tuple[float, bool]:
    """``fuzz.ratio`` of two words (under the pairing mark for distinct surnames), and whether
    one is the other's start ("Constr") or its first letter and then only consonants of it in
    order ("Engrg", "Mfg"), at least three letters and two fewer."""
    family = _SURNAME_FAMILY.get(word)
    if family is not None and word != other and _SURNAME_FAMILY.get(other) == family:
        return min(fuzz.ratio(word, other), _WORD_MATCH - 5), False
    ratio = fuzz.ratio(word, other)
    shorter, longer = sorted((word, other), key=len)
    if len(shorter) < 3 or len(longer) < len(shorter) + 2 or shorter[0] != longer[0]:
        return ratio, False
    if longer.startswith(shorter):
        return ratio, True
    if _VOWELS & set(shorter[1:]):
        return ratio, False
    rest = iter(longer[1:])
    return ratio, all(letter in rest for letter in shorter[1:])


_SURNAME_FAMILY = {
    name: number for number, family in enumerate(DISTINCT_SURNAMES) for name in family
}


def _cut_short(key: str, index: _CompanyIndex) -> Iterator[tuple[int, float, list[str]]]:
    """The one company whose key the vendor key starts, when the cut falls inside a word or
    after a joining word; a cut at a word's end is judged as words left off."""
    if not key:
        return
    starting: list[tuple[str, int]] = []
    # The sorted keys starting with the vendor key follow one another from where it would go.
    for company_key, position in itertools.islice(
        index.by_key, bisect.bisect_left(index.by_key, (key, -1)), None
    ):
        if not company_key.startswith(key) or len(starting) > 1:
            break
        if company_key != key:
            starting.append((company_key, position))
    if len(starting) != 1:
        return
    company_key, position = starting[0]
    last, rest = key.split()[-1], company_key[len(key) :]
    if not rest.startswith(" "):
        notes = [
            f"vendor name cut short: {last!r} taken for the start of {last + rest.split()[0]!r}"
        ]
        left_out = rest.split()[1:]
    elif last in _JOINING_WORDS:
        notes = [f"vendor name cut short after {last!r}"]
        left_out = rest.split()
    else:
        return
    if left_out:
        notes.append(f"left out {' '.join(left_out)!r}")
    notes.append("no other PSA company name starts so")
    yield position, _CUT_SHORT, notes


def _by_initials(cased: str, index: _CompanyIndex) -> Iterator[tuple[int, float, list[str]]]:
    words = cased.split()
    if len(words) == 1 and words[0].isalpha() and words[0].isupper():
        letters = words[0]
    elif len(words) >= 3 and all(len(w) == 1 and w.isalpha() and w.isupper() for w in words):
        letters = "".join(words)  # "R.C.U.", its dots gone
    else:
        return
    if not 3 <= len(letters) <= 6:
        return
    fitting = index.initials.get(letters.casefold(), [])
    if len(fitting) == 1:
        yield (
            fitting[0],
            _INITIALS,
            [
                f"{letters!r} read as the initials of {index.companies[fitting[0]][1]!r}",
                "no other PSA company has these initials",
            ],
        )


def _join_compounds(left: list[str], right: list[str]) -> tuple[list[str], list[str]]:
    """Join two neighbouring words on one side that are written as one on the other side."""

    def join(words: list[str], other: set[str]) -> list[str]:
        joined: list[str] = []
        position = 0
        while position < len(words):
            pair = "".join(words[position : position + 2])
            if position + 1 < len(words) and any(
                fuzz.ratio(pair, candidate) >= 90 for candidate in other
            ):
                joined.append(pair)
                position += 2
            else:
                joined.append(words[position])
                position += 1
        return joined

    return join(left, set(right)), join(right, set(left))


def _reasons(vendor: _Name, company: _Name, word_notes: list[str]) -> tuple[str, ...]:
    # A step applied to both names alike (both lost "Inc.") cannot explain a difference.
    reasons = [f"vendor name: {step}" for step in vendor.trail if step not in company.trail]
    reasons += [f"PSA name: {step}" for step in company.trail if step not in vendor.trail]
    reasons = [r for r in reasons if not r.endswith(": ignored case")]
    if vendor.cased != company.cased and vendor.cased.casefold() == company.cased.casefold():
        reasons.append("ignored case")
    if vendor.key != company.key:
        reasons.append(f"compared {vendor.key!r} with {company.key!r}")
        reasons += word_notes
    if vendor.key == company.key and not (set(vendor.trail) ^ set(company.trail)) - {
        "ignored case",
        "collapsed repeated spaces",
    }:
        # Same name apart from case and spacing: nothing for a person to weigh.
        return tuple(r for r in reasons if r == "ignored case")
    return tuple(reasons)


def without_accents(text: str) -> str:
    """``text`` with its accents and other combining marks removed ("Café" -> "Cafe")."""
    if text.isascii():  # nothing to decompose (most names)
        return text
    return "".join(
        char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char)
    )


def _suffix_pattern(suffix: str) -> str:
    plain = without_accents(suffix)
    if plain == "S.p.A.":
        # Undotted, only as written: "Serenity Day Spa" keeps its "Spa".
        return r"S\.\s*p\.\s*A\.?|(?-i:SpA)"
    parts = []
    for char in plain:
        if char == ".":
            parts.append(r"\.?\s*")
        elif char == " ":
            parts.append(r"[\s,]*")
        else:
            parts.append(re.escape(char))
    return "".join(parts)


_SUFFIX = re.compile(
    r"[\s,]+("
    + "|".join(
        _suffix_pattern(s) for s in sorted(LEGAL_SUFFIXES, key=lambda s: -len(without_accents(s)))
    )
    + r")\s*$",
    re.IGNORECASE,
)
_QUALIFIER_WORDS = "|".join(re.escape(q).replace(r"\ ", r"\s+") for q in QUALIFIERS)
_QUALIFIER = re.compile(
    rf"\s*(?:[(\[{{]\s*(?:{_QUALIFIER_WORDS})\s*[)\]}}]|[-\u2013\u2014]\s*(?:{_QUALIFIER_WORDS})\s*$)",
    re.IGNORECASE,
)
_DASHES = "-\u2013\u2014/|:"
_SITE = re.compile(
    # A hyphen, slash, bar or colon with a space beside it ("Tri-County" and "A/S" are names),
    # or an en or em dash.
    rf"(?:(?:\s+[{_DASHES}]\s*|[{_DASHES}]\s+|\s*[\u2013\u2014]\s*)"
    rf"(?P<after>[^{_DASHES}()\[\]]+?)"
    r"|\s*[(\[](?P<inside>[^()\[\]]+)[)\]]"
    r"|\s+(?P<number>#\s*\d+))\s*$"
)
_LEADING_THE = re.compile(r"^the\s+(?=\S)", re.IGNORECASE)
_TRAILING_THE = re.compile(r"\s*,\s*the\s*$", re.IGNORECASE)
_AMPERSAND = re.compile(r"\s*([&+])\s*")
_ABBREVIATION = re.compile(
    r"(?<![\w'])(" + "|".join(re.escape(a) for a in ABBREVIATIONS) + r")\.?(?![\w'])",
    re.IGNORECASE,
)
_SPELLED_OUT = {a.casefold(): word for a, word in ABBREVIATIONS.items()}
_SAINT = re.compile(r"(?<![\w'])(St)\.?(?![\w'])", re.IGNORECASE)
_APOSTROPHE = re.compile("['`\u2019\u00b4]")
_PUNCTUATION = re.compile(r"[^\w\s]|_")


def _site(name: str) -> tuple[str, str, bool] | None:
    """The name before a trailing branch or site part, that part, and whether it says so (a
    site word or a number) or is only placed so."""
    # A qualifier may follow the site: "Acme Dental - Main Office (EU)".
    while (qualifier := _QUALIFIER.search(name)) and qualifier.end() == len(name.rstrip()):
        name = name[: qualifier.start()]
    found = _SITE.search(name)
    if found is None:
        return None
    head = name[: found.start()].strip()
    tail = found.group().strip()
    words = (found.group("after") or found.group("inside") or found.group("number")).split()
    if not _PUNCTUATION.sub("", head).strip() or len(words) > 4 or _QUALIFIER.fullmatch(tail):
        return None
    if _SUFFIX.match(" " + " ".join(words)):
        return None  # a legal form after a dash or in brackets is not a site
    bare = {_PUNCTUATION.sub("", word).casefold() for word in words}
    known = bool(bare & SITE_WORDS) or any(char.isdigit() for char in tail)
    return head, tail, known


@lru_cache(maxsize=65536)
def _normalised(name: str) -> tuple[str, tuple[str, ...], str]:
    """Key, trail and the key before case was ignored (to tell a case-only difference)."""
    return _plainly_normalised(name) or _fully_normalised(name)


#: A name of plain words: ASCII letters and digits, or a lone "&", one space apart.
_PLAIN_NAME = re.compile(r"(?:[A-Za-z0-9]+|&)(?: (?:[A-Za-z0-9]+|&))*")
#: Plain words that a step other than "&" and case would read: an abbreviation, "St".
_SPELLED_WORDS = frozenset({*_SPELLED_OUT, "st"})
#: How a legal suffix can end, lower case and without its dots and spaces: every ending of its
#: letters ("ltd", "td" and "d" for "Ltd."). A plain name whose last word is none of these has
#: no suffix to remove.
_SUFFIX_ENDINGS = frozenset(
    letters[start:]
    for letters in (
        without_accents(suffix).replace(".", "").replace(" ", "").lower()
        for suffix in LEGAL_SUFFIXES
    )
    for start in range(len(letters))
)


def _plainly_normalised(name: str) -> tuple[str, tuple[str, ...], str] | None:
    """What :func:`_fully_normalised` makes of a name of plain words that only "&" and case
    change (most company names), without its regular expressions; None for any other name.

    A plain name has no accents, brackets, dashes, commas or punctuation to remove. Left to
    :func:`_fully_normalised` are those with a leading "The", a word to spell out, or a last
    word that may end a legal suffix.
    """
    if _PLAIN_NAME.fullmatch(name) is None:
        return None
    words = name.split(" ")
    folded = name.lower().split(" ")  # the same as casefold() for ASCII
    if (
        folded[0] == "the"
        or folded[-1] in _SUFFIX_ENDINGS
        or folded[-1] == "&"
        or not _SPELLED_WORDS.isdisjoint(folded)
    ):
        return None
    trail: list[str] = []
    cased = name
    if "&" in words:
        trail.append("'&' read as 'and'")
        cased = " ".join("and" if word == "&" else word for word in words)
    key = cased.lower()
    if key != cased:
        trail.append("ignored case")
    return key, tuple(trail), cased


def _fully_normalised(name: str) -> tuple[str, tuple[str, ...], str]:
    """Every step of :func:`_normalised`, for any name."""
    trail: list[str] = []
    text = name
    if text != " ".join(text.split()):
        trail.append("collapsed repeated spaces")
        text = " ".join(text.split())
    plain = without_accents(text)
    if plain != text:
        trail.append("removed accents")
        text = plain
    # Qualifiers come off before suffixes: "Acme Corp (EU)" has its suffix in the middle.
    while (found := _QUALIFIER.search(text)) and _QUALIFIER.sub("", text, count=1).strip():
        trail.append(f"removed qualifier {found.group().strip()!r}")
        text = (text[: found.start()] + " " + text[found.end() :]).strip()
    if (found := _TRAILING_THE.search(text)) and text[: found.start()].strip():
        trail.append("removed trailing ', The'")
        text = text[: found.start()]
    while (found := _SUFFIX.search(text)) and text[: found.start()].strip(" ,"):
        trail.append(f"removed legal suffix {found.group(1).strip()!r}")
        text = text[: found.start()].strip(" ,")
    if found := _LEADING_THE.match(text):
        trail.append(f"removed leading {found.group().strip()!r}")
        text = text[found.end() :]
    for symbol in dict.fromkeys(_AMPERSAND.findall(text)):
        trail.append(f"{symbol!r} read as 'and'")
    text = _AMPERSAND.sub(" and ", text)
    text = _spell_out(text, trail)
    bare = _PUNCTUATION.sub(" ", _APOSTROPHE.sub("", text))
    if bare.split() != text.split():
        trail.append("removed punctuation")
    cased = " ".join(bare.split())
    key = cased.casefold()
    if key != cased:
        trail.append("ignored case")
    return key, tuple(trail), cased


def _spell_out(text: str, trail: list[str]) -> str:
    def abbreviation(found: re.Match[str]) -> str:
        word = _SPELLED_OUT[found.group(1).casefold()]
        trail.append(f"read {found.group()!r} as {word!r}")
        return word

    def saint_or_street(found: re.Match[str]) -> str:
        before = text[: found.start()].split()
        word = "Saint" if not before or before[-1].casefold() in {"of", "and", "&"} else "Street"
        trail.append(f"read {found.group()!r} as {word!r}")
        return word

    text = _ABBREVIATION.sub(abbreviation, text)
    return _SAINT.sub(saint_or_street, text)
