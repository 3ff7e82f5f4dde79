"""Ingesters: one small module per kind of source, behind one registry.

Each ingester declares what it is for and sniffs the bytes in ``match()``; :func:`detect` picks
the best match, so the kind comes from the content, not only the file name.
"""

from __future__ import annotations

from ..errors import IngestError, NotProse, UnsupportedInput
from .base import Extracted, Hint, Ingester
from .decode import looks_binary

_REGISTRY: list[Ingester] = []


def register(cls: type[Ingester]) -> type[Ingester]:
    """Class decorator: add an ingester to the registry."""
    _REGISTRY.append(cls())
    return cls


def ingesters() -> list[Ingester]:
    """Every registered ingester."""
    return list(_REGISTRY)


def get_ingester(name: str) -> Ingester:
    for ingester in _REGISTRY:
        if ingester.name == name:
            return ingester
    raise KeyError(name)


def detect(data: bytes, hint: Hint) -> Ingester:
    """The ingester that fits these bytes best, or :class:`UnsupportedInput`."""
    if not data.strip():
        raise UnsupportedInput("empty input: nothing to ingest")
    best, best_score = None, 0.0
    for ingester in _REGISTRY:
        score = ingester.match(data, hint)
        if score > best_score:
            best, best_score = ingester, score
    if best is None:
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


# Registration order breaks ties: more specific kinds first.
from . import warc, pdf, cable, html, plaintext  # noqa: E402,F401

__all__ = ["Extracted", "Hint", "Ingester", "detect", "extract", "get_ingester", "ingesters"]
