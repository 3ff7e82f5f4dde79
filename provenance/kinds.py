"""The kinds of source, and the registry of the ingester modules that read them: one line each.

Takes nothing and imports nothing: the site and the exports read here what a stored kind means
(its schema.org type, its download extension) without loading a parser, and
:mod:`provenance.ingest` imports the modules listed here on first use. Detection asks the
ingesters in the order of this registry; when two are equally sure of the bytes, the one listed
first wins. Adding a kind of source is one ingester module and one line here.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Kind:
    """What a kind of stored document (``sources.kind``) means outside its ingester."""

    #: The schema.org type of such a document in exports (ClaimReview's ``appearance``).
    schema_type: str = "DigitalDocument"
    #: The file extension of its bytes when downloaded and the input name has none.
    extension: str = "txt"
    #: Whether the hyperlinks of such a page (``Extracted.anchors``) are mentions of the
    #: documents they point to.
    links_are_mentions: bool = False
    #: What a description of a cited document calls such a document ("a leaked cable", "a
    #: report by …"): "cable", "report", or None when a description never means one.
    described_as: str | None = None
    #: Whether the documents it holds are pages of their own, each with its own address and
    #: hyperlinks (a web capture's records), not posts of one page.
    holds_pages: bool = False


@dataclass(frozen=True)
class Registered:
    """One ingester module: the ingesters it registers, in detection priority, and the kinds of
    document they make."""

    module: str
    ingesters: tuple[str, ...]
    kinds: dict[str, Kind] = field(default_factory=dict)


#: Every ingester module, in detection priority: more specific kinds first.
REGISTRY: list[Registered] = [
    Registered("provenance.ingest.warc", ("warc",), {"warc": Kind(holds_pages=True)}),
    Registered(
        "provenance.ingest.pdf",
        ("pdf",),
        {"pdf": Kind("Report", "pdf", described_as="report")},
    ),
    Registered(
        "provenance.ingest.cable",
        ("cable-page", "telegram"),
        {"cable": Kind(described_as="cable")},
    ),
    Registered(
        "provenance.ingest.html",
        ("html",),
        {
            "html": Kind("Article", "html", links_are_mentions=True, described_as="report"),
            "post": Kind("BlogPosting", "html", described_as="report"),
        },
    ),
    Registered("provenance.ingest.plaintext", ("text",), {"text": Kind(described_as="report")}),
]

_UNKNOWN = Kind()


def kind(name: str | None) -> Kind:
    """What a stored kind means (the defaults for a kind no module registers)."""
    for registered in REGISTRY:
        if name in registered.kinds:
            return registered.kinds[name]
    return _UNKNOWN


def kinds_described_as(what: str | None = None) -> tuple[str, ...]:
    """The kinds a description may mean: those it calls ``what`` ("cable", "report"), or with
    None every kind a description may name, in registry order."""
    return tuple(
        name
        for registered in REGISTRY
        for name, facts in registered.kinds.items()
        if facts.described_as is not None and (what is None or facts.described_as == what)
    )


def page_holders() -> tuple[str, ...]:
    """The kinds whose documents are pages of their own (:attr:`Kind.holds_pages`)."""
    return tuple(
        name for registered in REGISTRY for name, facts in registered.kinds.items()
        if facts.holds_pages
    )  # fmt: skip


def priority(name: str) -> int:
    """An ingester's place in detection priority: lower goes first (unlisted ones last)."""
    order = [ingester for registered in REGISTRY for ingester in registered.ingesters]
    return order.index(name) if name in order else len(order)
