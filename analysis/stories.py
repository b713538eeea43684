"""Stories: syndicated copies of one story grouped, with their origin, similarity and credited agency.

A wire story reaches a corpus many times: the agency's original, each outlet's copy with its own
headline, the last paragraphs cut, a credit line added, the lines re-wrapped. The ``stories``
table gives every article the story it tells (``story_id``), the copy taken as the original
(``origin_id``) and how much of the shorter of the two texts the other carries (``similarity``),
so statistics can count independent stories rather than copies (:func:`dedupe`).

What datasketch does here, and what this module adds to it:

- datasketch's MinHash (scheme "affine32") sketches each article's set of word 5-grams, and the
  banding of ``MinHashLSH`` (bands and rows from its own optimiser, tilted towards recall)
  proposes candidate pairs. Both run batched in numpy over a few hundred articles at a time
  (:func:`minhash_signatures` equals datasketch's sketch, a test checks it), and the band keys
  are kept as compact arrays rather than in a ``MinHashLSH`` index, whose dict storage costs
  about 7 KB and 0.4 ms an article (measured): too much for a corpus streamed in bounded memory.
- Normalisation before shingling, so house style and layout are no differences: line wraps,
  quotes and punctuation vanish with tokenisation; ``per cent``/``pct``/``%``,
  ``mln``/``million``, ``dlrs``/``dollars``, other wire abbreviations and the numbers one to
  twelve fold to one form; longer words become consonant skeletons, where British and American
  spellings meet (``colour``/``color``, ``programme``/``program``, ``organise``/``organize``).
- Verification of every candidate pair on the exact shingle sets kept per article (4-byte
  hashes, never texts), by containment rather than Jaccard: the share of the *shorter* text's
  5-grams found in the other, so a copy cut short, or with a credit or local paragraph added,
  still matches. Two checks keep look-alikes apart: templated reports (results, tables, the next
  day's standings) follow the same words with other figures (:func:`number_conflicts`), and a
  pair must share at least :data:`MIN_SHARED` 5-grams, since two dividend notices of a dozen
  words share half of them.
- Stories formed around an origin rather than by connected components, which chain look-alikes
  (one results table to another through a third): in each component the origin is the earliest
  copy by ``published``, or, among equally early or undated copies, the most complete one (the
  most of the story's own text, boilerplate found in other articles not counting); every member
  is verified against that origin, and the members that fail start stories of their own.

Where each part lives: normalisation, shingles and MinHash in :mod:`analysis.shingles`; the
index (candidate search, verification, stories around origins) and credit lines in
:mod:`analysis.story_index`; here the ``stories`` table of a corpus and the step that writes
it beside ``extract``'s tables. The public names of those modules are re-exported here.
"""

from __future__ import annotations

import sys

import pandas as pd

from analysis.shingles import (  # re-exported: they lived here before the split
    HOUSE_STYLE,  # noqa: F401
    NUMBER_BIT,  # noqa: F401
    PREFIX_SHIFT,  # noqa: F401
    SHINGLE_WORDS,  # noqa: F401
    containment,  # noqa: F401
    minhash_signatures,  # noqa: F401
    normal_form,  # noqa: F401
    normal_tokens,  # noqa: F401
    number_conflicts,  # noqa: F401
    shingle_hashes,  # noqa: F401
)
from analysis.story_index import (  # re-exported: they lived here before the split
    BUCKET_PAIRS,  # noqa: F401
    CANDIDATE_JACCARD,  # noqa: F401
    CHAIN_PAIRS,  # noqa: F401
    DEFAULT_THRESHOLD,
    IDENTICAL,  # noqa: F401
    MIN_SHARED,  # noqa: F401
    NUM_PERM,  # noqa: F401
    NUMBER_CONFLICTS,  # noqa: F401
    SEED,  # noqa: F401
    StoryIndex,
    credited_agency,  # noqa: F401
)

#: Columns of the stories table (DESIGN.md's four first).
STORY_COLUMNS = [
    "article_id",
    "story_id",
    "origin_id",
    "similarity",
    "n_copies",
    "outlet",
    "agency",
    "published",
]


def story_table(
    articles,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    progress: bool = False,
    **index_options,
) -> pd.DataFrame:
    """Group articles into stories: the ``stories`` table of a corpus.

    Parameters
    ----------
    articles : pandas.DataFrame or iterable of mappings
        The articles table of :func:`analysis.corpus.load_corpus`, or rows as
        :func:`analysis.corpus.iter_corpus` streams them: ``article_id`` and ``text``, and
        ``published``, ``outlet`` and ``agency`` when present.
    threshold : float
        Containment at which a copy joins its origin's story (:class:`StoryIndex`).
    progress : bool
        Show progress on stderr.
    **index_options
        Further :class:`StoryIndex` options.

    Returns
    -------
    pandas.DataFrame
        One row per article, columns :data:`STORY_COLUMNS`, sorted by ``article_id``.
    """
    index = StoryIndex(threshold=threshold, **index_options)
    if isinstance(articles, pd.DataFrame):
        missing = {"article_id", "text"} - set(articles.columns)
        if missing:
            raise ValueError(f"articles lack column(s) {sorted(missing)}")
        used = ["article_id", "text", "published", "outlet", "agency"]
        rows = articles[[c for c in used if c in articles.columns]].to_dict("records")
    else:
        rows = articles
    if progress:
        from tqdm.auto import tqdm

        rows = tqdm(rows, desc="sketching", unit="article", file=sys.stderr)
    index.add_rows(rows)
    return index.table(progress=progress)


#: Columns of the articles table the stories need (the others are not read).
ARTICLE_INPUT_COLUMNS = ["article_id", "text", "published", "outlet", "agency"]


def store_stories(
    folder,
    articles=None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    progress: bool = False,
    batch_size: int = 1024,
) -> pd.DataFrame:
    """Write ``folder/stories.parquet``: the stories table of a feature store's articles.

    The step ``extract`` runs once ``articles.parquet`` is written. Articles are streamed from
    that table (a single file or a folder of ``part-*.parquet`` files) a batch at a time, reading
    only :data:`ARTICLE_INPUT_COLUMNS`, so memory holds the hashes per article, never the texts.
    The file is written atomically (:func:`analysis.files.atomic_path`).

    Parameters
    ----------
    folder : path
        The output folder of ``extract`` (or the temporary folder it is being written in).
    articles : pandas.DataFrame or iterable of mappings, optional
        The articles, when at hand; by default read from ``folder/articles.parquet``.
    threshold : float
        Containment at which a copy joins its origin's story (:class:`StoryIndex`).
    progress : bool
        Show progress on stderr.
    batch_size : int
        Articles read from Parquet at a time.

    Returns
    -------
    pandas.DataFrame
        The table written (see :func:`story_table`).

    Raises
    ------
    FileNotFoundError
        No ``articles`` given and no ``folder/articles.parquet``.
    ValueError
        The articles lack ``article_id`` or ``text``, or an id is repeated.
    """
    from pathlib import Path

    from analysis.files import atomic_path
    from analysis.tables import arrow_safe

    folder = Path(folder)
    if articles is not None:
        table = story_table(articles, threshold=threshold, progress=progress)
    else:
        source = folder / "articles.parquet"
        try:
            table = story_table(
                _parquet_rows(source, batch_size), threshold=threshold, progress=progress
            )
        except ValueError as exc:
            if str(source) in str(exc):
                raise
            raise ValueError(f"{source}: {exc}") from exc
    with atomic_path(folder / "stories.parquet") as tmp:
        arrow_safe(table).to_parquet(tmp, index=False)
    return table


def _parquet_rows(path, batch_size: int):
    """Rows of an articles Parquet file or partitioned folder, :data:`ARTICLE_INPUT_COLUMNS` only."""
    import pyarrow.dataset as ds

    if not path.exists():
        raise FileNotFoundError(f"{path}: no articles table to group into stories")
    dataset = ds.dataset(path, format="parquet")
    names = dataset.schema.names
    missing = [c for c in ("article_id", "text") if c not in names]
    if missing:
        raise ValueError(f"{path}: the articles table lacks column(s) {missing}")
    columns = [c for c in ARTICLE_INPUT_COLUMNS if c in names]
    for batch in dataset.to_batches(columns=columns, batch_size=batch_size):
        yield from batch.to_pylist()
