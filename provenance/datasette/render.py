"""Safe HTML for text layers: escape everything, then wrap spans (claims, cues, quotes) in tags.

The text inside the container is exactly the text layer (tags add no characters), so a
browser can check that a highlight sits at the claim's offsets. Spans may nest or cross:
crossing spans are split, keeping spans of a lower ``rank`` whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from markupsafe import Markup, escape

from ..evidence import HIT_END, HIT_START


@dataclass(frozen=True)
class Span:
    """A span of a text layer to wrap in ``<tag attrs>``; offsets are code points."""

    start: int
    end: int
    tag: str = "mark"
    attrs: tuple[tuple[str, str], ...] = ()
    rank: int = 1  # lower ranks are kept whole and sit outside higher ones
    href: str | None = field(default=None, compare=False)

    def open_tag(self, continued: bool) -> str:
        attrs = [(k, v) for k, v in self.attrs if not (continued and k == "id")]
        if continued:
            attrs.append(("data-continued", "true"))
        if self.href is not None and self.tag == "a":
            attrs.insert(0, ("href", self.href))
        rendered = "".join(f' {k}="{escape(v)}"' for k, v in attrs)
        return f"<{self.tag}{rendered}>"

    def close_tag(self) -> str:
        return f"</{self.tag}>"


def highlight(text: str, spans: Iterable[Span], offset: int = 0) -> Markup:
    """``text`` (which starts at ``offset`` of its text layer) escaped, with ``spans`` wrapped.

    Spans are clipped to the text; empty ones are dropped.
    """
    end = offset + len(text)
    clipped = []
    for index, span in enumerate(spans):
        lo, hi = max(span.start, offset), min(span.end, end)
        if hi > lo:
            clipped.append((lo, hi, index, span))
    points = sorted({offset, end} | {lo for lo, *_ in clipped} | {hi for _, hi, *_ in clipped})
    out: list[str] = []
    stack: list[tuple[int, int, int, Span]] = []
    opened: set[int] = set()
    by_start: dict[int, list[tuple[int, int, int, Span]]] = {}
    for item in clipped:
        by_start.setdefault(item[0], []).append(item)

    def order(item: tuple[int, int, int, Span]) -> tuple[int, int, int, int]:
        lo, hi, index, span = item
        return (span.rank, lo, -hi, index)

    for i, point in enumerate(points):
        wanted = sorted(
            [item for item in stack if item[1] > point] + by_start.get(point, []), key=order
        )
        keep = 0
        while keep < min(len(stack), len(wanted)) and stack[keep] is wanted[keep]:
            keep += 1
        for item in reversed(stack[keep:]):
            out.append(item[3].close_tag())
        for item in wanted[keep:]:
            out.append(item[3].open_tag(continued=item[2] in opened))
            opened.add(item[2])
        stack = wanted
        if i + 1 < len(points):
            out.append(str(escape(text[point - offset : points[i + 1] - offset])))
    for item in reversed(stack):
        out.append(item[3].close_tag())
    return Markup("".join(out))


def marked_hits(marked: str | None) -> Markup:
    """Text from FTS5 ``highlight()``/``snippet()`` escaped, its hit markers turned into <mark>."""
    if not marked:
        return Markup("")
    escaped = str(escape(marked))
    # Balance the markers so that a stray one can never leave a tag open.
    out, depth = [], 0
    for char in escaped:
        if char == HIT_START:
            if depth == 0:
                out.append('<mark class="hit">')
            depth += 1
        elif char == HIT_END:
            if depth == 1:
                out.append("</mark>")
            depth = max(0, depth - 1)
        else:
            out.append(char)
    if depth:
        out.append("</mark>")
    return Markup("".join(out))


def safe_url(url: str | None) -> str | None:
    """The URL if it is an http(s) address a link may point at, else None (shown as text)."""
    if not url:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https") else None
