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
# # Corpus overview
#
# What the corpus holds before any language processing: how many articles loaded and how many inputs were rejected (and why), how long the articles are, where they were filed from (datelines), which agencies sent them and when they were published.
#
# Article text is shown as text: every table and sentence below is escaped, so markup in a headline appears as written.

# %% tags=["parameters"]
# Parameters (papermill replaces this cell's values; `report --list` shows these comments)
corpus: str = "seeds"  # corpus file or folder, or a list of them; relative to the project folder
columns: dict = {}  # record columns, e.g. {"text_column": "body", "date_column": "pubdate"}
max_table_rows: int = 1000  # rows of each table in the page (all rows in its CSV and Parquet files)
top_n: int = 15  # rows in the dateline and agency tables
dedupe: str = "none"  # "none" (every article), "story" (one per story) or "outlet"
attention_query: str = ""  # keyword or phrase charted over time (empty: no chart)

# %%
# %matplotlib inline
from analysis.reports import headline, overview, show, write_summary

# %%
data = overview.load(corpus, dedupe=dedupe, columns=columns)

# %% [markdown]
# ## What is counted
#
# Syndicated copies of one story (the same wire story run by several outlets) can be counted once each, or once per story: the `dedupe` parameter chooses.

# %%
show(overview.counted(data))

# %% [markdown]
# ## Counts

# %%
show(overview.counts(data))

# %% [markdown]
# ## Lengths
#
# Words and paragraphs in the body (headline, dateline tag and agency sign-off excluded).

# %%
show(overview.lengths(data))

# %% [markdown]
# ## Datelines
#
# The place a story was filed from, as its first paragraph names it (`ISLAMABAD:`, `KABUL, Afghanistan (Nov. 20, 2011)`).

# %%
show(overview.datelines(data, top_n=top_n))

# %% [markdown]
# ## Agencies
#
# The wire agency named in the dateline or the sign-off.

# %%
show(overview.agencies(data, top_n=top_n))

# %% [markdown]
# ## Dates
#
# Publication dates come from a full date in the dateline or from a date column of the input; articles without either have none.

# %%
show(overview.dates(data))

# %% [markdown]
# ## Stories
#
# Articles that tell the same story (a wire story and its copies, with rewritten headlines, cut endings or added credits) grouped together: the largest stories, how many copies each outlet ran and picked up, and which outlet copied from which.

# %%
show(overview.stories(data, top_n=top_n))

# %% [markdown]
# ## Attention over time
#
# The share of each period's articles that match the `attention_query` parameter (a keyword or phrase, case-insensitive), split by outlet when the corpus names more than one.

# %%
show(overview.attention(data, attention_query))

# %% [markdown]
# ## Articles
#
# Each article with the opening of its first paragraph (the lede).

# %%
show(overview.article_table(data, max_rows=max_table_rows))

# %% [markdown]
# ## Rejected inputs
#
# Every input that did not become an article, with the reason. Nothing is dropped silently.

# %%
show(overview.rejected(data, max_rows=max_table_rows))

# %% [markdown]
# ## Summary
#
# The key figures, also written as JSON for the report index and the tests.

# %%
show(headline(write_summary(overview.summary(data, top_n=top_n))))
