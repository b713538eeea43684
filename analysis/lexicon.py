"""Linguistic constants in one home, and the one reader of the word lists under ``resources/``.

Word lists that users may extend live in ``analysis/resources/`` (one entry a line, ``#``
comments) and are read with :func:`read_word_list`; fixed vocabularies (months, number words,
label groups) are constants here. Where two features need different subsets of one vocabulary
the subsets are named and defined from each other, so a change shows in both places.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from analysis import config

__all__ = [
    "ACTOR_LABELS",
    "AGENCIES",
    "AGENCY_NAMES",
    "AGENCY_TERMS",
    "AMBIGUOUS_TITLES",
    "APPROXIMATE",
    "CORE_REPORTING_VERBS",
    "ENTITY_KINDS",
    "MONTHS",
    "NAME_LABELS",
    "QUOTE_CUE_VERBS",
    "REPORTING_VERBS",
    "SMALL_NUMBERS",
    "TERM_ENTITY_LABELS",
    "TIME_LABELS",
    "TITLES",
    "VALUE_LABELS",
    "WEEKDAYS",
    "agency_table",
    "UserListError",
    "read_user_list",
    "read_word_list",
]


@functools.cache
def read_word_list(name: str) -> tuple[str, ...]:
    """Return the entries of the word list ``analysis/resources/NAME``.

    Parameters
    ----------
    name : str
        File name under ``analysis/resources/`` (``"titles.txt"``).

    Returns
    -------
    tuple of str
        The file's lines stripped of surrounding whitespace, without blank lines and ``#``
        comment lines, in file order (case kept; callers fold it as they need).

    Raises
    ------
    RuntimeError
        The file is missing or unreadable (the message names it).
    """
    path = config.RESOURCES_DIR / name
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise RuntimeError(f"{path}: cannot read word list ({exc})") from exc
    return tuple(s for s in (line.strip() for line in lines) if s and not s.startswith("#"))


class UserListError(ValueError):
    """A user's word list that cannot be read; the message names the file (and line)."""


def read_user_list(path, *, what: str = "word list") -> tuple[tuple[int, str], ...]:
    """Return the entries of a user's word file with their line numbers.

    The format of the lists users write (stop words, aliases): UTF-8 text (a BOM is allowed),
    one entry a line, blank lines and ``#`` comments ignored (a whole line, or ``  # ...`` after
    an entry), surrounding whitespace stripped, inner whitespace folded to one space.

    Parameters
    ----------
    path : str or path-like
        The file.
    what : str
        What the file is, for error messages (``"stop-word file"``).

    Returns
    -------
    tuple of (int, str)
        ``(line number, entry)`` in file order, line numbers from 1.

    Raises
    ------
    UserListError
        The file is missing, a folder, unreadable, binary or not UTF-8 (the message names it).
    """
    path = Path(path)
    if path.is_dir():
        raise UserListError(f"{path}: is a folder, not a {what}")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UserListError(f"{path}: no such {what}") from None
    except OSError as exc:
        raise UserListError(f"{path}: cannot read {what} ({exc.strerror or exc})") from None
    if b"\x00" in data:
        raise UserListError(f"{path}: not a text file (binary content); a {what} is UTF-8 text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UserListError(
            f"{path}, line {line}: not UTF-8 text (byte {exc.start}); save the {what} as UTF-8"
        ) from None
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        # "#" opens a comment at the start of a line or after whitespace, so "C#" stays a word.
        entry = re.split(r"(?:^|\s)#", line, maxsplit=1)[0]
        entry = " ".join(entry.split())
        if entry:
            out.append((number, entry))
    return tuple(out)


# --- verbs of attribution -------------------------------------------------------------------------

#: Lemmas of verbs that report speech, writing or a stance taken in public: quote cues.
_QUOTE_VERBS = frozenset(
    """
    say tell add state declare announce claim insist argue explain note warn accuse deny confirm
    demand urge ask write report quote describe suggest admit acknowledge assert reply respond
    recall continue conclude predict promise vow pledge complain charge contend maintain stress
    emphasise emphasize observe remark comment testify tweet post blame dismiss label brand
    criticise criticize praise reveal indicate concede joke quip shout whisper allege boast caution
    mention reiterate repeat retort thank wonder decline lament counter point call brag scoff
    muse recount question cite read proclaim exclaim grumble snap yell cry chant sing fume gush
    rail plead caution advise tout hail welcome describe characterize characterise predict
    """.split()  # noqa: SIM905 - a word list reads better as text
)
#: Every verb of attribution known here: the quote cues and "accord" ("according to").
REPORTING_VERBS = _QUOTE_VERBS | {"accord"}
#: Verbs that open a quote: all but "accord" ("according to" attributes, it never cues a quote).
QUOTE_CUE_VERBS = REPORTING_VERBS - {"accord"}
#: The common attribution verbs that topic terms drop ("say", "tell", "according to"): the rarer
#: ones ("warn", "vow", "accuse") carry topic and stay terms. A subset of REPORTING_VERBS.
CORE_REPORTING_VERBS = frozenset(
    """
    say tell add state claim report quote accord note explain comment insist ask reply write cite
    remark announce describe suggest confirm deny
    """.split()  # noqa: SIM905 - a word list reads better as text
)

# --- entity labels (spaCy's OntoNotes scheme) -----------------------------------------------------

#: Labels that name something (and so get an ``actor``); the others are values (dates, amounts).
NAME_LABELS = frozenset(
    {
        "PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW",
        "LANGUAGE",
    }
)  # fmt: skip
#: Names whose words are neither tone words nor single topic words; a language name
#: ("English") stays an ordinary word for both.
TERM_ENTITY_LABELS = NAME_LABELS - {"LANGUAGE"}
#: Labels that name actors (people, organisations, places, groups).
ACTOR_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP"})
#: Labels of dates, times and quantities: their words ("monday", "10-year") are not topics.
VALUE_LABELS = frozenset({"DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL"})
TIME_LABELS = frozenset({"DATE", "TIME"})
#: The kind of speaker an entity label stands for.
ENTITY_KINDS = {
    "PERSON": "person",
    "ORG": "organisation",
    "NORP": "organisation",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
}

# --- agencies -------------------------------------------------------------------------------------


@functools.cache
def agency_table() -> tuple[tuple[str, str, frozenset[str]], ...]:
    """Return the rows of ``resources/agencies.tsv``: ``(form, agency, roles)``.

    The one home of the agencies' house styles: each form an agency's name takes in copy
    ("Reuter", "Agence France-Presse"), the name shown for it, and its roles (``credit``: it
    credits a story in a dateline, a closing tag or a sign-off; ``name``: the agency named in
    running text). See the file's header.

    Raises
    ------
    RuntimeError
        A row does not have three tab-separated fields or names an unknown role (the message
        names the file and the row).
    """
    rows = []
    for line in read_word_list("agencies.tsv"):
        fields = [f.strip() for f in line.split("\t")]
        roles = frozenset(r.strip() for r in fields[2].split(",")) if len(fields) == 3 else None
        if roles is None or not fields[0] or not fields[1] or not roles <= {"credit", "name"}:
            raise RuntimeError(
                f"{config.RESOURCES_DIR / 'agencies.tsv'}: bad row {line!r} "
                "(want: form<TAB>agency<TAB>credit,name)"
            )
        rows.append((fields[0], fields[1], roles))
    return tuple(rows)


#: Agencies recognised as credits in datelines, closing tags and sign-offs: display form by
#: lower-case form ("reuter" -> "Reuters"). From ``resources/agencies.tsv``.
AGENCIES = {form.lower(): agency for form, agency, roles in agency_table() if "credit" in roles}
#: Agency names in running text (lower case, no final full stop): never a PERSON, and as a
#: closing tag never a mention (:mod:`analysis.entities`). From ``resources/agencies.tsv``.
AGENCY_NAMES = frozenset(
    form.lower().rstrip(".") for form, _, roles in agency_table() if "name" in roles
)
#: Agency terms dropped from topic terms (lemmas; entities joined with "_"). Not the tags that
#: are ordinary words or names there ("app", "online", Michael "bloomberg"), nor "nni"; plus
#: the agencies' full names and "tass", which topics see but datelines do not carry.
AGENCY_TERMS = (
    frozenset(AGENCIES) - {"app", "associated press", "bloomberg", "nni", "online"}
) | {
    "tass", "agence_france_presse", "agence_france-presse", "associated_press",
    "press_association", "thomson_reuters", "bloomberg_news",
}  # fmt: skip

# --- titles ---------------------------------------------------------------------------------------

#: Titles and ranks stripped from a quote speaker's name when no entity module gives a canonical
#: name (the entity module's longer list is ``resources/titles.txt``).
TITLES = frozenset(
    """
    general gen. gen admiral adm. adm president prime minister secretary senator sen. sen rep. rep
    representative mr. mr mrs. mrs ms. ms miss dr. dr professor prof. chief colonel col. lt. lt
    lieutenant captain capt. major maj. sergeant sgt. ambassador governor gov. gov mayor judge
    justice sir lord lady dame king queen prince princess sheikh pope father rev. reverend
    commander defence defense foreign interior finance home state spokesman spokeswoman army
    """.split()  # noqa: SIM905 - a word list reads better as text
)
#: Ranks that also start names of things ("General Motors", "Major League", "Chief Justice"):
#: inside an entity the model did not call a PERSON they only split off a title when the rest
#: is a full name (two tokens or more) or a surname the article names elsewhere.
AMBIGUOUS_TITLES = frozenset(
    {
        "general", "gen", "major", "maj", "private", "chief", "justice", "speaker", "chair",
        "leader", "marshal", "commander", "captain", "capt", "father", "lady", "lord", "king",
        "queen", "prince", "princess", "sultan", "emir", "judge", "cardinal", "bishop",
        "inspector", "constable", "superintendent", "commodore", "representative",
    }
)  # fmt: skip

# --- dates ----------------------------------------------------------------------------------------

MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9,
    "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12,
    "december": 12,
}  # fmt: skip
WEEKDAYS = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6, "mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3,
    "fri": 4, "sat": 5, "sun": 6,
}  # fmt: skip

# --- numbers --------------------------------------------------------------------------------------

NUMBER_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
NUMBER_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
NUMBER_SCALES = {
    "hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
    "lakh": 1e5, "crore": 1e7,
}  # fmt: skip
# Abbreviated scales written after digits ("$1.5bn", "£600m", "5.93 mln").
SCALE_ABBREVIATIONS = {
    "k": 1e3, "m": 1e6, "mn": 1e6, "mln": 1e6, "mio": 1e6, "bn": 1e9, "b": 1e9, "bln": 1e9,
    "tn": 1e12, "trn": 1e12,
}  # fmt: skip
#: Vague quantities: the value each stands for, a conventional minimum. "several" and "multiple"
#: are 3 and "numerous" 4, the figures the ISAF press-release annotators used (see
#: benchmarks/bench_dates_counts.py).
APPROXIMATE = {
    "several": 3, "a few": 3, "few": 3, "a number of": 3, "some": 2, "many": 4, "numerous": 4,
    "multiple": 3, "a handful of": 3, "a couple of": 2, "couple": 2, "dozens": 24, "scores": 40,
    "hundreds": 200, "thousands": 2000, "tens of thousands": 20000, "hundreds of thousands": 200000,
    "millions": 2e6, "more than a dozen": 13,
}  # fmt: skip
EXACT_QUANTITIES = {
    "a dozen": 12,
    "dozen": 12,
    "half a dozen": 6,
    "both": 2,
    "pair": 2,
    "a pair of": 2,
    "single": 1,
}
CURRENCY_SYMBOLS = {
    "$": "USD", "us$": "USD", "usd": "USD", "£": "GBP", "gbp": "GBP", "€": "EUR", "eur": "EUR",
    "¥": "JPY", "a$": "AUD", "c$": "CAD", "hk$": "HKD", "rs": "rupees", "rs.": "rupees",
    "inr": "INR", "pkr": "PKR", "chf": "CHF",
}  # fmt: skip
CURRENCY_WORDS = {
    "dollar": "USD", "dollars": "USD", "euro": "EUR", "euros": "EUR", "sterling": "GBP",
    "yen": "JPY", "yuan": "CNY", "renminbi": "CNY", "rupee": "rupees", "rupees": "rupees",
    "riyal": "SAR", "riyals": "SAR", "dirham": "AED", "dirhams": "AED", "afghani": "AFN",
    "afghanis": "AFN", "francs": "CHF", "rubles": "RUB", "roubles": "RUB",
    # Wire abbreviations ("5.93 mln dlrs", "25 cts a share", "10 mln stg"); "mln"/"bln" are in
    # SCALE_ABBREVIATIONS and "pct" reads as percent. Cents stay cents: a value of 25 is not
    # 25 dollars, and the copy does not always say whose cents.
    "dlrs": "USD", "dlr": "USD", "stg": "GBP", "cts": "cents",
}  # fmt: skip
MEASURE_UNITS = {
    "kg", "kgs", "kilogram", "kilograms", "kilo", "kilos", "g", "gram", "grams", "tonne", "tonnes",
    "ton", "tons", "lb", "lbs", "pound", "pounds", "ounce", "ounces", "km", "kilometre",
    "kilometres", "kilometer", "kilometers", "mile", "miles", "metre", "metres", "meter",
    "meters", "m", "ft", "feet", "foot", "inch", "inches", "mm", "cm", "litre", "litres",
    "liter", "liters", "gallon", "gallons", "barrel", "barrels", "bag", "bags", "bale", "bales",
    "acre", "acres", "hectare", "hectares", "megawatt", "megawatts", "mw", "kw", "kwh",
    "degree", "degrees", "round", "rounds", "bushel", "bushels", "cubic", "square", "sq",
    "mph", "kph", "knots", "points", "point",
}  # fmt: skip
TIME_UNITS = {
    "year", "years", "month", "months", "week", "weeks", "day", "days", "hour", "hours",
    "minute", "minutes", "second", "seconds", "decade", "decades", "century", "centuries",
}  # fmt: skip
#: Small counts written in words as "ago" phrases use them ("two weeks ago"); vague ones are None.
SMALL_NUMBERS = {
    w: NUMBER_UNITS[w]
    for w in "one two three four five six seven eight nine ten eleven twelve".split()  # noqa: SIM905
} | {"a": 1, "an": 1, "several": None, "few": None}
