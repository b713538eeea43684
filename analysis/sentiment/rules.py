"""The rule engine: VADER's scoring adapted to news prose (see :mod:`analysis.sentiment`)."""

from __future__ import annotations

import functools
import math
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field

from analysis import config, features

#: Score columns every scorer returns, in order.
SCORE_COLUMNS = ("compound", "positive", "negative", "neutral")
#: The polarity label column beside the scores: negative, neutral or positive (compound beyond
#: ±0.05).
LABEL_COLUMN = "label"
#: The score of an empty or whitespace-only text: exactly neutral.
EMPTY_SCORE = {"compound": 0.0, "positive": 0.0, "negative": 0.0, "neutral": 1.0}
_EXPLAIN_COLUMNS = ["position", "token", "lexicon", "valence", "rules"]
#: The ``sentiment`` table (DESIGN.md), then extras used by aggregation and actor voice.
SENTIMENT_COLUMNS = features.feature("sentiment").core_columns
SENTIMENT_EXTRA_COLUMNS = features.feature("sentiment").extra_columns
#: compound beyond ±this is positive / negative (VADER's convention).
POLARITY_THRESHOLD = 0.05
#: Human mean ratings are on -4..+4; the scorer's targets are mean / 4.
RATING_SCALE = 4.0
#: Gold classes of the NYT benchmark: mean rating beyond ±0.5 of 4, i.e. ±0.125 on -1..1.
GOLD_THRESHOLD = 0.5 / RATING_SCALE

# --- rule constants (VADER's values where VADER has them) --------------------------------------


def _words(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text`` (word lists read better as prose blocks)."""
    return frozenset(text.split())


B_INCR, B_DECR = 0.293, -0.293
C_INCR = 0.733
N_SCALAR = -0.74
#: Multiplier of a sentiment word shortly after a hedge.
HEDGE_SCALAR = 0.7
#: Multipliers of the clause before and after a contrast marker ("but" in VADER).
CONTRAST_BEFORE, CONTRAST_AFTER = 0.5, 1.5
#: After this many tokens a sentence is "long": the clause after a contrast gets a smaller boost.
LONG_SENTENCE_TOKENS = 25
CONTRAST_AFTER_LONG = 1.2
#: Multiplier of a concessive clause ("although ...").
CONCESSIVE_SCALAR = 0.5

_VADER_NEGATE = _words(
    """aint arent cannot cant couldnt darent didnt doesnt ain't aren't can't couldn't daren't
    didn't doesn't dont hadnt hasnt havent isnt mightnt mustnt neither don't hadn't hasn't
    haven't isn't mightn't mustn't neednt needn't never none nope nor not nothing nowhere
    oughtnt shant shouldnt uhuh wasnt werent oughtn't shan't shouldn't uh-uh wasn't weren't
    without wont wouldnt won't wouldn't rarely seldom despite"""
)
#: Negators of news prose: failure, refusal and denial invert what follows ("failed to agree").
NEWS_NEGATE = _words(
    """fail fails failed failing refuse refuses refused refusing unable deny denies denied
    denying lack lacks lacked lacking absence"""
)
HEDGES = _words(
    """may might could possibly perhaps reportedly allegedly apparently seemingly purportedly
    probably likely alleged suspected appears appeared seems seemed suggests suggested
    claimed claims"""
)
#: Coordinating contrast markers: the clause after outweighs the clause before.
CONTRAST = frozenset({"but", "however", "nevertheless", "nonetheless", "yet"})
#: Concessive markers: the clause they open is damped.
CONCESSIVE = frozenset({"although", "though", "whereas"})
#: Tokens ending a clause for the contrast scope (kept as separate tokens by the tokenizer).
_STRONG_BREAK = frozenset({";", ":", "--", "—", "–", "-"})
_STRIP = string.punctuation + "“”‘’«»…—–"
_QUOTE_FIX = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})
_BOOSTER_WORDS = """absolutely amazingly awfully completely considerable considerably decidedly
deeply enormous enormously entirely especially exceptional exceptionally extreme extremely
fabulously fully greatly highly hugely incredible incredibly intensely major majorly more most
particularly purely quite really remarkably so substantially thoroughly total totally
tremendous tremendously unbelievably unusually utter utterly very"""
_DAMPENER_WORDS = """almost barely hardly kinda less little marginal marginally occasional
occasionally partly scarce scarcely slight slightly somewhat sorta"""
BOOSTERS = {w: B_INCR for w in _BOOSTER_WORDS.split()} | {
    w: B_DECR for w in _DAMPENER_WORDS.split()
}


def _read_word_file(name: str) -> list[str]:
    """Non-comment, non-blank lines of a resource file."""
    path = config.RESOURCES_DIR / name
    lines = path.read_text(encoding="utf-8").splitlines()
    return [ln.rstrip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


@functools.lru_cache(maxsize=1)
def news_lexicon() -> dict[str, float]:
    """VADER's lexicon (from the installed ``vaderSentiment``) with the news adjustments applied.

    Returns
    -------
    dict of str to float
        Lower-case word to valence on VADER's -4..+4 scale.
    """
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    lexicon = dict(SentimentIntensityAnalyzer().lexicon)
    for line in _read_word_file("news_lexicon.txt"):
        word, value = line.split("\t")[:2]
        lexicon[word.strip().lower()] = float(value)
    return lexicon


@functools.lru_cache(maxsize=1)
def _name_patterns() -> tuple[re.Pattern, re.Pattern]:
    exact, anycase = [], []
    for line in _read_word_file("news_names.txt"):
        if line.startswith("i:"):
            anycase.append(line[2:].strip())
        else:
            exact.append(line.strip())

    def compile_(phrases: list[str], flags: int = 0) -> re.Pattern:
        body = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
        return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", flags)

    return compile_(exact), compile_(anycase, re.IGNORECASE)


def _join_names(text: str) -> str:
    """Glue each protected name into one token ("United_States") that no lexicon entry matches."""
    exact, anycase = _name_patterns()

    def glue(m: re.Match) -> str:
        return re.sub(r"[\s-]+", "_", m.group(0))

    return anycase.sub(glue, exact.sub(glue, text))


def _tokens(text: str) -> tuple[list[str], list[bool]]:
    """VADER-style tokens (whitespace split, outer punctuation stripped) and comma-after flags.

    Clause marks (``;``, ``:``, dashes) are kept as tokens of their own so rules can stop there.
    """
    out: list[str] = []
    comma: list[bool] = []
    for raw in text.translate(_QUOTE_FIX).split():
        if raw in _STRONG_BREAK:
            out.append(raw)
            comma.append(False)
            continue
        word = raw.strip(_STRIP)
        if not word:
            # Emoticons and punctuation-only tokens stay as written (VADER keeps ":)").
            word = raw if len(raw) <= 3 else ""
        if word:
            out.append(word)
            comma.append(raw.rstrip("\"')”’").endswith(","))
            # A clause break glued to a word ("peace; but") still ends the clause.
            if raw[-1] in ";:":
                out.append(raw[-1])
                comma.append(False)
    return out, comma


def _normalize(score: float, alpha: float = 15.0) -> float:
    return max(-1.0, min(1.0, score / math.sqrt(score * score + alpha)))


@dataclass
class RuleScore:
    """The rule engine's result for one sentence.

    ``tokens``, ``base`` (lexicon valence), ``valence`` (after rules) and ``rules`` (names of the
    rules that changed each token) are filled only when the score was asked to explain itself.
    """

    compound: float
    positive: float
    negative: float
    neutral: float
    tokens: list[str] = field(default_factory=list)
    base: list[float] = field(default_factory=list)
    valence: list[float] = field(default_factory=list)
    rules: list[list[str]] = field(default_factory=list)


def rule_score(text: str, *, explain: bool = False, lexicon: Mapping | None = None) -> RuleScore:
    """Score one sentence with the news-adapted VADER rules.

    Parameters
    ----------
    text : str
        One sentence (longer texts work but saturate like VADER's; aggregate sentence scores
        instead, see :func:`aggregate`).
    explain : bool, default False
        Keep per-token valences and rule names (slower).
    lexicon : mapping, optional
        Word to valence; defaults to :func:`news_lexicon`.

    Returns
    -------
    RuleScore
        ``compound`` in -1..1 and VADER's ``positive``/``negative``/``neutral`` shares of the
        sentence's tokens.
    """
    lex = news_lexicon() if lexicon is None else lexicon
    toks, comma = _tokens(_join_names(text))
    low = [t.lower() for t in toks]
    n = len(low)
    is_cap_diff = 0 < sum(1 for t in toks if t.isupper()) < n
    vals = [0.0] * n
    base = [0.0] * n
    why: list[list[str]] | None = [[] for _ in range(n)] if explain else None

    for i, w in enumerate(low):
        if w not in lex or w in BOOSTERS:
            continue
        v = lex[w]
        base[i] = v
        if w == "no" and i + 1 < n and low[i + 1] in lex:
            v = 0.0
        prev1 = low[i - 1] if i > 0 else ""
        prev2 = low[i - 2] if i > 1 else ""
        if prev1 == "no" or prev2 == "no":
            v *= N_SCALAR
            if why is not None:
                why[i].append("negation:no")
        if toks[i].isupper() and is_cap_diff:
            v += C_INCR if v > 0 else -C_INCR
        for k in range(3):
            j = i - k - 1
            if j < 0:
                break
            pw = low[j]
            if pw in _STRONG_BREAK:
                break
            if pw in BOOSTERS and pw not in lex:
                s = BOOSTERS[pw] * (1.0, 0.95, 0.9)[k]
                v += s if v >= 0 else -s
                if why is not None:
                    why[i].append(f"{'booster' if s > 0 else 'dampener'}:{pw}")
            # "without (a) doubt" affirms rather than negates (VADER's exception).
            negator = pw in _VADER_NEGATE or pw.endswith("n't")
            if negator and not (pw == "without" and "doubt" in low[j + 1 : i + 1]):
                v *= N_SCALAR
                if why is not None:
                    why[i].append(f"negation:{pw}")
            if pw in HEDGES:
                v *= HEDGE_SCALAR
                if why is not None:
                    why[i].append(f"hedge:{pw}")
        # Verbs of failure and refusal govern an infinitive or object a word further away.
        for k in range(4):
            j = i - k - 1
            if j < 0 or low[j] in _STRONG_BREAK:
                break
            if low[j] in NEWS_NEGATE:
                v *= N_SCALAR
                if why is not None:
                    why[i].append(f"negation:{low[j]}")
                break
        if prev1 == "least" and prev2 not in ("at", "very"):
            v *= N_SCALAR
            if why is not None:
                why[i].append("negation:least")
        if prev1 == "of" and prev2 in ("kind", "sort"):
            v += B_DECR if v > 0 else -B_DECR
            if why is not None:
                why[i].append(f"dampener:{prev2} of")
        vals[i] = v

    _contrast(low, comma, vals, why)
    total = sum(vals)
    punct = min(text.count("!"), 4) * 0.292
    q = text.count("?")
    punct += (q * 0.18 if q <= 3 else 0.96) if q > 1 else 0.0
    if total > 0:
        total += punct
    elif total < 0:
        total -= punct
    compound = _normalize(total)
    pos_sum = sum(v + 1 for v in vals if v > 0)
    neg_sum = sum(v - 1 for v in vals if v < 0)
    n_words = sum(1 for t in low if t not in _STRONG_BREAK)
    neu = max(0, n_words - sum(1 for v in vals if v != 0))
    if pos_sum > -neg_sum:
        pos_sum += punct
    elif pos_sum < -neg_sum:
        neg_sum -= punct
    denom = pos_sum - neg_sum + neu
    if denom > 0:
        pos, neg, neu_share = pos_sum / denom, -neg_sum / denom, neu / denom
    else:
        pos = neg = 0.0
        neu_share = 1.0 if n_words else 0.0
    result = RuleScore(compound, pos, neg, neu_share)
    if why is not None:
        result.tokens, result.base, result.valence, result.rules = toks, base, vals, why
    return result


def _contrast(
    low: list[str], comma: list[bool], vals: list[float], why: list[list[str]] | None
) -> None:
    """Apply the contrast and concessive rules in place, each within its clause."""
    n = len(low)
    after = CONTRAST_AFTER if n <= LONG_SENTENCE_TOKENS else CONTRAST_AFTER_LONG
    for b, w in enumerate(low):
        marker = None
        if w in CONTRAST:
            # "yet" and "however" are contrasts only at a clause start ("not yet" is not).
            if w in ("yet", "however") and b > 0 and low[b - 1] in ("not", "as", "has", "have"):
                continue
            marker = "contrast"
        elif w in CONCESSIVE or (w == "while" and b == 0):
            marker = "concessive"
        if marker is None:
            continue
        lo = b
        while lo > 0 and low[lo - 1] not in _STRONG_BREAK and low[lo - 1] not in CONTRAST:
            lo -= 1
        hi = b + 1
        while hi < n and low[hi] not in _STRONG_BREAK and low[hi] not in CONTRAST:
            hi += 1
        if marker == "contrast":
            for i in range(lo, b):
                if vals[i]:
                    vals[i] *= CONTRAST_BEFORE
                    if why is not None:
                        why[i].append(f"before-contrast:{w}")
            for i in range(b + 1, hi):
                if vals[i]:
                    vals[i] *= after
                    if why is not None:
                        why[i].append(f"after-contrast:{w}")
        else:
            # The concessive clause ends at the first comma after the marker ("Although the
            # talks went well, fighting continued"), else at the clause break.
            end = b + 1
            while end < hi and not comma[end - 1]:
                end += 1
            for i in range(b + 1, end):
                if vals[i]:
                    vals[i] *= CONCESSIVE_SCALAR
                    if why is not None:
                        why[i].append(f"concessive:{w}")
