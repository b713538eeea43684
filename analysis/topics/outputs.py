"""The files of a fitted topic model: topics.csv, doc_topics.csv and metrics.json."""

from __future__ import annotations

from pathlib import Path

from analysis.files import atomic_path, write_json
from analysis.topics.model import TopicModel


def write_outputs(
    model: TopicModel, out_dir: str | Path, *, doc_topics: bool = True
) -> dict[str, Path]:
    """Write ``topics.csv``, ``doc_topics.csv`` and ``metrics.json`` of a fitted model into ``out_dir``.

    Each file is written beside its final name and renamed into place, so a reader (or an
    interrupted run) sees the old file or the new one, never half of one. With
    ``doc_topics=False`` the doc_topics file is left as it is (a streamed fit wrote it).

    Returns
    -------
    dict of str to pathlib.Path
        The paths by name: ``topics``, ``doc_topics``, ``metrics``.
    """
    out = Path(out_dir)
    paths = {
        "topics": out / "topics.csv",
        "doc_topics": out / "doc_topics.csv",
        "metrics": out / "metrics.json",
    }
    with atomic_path(paths["topics"]) as tmp:
        model.topics_frame().to_csv(tmp, index=False)
    if doc_topics:
        with atomic_path(paths["doc_topics"]) as tmp:
            model.doc_topics_frame().to_csv(tmp, index=False)
    write_json(paths["metrics"], model.metrics())
    return paths
