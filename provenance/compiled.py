"""The compiled core, when it is there: ``provenance._core`` (C, built by ``pip install``).

``core`` is the extension module, or None when it was not built or ``PROVENANCE_PURE=1`` asks
for the pure-Python path. Each compiled function has a pure-Python twin that stays the
reference and gives identical results (tests/test_compiled.py checks the values and that a
database built either way is the same):

=====================  ============================================
``_core`` function     pure-Python twin
=====================  ============================================
``trigram_key(s)``     ``linking._trigram_key``
``trigram_keys``       ``linking._text_trigram_keys``
``band_keys``          ``minhash.band_keys``
``tokens``             ``attribution._token_spans`` (the :data:`~attribution.TOKEN` pattern)
``word_keys``          ``alignment._word_keys`` (``text_keys`` of case-folded text)
``ascii_words``        ``similarity._words`` / ``_fold_words`` (of ASCII text)
``shape``              ``attribution._shape``
``sum_features``       ``attribution._FastTagger._sum``
``viterbi``            ``attribution._FastTagger.tag``'s decoding, ``semantic.decode``
``row_digest``         ``binding.row_digest`` (canonical JSON, SHA-256)
``scorer_ids``         ``claims.ClaimModel._rows`` (word and character n-gram ids)
``shape_counts``       ``claims.shape_features``'s counts (words, digits)
``align_steps``        ``alignment._align_steps`` (the quotation aligner's programme)
=====================  ============================================
"""

from __future__ import annotations

import os
from types import ModuleType


def _load() -> ModuleType | None:
    if os.environ.get("PROVENANCE_PURE", "") not in ("", "0"):
        return None
    try:
        from . import _core
    except ImportError:
        return None
    return _core


core: ModuleType | None = _load()


def describe() -> str:
    """One line for ``provenance --version`` and the benchmarks: which path runs."""
    if core is not None:
        return "compiled core (provenance._core)"
    if os.environ.get("PROVENANCE_PURE", "") not in ("", "0"):
        return "pure Python (PROVENANCE_PURE=1)"
    return "pure Python (the compiled core is not built)"
