"""The record every ingester returns, what an ingester is, and what it is told about an input."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, NamedTuple

from ..errors import LimitExceeded
from ..text import NORMALISATION, Span


@dataclass
class Hint:
    """What is known about an input besides its bytes."""

    name: str | None = None  # file name or last URL path segment
    url: str | None = None  # the final URL for fetched inputs
    content_type: str | None = None  # media type from HTTP or the file's extension
    max_pages: int | None = None  # refuse paged documents with more pages (``add --max-pages``)
    max_bytes: int | None = None  # refuse inputs whose parts inflate past this (``--max-bytes``)
    as_text: bool = False  # take text that is not prose as plain text anyway (``add --as-text``)
    budget: Budget | None = None  # decompressed bytes the input may still produce, all layers

    def bytes_budget(self, default: int) -> Budget:
        """The input's budget of decompressed bytes (a new one from ``max_bytes`` if none)."""
        if self.budget is None:
            self.budget = Budget(self.max_bytes or default)
        return self.budget

    @property
    def extension(self) -> str:
        if not self.name or "." not in self.name:
            return ""
        return self.name.rsplit(".", 1)[1].lower()


@dataclass
class Budget:
    """One budget of decompressed bytes per input, shared by every layer that inflates bytes
    (a ``.gz`` file, each gzip member, a ``.warc.gz`` stream, each record's Content-Encoding)
    and charged while streaming, so that no layer can reset it and no nesting multiplies it."""

    limit: int
    used: int = 0

    @property
    def left(self) -> int:
        return max(0, self.limit - self.used)

    def charge(self, size: int, what: str) -> None:
        """Count ``size`` more bytes; :class:`LimitExceeded` once past the limit."""
        self.used += size
        if self.used > self.limit:
            raise LimitExceeded(
                f"{what}: expands past the limit of {self.limit:,} decompressed bytes for one input"
            )


class Mention(NamedTuple):
    """A document named by identifier, as its ingester read it (a cable's "REF: A. 08TRIPOLI120")."""

    text: str  # as written
    kind: str  # of mention, as :mod:`provenance.citations` resolves them ("cable-ref")
    identifier: str  # the document's identifier ("08TRIPOLI120")


@dataclass
class Extracted:
    """One document turned into a text layer plus citation metadata.

    ``text`` is already normalised (ingesters build it with :class:`provenance.text.TextBuilder`);
    ``structure`` holds spans into it. ``children`` are documents held inside this one (the posts
    of an archive page), each with its own text and ``parent_start``/``parent_end`` into ours.
    """

    kind: str
    text: str
    extractor: str
    extractor_version: str
    title: str | None = None
    author: str | None = None
    publisher: str | None = None
    published: str | None = None
    modified: str | None = None
    language: str | None = None
    url: str | None = None
    canonical_url: str | None = None
    # kind-specific fields
    reference_id: str | None = None
    classification: str | None = None
    origin: str | None = None
    subject: str | None = None
    tags: str | None = None
    released: str | None = None
    page_count: int | None = None
    producer: str | None = None
    # everything else worth keeping, and where each field came from ("title": "og:title")
    metadata: dict[str, Any] = field(default_factory=dict)
    structure: list[Span] = field(default_factory=list)
    children: list[Extracted] = field(default_factory=list)
    parent_start: int | None = None
    parent_end: int | None = None
    normalisation: str = NORMALISATION
    #: when this document was captured, if not when its input was read (a WARC record's date)
    retrieved: str | None = None
    #: this document's own bytes, if not its input's (a WARC record's payload): archived under
    #: their own SHA-256
    raw: bytes | None = field(default=None, repr=False)
    #: an HTML page's hyperlinks outside navigation and page furniture, as (href, anchor
    #: text), read from the same parse as its text (not stored: citations are made of them)
    anchors: list[tuple[str, str]] = field(default_factory=list, repr=False)
    #: documents this one names by identifier in its own header (a cable's REF line), made
    #: citations by the pipeline (not stored as such: the citations are)
    mentions: list[Mention] = field(default_factory=list, repr=False)

    #: Columns of ``sources`` filled from the fields of this record.
    COLUMNS: ClassVar[tuple[str, ...]] = (
        "kind",
        "title",
        "author",
        "publisher",
        "published",
        "modified",
        "language",
        "url",
        "canonical_url",
        "reference_id",
        "classification",
        "origin",
        "subject",
        "tags",
        "released",
        "page_count",
        "producer",
        "normalisation",
        "extractor",
        "extractor_version",
        "parent_start",
        "parent_end",
    )

    def as_dict(self) -> dict[str, Any]:
        """The record as a plain dict (children and structure included)."""
        return asdict(self)

    def columns(self) -> dict[str, Any]:
        """The values of the ``sources`` columns this record fills."""
        return {name: getattr(self, name) for name in self.COLUMNS}

    def spans(self, kind: str) -> list[Span]:
        return [span for span in self.structure if span.kind == kind]


class Ingester:
    """One kind of source. Subclasses set the class attributes and implement two methods."""

    name: ClassVar[str]
    version: ClassVar[str]
    #: Media types and file extensions this ingester is meant for (hints, never proof).
    media_types: ClassVar[tuple[str, ...]] = ()
    extensions: ClassVar[tuple[str, ...]] = ()

    def match(self, data: bytes, hint: Hint) -> float:
        """How well these bytes fit this ingester: 0 (not at all) to 1 (certainly)."""
        raise NotImplementedError

    def extract(self, data: bytes, hint: Hint) -> Extracted:
        """Turn the bytes into a record, or raise :class:`provenance.errors.IngestError`."""
        raise NotImplementedError

    def preload(self) -> None:
        """Build now what extraction would build on first use (parsers' tables), so that
        worker processes forked afterwards share it instead of each building its own."""

    def skip_reason(self, data: bytes, hint: Hint) -> str | None:
        """Why these bytes, though this ingester's kind, are not a source to store (a one-line
        reason), or None. Asked before :meth:`extract` when a new input is added, never when
        stored bytes are extracted again."""
        return None
