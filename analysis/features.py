"""The feature registry: every per-article table, its one schema, what it needs, its version.

A :class:`Feature` names its table, its columns with Arrow types (the only place a table's
columns are declared: the extractor modules read theirs from here), the earlier tables its
extractor takes as keyword arguments, and a version to bump when its output changes for a
reason the code fingerprint cannot see.

The cache key of an article (:func:`code_key`) is built from the code the extractors actually
run, followed from each extractor function through the functions, classes and constants it
references inside the package, plus the declared versions, the word lists and the shipped
models. A whole module is never hashed: editing a command's ``--help``, a notebook helper or a
corpus-level analysis function keeps every cached article; editing an extractor, or a helper
it calls, invalidates it.

Importing this module loads neither pandas nor pyarrow nor spaCy (``--help`` stays fast).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib
import inspect
import re
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from analysis import config

#: Arrow type names used in the schemas (resolved by :func:`arrow_type`).
_TYPES = ("string", "int64", "double", "bool", "list<string>", "list<int64>", "list<bool>")


@dataclass(frozen=True)
class Feature:
    """One per-article table.

    Parameters
    ----------
    table
        Table name (a folder ``TABLE.parquet`` of the feature store).
    extract
        ``"module:function"`` of the extractor, called as ``function(doc, article, **needs)``
        and returning an iterable of row dicts.
    columns
        ``(name, arrow type)`` pairs in output order; the first ``n_core`` are DESIGN.md's
        columns, the rest documented extras.
    n_core
        How many of ``columns`` DESIGN.md fixes.
    needs
        Earlier tables the extractor takes as keyword arguments (their rows of the article).
    version
        Bump when the output changes for a reason outside the package's code (rarely needed).
    """

    table: str
    extract: str
    columns: tuple[tuple[str, str], ...]
    n_core: int
    needs: tuple[str, ...] = ()
    version: int = 1

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    @property
    def core_columns(self) -> tuple[str, ...]:
        return self.column_names[: self.n_core]

    @property
    def extra_columns(self) -> tuple[str, ...]:
        return self.column_names[self.n_core :]

    def load(self) -> Callable:
        """The extractor function. A feature that cannot be imported fails loudly."""
        module_name, func_name = self.extract.split(":")
        return getattr(importlib.import_module(module_name), func_name)


def _cols(spec: str) -> tuple[tuple[str, str], ...]:
    # "name:type name:type ..." keeps the table declarations short and aligned.
    pairs = tuple(tuple(item.split(":", 1)) for item in spec.split())
    for name, kind in pairs:
        if kind not in _TYPES:
            raise ValueError(f"column {name}: unknown type {kind!r}")
    return pairs  # type: ignore[return-value]


#: Feature tables in the order they are computed (a table's ``needs`` come before it).
FEATURES: tuple[Feature, ...] = (
    Feature(
        "mentions",
        "analysis.entities:extract_mentions",
        _cols(
            "article_id:string start:int64 end:int64 text:string label:string title:string "
            "actor:string sentence:int64 model_label:string title_start:double title_end:double"
        ),
        n_core=7,
    ),
    Feature(
        "quotes",
        "analysis.attribution:extract_attributions",
        _cols(
            "article_id:string start:int64 end:int64 quote:string kind:string cue:string "
            "speaker:string speaker_start:int64 speaker_end:int64 speaker_kind:string "
            "cue_start:int64 cue_end:int64 attribution:int64 role:string"
        ),
        n_core=10,
        needs=("mentions",),
    ),
    Feature(
        "sentences",
        "analysis.nlp:extract_sentences",
        _cols(
            "article_id:string paragraph:int64 sentence:int64 start:int64 end:int64 text:string "
            "in_quote:bool quoted_share:double"
        ),
        n_core=7,
        needs=("quotes",),
    ),
    Feature(
        "numbers",
        "analysis.numbers:extract_numbers",
        _cols(
            "article_id:string start:int64 end:int64 text:string value:double unit:string "
            "object:string kind:string approximate:bool"
        ),
        n_core=8,
    ),
    Feature(
        "counts",
        "analysis.counts:extract_counts",
        _cols(
            "article_id:string start:int64 end:int64 kind:string number:double object:string "
            "text:string approximate:bool negated:bool definite:bool background:bool "
            "trigger:string trigger_start:int64 trigger_end:int64 voice:string"
        ),
        n_core=6,
    ),
    Feature(
        "dates",
        "analysis.dates:extract_dates",
        _cols(
            "article_id:string start:int64 end:int64 text:string resolved:string "
            "resolution:string relative:bool direction:string source:string"
        ),
        n_core=6,
    ),
    Feature(
        "sentiment",
        "analysis.sentiment:extract_sentiment",
        _cols(
            "article_id:string sentence:int64 compound:double positive:double negative:double "
            "neutral:double voice:string start:int64 end:int64 n_words:int64 label:string"
        ),
        n_core=7,
        needs=("quotes",),
    ),
    Feature(
        "tone",
        "analysis.tone:extract_tone",
        _cols(
            "article_id:string tone:double positive_score:double negative_score:double "
            "polarity:double activity_density:double self_group_density:double word_count:int64"
        ),
        n_core=8,
    ),
    Feature(
        "terms",
        "analysis.terms:extract_terms",
        _cols(
            "article_id:string paragraph:int64 terms:list<string> starts:list<int64> "
            "ends:list<int64> actor:list<bool>"
        ),
        n_core=6,
    ),
)

_BY_TABLE = {f.table: f for f in FEATURES}
TABLES: tuple[str, ...] = tuple(_BY_TABLE)

#: Opt-in variants of a table's extractor: option name -> (table, ``"module:function"``). An
#: option named among the ``tables`` of :func:`select` (``extract --reported-speech`` adds
#: ``reported_speech``) brings its table and replaces that table's extractor, so the code key of
#: :func:`code_key`, and with it the per-article cache and the store's pipeline, tells stores made
#: with and without it apart. ``reported_speech``: the quotes table with the learned attribution
#: tagger's reported speech (:func:`analysis.attribution.extract_reported_speech`). Off by
#: default: it makes extraction about 1.3x slower, and its exact spans are below their target
#: (benchmarks/bench_attribution.py: PolNeAR dev overlap F1 0.756, exact 0.622 against 0.65).
#: ``static_sentiment``: the sentiment table with the static sentence model blended in instead of
#: the transformer (:func:`analysis.sentiment.extract.extract_sentiment_static`): extraction
#: about 1.2x faster (1,000 Reuters stories) for slightly less accurate scores.
OPTIONS: dict[str, tuple[str, str]] = {
    "reported_speech": ("quotes", "analysis.attribution:extract_reported_speech"),
    "static_sentiment": ("sentiment", "analysis.sentiment.extract:extract_sentiment_static"),
}


def with_options(
    options: Iterable[str], tables: Iterable[str] | None = None
) -> tuple[str, ...] | None:
    """The ``tables`` argument of :func:`select` for ``tables`` (all when None) with ``options``.

    ``None`` (every table, each with its default extractor) when there is no option, so a store
    made without options keeps its name; an unknown option is refused with the valid ones.
    """
    options = list(dict.fromkeys(options))
    for name in options:
        if name not in OPTIONS:
            raise ValueError(
                f"extraction option {name!r} is not available; choose from {', '.join(OPTIONS)}"
            )
    if not options:
        return None if tables is None else tuple(tables)
    return (*(TABLES if tables is None else tables), *options)


def feature(table: str) -> Feature:
    """The :class:`Feature` of ``table``; an unknown name lists the valid ones."""
    try:
        return _BY_TABLE[table]
    except KeyError:
        raise ValueError(
            f"feature table {table!r} is not available; choose from {', '.join(TABLES)}"
        ) from None


def columns(table: str) -> tuple[str, ...]:
    """Column names of ``table`` in output order."""
    return feature(table).column_names


def arrow_type(name: str):
    """The pyarrow type of a schema type name."""
    import pyarrow as pa

    if name.startswith("list<"):
        return pa.list_(arrow_type(name[5:-1]))
    return {
        "string": pa.large_string(),
        "int64": pa.int64(),
        "double": pa.float64(),
        "bool": pa.bool_(),
    }[name]


def schema(table: str):
    """The pyarrow schema of ``table``: the one declaration every writer and reader uses."""
    import pyarrow as pa

    return pa.schema([(name, arrow_type(kind)) for name, kind in feature(table).columns])


def select(tables: Iterable[str] | None = None) -> tuple[Feature, ...]:
    """The features of ``tables`` (all when None) in computation order, unknown names refused.

    ``tables`` may also name :data:`OPTIONS`: each brings its table, with its extractor replaced.
    """
    if tables is None:
        return FEATURES
    wanted = set(tables)
    options = wanted & set(OPTIONS)
    wanted -= options
    for name in sorted(wanted):
        if name not in _BY_TABLE:
            raise ValueError(
                f"feature table {name!r} is not available; choose from {', '.join(TABLES)} "
                f"(options: {', '.join(OPTIONS)})"
            )
    swaps = {}
    for option in options:
        table, extract = OPTIONS[option]
        wanted.add(table)
        swaps[table] = extract
    return tuple(
        dataclasses.replace(f, extract=swaps[f.table]) if f.table in swaps else f
        for f in FEATURES
        if f.table in wanted
    )


# --- the code fingerprint --------------------------------------------------------------------------
# Hand-written: no library follows a function's references to hash the code it runs. The walk is
# deliberately conservative: anything of the package a function's code names (a global, an
# attribute of a package module, a name imported inside the function) is included.

_PACKAGE = __name__.split(".")[0]


def _in_package(obj) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module == _PACKAGE or module.startswith(_PACKAGE + ".")


def _code_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _constant_text(value) -> str | None:
    # Data a function reads (word sets, tables, patterns) changes results as much as code does.
    # Sets are written sorted at every depth: their order varies with the string hash seed.
    if isinstance(value, re.Pattern):
        return f"re({value.pattern!r},{value.flags})"
    if isinstance(value, (frozenset, set)):
        items = [_constant_text(v) for v in value]
        return None if None in items else "{" + ",".join(sorted(items)) + "}"
    if isinstance(value, (tuple, list)):
        items = [_constant_text(v) for v in value]
        return None if None in items else f"{type(value).__name__}({','.join(items)})"
    if isinstance(value, dict):
        items = [(_constant_text(k), _constant_text(v)) for k, v in value.items()]
        if any(k is None or v is None for k, v in items):
            return None
        return "dict(" + ",".join(f"{k}:{v}" for k, v in items) + ")"
    if isinstance(value, (str, bytes, int, float, bool, type(None))):
        return repr(value)
    return None


def _source(obj) -> str | None:
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        # Generated code (a dataclass's __init__ or __repr__) follows from its class's source.
        return None


def closure(roots: Iterable[Callable]) -> dict[str, str]:
    """Qualified name -> source (or constant text) of everything of the package ``roots`` use."""
    seen: dict[str, str] = {}
    stack: list = list(roots)
    while stack:
        obj = stack.pop()
        if isinstance(obj, functools.partial):
            stack.append(obj.func)
            continue
        obj = inspect.unwrap(obj) if callable(obj) else obj
        key = f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"
        if key in seen:
            continue
        if inspect.isclass(obj):
            seen[key] = _source(obj) or key
            members = [
                m for m in vars(obj).values() if inspect.isfunction(m) or isinstance(m, property)
            ]
            for m in members:
                m = m.fget if isinstance(m, property) else m
                if _in_package(m):
                    stack.append(m)
            continue
        code = getattr(obj, "__code__", None)
        source = _source(obj) if code is not None else None
        if source is None:
            continue
        seen[key] = source
        module = inspect.getmodule(obj)
        namespaces = [vars(module)] if module else []
        names = _code_names(code)
        # Package modules the function reaches: its globals and the ones it imports inside.
        for name in names:
            value = namespaces[0].get(name) if namespaces else None
            if isinstance(value, types.ModuleType) and value.__name__.startswith(_PACKAGE):
                namespaces.append(vars(value))
        for name in names:
            if name.startswith(_PACKAGE + "."):
                try:
                    namespaces.append(vars(importlib.import_module(name)))
                except ImportError:
                    continue
        for namespace in namespaces:
            for name in names:
                if name not in namespace:
                    continue
                value = namespace[name]
                if callable(value) and hasattr(value, "__wrapped__"):  # lru_cache, wraps
                    value = inspect.unwrap(value)
                if inspect.isfunction(value) or inspect.isclass(value):
                    if _in_package(value):
                        stack.append(value)
                elif not isinstance(value, types.ModuleType):
                    text = _constant_text(value)
                    if text is not None:
                        seen[f"{namespace.get('__name__')}.{name}"] = text
                    elif _in_package(type(value)):
                        stack.append(type(value))
    return seen


def code_key(tables: Iterable[str] | None = None, extra_roots: Iterable[Callable] = ()) -> str:
    """Fingerprint of what the extractors of ``tables`` compute with.

    The closure of each extractor's code (:func:`closure`) and of ``extra_roots``, the declared
    schemas and versions, and the bytes of the word lists and shipped models.
    """
    features = select(tables)
    h = hashlib.sha256()
    for f in features:
        h.update(repr((f.table, f.extract, f.columns, f.needs, f.version)).encode())
    parts = closure([f.load() for f in features] + list(extra_roots))
    for name in sorted(parts):
        h.update(name.encode())
        h.update(b"\x00")
        h.update(parts[name].encode("utf-8", "surrogatepass"))
    data_files = sorted(config.RESOURCES_DIR.rglob("*")) + sorted(config.MODELS_DIR.rglob("*"))
    for path in data_files:
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(str(path.relative_to(config.PACKAGE_DIR)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]
