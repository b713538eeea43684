# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: News analysis (.venv)
#     language: python
#     name: news-analysis
# ---

# %% [markdown]
# # Explorer
#
# Explore a corpus interactively: pick an **actor** to see its quotations and reported speech, the actors mentioned with it, the tone of the sentences that mention it and its attention over time; narrow everything to an **outlet**, a **period** or a **topic**; type a boolean **query** (`haqqani AND (army OR "prime minister")`, as `python -m analysis search`) to see keyword-in-context lines with links to the articles. Tables are searchable and sortable.
#
# Change `corpus` below and run all cells (Run > Run All Cells) to explore another corpus; the feature store caches every parse, so a second run is fast. This notebook is not a report: `python -m analysis report` does not run it.

# %% tags=["parameters"]
# Parameters
corpus: str = "seeds"  # corpus file or folder, or a list of them; relative to the project folder
workers: int = 0  # processes parsing new articles; 0: every core (parses are cached)
dedupe: str = "none"  # "none" (every article), "story" (one per story) or "outlet"
n_topics: str = ""  # "" for no topic filter; a number of topics ("8") or "auto" fits a topic model
extract_options: list = []  # as the reports' (report --reported-speech): "reported_speech", ...

# %%
from analysis import explorer

# %%
explorer.explore(
    corpus, workers=workers, dedupe=dedupe, n_topics=n_topics, extract_options=extract_options
)
