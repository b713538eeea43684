"""Tests for analysis.attribution: windows, decoding, linking, the tagger and the full quotes table."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from analysis import config
from analysis.attribution import (
    LABELS,
    TABLE_COLUMNS,
    AttributionTagger,
    TaggedSpan,
    Window,
    decode,
    default_tagger,
    extract_attributions,
    extract_reported_speech,
    link,
    transition_scores,
    windows,
)
from analysis.nlp import normalise_for_parse
from analysis.quotes import QUOTE_COLUMNS, extract_quotes, quote_spans
from analysis.sources import KINDS, ROLES


@pytest.fixture(scope="module")
def tagger() -> AttributionTagger:
    found = default_tagger()
    assert found is not None, (
        f"the attribution model is missing from {config.ATTRIBUTION_MODEL_DIR}"
    )
    return found


@pytest.fixture(scope="module")
def seed_doc(nlp, seed_text):
    return nlp(normalise_for_parse(seed_text))


@pytest.fixture(scope="module")
def seed_rows(seed_doc, seed_text) -> list[dict]:
    return extract_attributions(seed_doc, {"article_id": "seed", "text": seed_text}, tagger=True)


def _skip(text: str) -> list[tuple[int, int]]:
    return [(max(0, s - 1), e + 1) for s, e in quote_spans(text)]


# --------------------------------------------------------------------------------------------
# Windows and decoding


def test_windows_cover_sentences_of_one_paragraph(nlp, tagger):
    text = (
        "Tapper told CNN that the evidence was thin. Officials said the talks would resume.\n\n"
        "“We will not retreat. Our men are ready.”\n\n"
        "“It is over,” he said. A WikiLeaks document suggests otherwise."
    )
    doc = nlp(normalise_for_parse(text))
    found = windows(doc, tagger.tokenizer, max_tokens=192, skip=_skip(text))
    # The paragraph wholly inside quotation marks is left to the rules.
    assert [text[w.start : w.end] for w in found] == [
        "Tapper told CNN that the evidence was thin. Officials said the talks would resume.",
        "“It is over,” he said. A WikiLeaks document suggests otherwise.",
    ]
    for w in found:
        assert len(w.ids) == len(w.offsets) == len(w.words)
        assert all(w.start <= a < b <= w.end for a, b in w.offsets)
        assert w.words[0] == 0
    # Without skip regions every paragraph is read.
    assert len(windows(doc, tagger.tokenizer, max_tokens=192)) == 3


def test_windows_leave_out_the_wire_layout(nlp, tagger):
    """The loader's dateline and sign-off are not read, and no window runs across them."""
    from analysis.wire import layout_spans

    text = (
        "ISLAMABAD: Pakistan's army chief scrapped a visit as Islamabad refused to bow. "
        "Officials said talks would resume.\n\nThe minister said nothing. (Reporting by AFP)"
    )
    layout = layout_spans(text)
    assert [text[a:b] for a, b in layout][0] == "ISLAMABAD:"
    doc = nlp(normalise_for_parse(text))
    found = windows(doc, tagger.tokenizer, max_tokens=192, layout=layout)
    shown = [text[w.start : w.end] for w in found]
    assert shown[0].startswith("Pakistan's army chief") and shown[0].endswith("would resume.")
    for w in found:
        assert not any(a < e and s < b for s, e in w.offsets for a, b in layout)
        assert w.words[0] == 0 and len(w.ids) == len(w.offsets) == len(w.words)
    # Without it the dateline opens the first window.
    assert text[windows(doc, tagger.tokenizer, max_tokens=192)[0].start :].startswith("ISLAMABAD")


def test_the_seed_dateline_is_nobody_and_cues_nothing(seed_rows, seed_text):
    """Read as a transcript ("ISLAMABAD: ..."), the dateline gave the place as the speaker of
    the first sentence's "refused"; the tagger no longer sees it."""
    assert not any(r["speaker_start"] is not None and r["speaker_start"] < 10 for r in seed_rows)
    refused = next(r for r in seed_rows if seed_text[r["start"] :].startswith("to bow to"))
    assert refused["speaker"] == "Islamabad"
    assert seed_text[refused["speaker_start"] : refused["speaker_end"]] == "Islamabad"
    assert not any(seed_text[r["start"] : r["end"]].endswith("as Islamabad") for r in seed_rows)


def test_inside_any_agrees_with_a_check_of_every_character():
    """The skip check walks the uncovered gaps once; it must say what a check of every letter
    and digit against every region says, for overlapping and nested regions too."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from analysis.attribution import _inside_any

    def brute(start, end, regions, text):
        chars = [i for i in range(start, end) if text[i].isalnum()]
        return all(any(a <= i < b for a, b in regions) for i in chars)

    @settings(max_examples=400, deadline=None)
    @given(
        st.text(alphabet="ab .,“”", min_size=1, max_size=40),
        st.lists(st.tuples(st.integers(0, 45), st.integers(0, 45)), max_size=5),
        st.integers(0, 40),
        st.integers(0, 40),
    )
    def check(text, pairs, a, b):
        start, end = sorted((min(a, len(text)), min(b, len(text))))
        regions = sorted((min(x, y), max(x, y)) for x, y in pairs)
        assert _inside_any(start, end, regions, text) == brute(start, end, regions, text)

    check()


def test_windows_split_at_sentences_and_long_sentences_at_words(nlp, tagger):
    sentence = "The minister said the talks in the capital would resume next week. "
    text = sentence * 6 + "word " * 150
    doc = nlp(normalise_for_parse(text))
    found = windows(doc, tagger.tokenizer, max_tokens=40)
    assert all(len(w.ids) <= 38 for w in found)
    # Whole sentences while they fit (two of 13 wordpieces in 38, not three); the run-on tail
    # is cut at word boundaries.
    assert [text[w.start : w.end] for w in found[:3]] == [(sentence * 2).strip()] * 3
    assert all(len(w.ids) == 38 for w in found[3:-1])
    covered = "".join(text[w.start : w.end] + " " for w in found)
    assert covered.split() == text.split()


def test_decode_reads_the_first_wordpiece_of_each_word():
    # "Tapper told CNN that the evi ##dence was thin": the last word's pieces follow its first.
    offsets = ((0, 6), (7, 11), (12, 15), (16, 20), (21, 24), (25, 28), (28, 33), (34, 37))
    window = Window(0, 37, tuple(range(8)), offsets, (0, 1, 2, 3, 4, 5, 5, 6))
    tags = ["B-source", "B-cue", "O", "B-content", "I-content", "I-content", "O", "I-content"]
    probs = np.full((8, len(LABELS)), 0.01)
    for i, tag in enumerate(tags):
        probs[i, LABELS.index(tag)] = 0.9
    spans = decode(window, probs)
    assert [(s.role, s.start, s.end) for s in spans] == [
        ("source", 0, 6),
        ("cue", 7, 11),
        ("content", 16, 37),
    ]
    assert all(s.score == pytest.approx(0.9) for s in spans)


def test_decode_starts_a_span_at_an_inside_label_after_another_role():
    window = Window(0, 9, (1, 2, 3), ((0, 1), (2, 5), (6, 9)), (0, 1, 2))
    probs = np.eye(len(LABELS))[[LABELS.index(t) for t in ("I-cue", "I-content", "O")]]
    assert [(s.role, s.start, s.end) for s in decode(window, probs)] == [
        ("cue", 0, 1),
        ("content", 2, 5),
    ]


def _word_probs(tags: list[dict[str, float]]) -> np.ndarray:
    """One row per word: the given label probabilities, the rest shared by the other labels."""
    rows = []
    for given in tags:
        rest = (1 - sum(given.values())) / (len(LABELS) - len(given))
        rows.append([given.get(label, rest) for label in LABELS])
    return np.array(rows)


def test_decode_search_reads_a_span_the_probabilities_hesitate_over_whole():
    # "He said talks would resume": "would" is barely O; its most probable label breaks the
    # content in two ("talks", "resume"), the search forbids I-content after O.
    text = "He said talks would resume"
    offsets = ((0, 2), (3, 7), (8, 13), (14, 19), (20, 26))
    window = Window(0, 26, tuple(range(5)), offsets, (0, 1, 2, 3, 4))
    probs = _word_probs(
        [
            {"B-source": 0.9},
            {"B-cue": 0.9},
            {"B-content": 0.9},
            {"O": 0.5, "I-content": 0.45},
            {"I-content": 0.9},
        ]
    )
    flat = {
        "labels": list(LABELS),
        "label_log_prob": [0.0] * len(LABELS),
        "start_log_prob": [0.0] * len(LABELS),
        "transition_log_prob": [[0.0] * len(LABELS)] * len(LABELS),
    }

    def read(spans):
        return [(s.role, text[s.start : s.end]) for s in spans]

    assert read(decode(window, probs)) == [
        ("source", "He"),
        ("cue", "said"),
        ("content", "talks"),
        ("content", "resume"),
    ]
    spans = decode(window, probs, LABELS, transition_scores(flat))
    assert read(spans) == [("source", "He"), ("cue", "said"), ("content", "talks would resume")]
    # The score stays the mean probability of the span's labels.
    assert spans[-1].score == pytest.approx((0.9 + 0.45 + 0.9) / 3)


def test_decode_windows_searches_every_window_as_alone_and_finds_the_best_path(tagger):
    """The search steps through all windows together; each window's labels must be those
    of its search alone, and the best sequence by exhaustive enumeration on short ones."""
    import itertools

    from analysis.attribution_decode import _FLOOR, decode_windows

    start, step = tagger.transitions
    rng = np.random.default_rng(0)

    def random_window(n_words: int) -> tuple[Window, np.ndarray]:
        pieces = rng.integers(1, 3, size=n_words)  # one or two wordpieces a word
        words = tuple(int(w) for w, k in enumerate(pieces) for _ in range(k))
        offsets = tuple((2 * i, 2 * i + 1) for i in range(len(words)))
        probs = rng.dirichlet(np.full(len(LABELS), 0.3), size=len(words))
        return Window(0, 2 * len(words), tuple(range(len(words))), offsets, words), probs

    def brute(probs_of_words):
        logp = np.log(np.maximum(probs_of_words, _FLOOR))
        best = max(
            itertools.product(range(len(LABELS)), repeat=len(logp)),
            key=lambda seq: (
                start[seq[0]]
                + sum(step[a, b] for a, b in itertools.pairwise(seq))
                + sum(logp[t, label] for t, label in enumerate(seq))
            ),
        )
        return list(best)

    made = [random_window(n) for n in (4, 1, 7, 3, 0, 40, 4, 2)]
    wins, probs = [w for w, _ in made], [p for _, p in made]
    together = decode_windows(wins, probs, LABELS, (start, step))
    assert together == [decode(w, p, LABELS, (start, step)) for w, p in made]
    assert together[4] == []
    from analysis.attribution_decode import _search

    firsts = [p[np.r_[True, np.diff(w.words) != 0][: len(w.words)]] for w, p in made]
    paths = _search(firsts, start, step)
    for path, word_probs in zip(paths, firsts, strict=True):
        if 0 < len(word_probs) <= 4:
            assert path == brute(word_probs)
        assert len(path) == len(word_probs)


def test_the_shipped_tagger_searches_with_the_train_transitions(tagger):
    start, step = tagger.transitions
    o, b, i = (LABELS.index(label) for label in ("O", "B-content", "I-content"))
    assert np.isneginf(start[i]) and np.isneginf(step[o, i])
    assert np.isfinite(step[b, i]) and np.isfinite(step[i, i]) and np.isfinite(start[b])
    # PolNeAR continues a content more often than the label's frequency alone would say, and
    # almost never starts one right after another.
    assert step[b, i] > 0 and step[i, i] > 0 > step[b, b]


# --------------------------------------------------------------------------------------------
# Linking tagged spans into attributions


def _tag(text: str, role: str, words: str) -> TaggedSpan:
    start = text.index(words)
    return TaggedSpan(role, start, start + len(words), 0.9)


@pytest.mark.parametrize(
    ("text", "tags", "expected"),
    [
        (
            "Tapper told CNN that the evidence was thin.",
            [("source", "Tapper"), ("cue", "told"), ("content", "that the evidence was thin")],
            [(["that the evidence was thin"], "told", "Tapper")],
        ),
        (
            "The talks, officials said, would resume in May.",
            [
                ("content", "The talks"),
                ("source", "officials"),
                ("cue", "said"),
                ("content", "would resume in May"),
            ],
            [(["The talks", "would resume in May"], "said", "officials")],
        ),
        (
            "According to the report, prices rose. Smith said costs fell.",
            [
                ("cue", "According to"),
                ("source", "the report"),
                ("content", "prices rose"),
                ("source", "Smith"),
                ("cue", "said"),
                ("content", "costs fell"),
            ],
            [
                (["prices rose"], "According to", "the report"),
                (["costs fell"], "said", "Smith"),
            ],
        ),
        # A content without any cue in its window is dropped.
        ("Prices rose sharply.", [("content", "Prices rose sharply")], []),
        # A colon is no cue; a lone word is no content.
        (
            "ISLAMABAD: The army scrapped a visit. Smith told AFP that talks failed.",
            [
                ("cue", ":"),
                ("content", "The army scrapped a visit"),
                ("source", "Smith"),
                ("cue", "told"),
                ("content", "AFP"),
                ("content", "that talks failed"),
            ],
            [(["that talks failed"], "told", "Smith")],
        ),
        # A transcript's colon after the speaker's name is a cue.
        (
            "PENCE: Well, we will win the debate tomorrow.",
            [
                ("source", "PENCE"),
                ("cue", ":"),
                ("content", "Well, we will win the debate tomorrow"),
            ],
            [(["Well, we will win the debate tomorrow"], ":", "PENCE")],
        ),
        # A content broken at a name the tagger read as a source is one piece.
        (
            "General Ashfaq Kayani had cancelled a visit, the ministry said.",
            [
                ("content", "General"),
                ("source", "Ashfaq"),
                ("content", "Kayani had cancelled a visit"),
                ("source", "the ministry"),
                ("cue", "said"),
            ],
            [(["General Ashfaq Kayani had cancelled a visit"], "said", "the ministry")],
        ),
    ],
)
def test_link(nlp, text, tags, expected):
    doc = nlp(normalise_for_parse(text))
    spans = sorted((_tag(text, role, words) for role, words in tags), key=lambda s: s.start)
    window = Window(0, len(text), (), (), ())
    got = [
        (
            [text[a:b] for a, b in r.contents],
            text[r.cue[0] : r.cue[1]],
            text[r.source[0] : r.source[1]] if r.source else None,
        )
        for r in link(doc, [(window, spans)])
    ]
    assert got == expected


def _linked(nlp, text: str, tags: list[tuple[str, str, float]]) -> list[list[str]]:
    """Contents of each attribution :func:`link` makes from (role, words, score) tags."""
    doc = nlp(normalise_for_parse(text))
    spans = []
    for role, words, score in tags:
        start = text.index(words)
        spans.append(TaggedSpan(role, start, start + len(words), score))
    spans.sort(key=lambda s: s.start)
    window = Window(0, len(text), (), (), ())
    return [[text[a:b] for a, b in r.contents] for r in link(doc, [(window, spans)])]


@pytest.mark.parametrize(
    ("text", "content", "score", "kept"),
    [
        # A lone name the tagger is sure of is the object of a reported attitude.
        ("Trump attacked Machado on Twitter.", "Machado", 0.95, True),
        ("Trump attacked Machado on Twitter.", "Machado", 0.65, False),
        # A clause the tagger is unsure of is dropped; one it is fairly sure of stays.
        ("Officials said the talks would resume.", "the talks would resume", 0.55, False),
        ("Officials said the talks would resume.", "the talks would resume", 0.65, True),
        # A short piece naming nothing is no content however sure the tagger is.
        ("Instead, he said nothing else.", "Instead", 0.99, False),
    ],
)
def test_link_keeps_short_or_unsure_pieces_by_the_taggers_score(nlp, text, content, score, kept):
    source = text.split()[0].strip(",")
    cue = "attacked" if "attacked" in text else "said"
    tags = [("content", content, score), ("cue", cue, 0.9)]
    if source != content:
        tags.append(("source", source, 0.9))
    got = _linked(nlp, text, tags)
    assert (got == [[content]]) is kept, got


# --------------------------------------------------------------------------------------------
# The tagger and the full quotes table on the seed


def test_tagger_gives_a_window_the_same_tags_alone_or_with_others(nlp, tagger, seed_doc):
    # One onnxruntime call per window: what else is tagged never changes a window's result.
    seed_windows = tagger.windows(seed_doc)
    alone = [tagger.probabilities(w) for w in seed_windows]
    other = nlp("Officials said on Monday that the talks would resume in Geneva next week.")
    for w in tagger.windows(other):
        tagger.probabilities(w)
    again = [tagger.probabilities(w) for w in reversed(seed_windows)][::-1]
    assert all(np.array_equal(a, b) for a, b in zip(alone, again, strict=True))
    # A paragraph's window does not depend on the paragraphs around it.
    paragraph = "Abbas put the decision down to the situation at home but refused to elaborate."
    inside = nlp(normalise_for_parse(f"Kayani left.\n\n{paragraph}\n\nGilani spoke."))
    alone_doc = nlp(normalise_for_parse(paragraph))
    w_inside = next(w for w in tagger.windows(inside) if w.start > 0 and len(w.ids) > 5)
    w_alone = tagger.windows(alone_doc)[0]
    assert w_inside.ids == w_alone.ids
    assert np.array_equal(tagger.probabilities(w_inside), tagger.probabilities(w_alone))


def test_seed_quotations_are_the_rules_rows_unchanged(seed_doc, seed_text, seed_rows):
    rules = extract_quotes(seed_doc, {"article_id": "seed", "text": seed_text})
    assert len(rules) == 12
    quotations = [r for r in seed_rows if r["kind"] in ("direct", "partial")]
    columns = [*QUOTE_COLUMNS, "cue_start", "cue_end", "attribution"]
    assert [{c: r[c] for c in columns} for r in quotations] == [
        {c: r[c] for c in columns} for r in rules
    ]


def test_seed_table_rows(seed_rows, seed_text):
    assert seed_rows
    for row in seed_rows:
        assert list(row) == list(TABLE_COLUMNS)
        assert row["kind"] in KINDS
        assert row["role"] in ROLES
        assert seed_text[row["start"] : row["end"]] == row["quote"]
        if row["speaker_start"] is not None:
            assert 0 <= row["speaker_start"] < row["speaker_end"] <= len(seed_text)
        if row["cue_start"] is not None:
            assert seed_text[row["cue_start"] : row["cue_end"]].strip()
    starts = [r["start"] for r in seed_rows]
    assert starts == sorted(starts)
    assert {"indirect", "direct", "partial"} <= {r["kind"] for r in seed_rows}


def test_seed_mullen_is_one_attribution_with_its_partial_quote(seed_rows, seed_text):
    partial = next(r for r in seed_rows if r["quote"] == "exporting")
    pieces = [r for r in seed_rows if r["attribution"] == partial["attribution"]]
    mixed = [r for r in pieces if r["kind"] == "mixed"]
    assert len(mixed) == 1
    content = mixed[0]
    assert content["start"] <= partial["start"] and partial["end"] <= content["end"]
    assert "violent extremism" in content["quote"]
    assert content["quote"].endswith("through proxies")  # not "... and" (the next clause's)
    assert {r["speaker"] for r in pieces} == {"Mike Mullen"}
    assert {r["cue"] for r in pieces} == {"accuse"}
    assert content["role"] == "official"


def test_a_clause_around_a_partial_quotation_is_its_content(nlp, tagger):
    # The quotation is most of the reported clause, which is still what was reported (as
    # PolNeAR marks it): a mixed piece of the quotation's attribution, the quotation inside.
    text = (
        "The mayor said the city had become “more interested in protecting criminals” than "
        "its residents."
    )
    rows = extract_attributions(
        nlp(normalise_for_parse(text)), {"article_id": 1, "text": text}, tagger=tagger
    )
    partial = next(r for r in rows if r["kind"] == "partial")
    mixed = [r for r in rows if r["kind"] == "mixed"]
    assert len(mixed) == 1 and mixed[0]["attribution"] == partial["attribution"]
    assert mixed[0]["quote"].startswith("the city had become “")
    assert mixed[0]["quote"].endswith("than its residents")
    assert {r["speaker"] for r in rows} == {"The mayor"}


def test_seed_reported_speech(seed_rows, seed_text):
    reported = [r for r in seed_rows if r["kind"] == "indirect"]
    # "Britain’s Ministry of Defence said Pakistan’s chief of army staff ... had cancelled a
    # visit to London ...": reported speech without a quotation mark, an organisation's.
    mod = next(r for r in reported if "had cancelled a visit to London" in r["quote"])
    assert mod["cue"] == "say"
    assert "Ministry of Defence" in mod["speaker"]
    assert mod["speaker_kind"] == "organisation"
    assert mod["role"] == "organisation"
    # "But the Pakistani official told AFP that troops were too busy ...": the description
    # resolves to the anonymous official quoted before.
    busy = next(r for r in reported if "troops were too busy" in r["quote"])
    assert busy["cue"] == "tell"
    assert busy["speaker"] == "a senior Pakistani security official"
    assert seed_text[busy["speaker_start"] : busy["speaker_end"]] == "the Pakistani official"
    assert busy["role"] == "anonymous"
    # Reported speech of its own is numbered after the quotations' attributions; content
    # linked to a quotation's cue joins that attribution.
    numbers = {r["attribution"] for r in seed_rows if r["kind"] in ("direct", "partial")}
    own = [r for r in reported if r["attribution"] not in numbers]
    assert own and all(r["attribution"] > max(numbers) for r in own)
    assert mod in own and busy in own


def test_seed_non_answer(seed_rows, seed_text):
    refused = [r for r in seed_rows if r["kind"] == "non_answer"]
    assert len(refused) == 1 and refused[0]["quote"].endswith("elaborate further")
    assert refused[0]["cue"] == "refuse"
    assert refused[0]["speaker"] == "Athar Abbas"


def test_seed_non_answer_is_the_rules_row(seed_doc, seed_text, seed_rows):
    """The tagger's "elaborate further" (cue "refused to") leaves the non-answer as the rules
    find it without the tagger: same span ("to elaborate further"), cue and speaker."""
    article = {"article_id": "seed", "text": seed_text}
    keys = ("start", "end", "quote", "cue", "cue_start", "speaker", "speaker_start", "role")
    without = [
        {k: r[k] for k in keys}
        for r in extract_attributions(seed_doc, article, tagger=False)
        if r["kind"] == "non_answer"
    ]
    with_tagger = [{k: r[k] for k in keys} for r in seed_rows if r["kind"] == "non_answer"]
    assert with_tagger == without
    assert without and without[0]["quote"] == "to elaborate further"


def _words(text: str) -> list[str]:
    return [w for w in text.split() if any(ch.isalnum() for ch in w)]


def test_seed_reported_speech_has_no_fragments(seed_rows, seed_text):
    """Pieces the tagger left without their clause are not rows: a lone word ("army", "AFP",
    "something"), a few words without a verb ("Prime Minister", "meeting"), a second piece
    cut short ("founded by", "is run by"), punctuation, the frame of a quotation ("a foreign
    office spokesperson as saying")."""
    reported = [r for r in seed_rows if r["kind"] in ("indirect", "mixed")]
    assert len(reported) >= 10
    quotes = {r["quote"] for r in reported}
    for junk in (
        "army",
        "scrapped",
        "AFP",
        "something",
        "Minister",
        "meeting",
        ",",
        "founded by",
        "is run by",
        "a foreign office spokesperson as saying",
    ):
        assert junk not in quotes
    for row in reported:
        assert len(_words(row["quote"])) >= 2, row
        assert not row["quote"].endswith((" and", " but", " or", " -")), row


def test_seed_reported_speech_cues_are_words_and_speakers_are_names(seed_rows, seed_text):
    """A colon the tagger marked as a cue ("ISLAMABAD: Pakistan’s army ...") reports nothing,
    and a source the tagger cut to "of the" names nobody."""
    reported = [r for r in seed_rows if r["kind"] in ("indirect", "mixed")]
    for row in reported:
        cue = seed_text[row["cue_start"] : row["cue_end"]]
        assert cue.isalpha(), row
        assert row["cue"] != ":"
        assert row["speaker"] not in ("of", "of the", "the"), row


def test_seed_reported_speech_split_by_a_name_is_one_piece(seed_rows, seed_text):
    """ "... chief of army staff, General [Ashfaq] Kayani, had cancelled ...": the tagger read
    the first name as a source; the content stays one piece of one attribution."""
    mod = [r for r in seed_rows if r["speaker"] and "Ministry of Defence" in r["speaker"]]
    assert len(mod) == 1
    assert mod[0]["quote"].startswith("Pakistan’s chief of army staff, General Ashfaq Kayani")
    assert mod[0]["quote"].endswith("Defence Secretary Liam Fox")


def test_seed_direct_quotations_keep_their_speakers(seed_doc, seed_text, seed_rows):
    article = {"article_id": "seed", "text": seed_text}
    keys = ("start", "end", "kind", "speaker", "speaker_start", "cue", "attribution")
    rules = [
        {k: r[k] for k in keys}
        for r in extract_attributions(seed_doc, article, tagger=False)
        if r["kind"] in ("direct", "partial")
    ]
    assert len(rules) == 12
    assert [{k: r[k] for k in keys} for r in seed_rows if r["kind"] in ("direct", "partial")] == (
        rules
    )


def test_without_model_files_only_the_rules_rows(seed_doc, seed_text, tmp_path):
    assert default_tagger(str(tmp_path)) is None
    article = {"article_id": "seed", "text": seed_text}
    rows = extract_attributions(seed_doc, article, tagger=False)
    assert {r["kind"] for r in rows} == {"direct", "partial", "non_answer"}
    # The default (the feature store's quotes table) is the same: the tagger is opt-in.
    assert extract_attributions(seed_doc, article) == rows


def test_missing_model_names_its_folder(seed_doc, seed_text, monkeypatch, tmp_path):
    from analysis import attribution
    from analysis.encoder import ModelFilesError

    monkeypatch.setattr(config, "ATTRIBUTION_MODEL_DIR", tmp_path / "attribution")
    attribution.default_tagger.cache_clear()
    try:
        with pytest.raises(ModelFilesError, match="attribution"):
            extract_reported_speech(seed_doc, {"article_id": "seed", "text": seed_text})
    finally:
        attribution.default_tagger.cache_clear()


def test_reported_speech_option_swaps_the_quotes_extractor_and_the_key():
    from analysis import features

    plain = features.select(["quotes"])
    opted = features.select(["reported_speech"])
    assert [f.table for f in opted] == ["quotes"]
    assert opted[0].load() is extract_reported_speech
    assert plain[0].load() is extract_attributions
    assert opted[0].columns == plain[0].columns
    # Every table plus the option: the same tables, only the quotes extractor differs.
    both = features.select([*features.TABLES, "reported_speech"])
    assert [f.table for f in both] == list(features.TABLES)
    assert features.select(None)[1].extract != both[1].extract
    assert features.code_key(["quotes"]) != features.code_key(["reported_speech"])
    with pytest.raises(ValueError, match="reported_speech"):
        features.select(["reported"])


def test_tagging_never_imports_torch():
    # torch is for scripts/train_attribution.py only: the package runs the ONNX export. The
    # training libraries are made unimportable (spaCy's thinc imports torch by itself when it
    # happens to be installed, so checking sys.modules afterwards would test the environment).
    import subprocess
    import sys

    code = (
        "import sys\n"
        "for name in ('torch', 'transformers', 'sentence_transformers'):\n"
        "    sys.modules[name] = None\n"
        "from analysis.attribution import extract_attributions\n"
        "from analysis.nlp import load_nlp, normalise_for_parse\n"
        "text = 'Officials said the talks would resume. Smith declined to comment.'\n"
        "doc = load_nlp()(normalise_for_parse(text))\n"
        "rows = extract_attributions(doc, {'article_id': 'a', 'text': text}, tagger=True)\n"
        "print(sorted({r['kind'] for r in rows}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['indirect', 'non_answer']"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("he had directed Khar to project its view at the Assembly, which", "at the Assembly,"),
        ("violent extremism through proxies and ", "through proxies"),
        ("peace in the region” - ", "in the region”"),
        ("officials who", "officials"),
        # Only a whole word after a space: "Whichever" and "andante" stay.
        ("the talks would resume, Whichever", "resume, Whichever"),
        ("played andante", "played andante"),
        ("and", "and"),  # never emptied
    ],
)
def test_trim_ends_drops_words_joining_the_next_clause(text, kept):
    from analysis.attribution_checks import trim_ends

    start, end = trim_ends(text, 0, len(text))
    assert start == 0 and text[:end].endswith(kept)


def test_transitions_script_counts_the_gold_labels_of_train(fixtures_dir, tmp_path):
    script = Path(__file__).resolve().parents[1] / "scripts" / "attribution_transitions.py"
    spec = importlib.util.spec_from_file_location("attribution_transitions", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "transitions.json"
    args = ["--data-dir", str(fixtures_dir / "polnear_tiny"), "--work-dir", str(tmp_path)]
    assert module.main([*args, "--out", str(out)]) == 0
    table = json.loads(out.read_text(encoding="utf-8"))
    counts = np.array(table["transition_counts"])
    assert table["labels"] == list(LABELS)
    assert sum(table["label_counts"]) == table["words"] == counts.sum() + table["windows"]
    assert counts[LABELS.index("B-content"), LABELS.index("I-content")] > 0
    assert counts[LABELS.index("O"), LABELS.index("I-content")] == 0
    start, step = transition_scores(table)
    assert np.isneginf(step[LABELS.index("O"), LABELS.index("I-source")])
