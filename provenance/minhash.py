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
# Multiply-add hashing modulo 2**64 (odd multipliers), then an xor-shift to mix the high bits
# into the low ones: one cheap pseudo-random permutation of 64-bit term hashes per row. The
# numbers are fixed (stored keys must be reproducible): numpy's default_rng(20110203), its
# integers(0, 2**63) 30 times, doubled plus one, then 30 times more, as written out here so
# that no start has to load numpy.random to make them; tests/test_compiled.py draws them
# again.
_MULTIPLIERS = (
    0x3CBACB86D95C7645,
    0x9977E75A55B846A1,
    0xE1AD498D3257A7D5,
    0xB57EA584A8578243,
    0x8287F3CE9D3FF507,
    0x44C3BAB41AEB565F,
    0xAF4B08C3242A9881,
    0x91AE6D40B75C329D,
    0x804C270B7B7A4629,
    0xC5A2E640561EE29B,
    0x0584EC4BD85C775F,
    0xA6E1700648202781,
    0x05602569ABFA7145,
    0x4F64037443B5C257,
    0x029DA7DA43A628A3,
    0x5B365B48C5878B19,
    0x8E114245130A7531,
    0xEA230B2113B5618F,
    0x1791BE0C59D877E7,
    0x64FA2156B39D02D9,
    0x473A0CF7345FFED9,
    0xC5DBD71B84696093,
    0x7F9D4A41453D330D,
    0x3B4E87E1EAF6B573,
    0x9F15619A5EC3BBB7,
    0x17051C0AFCC2C8BB,
    0x1F80158C6766369B,
    0x197BF2A8547458B5,
    0x1A0C6DE6CB892889,
    0x7367755248AE39D3,
)
_OFFSETS = (
    0x6203C9F39CD23375,
    0x58A6157B7A9EE358,
    0x224A12F2BDBBE7AE,
    0x02E62B9252007B5F,
    0x7DC8B18F4860ED25,
    0x775351D751D81C9C,
    0x09FDBE2128C17175,
    0x7DB3A20854858BE4,
    0x10D9B8E2310FA4CE,
    0x4473FFB6A02B64B9,
    0x662EBE5667C6C2E9,
    0x357082A4CD09EFCB,
    0x01798683858E234B,
    0x2176350204FA84CE,
    0x3C8195376117320B,
    0x5B3FD1A733CBD515,
    0x4532B13DB9E8E386,
    0x0D13144673E84A10,
    0x1876E293E134CF4F,
    0x19AE4BBCDF7C2ED3,
    0x0832A58735C00F32,
    0x6B3B8B80FFB1D21B,
    0x537CCC02A0ED7B14,
    0x62C5653AE18B2A9D,
    0x64565362836667AA,
    0x5A6B7CAF5FD19DBE,
    0x7C098931DFB873B5,
    0x131676EE2FCA91CB,
    0x64ACA594045775B1,
    0x3D0B93F8E4FBD9B5,
)
_A = np.array(_MULTIPLIERS, dtype=np.uint64)
_B = np.array(_OFFSETS, dtype=np.uint64)
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
