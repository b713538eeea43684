"""The topic model's choices and defaults, importable without numpy (the command line reads them)."""

from __future__ import annotations

#: Factorisations of the ``method=`` shortcut: NMF, LDA, MiniBatchNMF.
METHODS = ("nmf", "lda", "minibatch_nmf")
#: What a document is: a whole article or one of its paragraphs.
UNITS = ("article", "paragraph")
#: Passes of ``partial_fit`` over the corpus in :meth:`TopicModel.fit_stream`.
STREAM_EPOCHS = 10
#: Units per ``partial_fit`` step of :meth:`TopicModel.fit_stream`.
STREAM_BATCH_UNITS = 512
#: k values scanned by ``n_topics="auto"`` (clipped to what the corpus can support: at most
#: sqrt(units)): every k from 2 to 10, where a small corpus's k lies and one topic more or less
#: changes what a topic is, then coarser.
DEFAULT_K_GRID = (2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20)
