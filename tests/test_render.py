"""Text layers as HTML: escaped, with spans wrapped at their exact offsets."""

import pytest

from provenance.datasette.render import Span, highlight, marked_hits, safe_url
from provenance.evidence import HIT_END, HIT_START

from .publishing import TextLayers


def layer(text, spans, offset=0):
    html = f'<div class="text-layer" data-start="{offset}">{highlight(text, spans, offset)}</div>'
    [found] = TextLayers(html).layers
    return found


def test_text_is_escaped_and_kept_character_for_character():
    text = 'He wrote <script>alert("x")</script> & left <img src=x onerror=alert(1)>.'
    span = Span(text.index("<script>"), text.index(" & left"), "mark")
    html = str(highlight(text, [span]))
    assert "<script>" not in html and "<img" not in html
    assert "<mark>&lt;script&gt;" in html
    assert layer(text, [span]).text == text


def test_spans_are_wrapped_at_their_offsets():
    text = "Alpha beta gamma. Delta epsilon."
    found = layer(text, [Span(0, 17, "mark", (("id", "c1"),)), Span(18, 32, "mark")])
    assert [(e.start, e.end) for e in found.elements] == [(0, 17), (18, 32)]


def test_offsets_count_code_points_after_an_offset():
    text = "Émile 🐟 said it: 30 tonnes."
    start = text.index("30")
    found = layer(text, [Span(100 + start, 100 + len(text), "mark")], offset=100)
    [mark] = found.elements
    assert (mark.start, mark.end) == (100 + start, 100 + len(text))


def test_inner_spans_nest_inside_outer_ones():
    text = "The minister said that 14 boats were seized."
    spans = [Span(0, len(text), "mark", rank=0), Span(13, 17, "span", (("class", "cue"),), rank=2)]
    html = str(highlight(text, spans))
    assert html == (
        '<mark>The minister <span class="cue">said</span> that 14 boats were seized.</mark>'
    )


def test_crossing_spans_keep_the_lower_rank_whole():
    text = "one two three four"
    spans = [
        Span(4, 13, "mark", (("id", "whole"),), rank=0),
        Span(0, 7, "span", (("id", "split"),), rank=1),
    ]
    found = layer(text, spans)
    whole = [e for e in found.elements if e.tag == "mark"]
    parts = [e for e in found.elements if e.tag == "span"]
    assert [(e.start, e.end) for e in whole] == [(4, 13)]
    assert sorted((e.start, e.end) for e in parts) == [(0, 4), (4, 7)]
    assert [e.attrs.get("id") for e in sorted(parts, key=lambda e: e.start)] == ["split", None]
    assert found.text == text


def test_spans_are_clipped_to_the_text_and_empty_ones_dropped():
    found = layer("abcdef", [Span(-5, 3, "mark"), Span(4, 4, "mark"), Span(5, 99, "mark")])
    assert [(e.start, e.end) for e in found.elements] == [(0, 3), (5, 6)]


def test_attribute_values_are_escaped():
    html = str(highlight("x", [Span(0, 1, "mark", (("title", '"><script>'),))]))
    assert html == '<mark title="&#34;&gt;&lt;script&gt;">x</mark>'


def test_links_are_made_only_by_spans_with_an_href():
    html = str(highlight("x", [Span(0, 1, "a", href="/db/-/claim/1")]))
    assert html == '<a href="/db/-/claim/1">x</a>'


def test_search_hits_are_marked_after_escaping():
    marked = f"a {HIT_START}<b>radar</b>{HIT_END} and {HIT_START}fuel{HIT_END}"
    assert str(marked_hits(marked)) == (
        'a <mark class="hit">&lt;b&gt;radar&lt;/b&gt;</mark> and <mark class="hit">fuel</mark>'
    )


def test_stray_hit_markers_never_leave_a_tag_open():
    assert str(marked_hits(f"{HIT_START}open")) == '<mark class="hit">open</mark>'
    assert str(marked_hits(f"close{HIT_END}")) == "close"


@pytest.mark.parametrize(
    "url, safe",
    [
        ("https://example.org/a?b=c", True),
        ("http://example.org/", True),
        ("javascript:alert(1)", False),
        (" JavaScript:alert(1)", False),
        ("java\tscript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("vbscript:msgbox", False),
        ("//example.org/", False),
        ("", False),
        (None, False),
    ],
)
def test_only_http_urls_become_links(url, safe):
    assert (safe_url(url) is not None) is safe
