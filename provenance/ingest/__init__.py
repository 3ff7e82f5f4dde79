"""Ingesters: bytes in, :class:`Extracted` records out; one small module per kind of source.

The modules are listed, in detection priority, in :data:`provenance.kinds.REGISTRY` and
imported on first use (reading a stored database loads none of them). Each ingester declares
what it is for and sniffs the bytes in ``match()``; :func:`detect` picks the best match, so the
kind comes from the content, not only the file name.
"""

from __future__ import annotations

import importlib

from .. import kinds
from ..errors import IngestError, NotProse, UnsupportedInput
from .base import Extracted, Hint, Ingester

_REGISTRY: list[Ingester] = []
_loaded: set[str] = set()


def register(cls: type[Ingester]) -> type[Ingester]:
    """Class decorator: add an ingester to the registry (its module imports it)."""
    if all(type(i) is not cls for i in _REGISTRY):
        _REGISTRY.append(cls())
        _REGISTRY.sort(key=lambda ingester: kinds.priority(ingester.name))
    return cls


def _load() -> list[Ingester]:
    """The registered ingesters, in detection priority, importing any module not yet loaded."""
    for registered in kinds.REGISTRY:
        if registered.module not in _loaded:
            importlib.import_module(registered.module)
            _loaded.add(registered.module)
    return _REGISTRY


def ingesters() -> list[Ingester]:
    """Every registered ingester, in detection priority."""
    return list(_load())


def get_ingester(name: str) -> Ingester:
    for ingester in _load():
        if ingester.name == name:
            return ingester
    raise KeyError(name)


def detect(data: bytes, hint: Hint) -> Ingester:
    """The ingester that fits these bytes best, or :class:`UnsupportedInput`."""
    if not data.strip():
        raise UnsupportedInput("empty input: nothing to ingest")
    best, best_score = None, 0.0
    for ingester in _load():  # in priority order: the first of equal scores wins
        score = ingester.match(data, hint)
        if score > best_score:
            best, best_score = ingester, score
    if best is None:
        from .decode import looks_binary

        what = "binary data" if looks_binary(data) else "unrecognised content"
        raise UnsupportedInput(f"not a document this tool can read ({what})")
    return best


def extract(data: bytes, hint: Hint) -> Extracted:
    """Detect the kind of the bytes and extract them (:class:`NotProse` when the ingester
    says they are not a source to store)."""
    ingester = detect(data, hint)
    if reason := ingester.skip_reason(data, hint):
        raise NotProse(reason)
    try:
        record = ingester.extract(data, hint)
    except IngestError:
        raise
    except RecursionError as exc:
        raise IngestError(f"{ingester.name}: document nested too deeply to parse") from exc
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OSError) as exc:
        # Third-party parsers raise all sorts; one bad file must not end the batch.
        raise IngestError(f"{ingester.name}: could not parse: {exc}") from exc
    if not record.text.strip() and not record.children:
        raise IngestError(f"{ingester.name}: no text found in the document")
    return record


__all__ = ["Extracted", "Hint", "Ingester", "detect", "extract", "get_ingester", "ingesters"]
