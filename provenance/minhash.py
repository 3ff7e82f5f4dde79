"""MinHash band keys of canonical term sets: the candidate index of :mod:`provenance.similarity`.

Takes the canonical terms of a claim (:func:`provenance.similarity.terms`) and gives the band
keys stored in ``claim_keys``; the one part of linking that needs numpy, so the read side (search,
the site) can use the terms without it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import numpy as np

from .compiled import core

#: Recorded as the ``method`` of links and of the ``claim_keys`` index: change it whenever the
#: terms, the hash functions or the banding change (stored keys are then stale).
METHOD = "minhash-terms-b10r3-0.1"
BANDS = 10
ROWS = 3
_PERMUTATIONS = BANDS * ROWS
_rng = np.random.default_rng(20110203)  # fixed: stored keys must be reproducible
# Multiply-add hashing modulo 2**64 (odd multipliers), then an xor-shift to mix the high bits
# into the low ones: one cheap pseudo-random permutation of 64-bit term hashes per row.
_A = _rng.integers(0, 1 << 63, size=_PERMUTATIONS, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
_B = _rng.integers(0, 1 << 63, size=_PERMUTATIONS, dtype=np.uint64)
_BAND_MIX = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5],
    dtype=np.uint64,
)

#: The permutations and mixers as the compiled core reads them (little-endian uint64).
_PARAMS = b"".join(a.astype("<u8").tobytes() for a in (_A, _B, _BAND_MIX))


def _term_hash(term: str) -> int:
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest(), "little")


def band_keys(term_sets: Sequence[Iterable[str]]) -> list[list[int]]:
    """MinHash band keys (signed 64-bit integers) for each set of terms; [] for an empty set.

    Vectorised over the whole batch: one matrix of (permutation x term) hashes, reduced per set
    (the compiled core runs the same arithmetic term by term).
    """
    if core is not None:
        return core.band_keys(term_sets, _PARAMS, BANDS, ROWS)
    hashed = [sorted({_term_hash(t) for t in s}) for s in term_sets]
    sizes = [len(h) for h in hashed]
    out: list[list[int]] = [[] for _ in hashed]
    flat = [h for hs in hashed for h in hs]
    if not flat:
        return out
    values = np.array(flat, dtype=np.uint64)
    matrix = _A[:, None] * values[None, :] + _B[:, None]  # permutations x terms, mod 2**64
    matrix ^= matrix >> np.uint64(32)
    nonempty = [i for i, n in enumerate(sizes) if n]
    offsets = np.cumsum([0] + [sizes[i] for i in nonempty])[:-1]
    signatures = np.minimum.reduceat(matrix, offsets, axis=1).T  # sets x permutations
    rows = signatures.reshape(len(nonempty), BANDS, ROWS)
    mixed = rows[:, :, 0] * _BAND_MIX[0] + rows[:, :, 1] * _BAND_MIX[1]
    mixed = mixed + rows[:, :, 2] * _BAND_MIX[2]
    mixed = mixed + (np.arange(1, BANDS + 1, dtype=np.uint64) * _BAND_MIX[3])[None, :]
    mixed ^= mixed >> np.uint64(29)
    keys = mixed.view(np.int64)
    for row, i in enumerate(nonempty):
        out[i] = [int(k) for k in keys[row]]
    return out
