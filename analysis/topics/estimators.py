"""The factorisations the ``method=`` shortcut names: NMF, LDA and MiniBatchNMF, in memory or streamed."""

from __future__ import annotations

import functools


@functools.cache
def _threadpools():
    from threadpoolctl import ThreadpoolController

    # Made once: finding the loaded BLAS libraries walks every shared library of the process.
    return ThreadpoolController()


def one_blas_thread(method):
    """Run ``method`` with BLAS (OpenBLAS, MKL) limited to one thread; a decorator.

    A topic model's products are of a sparse matrix (not threaded) or of small dense ones (k up
    to a few dozen columns), where BLAS threads cost more than they save, and on a busy machine
    they wait for each other: on 300 BBC articles with two cores shared the ``"auto"`` scan
    took 4-5 s with two BLAS threads and 0.7-0.9 s with one. Results agree to 1e-15 (summation
    order), and each thread count gives the same results on every run.
    """

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with _threadpools().limit(limits=1, user_api="blas"):
            return method(*args, **kwargs)

    return wrapper


def method_estimator(method: str, k: int, *, max_iter: int, random_state):
    """Return the unfitted factorisation of ``k`` topics that ``method`` names, for a fit in memory.

    Parameters
    ----------
    method : {"nmf", "lda", "minibatch_nmf"}
        NMF (NNDSVDa start), batch LDA (at most 100 iterations) or MiniBatchNMF.
    k : int
        Number of topics.
    max_iter : int
        Iterations of the factorisation.
    random_state : int
        Its seed.
    """
    if method == "lda":
        from sklearn.decomposition import LatentDirichletAllocation

        return LatentDirichletAllocation(
            n_components=k,
            learning_method="batch",
            max_iter=min(max_iter, 100),
            random_state=random_state,
        )
    if method == "minibatch_nmf":
        from sklearn.decomposition import MiniBatchNMF

        return MiniBatchNMF(
            n_components=k,
            init="nndsvda",
            batch_size=2048,
            max_iter=max_iter,
            random_state=random_state,
        )
    from sklearn.decomposition import NMF

    return NMF(n_components=k, init="nndsvda", max_iter=max_iter, random_state=random_state)


def stream_estimator(
    method: str, k: int, *, n_units: int, first_rows: int, batch_units: int, random_state
):
    """Return the unfitted factorisation ``method`` names for a fit by ``partial_fit``.

    Online LDA for ``"lda"``, MiniBatchNMF otherwise, set for mini-batches of ``batch_units`` of
    ``n_units`` units, the first of ``first_rows`` units.
    """
    if method == "lda":
        from sklearn.decomposition import LatentDirichletAllocation

        return LatentDirichletAllocation(
            n_components=k,
            learning_method="online",
            batch_size=batch_units,
            total_samples=n_units,
            random_state=random_state,
        )
    from sklearn.decomposition import MiniBatchNMF

    # partial_fit takes each call as the whole data set and would forget 30 % of the past
    # at every step; MiniBatchNMF.fit forgets 0.7 ** (batch / n_samples) per step, so the
    # same factor is set here for batches of ``batch_units`` out of ``n_units``.
    return MiniBatchNMF(
        n_components=k,
        init="nndsvda" if first_rows >= k else "random",
        batch_size=batch_units,
        forget_factor=0.7 ** (min(batch_units, n_units) / n_units),
        random_state=random_state,
    )


def streamed_method(method: str) -> str:
    """The factorisation a streamed fit of ``method`` runs (NMF streams as MiniBatchNMF)."""
    return "lda" if method == "lda" else "minibatch_nmf"
