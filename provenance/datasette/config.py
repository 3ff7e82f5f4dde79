"""Datasette metadata for a provenance database: titles, descriptions, labels, facets, search."""

from __future__ import annotations

from typing import Any

from .. import __version__


def metadata(database: str = "provenance") -> dict[str, Any]:
    """The metadata ``provenance serve`` passes to Datasette for database ``database``."""
    tables: dict[str, Any] = {
        "sources": {
            "title": "Sources",
            "description": "Every captured document: pages, posts, cables, reports. A post of "
            "an archive page points at that page as its parent.",
            "label_column": "title",
            "sort_desc": "id",
            "facets": ["kind", "publisher", "classification", "origin"],
            "fts_table": "sources_fts",
            "searchmode": "escaped",
            "columns": {
                "kind": "html, post, cable, pdf or text",
                "published": "Publication or creation date (ISO 8601)",
                "raw_sha256": "SHA-256 of the archived original bytes (see blobs)",
                "text_sha256": "SHA-256 of the text layer that claim offsets point into",
                "text": "The normalised text layer",
                "parent_id": "For a post: the archive page it was captured on",
                "reference_id": "Cable reference id, e.g. 08TRIPOLI120",
                "normalisation": "How the text layer was normalised from the extracted text",
            },
        },
        "claims": {
            "title": "Claims",
            "description": "Sentences scored as check-worthy factual claims, each with the exact "
            "span of its source's text layer it was cut from.",
            "label_column": "text",
            "sort_desc": "score",
            "facets": ["kind"],
            "fts_table": "claims_fts",
            "searchmode": "escaped",
            "columns": {
                "start": "Offset of the first character in the source's text layer",
                "end": "Offset after the last character (text = source.text[start:end])",
                "page": "PDF page number, when paged",
                "score": "Check-worthiness between 0 and 1",
                "norm_key": "Normalised text used to match the same claim across sources",
                "model_version": "Version of the scorer that produced the score",
            },
        },
        "attributions": {
            "title": "Attributions",
            "description": "Who a source says made a statement: the cue, the named source and "
            "the content, as spans of the source's text layer.",
            "facets": ["agent_id", "cue"],
        },
        "agents": {
            "title": "Agents",
            "description": "People, organisations and documents that claims are attributed to.",
            "label_column": "name",
            "facets": ["kind"],
        },
        "quotes": {
            "title": "Quotations",
            "description": "Direct quotes, their speaker, and where they were traced.",
            "label_column": "text",
        },
        "citations": {
            "title": "Citations",
            "description": "Mentions of other documents, resolved to a stored source when one fits.",
            "label_column": "mention",
            "facets": ["kind"],
        },
        "claim_links": {
            "title": "Claim links",
            "description": "The same claim in several sources.",
            "facets": ["relation", "method"],
        },
        "structure": {"title": "Structure", "description": "Pages, paragraphs, headings, posts."},
        "failures": {
            "title": "Failed ingests",
            "description": "Inputs that could not be stored, and why.",
            "label_column": "input",
        },
        "events": {
            "title": "Event log",
            "description": "Append-only, hash-chained log of everything added.",
        },
        "blobs": {"title": "Archived bytes", "hidden": False},
    }
    return {
        "title": "provenance",
        "description": "Who reported a claim, exactly where, and where they got it from.",
        "about": f"provenance {__version__}",
        "databases": {database: {"tables": tables}},
    }
