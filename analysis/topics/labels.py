"""Topic labels in the text's own casing: each term's surface forms read back from the articles."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence

from analysis.terms import TermDoc, actor_names, normalise_term


def count_surface_forms(
    texts: Iterable[str], docs: Iterable[TermDoc], terms: Iterable[str] | None = None
) -> dict[str, Counter]:
    """Count how the articles write each term: ``{"gatt": Counter({("GATT", False): 12})}``.

    A term's surface form is the text between its offsets (``text[start:end]``, whitespace
    folded), so nothing is parsed again: a :class:`~analysis.terms.TermDoc` rebuilt from the
    feature store's ``terms`` table serves as well as a fresh parse. Each form is counted with
    whether it opens a sentence or paragraph ("Police said ..."), where a capital says nothing
    of how the word is written.

    Parameters
    ----------
    texts : iterable of str
        Article texts.
    docs : iterable of TermDoc
        Their terms with offsets, in the same order.
    terms : iterable of str, optional
        Count only these terms (e.g. the top terms of a fitted model); default every term.

    Returns
    -------
    dict of str to collections.Counter
        Per term, the count of each ``(form, opens_sentence)``; :func:`display_forms` reads it.
    """
    wanted = None if terms is None else set(terms)
    counts: dict[str, Counter] = defaultdict(Counter)
    for text, td in zip(texts, docs, strict=True):
        for term, start, end in zip(td.terms, td.starts, td.ends, strict=True):
            if wanted is None or term in wanted:
                form = " ".join(text[start:end].split())
                counts[term][form, _opens_sentence(text, start)] += 1
    return dict(counts)


def _opens_sentence(text: str, start: int) -> bool:
    """Whether the word at ``start`` opens the text, a paragraph, a table row or a sentence."""
    head = text[max(0, start - 40) : start].replace("\r", "")
    before = head.rstrip(" \t\n\"'\u201c\u2018([")
    gap = head[len(before) :]
    # A bare line break is no boundary (wire copy is wrapped mid-sentence); a blank line or an
    # indented line is ("    Net 1,234 vs 1,000" in a Reuters earnings table).
    return not before or before[-1] in ".!?:" or "\n\n" in gap or "\n " in gap or "\n\t" in gap


def merge_surface_counts(into: dict[str, Counter], more: Mapping[str, Counter]) -> None:
    """Add the counts of ``more`` to ``into`` (counts of a corpus read part by part)."""
    for term, forms in more.items():
        into.setdefault(term, Counter()).update(forms)


def _fallback(term: str, is_actor: bool) -> str:
    """The display of a term no text spells out: words spaced, an actor title-cased."""
    words = term.replace("_", " ")
    return words.title() if is_actor else words


def display_forms(
    counts: Mapping[str, Counter], terms: Iterable[str], actors: frozenset[str] = frozenset()
) -> dict[str, str]:
    """Return how to show each term: as the text most often writes it.

    The display of a term is, in order: for a merged actor, the acronym the text writes most
    ("OPEC" for ``organization_of_petroleum_exporting_countries``), else its canonical name
    ("United States" for ``united_states``, as the actors table names it); else its most frequent surface form
    that spells the term itself ("GATT" for ``gatt``, "Prime Minister" for ``prime_minister``;
    a form that is another word, such as a plural or a merged alias, does not count; forms
    opening a sentence count only when there are no others; ties go to the form that sorts
    first); else the term with spaces for underscores, title-cased for an actor (the only
    display when no text is at hand, e.g. pre-extracted term lists).

    Parameters
    ----------
    counts : mapping of str to Counter
        Surface forms per term, with whether each opens a sentence (:func:`count_surface_forms`).
    terms : iterable of str
        The terms to show.
    actors : frozenset of str
        Terms that name actors.

    Returns
    -------
    dict of str to str
        The display of each term.

    Examples
    --------
    >>> from collections import Counter
    >>> counts = {"gatt": Counter({("GATT", False): 5, ("Gatt", True): 6})}
    >>> display_forms(counts, ["gatt", "tariff", "united_states"])
    {'gatt': 'GATT', 'tariff': 'tariff', 'united_states': 'United States'}
    """
    names = actor_names()
    out = {}
    for term in terms:
        if term in names:
            # A merged actor the text names by an acronym of 3+ letters ("OPEC", "GATT"; not
            # "US", which reads better as United States) is shown so, not
            # by the expansion the actors table uses; otherwise by that name ("United States").
            acronyms = Counter()
            for (form, _), n in counts.get(term, {}).items():
                if len(form) > 2 and form.isalpha() and form.isupper():
                    acronyms[form] += n
            ranked = sorted(acronyms.items(), key=lambda x: (-x[1], x[0]))
            out[term] = ranked[0][0] if ranked else names[term]
            continue
        spelt = [(f, initial, n) for (f, initial), n in counts.get(term, {}).items()]
        spelt = [x for x in spelt if normalise_term([x[0]]) == term]
        # Forms that open a sentence count only for a term the text writes nowhere else.
        inside = [x for x in spelt if not x[1]] or spelt
        total = Counter()
        for form, _, n in inside:
            total[form] += n
        ranked = sorted(total.items(), key=lambda x: (-x[1], x[0]))
        out[term] = ranked[0][0] if ranked else _fallback(term, term in actors)
    return out


def topic_label(
    terms: Sequence[str],
    actors: frozenset[str] = frozenset(),
    n_actors: int = 2,
    n_terms: int = 3,
    *,
    forms: Mapping[str, str] | None = None,
) -> str:
    """Return a short label from a topic's top terms: its leading actors, then its leading terms.

    Parameters
    ----------
    terms : sequence of str
        The topic's terms, best first.
    actors : frozenset of str
        Terms that name actors.
    n_actors, n_terms : int
        How many of each the label shows.
    forms : mapping of str to str, optional
        How to show each term (:func:`display_forms`); a term it lacks is shown with spaces for
        underscores, title-cased for an actor.

    Examples
    --------
    >>> topic_label(["army", "north_waziristan", "militant", "haqqani"], frozenset({"north_waziristan", "haqqani"}))
    'North Waziristan, Haqqani: army, militant'
    >>> topic_label(["gatt", "tariff", "trade"], frozenset({"gatt"}), forms={"gatt": "GATT"})
    'GATT: tariff, trade'
    """
    forms = forms or {}
    who = [t for t in terms if t in actors][:n_actors]
    what = [t for t in terms if t not in actors][:n_terms]
    head = ", ".join(forms.get(w) or _fallback(w, True) for w in who)
    tail = ", ".join(forms.get(w) or _fallback(w, False) for w in what)
    return f"{head}: {tail}" if head and tail else head or tail
