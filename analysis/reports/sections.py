"""The section layer of the reports: what a report module returns and the data it reads.

A report notebook makes one call per section, ``show(actors.quoted(data, top_n=top_n))``: the
report module (:mod:`~analysis.reports.overview`, :mod:`~analysis.reports.actors`,
:mod:`~analysis.reports.sentiment`, :mod:`~analysis.reports.topics`) computes the section from
the loaded tables and returns a :class:`Section`, and :func:`analysis.reports.notebook.show`
renders it. The notebook holds the narrative; how a section is computed, and how it is drawn,
can change without touching the notebook.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Callable, Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

from analysis.reports.notebook import corpus_paths


@dataclasses.dataclass(frozen=True)
class Section:
    """One section of a report: text, tables and figures, ready to show.

    Parameters
    ----------
    title : str
        What the section is about (the notebook's heading says it to the reader; a renderer
        may use it to name files, such as a table's CSV).
    text : str
        Markdown shown first. Escaped already: article text and parameter values went through
        :func:`~analysis.reports.notebook.escape_markdown` or
        :func:`~analysis.reports.notebook.markdown_code`.
    tables : mapping of str to pandas.DataFrame
        Named tables, shown in order after the text (through
        :func:`~analysis.reports.notebook.show_table`, which escapes every cell).
    figures : mapping of str to object
        Named figures, shown in order after the tables: matplotlib figures, or any object
        IPython displays (an explanation with ``_repr_html_``).
    empty : str, optional
        One sentence (Markdown, escaped) saying why there is nothing to show; shown after the
        figures. None when the section has data.
    parts : tuple of Section
        Sub-sections shown after this one, in order (a section that shows a chart and then a
        table, each of which may be missing for its own reason).
    table_options : mapping of str to mapping
        Keyword arguments of ``show_table`` per table name (``max_rows``, ``max_chars``,
        ``index``).
    """

    title: str
    text: str = ""
    tables: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    figures: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    empty: str | None = None
    parts: tuple[Section, ...] = ()
    table_options: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class ReportData:
    """The tables a report reads, loaded once, and the values derived from them.

    Parameters
    ----------
    paths : list of Path
        The corpus paths, absolute.
    tables : dict of str to pandas.DataFrame
        ``articles`` (and ``rejects`` when read by the loader), plus the feature-store tables
        the report asked for. ``data["mentions"]`` reads one.
    store : Path, optional
        The feature store folder the tables came from (None when nothing was parsed).
    options : dict
        How the data was loaded (e.g. ``tokens``), for the functions that depend on it.
    """

    paths: list[Path]
    tables: dict[str, Any]
    store: Path | None = None
    options: dict[str, Any] = dataclasses.field(default_factory=dict)
    _derived: dict[Hashable, Any] = dataclasses.field(default_factory=dict, repr=False)

    def __getitem__(self, name: str):
        try:
            return self.tables[name]
        except KeyError:
            raise KeyError(
                f"{name!r}: the report loaded only {', '.join(self.tables) or 'no tables'}"
            ) from None

    def derived(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """Return the value derived under ``key``, computing it the first time.

        A section and the report's summary often need the same derived table (share of voice,
        the actors' scores, a keyness table); it is computed once per loaded corpus. ``key``
        names the value and the parameters it depends on, e.g. ``("co_mentions", "sentence")``.
        """
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]


def load_report_data(
    corpus: str | os.PathLike | Sequence[str | os.PathLike],
    tables: Sequence[str] = (),
    *,
    loader: bool = False,
    workers: int | None = None,
    options: Mapping[str, Any] | None = None,
    dedupe: str = "none",
    columns: Mapping[str, str | None] | None = None,
    extract_options: Sequence[str] = (),
) -> ReportData:
    """Load what a report reads: the corpus through the loader, the feature store, or both.

    Parameters
    ----------
    corpus : str, path-like or sequence of them
        The notebook's ``corpus`` parameter (relative paths are relative to the project folder,
        see :func:`~analysis.reports.notebook.corpus_paths`).
    tables : sequence of str
        Feature-store tables to read (``articles``, ``sentences``, ``mentions`` ...). The store
        is opened once (:func:`analysis.store.feature_store`): articles parsed before are read
        back from the cache, the others parsed with ``workers`` processes.
    loader : bool
        Also read the corpus with :func:`analysis.corpus.load_corpus`, which gives ``articles``
        (as loaded, without a parse) and ``rejects``; these take precedence over the store's.
    workers : int, optional
        Worker processes for articles not parsed yet; ``None`` or 0 (the default) uses every core.
    options : mapping, optional
        Kept as :attr:`ReportData.options`.
    dedupe : {"none", "story", "outlet"}
        ``"story"`` keeps one article per story (its origin) in every table, so syndicated
        copies count once; ``"outlet"`` one per story and outlet (:func:`analysis.syndication.dedupe`).
        The stories table is ``data["stories"]``; ``options["dedupe_note"]`` says what is counted.
    columns : mapping, optional
        Record columns of a ``.jsonl``/``.csv``/``.parquet`` corpus or a folder's ``metadata.csv``:
        :func:`analysis.corpus.load_corpus`'s keywords (``{"text_column": "body"}``); the
        ``report`` command's column options fill the notebooks' ``columns`` parameter.
    extract_options : sequence of str
        Opt-in extractors of the feature store (:data:`analysis.features.OPTIONS`:
        ``"reported_speech"``, ``"static_sentiment"``), the notebooks' ``extract_options``
        parameter (``report --reported-speech``): a store made with them is another store.
        Kept in ``options["extract_options"]``, and said under "What is counted".

    Returns
    -------
    ReportData
    """
    from analysis.features import with_options

    paths = corpus_paths(corpus)
    store_tables = with_options(extract_options)  # unknown options refused before any work
    loaded: dict[str, Any] = {}
    handed = _handed_over(paths, columns)
    if loader:
        from analysis.corpus import load_corpus

        # No progress bar: a notebook's stderr lands in its report page.
        loaded["articles"], loaded["rejects"] = handed or load_corpus(
            paths, progress=False, **dict(columns or {})
        )
        handed = (loaded["articles"], loaded["rejects"])
    store = None
    # "stories" needs no parse: it is grouped from the articles (below).
    wanted = [name for name in tables if name not in loaded and name != "stories"]
    if wanted:
        from analysis.store import feature_store, read_table

        store = feature_store(
            paths,
            tables=store_tables,
            workers=workers or None,
            progress=False,
            columns=columns,
            loaded=handed,
        )
        for name in wanted:
            loaded[name] = read_table(store, name)
    options = dict(options or {}, extract_options=tuple(dict.fromkeys(extract_options)))
    _dedupe(loaded, dedupe, options, with_stories="stories" in tables)
    return ReportData(paths=paths, tables=loaded, store=store, options=options)


def _corpus_key(paths: Sequence[str | os.PathLike], columns: Mapping[str, Any] | None) -> list:
    """What a loaded corpus was loaded from: the resolved inputs and the column options set."""
    from analysis.corpus import column_options, resolved_inputs

    return [resolved_inputs(paths), column_options(columns)]


def hand_over_corpus(loaded: tuple, paths, columns, folder: Path) -> Path:
    """Write the corpus the report runner loaded for its notebooks; return the file.

    The runner loads the corpus to check the feature store, and every notebook would read and
    parse the same input files again (half a second for 1,000 articles, in each kernel). The
    runner writes ``(articles, rejects)`` here, in a temporary folder of its own that it
    removes when the run ends, and names the file in :data:`analysis.config.LOADED_CORPUS_ENV`;
    :func:`load_report_data` takes it when the notebook asks for the same inputs and column
    options, so the notebooks also see exactly the articles the store was checked against.
    A pickle (exact frames, dtypes and all) passed from the process to its own kernels: it
    never goes into the cache, which holds no code.
    """
    import pickle

    path = Path(folder) / "corpus.pickle"
    with open(path, "wb") as fh:
        pickle.dump(
            {"key": _corpus_key(paths, columns), "loaded": loaded},
            fh,
            protocol=pickle.HIGHEST_PROTOCOL,
        )
    return path


def _handed_over(paths, columns) -> tuple | None:
    """The runner's loaded corpus when it holds these inputs and column options, else None."""
    import pickle

    from analysis import config

    path = os.environ.get(config.LOADED_CORPUS_ENV)
    if not path:
        return None
    try:
        with open(path, "rb") as fh:
            handed = pickle.load(fh)
    except Exception:  # gone (the run ended), cut short or damaged: load the corpus as usual
        return None
    if not isinstance(handed, dict) or handed.get("key") != _corpus_key(paths, columns):
        return None
    return handed["loaded"]


def _dedupe(loaded: dict[str, Any], how: str, options: dict[str, Any], with_stories: bool) -> None:
    """Keep one article per story in every table (``how`` of :func:`analysis.syndication.dedupe`)."""
    from analysis.syndication import DEDUPE_CHOICES, dedupe, dedupe_note

    if how not in DEDUPE_CHOICES:
        raise ValueError(f"dedupe must be one of {', '.join(DEDUPE_CHOICES)}, got {how!r}")
    stories = None
    if how != "none" or with_stories:
        from analysis.stories import story_table

        # Kept on disk like the model-scored tables: grouping 1,000 articles (MinHash and the
        # import of datasketch) cost a notebook about 1 s of a warm run's 3.
        articles = loaded["articles"]
        read = [c for c in ("article_id", "text", "published", "outlet", "agency") if c in articles]
        stories = loaded["stories"] = kept_table(
            "stories", {"articles": articles[read]}, lambda: story_table(articles[read])
        )
    options["dedupe"] = how
    options["dedupe_note"] = dedupe_note(how, stories)
    if how == "none":
        return
    for name, frame in list(loaded.items()):
        if name not in ("stories", "rejects") and "article_id" in getattr(frame, "columns", ()):
            loaded[name] = dedupe(frame, stories, how).reset_index(drop=True)
    if "actors" in loaded and "mentions" in loaded:
        from analysis.entities import actor_table

        # Actor counts follow the kept mentions: a syndicated story counts once.
        loaded["actors"] = actor_table(loaded["mentions"], loaded["articles"])


def published_days(frame):
    """``frame`` with its ``published`` column, if any, as ISO days (text; None when unknown).

    For tables shown to a reader: a day reads ``2024-03-05``, not midnight or ``NaT``
    (the rule of :func:`analysis.articles.published_day`).
    """
    import pandas as pd  # here, as the module imports pandas only when needed

    from analysis.articles import published_day

    if "published" not in frame.columns:
        return frame
    # A list, not Series.map: pandas would turn the None of an unknown day into NaN.
    days = [published_day(v) for v in frame["published"]]
    return frame.assign(published=pd.Series(days, index=frame.index, dtype=object))


#: What each opt-in extractor (``report --reported-speech`` ...) changes, as the reports say it.
_OPTION_NOTES = {
    "reported_speech": "Besides the quotations, the quotes table holds reported speech (what a "
    "source is reported to have said, thought or written without quotation marks), found by the "
    "learned attribution tagger (`report --reported-speech`).",
    "static_sentiment": "Sentence tone is scored by the static sentence model, which is faster "
    "and slightly less accurate than the default one (`report --static-sentiment`).",
}


def counted(data: ReportData) -> Section:
    """Whether the report counts articles or independent stories, and the opt-in extractors
    of the tables it reads (:data:`analysis.features.OPTIONS`)."""
    from analysis.features import OPTIONS

    notes = [
        _OPTION_NOTES[name]
        for name in data.options.get("extract_options", ())
        if OPTIONS[name][0] in data.tables
    ]
    return Section("What is counted", text=" ".join([data.options.get("dedupe_note", ""), *notes]))


def headline(summary: Mapping[str, Any]) -> Section:
    """Return a report's headline figures as a two-column table section (figure, value).

    The values are the text ``index.html`` shows
    (:func:`~analysis.reports.notebook.headline_figures`).
    """
    import pandas as pd

    from analysis.reports.notebook import headline_figures

    figures = pd.DataFrame(headline_figures(summary), columns=["figure", "value"])
    return Section("Summary", tables={"headline": figures})


#: Folder under the cache directory of the tables :func:`kept_table` keeps.
KEPT_TABLES_DIR = "report-tables"


def kept_table(name: str, inputs: Mapping[str, Any], compute: Callable[[], Any]):
    """Return ``compute()``, kept on disk by the content of its ``inputs`` for later runs.

    For the tables a report scores with a learned model (every quotation's sentiment, every
    stance toward a target): the ONNX models run once per text, most of the sentiment report's
    time, and their scores are not in the feature store. The table is kept as Parquet in
    ``<cache>/report-tables/`` under a key of ``name``, the package's code and models
    (:func:`~analysis.reports.registry.package_fingerprint`), the versions of the libraries
    that run them, and the content of every input frame; any change computes it afresh. A
    cache that cannot be read or written costs time, never results.

    Parameters
    ----------
    name : str
        What the table is (part of the file name).
    inputs : mapping of str to pandas.DataFrame or JSON-like
        Everything ``compute`` reads.
    compute : callable
        Returns the table (a DataFrame that Parquet keeps as it is).
    """
    import pandas as pd

    from analysis import config, files

    key = files.digest(
        {
            "table": name,
            "code": _code_fingerprint(),
            "inputs": {k: _content(v) for k, v in inputs.items()},
        }
    )
    path = config.CACHE_DIR / KEPT_TABLES_DIR / f"{name}-{key[:24]}.parquet"
    if path.is_file():
        try:
            return pd.read_parquet(path)
        except Exception:  # damaged or half-copied: compute it again below
            pass
    table = compute()
    try:
        with files.atomic_path(path) as tmp:
            table.to_parquet(tmp)
    except OSError:
        pass
    return table


#: Folder under the cache directory of the scores :class:`KeptScores` keeps.
KEPT_SCORES_DIR = "report-scores"
#: Parts a :class:`KeptScores` folder may hold before they are merged into one.
KEPT_SCORES_MAX_PARTS = 16


class KeptScores:
    """What a learned model gives each input, kept on disk by the input, for later runs.

    :func:`kept_table` keeps a whole table by the content of all its inputs, so one added
    article would score every quotation of the corpus again; this keeps each input's scores
    (a row of numbers or labels), so a later run scores only inputs it has not seen. For models
    whose output for an input does not depend on the other inputs of a call (the sentence and
    target models are batch-invariant). Kept as Parquet parts in
    ``<cache>/report-scores/<name>-<key>/``, the key covering ``name``, ``identity`` (the
    scorer's settings), the package's code and models and the libraries' versions; a part is
    written under a temporary name and renamed, and one that cannot be read is ignored, so a
    damaged or read-only cache costs time, never results.

    Parameters
    ----------
    name : str
        What is scored (part of the folder name).
    identity : mapping, optional
        JSON-like settings of the scorer that change its output.
    """

    def __init__(self, name: str, identity: Mapping[str, Any] | None = None) -> None:
        from analysis import config, files

        key = files.digest(
            {"scores": name, "code": _code_fingerprint(), "identity": dict(identity or {})}
        )
        self.folder = config.CACHE_DIR / KEPT_SCORES_DIR / f"{name}-{key[:24]}"

    def rows(self, inputs: Sequence[str], compute: Callable[[list[int]], Any]):
        """One row per input, in order: kept rows, and ``compute(positions)`` for the others.

        ``compute`` gets the positions in ``inputs`` of the inputs not kept yet (each distinct
        input once) and returns a DataFrame with a row per position, in that order and with
        text column names; its rows are kept for later runs.
        """
        import hashlib

        import pandas as pd

        keys = [hashlib.sha1(str(s).encode("utf-8", "surrogatepass")).hexdigest() for s in inputs]
        kept = self._read()
        known = set(kept.index)
        first: dict[str, int] = {}
        for i, key in enumerate(keys):
            if key not in known:
                first.setdefault(key, i)
        if first:
            fresh = compute(list(first.values())).reset_index(drop=True)
            if len(fresh) != len(first):
                raise ValueError(f"compute gave {len(fresh)} rows for {len(first)} inputs")
            fresh.index = pd.Index(list(first), name="key")
            self._keep(fresh)
            kept = fresh if kept.empty else pd.concat([kept, fresh])
        return kept.loc[keys].reset_index(drop=True)

    def _parts(self) -> list[Path]:
        return sorted(self.folder.glob("part-*.parquet")) if self.folder.is_dir() else []

    def _read(self):
        import pandas as pd

        frames = []
        for part in self._parts():
            try:
                frames.append(pd.read_parquet(part))
            except Exception:  # damaged or half-copied: its inputs are scored again
                continue
        if not frames:
            return pd.DataFrame(index=pd.Index([], name="key"))
        kept = pd.concat(frames)
        return kept[~kept.index.duplicated()]

    def _keep(self, fresh) -> None:
        import uuid

        from analysis import files

        try:
            with files.atomic_path(self.folder / f"part-{uuid.uuid4().hex}.parquet") as tmp:
                fresh.to_parquet(tmp)
            parts = self._parts()
            if len(parts) > KEPT_SCORES_MAX_PARTS:
                # One part for all; concurrent readers may see both for a moment, which only
                # repeats rows that are the same.
                merged = self._read()
                with files.atomic_path(self.folder / f"part-{uuid.uuid4().hex}.parquet") as tmp:
                    merged.to_parquet(tmp)
                for part in parts:
                    part.unlink(missing_ok=True)
        except OSError:
            pass


@functools.cache
def _code_fingerprint() -> dict:
    """The package's files (code and models) and the versions of the libraries that score."""
    from importlib import metadata

    from analysis.reports.registry import package_fingerprint

    versions = {}
    for dist in ("onnxruntime", "tokenizers", "numpy", "pandas", "pyarrow", "scikit-learn"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return {"package": package_fingerprint(), "versions": versions}


def _content(value: Any) -> Any:
    """A JSON-like stand-in for ``value``: a frame by its dtypes and content digest."""
    import pandas as pd

    from analysis import files

    if not isinstance(value, pd.DataFrame):
        return value
    return {"dtypes": [str(t) for t in value.dtypes], "rows": files.frame_digest(value)}
