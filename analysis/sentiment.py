"""Sentence sentiment for news: VADER's rules adapted to news prose, blended with a learned regressor.

The rule engine re-implements vaderSentiment's scoring (MIT licence, C.J. Hutto; lexicon and
constants are read from the installed package) with changes for news and editorial prose:

* **names**: proper names and set phrases (``United States``, ``Security Council``) are neutral
  (``resources/news_names.txt``);
* **lexicon**: conflict, diplomacy and economy words added or re-weighted
  (``resources/news_lexicon.txt``);
* **negation**: VADER's negators plus verbs of failure and refusal (``failed to``, ``refused to``,
  ``denied``), which also reach a word further; curly apostrophes (``don’t``) count;
* **hedging**: a hedge (``reportedly``, ``allegedly``, ``may``, ``could``) shortly before a
  sentiment word dampens it;
* **contrast**: ``but``, ``however``, ``yet``, ``nevertheless`` weight the clause after them over
  the clause before, and concessive clauses (``although``, ``though``, sentence-initial ``while``)
  are damped; the scope ends at ``;``, ``:`` or a dash, so a long sentence is not re-weighted
  wholesale as VADER does.

With ``use_model=True`` the rule score is blended with an int8 ONNX regressor (all-MiniLM-L6-v2
fine-tuned on the VADER ground-truth tweets and reviews; see ``models/sentence_sentiment/
meta.json`` and ``scripts/train_sentence_sentiment.py``). Blend weights come from meta.json, where
the calibration script wrote them after fitting on the NYT editorial dev split.
"""

from __future__ import annotations

import functools
import json
import math
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from analysis import config

#: Score columns every scorer returns, in order.
SCORE_COLUMNS = ("compound", "positive", "negative", "neutral")
#: The score of an empty or whitespace-only text: exactly neutral.
EMPTY_SCORE = {"compound": 0.0, "positive": 0.0, "negative": 0.0, "neutral": 1.0}
_EXPLAIN_COLUMNS = ["position", "token", "lexicon", "valence", "rules"]
#: The ``sentiment`` table (DESIGN.md), then extras used by aggregation and actor voice.
SENTIMENT_COLUMNS = (
    "article_id",
    "sentence",
    "compound",
    "positive",
    "negative",
    "neutral",
    "voice",
)
SENTIMENT_EXTRA_COLUMNS = ("start", "end", "n_words")
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


# --- learned component and blend -----------------------------------------------------------


@functools.lru_cache(maxsize=2)
def load_sentence_model(intra_op_num_threads: int = 1):
    """Load (once per process) the committed sentence-sentiment regressor.

    Parameters
    ----------
    intra_op_num_threads : int, default 1
        onnxruntime threads per operator.

    Returns
    -------
    analysis.encoder.OnnxModel
        The model in ``config.SENTENCE_SENTIMENT_MODEL_DIR``; its first output column is the
        predicted human mean rating / 4.
    """
    from analysis.encoder import OnnxModel

    return OnnxModel(config.SENTENCE_SENTIMENT_MODEL_DIR, intra_op_num_threads=intra_op_num_threads)


def _read_blend() -> dict:
    path = config.SENTENCE_SENTIMENT_MODEL_DIR / "meta.json"
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8")).get("blend", {})


#: Used when meta.json carries no fitted blend: plain VADER-like rules, or an even mix.
DEFAULT_BLEND = {
    "rules": {"intercept": 0.0, "weights": [1.0]},
    "model": {"intercept": 0.0, "weights": [0.5, 0.5]},
}


def _macro_f1(gold: np.ndarray, pred: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(gold, pred, labels=[-1, 0, 1], average="macro", zero_division=0))


def polarity_classes(values, threshold: float) -> np.ndarray:
    """-1, 0 or 1 for each value beyond ``-threshold`` / ``+threshold``."""
    values = np.asarray(values, dtype=float)
    return np.where(values > threshold, 1, np.where(values < -threshold, -1, 0))


class SentimentScorer(BaseEstimator):
    """Sentence sentiment for news: news-adapted VADER rules blended with a learned regressor.

    Parameters
    ----------
    use_model : bool, default True
        Blend in the committed ONNX regressor; ``False`` gives the rules alone (faster, no
        onnxruntime needed).
    batch_size : int, default 1
        Sentences per model call. The int8 graph quantises activations per call, so in a batch
        a sentence's score shifts with its neighbours and their padding (up to 0.1 on the
        model's scale); one sentence per call keeps every score reproducible on its own, at
        about 15% less speed than batches of 8.
    intra_op_num_threads : int, default 1
        onnxruntime threads per operator.
    blend : dict, optional
        ``{"intercept": float, "weights": [w_rules(, w_model)]}``; defaults to the weights
        fitted on the NYT editorial dev split and stored in the model's meta.json.

    Attributes
    ----------
    blend_ : dict
        The blend in use (set by :meth:`fit`, else taken from ``blend`` or meta.json on first use).

    Examples
    --------
    >>> scorer = SentimentScorer(use_model=False)
    >>> float(scorer.score(["The ceasefire collapsed."])["compound"].iloc[0]) < 0
    True
    """

    def __init__(
        self,
        use_model: bool = True,
        *,
        batch_size: int = 1,
        intra_op_num_threads: int = 1,
        blend: Mapping | None = None,
    ) -> None:
        self.use_model = use_model
        self.batch_size = batch_size
        self.intra_op_num_threads = intra_op_num_threads
        self.blend = blend

    # -- parts ---------------------------------------------------------------------------

    @property
    def _kind(self) -> str:
        return "model" if self.use_model else "rules"

    def _blend(self) -> dict:
        if getattr(self, "blend_", None) is None:
            chosen = self.blend or _read_blend().get(self._kind) or DEFAULT_BLEND[self._kind]
            self.blend_ = dict(chosen)
        return self.blend_

    def rule_scores(self, sentences: Sequence[str]) -> pd.DataFrame:
        """Return the rule engine's compound/positive/negative/neutral for each sentence."""
        rows = [rule_score(str(s)) for s in sentences]
        return pd.DataFrame(
            {
                "compound": [r.compound for r in rows],
                "positive": [r.positive for r in rows],
                "negative": [r.negative for r in rows],
                "neutral": [r.neutral for r in rows],
            }
        )

    def model_scores(self, sentences: Sequence[str]) -> np.ndarray:
        """Return the regressor's prediction (human mean rating / 4) for each sentence."""
        texts = [str(s) for s in sentences]
        out = np.zeros(len(texts), dtype=float)
        keep = [i for i, t in enumerate(texts) if t.strip()]
        if keep:
            model = load_sentence_model(self.intra_op_num_threads)
            pred = model.predict([texts[i] for i in keep], batch_size=self.batch_size)
            out[keep] = np.asarray(pred, dtype=float).reshape(len(keep), -1)[:, 0]
        return out

    def _features(self, sentences: Sequence[str]) -> tuple[pd.DataFrame, np.ndarray]:
        rules = self.rule_scores(sentences)
        cols = [rules["compound"].to_numpy()]
        if self.use_model:
            cols.append(self.model_scores(sentences))
        return rules, np.column_stack(cols) if len(rules) else np.zeros((0, len(cols)))

    # -- estimator API -------------------------------------------------------------------

    def fit(self, sentences: Sequence[str] | None = None, y=None):
        """Fit the blend weights and the ±0.05 cut on rated sentences (optional).

        Without data this is a no-op that returns ``self`` (the shipped weights are used).

        Parameters
        ----------
        sentences : sequence of str, optional
            Rated sentences.
        y : array-like, optional
            Their human ratings on -1..1 (VADER ground truth: mean rating / 4).

        Returns
        -------
        SentimentScorer
            ``self``, with ``blend_`` set by :func:`fit_blend`: least-squares weights of the rule
            compound (and the model score) against ``y``, rescaled so that ±0.05 is the cut
            that maximises 3-class macro F1.
        """
        if sentences is None:
            self._blend()
            return self
        y = np.asarray(y, dtype=float)
        if len(y) != len(sentences):
            raise ValueError(f"{len(sentences)} sentences but {len(y)} ratings")
        _, X = self._features(sentences)
        self.blend_ = fit_blend(X, y)
        return self

    def score(self, sentences: Sequence[str] | str) -> pd.DataFrame:
        """Score sentences.

        Parameters
        ----------
        sentences : sequence of str (or one str)
            One sentence per item; longer texts should be split and aggregated
            (:func:`aggregate`), as a sum over many sentences saturates.

        Returns
        -------
        pandas.DataFrame
            ``compound`` (-1..1, the blended score), ``positive``, ``negative``, ``neutral`` (the
            rule engine's shares of the sentence's words, as in VADER), one row per sentence.
            An empty or whitespace-only sentence scores exactly compound 0, positive 0,
            negative 0, neutral 1 (:data:`EMPTY_SCORE`), and the model is not called for it.
        """
        if isinstance(sentences, str):
            sentences = [sentences]
        texts = [str(s) for s in sentences]
        # An empty or whitespace-only text says nothing: exactly neutral, without a model call
        # (the blend's intercept would otherwise give it a small non-zero compound).
        out = pd.DataFrame({c: [EMPTY_SCORE[c]] * len(texts) for c in SCORE_COLUMNS}, dtype=float)
        keep = [i for i, t in enumerate(texts) if t.strip()]
        if keep:
            rules, X = self._features([texts[i] for i in keep])
            rules["compound"] = apply_blend(X, self._blend())
            out.iloc[keep] = rules[list(SCORE_COLUMNS)].to_numpy()
        return out

    def explain(self, sentence: str) -> Explanation:
        """Show which words and rules moved one sentence's score.

        Parameters
        ----------
        sentence : str

        Returns
        -------
        Explanation
            ``words`` (a DataFrame: token, lexicon valence, valence after rules, rules applied),
            the rule compound, the model score (None without the model, or for an empty text,
            which scores 0 like in :meth:`score`) and the blended compound.
        """
        if not str(sentence).strip():
            words = pd.DataFrame(columns=_EXPLAIN_COLUMNS)
            return Explanation(str(sentence), 0.0, 0.0, None, words, dict(self._blend()))
        r = rule_score(str(sentence), explain=True)
        words = pd.DataFrame(
            {
                "position": range(len(r.tokens)),
                "token": r.tokens,
                "lexicon": r.base,
                "valence": r.valence,
                "rules": ["; ".join(x) for x in r.rules],
            }
        )
        words = words[(words["lexicon"] != 0) | (words["rules"] != "")].reset_index(drop=True)
        model = float(self.model_scores([sentence])[0]) if self.use_model else None
        X = np.array([[r.compound] + ([model] if model is not None else [])])
        compound = float(apply_blend(X, self._blend())[0])
        return Explanation(str(sentence), compound, r.compound, model, words, dict(self._blend()))


@dataclass
class Explanation:
    """Why a sentence got its score (see :meth:`SentimentScorer.explain`)."""

    sentence: str
    compound: float
    rules_compound: float
    model_score: float | None
    words: pd.DataFrame
    blend: dict

    def __str__(self) -> str:
        lines = [
            f"{self.sentence}",
            f"compound {self.compound:+.3f} = blend(rules {self.rules_compound:+.3f}"
            + (f", model {self.model_score:+.3f})" if self.model_score is not None else ")"),
        ]
        for w in self.words.itertuples(index=False):
            lines.append(f"  {w.token:<18} lexicon {w.lexicon:+.2f} -> {w.valence:+.2f}  {w.rules}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from html import escape

        head = escape(str(self).splitlines()[1])
        return f"<p>{escape(self.sentence)}<br><b>{head}</b></p>" + self.words.to_html(index=False)


def apply_blend(X: np.ndarray, blend: Mapping) -> np.ndarray:
    """Blend score columns (rule compound, model score) into the compound: an affine map, clipped.

    Parameters
    ----------
    X : numpy.ndarray
        (n, k) score columns.
    blend : mapping
        ``intercept`` and ``weights`` (k of them), as :func:`fit_blend` returns.

    Returns
    -------
    numpy.ndarray
        Compound scores in -1..1.
    """
    w = np.asarray(blend["weights"], dtype=float)
    if X.shape[1] != len(w):
        raise ValueError(f"blend has {len(w)} weights for {X.shape[1]} score columns")
    return np.clip(float(blend["intercept"]) + X @ w, -1.0, 1.0)


def fit_blend(X: np.ndarray, y: np.ndarray, *, cuts: Sequence[float] | None = None) -> dict:
    """Fit blend weights: least squares of ``y`` on ``X``, rescaled so the ±0.05 cut fits best.

    The least-squares score ``z`` predicts the rating. The cut ``c`` on ``|z|`` that maximises
    3-class macro F1 (gold classes beyond ±0.125, i.e. ±0.5 on VADER's -4..4 scale) is found, and
    the weights are multiplied by ``0.05 / c``, so VADER's ±0.05 convention separates neutral from
    polar sentences. The map stays affine, so ranks and Pearson r are those of least squares.

    Parameters
    ----------
    X : numpy.ndarray
        (n, k) score columns.
    y : numpy.ndarray
        Ratings on -1..1.
    cuts : sequence of float, optional
        Candidate cuts on the least-squares scale (default 0.01..0.40).

    Returns
    -------
    dict
        ``intercept``, ``weights`` and ``cut`` (the chosen cut before rescaling).
    """
    A = np.column_stack([np.ones(len(X)), X])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    z = A @ coef
    gold = polarity_classes(y, GOLD_THRESHOLD)
    cuts = cuts if cuts is not None else np.round(np.arange(0.01, 0.401, 0.005), 3)
    best = float(max(cuts, key=lambda c: _macro_f1(gold, polarity_classes(z, c))))
    coef = coef * (POLARITY_THRESHOLD / best)
    return {"intercept": float(coef[0]), "weights": [float(c) for c in coef[1:]], "cut": best}


def cross_val_blend(
    X: np.ndarray, y: np.ndarray, groups: Sequence, *, n_splits: int = 5
) -> np.ndarray:
    """Out-of-fold compounds: :func:`fit_blend` on the other folds, applied to each fold.

    Parameters
    ----------
    X : numpy.ndarray
        (n, k) score columns (rule compound, model score).
    y : numpy.ndarray
        Ratings on -1..1.
    groups : sequence
        Group of each row (the article of a sentence), kept within one fold.
    n_splits : int, default 5

    Returns
    -------
    numpy.ndarray
        The compound of each row, predicted by a blend that never saw its group.
    """
    from sklearn.model_selection import GroupKFold

    out = np.zeros(len(y), dtype=float)
    for train, test in GroupKFold(n_splits=n_splits).split(X, y, groups):
        out[test] = apply_blend(X[test], fit_blend(X[train], y[train]))
    return out


@functools.lru_cache(maxsize=4)
def default_scorer(use_model: bool = True) -> SentimentScorer:
    """A shared scorer for the extractors (the ONNX session is loaded once per process)."""
    if use_model and not (config.SENTENCE_SENTIMENT_MODEL_DIR / "model.onnx").is_file():
        use_model = False
    return SentimentScorer(use_model=use_model)


# --- aggregation ---------------------------------------------------------------------------

#: A sentence's weight grows with its words up to this many, so one run-on sentence cannot dominate.
MAX_WEIGHT_WORDS = 40


def aggregate(
    sentiment_df: pd.DataFrame,
    by: str | Sequence[str] = "article_id",
    *,
    weight: str | None = "n_words",
) -> pd.DataFrame:
    """Aggregate sentence scores to paragraphs, articles, outlets or actors.

    A weighted mean of sentence scores stays within -1..1 whatever the article's length, unlike
    VADER run on a whole article, which saturates at ±1.

    Parameters
    ----------
    sentiment_df : pandas.DataFrame
        Sentence rows with ``compound``, ``positive``, ``negative``, ``neutral`` and the ``by``
        columns (join the sentences table first to group by ``paragraph``).
    by : str or sequence of str, default "article_id"
        Grouping columns.
    weight : str or None, default "n_words"
        Column of sentence lengths in words; each sentence weighs ``min(n_words, 40)``. ``None``
        (or a missing column) weighs sentences equally.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``compound``, ``positive``, ``negative``, ``neutral`` (weighted means),
        ``n_sentences``, ``share_positive`` and ``share_negative`` (shares of sentences beyond
        ±0.05).
    """
    keys = [by] if isinstance(by, str) else list(by)
    out_cols = [*keys, *SCORE_COLUMNS, "n_sentences", "share_positive", "share_negative"]
    if sentiment_df.empty:
        return pd.DataFrame(columns=out_cols)
    df = sentiment_df.copy()
    if weight and weight in df.columns:
        df["_w"] = df[weight].fillna(1).clip(lower=1, upper=MAX_WEIGHT_WORDS).astype(float)
    else:
        df["_w"] = 1.0
    for c in SCORE_COLUMNS:
        df[f"_{c}"] = df[c].astype(float) * df["_w"]
    df["_pos"] = (df["compound"] > POLARITY_THRESHOLD).astype(float)
    df["_neg"] = (df["compound"] < -POLARITY_THRESHOLD).astype(float)
    g = df.groupby(keys, sort=True, dropna=False)
    sums = g[[f"_{c}" for c in SCORE_COLUMNS] + ["_w"]].sum()
    res = pd.DataFrame({c: sums[f"_{c}"] / sums["_w"] for c in SCORE_COLUMNS})
    res["n_sentences"] = g.size()
    res["share_positive"] = g["_pos"].mean()
    res["share_negative"] = g["_neg"].mean()
    return res.reset_index()[out_cols]


def paragraph_scores(sentiment_df: pd.DataFrame, sentences_df: pd.DataFrame) -> pd.DataFrame:
    """Aggregate sentence scores per paragraph (``article_id``, ``paragraph``).

    Parameters
    ----------
    sentiment_df : pandas.DataFrame
        The sentiment table.
    sentences_df : pandas.DataFrame
        The sentences table (``article_id``, ``sentence``, ``paragraph``).

    Returns
    -------
    pandas.DataFrame
        :func:`aggregate` output grouped by article and paragraph.
    """
    df = sentiment_df.merge(
        sentences_df[["article_id", "sentence", "paragraph"]],
        on=["article_id", "sentence"],
        how="left",
    )
    return aggregate(df, by=["article_id", "paragraph"])


# --- per-article extractor and voice -------------------------------------------------------

#: A sentence is the speaker's when more than this share of its characters lies inside quotes.
SPEAKER_SHARE = 0.5


def _sentence_spans(doc, article: Mapping) -> list[tuple[int, int, int, str]]:
    """(index, start, end, text) per sentence, numbered like the sentences table."""
    try:
        from analysis.nlp import extract_sentences
    except ImportError:
        extract_sentences = None
    if extract_sentences is not None:
        rows = extract_sentences(doc, article)
        return [
            (int(r["sentence"]), int(r["start"]), int(r["end"]), doc.text[r["start"] : r["end"]])
            for r in rows
        ]
    spans = []
    for sent in doc.sents:
        text = sent.text.strip()
        if not text:
            continue
        lead = len(sent.text) - len(sent.text.lstrip())
        start = sent.start_char + lead
        spans.append((len(spans), start, start + len(text), text))
    return spans


def _inside_share(start: int, end: int, spans: Sequence[tuple[int, int]], text: str) -> float:
    """Share of the non-space characters of text[start:end] that lie inside ``spans``."""
    chars = [i for i in range(start, end) if not text[i].isspace()]
    if not chars:
        return 0.0
    inside = 0
    for s, e in spans:
        lo, hi = max(s, start), min(e, end)
        if lo < hi:
            inside += sum(1 for i in range(lo, hi) if not text[i].isspace())
    return inside / len(chars)


def extract_sentiment(
    doc,
    article: Mapping,
    quotes: Iterable[Mapping] | pd.DataFrame | None = None,
    *,
    scorer: SentimentScorer | None = None,
) -> list[dict]:
    """Return the ``sentiment`` table rows of one article.

    Parameters
    ----------
    doc : spacy.tokens.Doc
        The parse of ``normalise_for_parse(article["text"])``.
    article : mapping
        At least ``article_id`` and ``text``.
    quotes : iterable of mappings or DataFrame, optional
        The article's ``quotes`` rows (``start``, ``end``, ``kind``); a sentence more than half
        inside direct or partial quotations is the speaker's voice, otherwise the narrator's
        (an indirect quote is the narrator's paraphrase).
    scorer : SentimentScorer, optional
        Defaults to :func:`default_scorer` (rules blended with the model).

    Returns
    -------
    list of dict
        One row per sentence: ``article_id``, ``sentence`` (index as in the sentences table),
        ``compound``, ``positive``, ``negative``, ``neutral``, ``voice`` (``narrator`` or
        ``speaker``), then ``start``, ``end``, ``n_words``.
    """
    scorer = scorer or default_scorer()
    sents = _sentence_spans(doc, article)
    if not sents:
        return []
    if isinstance(quotes, pd.DataFrame):
        quotes = quotes.to_dict("records")
    aid = article["article_id"]
    spans = [
        (int(q["start"]), int(q["end"])) for q in (quotes or []) if q.get("article_id", aid) == aid
    ]
    scores = scorer.score([s[3] for s in sents])
    rows = []
    for (idx, start, end, text), sc in zip(sents, scores.itertuples(index=False), strict=True):
        share = _inside_share(start, end, spans, doc.text) if spans else 0.0
        rows.append(
            {
                "article_id": aid,
                "sentence": idx,
                "compound": round(float(sc.compound), 4),
                "positive": round(float(sc.positive), 4),
                "negative": round(float(sc.negative), 4),
                "neutral": round(float(sc.neutral), 4),
                "voice": "speaker" if share > SPEAKER_SHARE else "narrator",
                "start": start,
                "end": end,
                "n_words": len(text.split()),
            }
        )
    return rows


def sentiment_table(
    docs: Iterable,
    articles: pd.DataFrame,
    quotes_df: pd.DataFrame | None = None,
    *,
    scorer: SentimentScorer | None = None,
) -> pd.DataFrame:
    """Return the ``sentiment`` table for parsed ``docs`` of the ``articles`` table, in order.

    Parameters
    ----------
    docs : iterable of spacy.tokens.Doc
        One parse per article row, in the same order.
    articles : pandas.DataFrame
        The articles table.
    quotes_df : pandas.DataFrame, optional
        The quotes table, for the voice column.
    scorer : SentimentScorer, optional

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`SENTIMENT_COLUMNS` then :data:`SENTIMENT_EXTRA_COLUMNS`.
    """
    by_article = {}
    if quotes_df is not None and not quotes_df.empty:
        by_article = {k: g for k, g in quotes_df.groupby("article_id", sort=False)}
    rows: list[dict] = []
    for doc, article in zip(docs, articles.to_dict("records"), strict=False):
        rows += extract_sentiment(
            doc, article, by_article.get(article["article_id"]), scorer=scorer
        )
    return pd.DataFrame(rows, columns=[*SENTIMENT_COLUMNS, *SENTIMENT_EXTRA_COLUMNS])


def extreme_sentences(
    sentiment_df: pd.DataFrame,
    sentences_df: pd.DataFrame,
    articles_df: pd.DataFrame | None = None,
    *,
    n: int = 5,
) -> pd.DataFrame:
    """The ``n`` most negative and ``n`` most positive sentences, with their text and article.

    Returns
    -------
    pandas.DataFrame
        ``side`` (negative/positive), ``compound``, ``voice``, ``article_id``, ``sentence``,
        ``text`` and, when ``articles_df`` is given, ``headline``; most extreme first.
    """
    df = sentiment_df[["article_id", "sentence", "compound", "voice"]].merge(
        sentences_df[["article_id", "sentence", "text"]], on=["article_id", "sentence"], how="left"
    )
    if articles_df is not None and "headline" in articles_df.columns:
        df = df.merge(articles_df[["article_id", "headline"]], on="article_id", how="left")
    order = ["compound", "article_id", "sentence"]
    neg = df[df["compound"] < -POLARITY_THRESHOLD].sort_values(order).head(n)
    pos = (
        df[df["compound"] > POLARITY_THRESHOLD]
        .sort_values(order, ascending=[False, True, True])
        .head(n)
    )
    out = pd.concat([neg.assign(side="negative"), pos.assign(side="positive")], ignore_index=True)
    first = ["side", "compound", "voice", "article_id", "sentence", "text"]
    return out[first + [c for c in out.columns if c not in first]]


def voice_summary(sentiment_df: pd.DataFrame) -> pd.DataFrame:
    """Narrator against quoted voice: aggregate scores per ``voice`` (see :func:`aggregate`)."""
    return aggregate(sentiment_df, by="voice")


def actor_voice(
    sentiment_df: pd.DataFrame,
    mentions_df: pd.DataFrame,
    quotes_df: pd.DataFrame,
    *,
    sentences_df: pd.DataFrame | None = None,
    scorer: SentimentScorer | None = None,
    min_mentions: int = 1,
) -> pd.DataFrame:
    """Per actor: how it is spoken of and how it speaks.

    Parameters
    ----------
    sentiment_df : pandas.DataFrame
        The sentiment table; needs ``start``/``end`` (as :func:`extract_sentiment` writes) or
        ``sentences_df`` to place sentences.
    mentions_df : pandas.DataFrame
        The mentions table (``article_id``, ``start``, ``end``, ``actor``).
    quotes_df : pandas.DataFrame
        The quotes table (``article_id``, ``start``, ``end``, ``quote``, ``speaker``).
    sentences_df : pandas.DataFrame, optional
        The sentences table (``article_id``, ``sentence``, ``start``, ``end``).
    scorer : SentimentScorer, optional
        Scores the quotations' own text; defaults to :func:`default_scorer`.
    min_mentions : int, default 1
        Drop actors spoken of in fewer sentences and never quoted.

    Returns
    -------
    pandas.DataFrame
        ``actor``, ``n_spoken_of`` (sentences that mention it outside its own quotes),
        ``spoken_of`` (their length-weighted mean compound), ``n_quotes``, ``speaks`` (mean
        compound of its quotations) and ``gap`` (speaks - spoken_of); sorted by mentions.
    """
    cols = ["actor", "n_spoken_of", "spoken_of", "n_quotes", "speaks", "gap"]
    sent = sentiment_df
    if not {"start", "end"} <= set(sent.columns):
        if sentences_df is None:
            raise ValueError("sentiment_df has no start/end columns; pass sentences_df")
        sent = sent.merge(
            sentences_df[["article_id", "sentence", "start", "end"]],
            on=["article_id", "sentence"],
            how="left",
        )
    spoken = pd.DataFrame(columns=["actor", "n_spoken_of", "spoken_of"])
    mentions = mentions_df.dropna(subset=["actor"]) if len(mentions_df) else mentions_df
    if len(mentions) and len(sent):
        own = {}
        if quotes_df is not None and len(quotes_df):
            for q in quotes_df.dropna(subset=["speaker"]).itertuples(index=False):
                own.setdefault((q.article_id, q.speaker), []).append((int(q.start), int(q.end)))
        hits = []
        by_art = {k: g for k, g in sent.groupby("article_id", sort=False)}
        for m in mentions.itertuples(index=False):
            spans = own.get((m.article_id, m.actor), ())
            if any(s <= m.start and m.end <= e for s, e in spans):
                continue
            rows = by_art.get(m.article_id)
            if rows is None:
                continue
            hit = rows[(rows["start"] <= m.start) & (rows["end"] >= m.end)]
            if len(hit):
                hits.append((m.actor, m.article_id, int(hit["sentence"].iloc[0])))
        if hits:
            h = pd.DataFrame(hits, columns=["actor", "article_id", "sentence"]).drop_duplicates()
            h = h.merge(sent, on=["article_id", "sentence"], how="left")
            agg = aggregate(h, by="actor")
            spoken = agg.rename(columns={"compound": "spoken_of", "n_sentences": "n_spoken_of"})[
                ["actor", "n_spoken_of", "spoken_of"]
            ]
    speaks = pd.DataFrame(columns=["actor", "n_quotes", "speaks"])
    if quotes_df is not None and len(quotes_df):
        q = quotes_df.dropna(subset=["speaker"])
        q = q[q["quote"].fillna("").str.strip() != ""]
        if len(q):
            scores = (scorer or default_scorer()).score(q["quote"].tolist())["compound"]
            q = q.assign(compound=scores.to_numpy())
            speaks = (
                q.groupby("speaker")["compound"]
                .agg(n_quotes="size", speaks="mean")
                .reset_index()
                .rename(columns={"speaker": "actor"})
            )
    out = spoken.merge(speaks, on="actor", how="outer")
    out["n_spoken_of"] = out["n_spoken_of"].fillna(0).astype(int)
    out["n_quotes"] = out["n_quotes"].fillna(0).astype(int)
    out["gap"] = out["speaks"] - out["spoken_of"]
    out = out[(out["n_spoken_of"] >= min_mentions) | (out["n_quotes"] > 0)]
    return out.sort_values(["n_spoken_of", "n_quotes", "actor"], ascending=[False, False, True])[
        cols
    ].reset_index(drop=True)
