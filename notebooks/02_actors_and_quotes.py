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
# # Actors and quotes
#
# Who is in the news and who gets to speak: the people, organisations, places and groups the articles mention and which of them appear together; who is quoted, how often and at what length; how much of the sourcing is named and how much anonymous; every quotation with its speaker; and the numbers, event counts and dates the stories carry.
#
# Every figure can be traced back to its text: each table row gives the article, the sentence number and the sentence itself (or the character offsets into the article text). Article text is shown as text: every table below is escaped, so markup in an article appears as written.

# %% tags=["parameters"]
# Parameters (papermill replaces this cell's values; `report --list` shows these comments)
corpus: str = "seeds"  # corpus file or folder, or a list of them; relative to the project folder
columns: dict = {}  # record columns, e.g. {"text_column": "body", "date_column": "pubdate"}
top_n: int = 15  # rows in the actor, pair and speaker tables and figures
co_mention_unit: str = "sentence"  # actors count as mentioned together per "sentence" or "article"
max_table_rows: int = 1000  # rows of each table in the page (all rows in its CSV and Parquet files)
workers: int = 0  # processes parsing new articles; 0: every core (parses are cached)
extract_options: list = []  # opt-in extractors: "reported_speech", "static_sentiment"
dedupe: str = "none"  # "none" (every article), "story" (one per story) or "outlet"

# %%
# %matplotlib inline
from analysis.reports import actors, headline, show, write_summary

# %%
data = actors.load(
    corpus, workers=workers, dedupe=dedupe, columns=columns, extract_options=extract_options
)

# %% [markdown]
# ## What is counted
#
# Syndicated copies of one story (the same wire story run by several outlets) can be counted once each, or once per story: the `dedupe` parameter chooses.

# %%
show(actors.counted(data))

# %% [markdown]
# ## Who is mentioned
#
# Actors are the named entities of the articles after clean-up: a title or rank is split off and the person kept ("General Ashfaq Kayani" is the person Ashfaq Kayani), possessives are stripped, agency sign-offs are never people, and within an article a short form resolves to the full name ("Kayani", "Abbas"). The label is the actor's type: PERSON, ORG (organisation), GPE (country or city), NORP (nationality or group), and so on; *aliases* are the forms the text used.

# %%
show(actors.mentioned(data, top_n=top_n, max_rows=max_table_rows))

# %% [markdown]
# ## Who is mentioned with whom
#
# Two actors are mentioned together when they appear in the same unit (the `co_mention_unit` parameter: a sentence, or a whole article). Each pair comes with the first sentence that names both, so the pairing can be checked in the text.

# %%
show(actors.co_mentioned(data, unit=co_mention_unit, top_n=top_n))

# %% [markdown]
# ## Attention over time
#
# The share of each period's articles that mention each of the most mentioned actors, split by outlet when the corpus names more than one.

# %%
show(actors.attention(data, top_n=min(top_n, 5)))

# %% [markdown]
# ## Who is quoted
#
# Share of voice: for each speaker, the quotations attributed to them and the words inside the quotation marks, with their shares of all quotations and all quoted words. Pronouns and descriptions ("he", "the security official") count for the speaker they were resolved to; anonymous sources are kept under their description ("a senior Pakistani security official").

# %%
show(actors.quoted(data, top_n=top_n))

# %% [markdown]
# ## Named and anonymous sources
#
# Per article, quotations from named speakers (a person, an organisation or a place) against anonymous ones (a description such as "a foreign office spokesperson"), and those whose speaker was not found. The shares below are over attributed quotations (named plus anonymous).

# %%
show(actors.sourcing(data, max_rows=max_table_rows))

# %% [markdown]
# ## Quote ledger
#
# Every quotation with its speaker and the kind of speaker, the reporting verb (*cue*, as its lemma), the *kind* (`direct` or `partial` quotation; `non_answer` for "declined to comment"; with `report --reported-speech` also `indirect` and `mixed` reported speech), the source's *role* (named person, official, expert, organisation, document, anonymous), its character offsets into the article text and the sentence it sits in. *Attributed as* gives the words the attribution was made from: a pronoun or short form there shows how the speaker was resolved.

# %%
show(actors.quote_ledger(data, max_rows=max_table_rows))

# %% [markdown]
# ## Numbers
#
# Numbers and amounts with their unit and the thing measured (a percentage of an index, a sum of money with its currency), each with the sentence it comes from.

# %%
show(actors.numbers(data, max_rows=max_table_rows))

# %% [markdown]
# ## Event counts
#
# How many were killed, wounded, arrested, captured or detained, with number words read as numbers ("six suspected insurgents", "dozens").

# %%
show(actors.event_counts(data, max_rows=max_table_rows))

# %% [markdown]
# ## Dates
#
# Explicit and relative date expressions ("September 13", "on Monday", "last week"). They are resolved to a calendar date only when the article's publication date is known; *resolution* says whether the expression names a day, a week, a month or a year.

# %%
show(actors.dates(data, max_rows=max_table_rows))

# %% [markdown]
# ## Summary
#
# The key figures, also written as JSON for the report index and the tests.

# %%
summary = actors.summary(data, top_n=top_n, unit=co_mention_unit)
show(headline(write_summary(summary)))
