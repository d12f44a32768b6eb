"""Fuzzy suggestions: which PSA company a vendor customer probably is, for a person to confirm.

:mod:`workbench.mapping` matches vendor customers by id and then by exact name. What is left
over is often the same organisation spelled differently ("Acme Dental, Inc. (EU)" against
"Acme Dental"), but it may also be a different organisation with a similar name ("Apex Dental",
"South Star Logistics"). A wrong guess costs more than no guess, so nothing here is applied on
its own: :func:`suggest` ranks candidates with a score and the reasons behind it, and a person
confirms each one in the mappings workbook.

Both names are first reduced to a comparison key by :func:`normalise_name`, which keeps a trail
of every step it applied. The key keeps distinctive words and drops what says nothing about
identity: case, accents, punctuation, legal suffixes, region or environment qualifiers, a
leading "The". Unambiguous abbreviations are spelled out.

The score (0 to 100) is the lower of two views of the keys:

* characters: the better of ``fuzz.token_sort_ratio`` (word order ignored) and ``fuzz.ratio``
  with the spaces removed ("North Star" against "Northstar"); and
* words: every word of either key is paired with its closest word in the other
  (``fuzz.ratio``), and the similarities are averaged with weights that favour rare words.
  Weights come from the company list: a word carried by many companies ("dental", "church",
  "and") says little, one carried by a single company ("apex", "pediatric") says a lot.

The character view alone scores look-alikes high ("South Star Logistics" against "North Star
Logistics" is 90), because they differ in few letters; the word view catches that the
differing word is the distinctive one. The word view alone forgives too much when a short
generic word is garbled; the character view keeps it honest. ``fuzz.WRatio`` and
``token_set_ratio`` were rejected: they score a name contained in another ("Acme Dental" in
"Acme Dental Lab") at 90 to 100, which is exactly the look-alike this must not suggest.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process

__all__ = [
    "ABBREVIATIONS",
    "DEFAULT_THRESHOLD",
    "LEGAL_SUFFIXES",
    "QUALIFIERS",
    "Suggestion",
    "normalise_name",
    "suggest",
]

#: Suggestions below this score are not shown. Chosen on the labelled corpus in
#: ``tests/matching_pairs.py``: the must-not-match names top out at 80 (a generic word more or
#: less: "Apex Dental" against "Apex Dental Group") but for one surname a letter apart; the
#: right companies score 83 or more but for two typos in short words ("Dnetal", "Dye").
DEFAULT_THRESHOLD = 82.0

#: Legal-form suffixes removed from the end of a name, written in their dotted form; the dots
#: are optional when matching ("LLC" and "L.L.C." both match "L.L.C."), case is ignored, and
#: several may follow one another ("Co., Ltd."). A suffix is removed only after a space or a
#: comma and only when words remain. Longer forms come first so "Pty. Ltd." wins over "Ltd.".
LEGAL_SUFFIXES: tuple[str, ...] = (
    # United States
    "Incorporated",
    "Inc.",
    "Corporation",
    "Corp.",
    "Company",
    "Co.",
    "L.L.C.",
    "P.L.L.C.",
    "L.L.P.",
    "L.P.",
    "P.C.",
    "P.A.",
    "S.C.",
    "Chtd.",
    # United Kingdom, Ireland, Commonwealth
    "Pty. Ltd.",
    "Pvt. Ltd.",
    "Pte. Ltd.",
    "Limited",
    "Ltd.",
    "P.L.C.",
    # Continental Europe and elsewhere
    "GmbH & Co. KG",
    "GmbH",
    "AG",
    "KG",
    "S.A.R.L.",
    "S.A.S.",
    "S.A.",
    "S.R.L.",
    "S.p.A.",
    "S.L.",
    "B.V.",
    "N.V.",
    "Oy",
    "AB",
    "A/S",
    "AS",
    "ApS",
    "K.K.",
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
        more than common ones.
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
    key, trail, cased = _normalised(name)
    tokens = key.split()
    ranked = []
    # The character view bounds the score from above, so it picks the candidates worth the
    # word view, computed for every company at once in rapidfuzz's C code.
    # (Scores under the cutoff come back as 0: rapidfuzz can then skip most comparisons.)
    characters = np.maximum(
        process.cdist([key], index.keys, scorer=fuzz.token_sort_ratio, score_cutoff=threshold)[0],
        process.cdist(
            [key.replace(" ", "")], index.joined, scorer=fuzz.ratio, score_cutoff=threshold
        )[0],
    )
    for position in np.flatnonzero(characters >= threshold):
        company_id, company_name = index.companies[position]
        company_key, company_trail, company_cased = index.normalised[position]
        score, word_notes = _score(key, tokens, company_key, index.weights, index.unseen_weight)
        if score < threshold:
            continue
        reasons = _reasons(
            (key, trail, cased), (company_key, company_trail, company_cased), word_notes
        )
        ranked.append(Suggestion(company_id, company_name, score, reasons))
    ranked.sort(key=lambda s: (-s.score, s.company_name.casefold(), s.company_id))
    return ranked[:limit]


@dataclass(frozen=True)
class _CompanyIndex:
    companies: tuple[tuple[str, str], ...]
    normalised: tuple[tuple[str, tuple[str, ...], str], ...]
    weights: dict[str, float]
    unseen_weight: float
    keys: list[str]  # comparison keys, in company order
    joined: list[str]  # the same without spaces


@lru_cache(maxsize=8)
def _company_index(companies: tuple[tuple[str, str], ...]) -> _CompanyIndex:
    normalised = tuple(_normalised(company_name) for _, company_name in companies)
    counts = Counter(word for key, _, _ in normalised for word in set(key.split()))
    total = len(companies)
    # Inverse document frequency: a word in every name weighs nothing, one in a single name a
    # lot. Joining words weigh little whatever their count; every word keeps a floor so a
    # name made only of common words can still be compared.
    weights = {
        word: 0.3 if word in _JOINING_WORDS else max(math.log((total + 1) / (count + 1)), 0.3)
        for word, count in counts.items()
    }
    keys = [key for key, _, _ in normalised]
    return _CompanyIndex(
        companies,
        normalised,
        weights,
        max(math.log(total + 1), 1.0),
        keys,
        [key.replace(" ", "") for key in keys],
    )


def _score(
    key: str,
    tokens: list[str],
    company_key: str,
    weights: dict[str, float],
    unseen_weight: float,
) -> tuple[float, list[str]]:
    """The lower of the character and the word similarity, and notes on words that differ."""
    if key == company_key:
        return 100.0, []
    characters = max(
        fuzz.token_sort_ratio(key, company_key),
        fuzz.ratio(key.replace(" ", ""), company_key.replace(" ", "")),
    )
    left, right = _join_compounds(tokens, company_key.split())
    total = weighted = 0.0
    notes = []
    for side, other in ((left, right), (right, left)):
        for word in side:
            best, closest = max(
                ((_word_similarity(word, candidate), candidate) for candidate in other),
                default=(0.0, ""),
            )
            weight = 0.3 if word in _JOINING_WORDS else weights.get(word, unseen_weight)
            total += weight
            if best >= _WORD_MATCH:
                weighted += weight * best
                if side is left and word != closest:
                    notes.append(f"{word!r} taken for {closest!r} ({best:.0f})")
            elif word not in _JOINING_WORDS:
                # A word that pairs with nothing counts for nothing: "south" is not partly
                # "north".
                notes.append(f"{word!r} pairs with no word of the other name")
    words = weighted / total if total else 0.0
    # 100 is kept for keys that are the same; a compound written apart still differs.
    return round(min(characters, words, 99.0), 1), notes


def _word_similarity(word: str, other: str) -> float:
    """``fuzz.ratio`` of two words, or 90 when one is a cut-short form of the other ("Constr")."""
    shorter, longer = sorted((word, other), key=len)
    if len(shorter) >= 3 and len(longer) > len(shorter) + 1 and longer.startswith(shorter):
        return max(fuzz.ratio(word, other), 90.0)
    return fuzz.ratio(word, other)


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


def _reasons(
    vendor: tuple[str, tuple[str, ...], str],
    company: tuple[str, tuple[str, ...], str],
    word_notes: list[str],
) -> tuple[str, ...]:
    vendor_key, vendor_trail, vendor_cased = vendor
    company_key, company_trail, company_cased = company
    # A step applied to both names alike (both lost "Inc.") cannot explain a difference.
    reasons = [f"vendor name: {step}" for step in vendor_trail if step not in company_trail]
    reasons += [f"PSA name: {step}" for step in company_trail if step not in vendor_trail]
    reasons = [r for r in reasons if not r.endswith(": ignored case")]
    if vendor_cased != company_cased and vendor_cased.casefold() == company_cased.casefold():
        reasons.append("ignored case")
    if vendor_key != company_key:
        reasons.append(f"compared {vendor_key!r} with {company_key!r}")
        reasons += word_notes
    if vendor_key == company_key and not (set(vendor_trail) ^ set(company_trail)) - {
        "ignored case",
        "collapsed repeated spaces",
    }:
        # Same name apart from case and spacing: nothing for a person to weigh.
        return tuple(r for r in reasons if r == "ignored case")
    return tuple(reasons)


def _suffix_pattern(suffix: str) -> str:
    parts = []
    for char in suffix:
        if char == ".":
            parts.append(r"\.?")
        elif char == " ":
            parts.append(r"[\s,]*")
        else:
            parts.append(re.escape(char))
    return "".join(parts)


_SUFFIX = re.compile(
    r"[\s,]+(" + "|".join(_suffix_pattern(s) for s in LEGAL_SUFFIXES) + r")\s*$", re.IGNORECASE
)
_QUALIFIER_WORDS = "|".join(re.escape(q).replace(r"\ ", r"\s+") for q in QUALIFIERS)
_QUALIFIER = re.compile(
    rf"\s*(?:[(\[{{]\s*(?:{_QUALIFIER_WORDS})\s*[)\]}}]|[-\u2013\u2014]\s*(?:{_QUALIFIER_WORDS})\s*$)",
    re.IGNORECASE,
)
_LEADING_THE = re.compile(r"^the\s+(?=\S)", re.IGNORECASE)
_AMPERSAND = re.compile(r"\s*([&+])\s*")
_ABBREVIATION = re.compile(
    r"(?<![\w'])(" + "|".join(re.escape(a) for a in ABBREVIATIONS) + r")\.?(?![\w'])",
    re.IGNORECASE,
)
_SPELLED_OUT = {a.casefold(): word for a, word in ABBREVIATIONS.items()}
_SAINT = re.compile(r"(?<![\w'])(St)\.?(?![\w'])", re.IGNORECASE)
_APOSTROPHE = re.compile("['`\u2019\u00b4]")
_PUNCTUATION = re.compile(r"[^\w\s]|_")


@lru_cache(maxsize=65536)
def _normalised(name: str) -> tuple[str, tuple[str, ...], str]:
    """Key, trail and the key before case was ignored (to tell a case-only difference)."""
    trail: list[str] = []
    text = name
    if text != " ".join(text.split()):
        trail.append("collapsed repeated spaces")
        text = " ".join(text.split())
    plain = "".join(
        char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char)
    )
    if plain != text:
        trail.append("removed accents")
        text = plain
    # Qualifiers come off before suffixes: "Acme Corp (EU)" has its suffix in the middle.
    while (found := _QUALIFIER.search(text)) and _QUALIFIER.sub("", text, count=1).strip():
        trail.append(f"removed qualifier {found.group().strip()!r}")
        text = (text[: found.start()] + " " + text[found.end() :]).strip()
    while (found := _SUFFIX.search(text)) and text[: found.start()].strip(" ,"):
        trail.append(f"removed legal suffix {found.group(1)!r}")
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
