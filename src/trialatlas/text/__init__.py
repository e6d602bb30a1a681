"""The ground layer for text every room shares: words and stop words, trial-registry ids, the drug
vocabulary and BM25.

It sits below ``sources`` in the one-way flow and imports nothing from trialatlas but ``config`` and
``errors``, so that every room (sources, extract, search, match, related) can use it.
"""
