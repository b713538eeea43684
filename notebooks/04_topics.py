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
# # Topics
#
# What the corpus is about: topics fitted with non-negative matrix factorisation (or LDA) on the
# articles' terms (lemmas, with named entities and frequent noun phrases joined as single terms;
# stopwords, datelines, agency tags and reporting verbs removed). Each topic is judged by its
# **NPMI coherence** (do its top terms occur together in the corpus? -1 to 1, as gensim and OCTIS
# measure it) and the model by its **diversity** (share of unique terms among all topics' top 10).
#
# A corpus of a few articles is modelled over its paragraphs, so even one article has topics.
# Article text is shown as text: every table below is escaped.

# %% tags=["parameters"]
# Parameters (papermill replaces this cell's values; `report --list` shows these comments)
corpus: str = "seeds"  # corpus file or folder, or a list of them; relative to the project folder
columns: dict = {}  # record columns, e.g. {"text_column": "body", "date_column": "pubdate"}
n_topics: str = "auto"  # topics as a string such as 8, or auto (k by coherence x diversity)
method: str = "nmf"  # "nmf", "lda" or "minibatch_nmf"
unit: str = "auto"  # "article", "paragraph", or "auto": paragraphs when there are fewer than min_articles articles
min_articles: int = 20  # below this many articles, unit auto models paragraphs
tokens: str = ""  # whitespace when the corpus text is already tokenised
seed: int = 0  # random seed of the factorisation
freq: str = "M"  # period of the prevalence-over-time chart: "D", "W", "M", "Q" or "Y"
group_column: str = "agency"  # metadata column for prevalence by group and for keyness
group_a: str = ""  # first group for keyness (empty: the largest group)
group_b: str = ""  # second group for keyness (empty: every other article)
n_sentences: int = 2  # representative sentences per topic
workers: int = 0  # processes parsing new articles; 0: every core (parses are cached)
extract_options: list = []  # opt-in extractors: "reported_speech", "static_sentiment"
stop_words: str = ""  # stop-word file, a word or phrase a line; empty: the corpus's stopwords.txt
dedupe: str = "none"  # "none" (every article), "story" (one per story) or "outlet"
summary_path: str = ""  # where to write the JSON summary when not run by the report runner

# %%
from analysis.reports import headline, show, topics, write_summary

# %%
data = topics.load(
    corpus,
    tokens=tokens,
    dedupe=dedupe,
    workers=workers,
    columns=columns,
    stop_words=stop_words,
    extract_options=extract_options,
)

model = topics.fit(
    data, n_topics=n_topics, method=method, unit=unit, min_articles=min_articles, seed=seed
)
show(topics.model(data, model))

# %% [markdown]
# ## What is counted
#
# Syndicated copies of one story (the same wire story run by several outlets) can be counted once each, or once per story: the `dedupe` parameter chooses.

# %%
show(topics.counted(data))

# %% [markdown]
# ## Coherence against k
#
# With `n_topics="auto"` every k of the grid is fitted; the model kept has the best product of mean
# NPMI and diversity (dotted line). With a fixed k there is no curve.

# %%
show(topics.k_scores(model))

# %% [markdown]
# ## Topics
#
# One row per topic: a label from its leading actors and terms, its NPMI coherence, the share of
# its top terms no other topic lists (uniqueness), how many articles it dominates (size) and its
# mean weight (share).

# %%
show(topics.topic_table(model))

# %% [markdown]
# ## Topic map
#
# Topics with similar term weights lie close together; the bubble area is the topic's share.

# %%
show(topics.topic_map(model))

# %% [markdown]
# ## Prevalence over time
#
# Mean topic share of the articles published in each period (articles without a date are left out).

# %%
show(topics.prevalence_over_time(data, model, freq=freq))

# %% [markdown]
# ## Prevalence by group
#
# Mean topic share per value of the `group_column` parameter (an outlet, agency or any metadata column).

# %%
show(topics.prevalence_by_group(data, model, group_column=group_column))

# %% [markdown]
# ## Representative sentences
#
# The sentences that express each topic best, from the articles where the topic weighs most.

# %%
show(topics.representative_sentences(data, model, n=n_sentences))

# %% [markdown]
# ## Keyness between two groups
#
# Terms used more in one group than in the other (log-likelihood, with the log2 ratio of relative
# frequencies as the bar).

# %%
show(topics.keyness(data, group_column=group_column, group_a=group_a, group_b=group_b))

# %% [markdown]
# ## Summary
#
# The key figures, also written as JSON for the report index and the tests.

# %%
groups = {"group_column": group_column, "group_a": group_a, "group_b": group_b}
summary = write_summary(topics.summary(data, model, **groups), summary_path or None)
show(headline(summary))
