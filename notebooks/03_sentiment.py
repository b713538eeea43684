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
# # Sentiment and tone
#
# How the articles feel, measured two ways. **Tone** is GDELT-style word counting per article: the share of words that are positive or negative (tone is the difference, polarity the sum), plus how much of the text describes action and how often it says *I* or *we*. **Sentence sentiment** scores every sentence from -1 to +1 with rules adapted from VADER to news prose (negation, hedging, contrast, conflict and diplomacy words, names such as *United States* kept neutral), blended with a small learned model; article and actor scores are length-weighted means of sentence scores, so a long article does not pile up to ±1.
#
# Each sentence is also marked as the **narrator's** voice or a **speaker's** (when it lies mostly inside direct or partial quotation marks), and each actor is scored twice: how the articles speak of it, and how it speaks in its own quotations.

# %% tags=["parameters"]
# Parameters (papermill replaces this cell's values; `report --list` shows these comments)
corpus: str = "seeds"  # corpus file or folder, or a list of them; relative to the project folder
columns: dict = {}  # record columns, e.g. {"text_column": "body", "date_column": "pubdate"}
top_n: int = 10  # sentences per side, actors and rows in the tables
time_freq: str = "M"  # period of the tone-over-time line: "D" (day), "W", "M" (month) or "Y"
outlet_column: str = ""  # outlet column; empty: outlet, publisher or agency if it varies
workers: int = 0  # processes parsing new articles; 0: every core (parses are cached)
extract_options: list = []  # opt-in extractors: "reported_speech", "static_sentiment"
dedupe: str = "none"  # "none" (every article), "story" (one per story) or "outlet"
summary_path: str = ""  # also write the JSON summary here; empty: only for the runner

# %%
# %matplotlib inline
from analysis.reports import headline, sentiment, show, write_summary

# %%
data = sentiment.load(
    corpus, workers=workers, dedupe=dedupe, columns=columns, extract_options=extract_options
)

# %% [markdown]
# ## What is counted
#
# Syndicated copies of one story (the same wire story run by several outlets) can be counted once each, or once per story: the `dedupe` parameter chooses.

# %%
show(sentiment.counted(data))

# %% [markdown]
# ## Tone of the articles
#
# Tone is the percentage of positive words minus the percentage of negative words (GDELT's average tone; news usually falls between -10 and +10, and most wire stories about conflict sit below zero). The word lists come from the VADER lexicon after this project's news adjustments; words inside names (people, organisations, places) do not count.

# %%
show(sentiment.tone(data, top_n=top_n))

# %% [markdown]
# ## Tone over time and by outlet
#
# Articles are placed in time by their publication date (from the metadata or the dateline) and grouped by outlet when the corpus names more than one.

# %%
show(sentiment.tone_over_time(data, freq=time_freq, outlet_column=outlet_column, top_n=top_n))

# %% [markdown]
# ## The most negative and the most positive sentences
#
# Sentence scores run from -1 to +1 and follow how readers rated editorial sentences (the NYT ratings of the VADER study), stretched so that clearly worded sentences reach near the ends: beyond ±0.05 a sentence counts as negative or positive, and a sentence with no sentiment word that the model also finds flat scores exactly 0. *voice* says whether the sentence is the narrator's or lies inside a quotation.

# %%
show(sentiment.extremes(data, top_n=top_n))

# %% [markdown]
# Why the most negative sentence scored as it did: the words the rules found, their lexicon valence, the valence after the rules (negation, hedging, contrast, boosters), and the learned model's score that the blend adds.

# %%
show(sentiment.explanation(data, top_n=top_n))

# %% [markdown]
# ## Narrator against quoted voice
#
# The same scores grouped by voice: is the reporting itself more negative than what the people it quotes say?

# %%
show(sentiment.voice(data))

# %% [markdown]
# ## Actors: spoken of, and speaking
#
# *spoken of* is the length-weighted mean score of the sentences that mention the actor, leaving out its own quotations; *speaks* is the mean score of its quotations (direct, partial and indirect). *gap* is speaks minus spoken of.

# %%
show(sentiment.actors(data, top_n=top_n))

# %% [markdown]
# ## Actor stance table
#
# Sentiment toward a target: for every quotation with a speaker, each actor mentioned inside it is scored by the target-sentiment model (negative, neutral or positive toward that actor), giving a speaker × target table.

# %%
show(sentiment.stances(data, top_n=top_n))

# %% [markdown]
# ## Summary
#
# The key figures, also written as JSON for the report index and the tests.

# %%
summary = sentiment.summary(data, top_n=top_n, freq=time_freq, outlet_column=outlet_column)
show(headline(write_summary(summary, summary_path or None)))
