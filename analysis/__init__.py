"""Analyse collections of English news articles.

One import line gives a notebook everything: ``from analysis import *`` or ``import analysis``.
"""

from analysis.nlp import load_nlp, parse

__all__ = [
    "load_nlp",
    "parse",
]
__version__ = "0.1.0"
