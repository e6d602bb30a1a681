"""Word shingles: the runs of a few consecutive words of a text, hashed, to find passages two texts
share word for word (an eligibility list, a background paragraph or an outcome copied from one trial
into its extension or sub-study).

Words are the one tokenizer's (:func:`trialatlas.text.words.tokens`, stop words kept: a copied
passage is copied with them). Each word is hashed with CRC-32 and each run of :data:`SIZE` word hashes
combined into 64 bits, so a shingle's hash is the same in every process and run (it is saved in the
related-trials index). Only the shingles whose hash falls in one :data:`SAMPLE`-th of the hash space
are kept: a copied passage of 40 words keeps about five of its 36, two unrelated texts still share
none, and the index holds a fraction of them.
"""

from __future__ import annotations

import zlib

import numpy as np
import numpy.typing as npt

from trialatlas.text.words import tokens

U64 = npt.NDArray[np.uint64]
# Words a shingle spans: five words in the same order are rarely shared by chance in trial texts,
# while a copied sentence holds many.
SIZE = 5
# One shingle in SAMPLE is kept (those whose hash is below 2**64 / SAMPLE).
SAMPLE = 8
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
_LIMIT = np.uint64((1 << 64) // SAMPLE)


def shingle_hashes(text: str, *, size: int = SIZE, sample: bool = True) -> U64:
    """The sorted distinct hashes of ``text``'s runs of ``size`` consecutive words (with ``sample``,
    only the sampled ones)."""
    words = tokens(text)
    runs = len(words) - size + 1
    if runs <= 0:
        return np.zeros(0, dtype=np.uint64)
    hashed = np.fromiter((zlib.crc32(w.encode()) for w in words), dtype=np.uint64, count=len(words))
    combined = np.zeros(runs, dtype=np.uint64)
    for offset in range(size):
        # Wrapping 64-bit arithmetic is intended: a polynomial hash of the run.
        combined = combined * _MULTIPLIER + hashed[offset : offset + runs]
    combined ^= combined >> np.uint64(29)
    combined *= _MULTIPLIER
    if sample:
        combined = combined[combined < _LIMIT]
    return np.unique(combined)
