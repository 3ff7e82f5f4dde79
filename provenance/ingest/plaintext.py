"""Plain text: decoded with charset detection, paragraphs split on blank lines.

Text that is not prose is skipped with the reason: data (JSON, CSV and other delimited
tables), configuration files (``/etc/passwd``-like records, ``key = value`` lines, INI
sections) and logs (lines that open with a timestamp or a client address). Claims cut from
such files are noise; ``add --as-text`` takes them anyway.
"""

from __future__ import annotations

import json
import re

from ..text import TextBuilder
from . import register
from .base import Extracted, Hint, Ingester
from .decode import decode, looks_binary

#: How much of a file the prose check reads, and how many of its lines.
SNIFF_CHARS = 64 * 1024
SNIFF_LINES = 200
#: Share of the (non-blank, non-comment) lines that must fit a non-prose form.
NOT_PROSE_SHARE = 0.8

_COMMENT = re.compile(r"[ \t]*(?:#|;|//)")
# "root:x:0:0:root:/root:/bin/bash": colon-separated fields, no spaces around them
_COLON_RECORD = re.compile(r"[^\s:]*(?::[^:\n]*){3,}")
# "key = value", "key: value" (a value of a few words: "SPEAKER: a sentence ..." is prose),
# "Directive value" (sshd_config)
_KEY_VALUE = re.compile(
    r"[ \t]*[\w.\-/]+[ \t]*"
    r"(?:=[^\n]{0,200}|:[ \t]*|:[ \t]+\S+(?:[ \t]+\S+){0,3}[ \t]*|[ \t]\S+[ \t]*)"
)
_SECTION = re.compile(r"[ \t]*\[[^\]\n]{1,80}\][ \t]*")
_LOG_LINE = re.compile(
    r"[ \t]*(?:\[?\d{4}-\d\d-\d\d[T ]\d\d:\d\d"  # 2024-05-01 12:00 / [2024-05-01T12:00
    r"|\[?\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d"  # [01/May/2024:12:00:00
    r"|[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d"  # May  1 12:00:00 (syslog)
    r"|\d{1,3}(?:\.\d{1,3}){3} \S+ \S+ \["  # 127.0.0.1 - - [ (access log)
    r"|\d\d:\d\d:\d\d(?:[.,]\d+)? )"  # 12:00:00.123 ...
)
_DELIMITERS = (",", "\t", ";", "|")


def not_prose_reason(text: str) -> str | None:
    """What kind of non-prose text this is ("JSON data", "a log", ...), or None for prose."""
    head = text[:SNIFF_CHARS]
    stripped = head.strip()
    if not stripped:
        return None
    if stripped[0] in "{[" and _json_like(text.strip(), stripped):
        return "JSON data"
    lines = [line for line in head.splitlines()[:SNIFF_LINES] if line.strip()]
    content = [line for line in lines if not _COMMENT.match(line)]
    if not content:
        return "only comments" if lines else None
    if len(content) >= 2 and _share(content, lambda ln: ln.lstrip()[:1] in "{[") >= NOT_PROSE_SHARE:
        if all(_json_like(ln.strip(), ln.strip()) for ln in content[:20]):
            return "JSON lines"
    if len(content) >= 3 and _share(content, _LOG_LINE.match) >= NOT_PROSE_SHARE:
        return "a log (lines opening with a timestamp or address)"
    if len(content) >= 3 and (delimiter := _table_delimiter(content)):
        name = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}[delimiter]
        return f"a {name}-separated table"
    if len(content) >= 2 and _share(content, _COLON_RECORD.fullmatch) >= NOT_PROSE_SHARE:
        return "a configuration file (colon-separated records, as /etc/passwd)"
    if len(content) >= 2 and (
        _share(content, lambda ln: _KEY_VALUE.fullmatch(ln) or _SECTION.fullmatch(ln))
        >= NOT_PROSE_SHARE
    ):
        return "a configuration file (key = value lines)"
    return None


def _share(lines: list[str], test) -> float:
    return sum(1 for line in lines if test(line)) / len(lines)


def _json_like(whole: str, head: str) -> bool:
    if len(whole) <= SNIFF_CHARS:
        try:
            json.loads(whole)
        except ValueError:
            return False
        return True
    # too long to parse here: JSON opens and closes with brackets and quotes its keys
    return whole[-1:] in "}]" and bool(re.match(r'[\[{]\s*(?:["{\[\d-]|true|false|null)', head))


def _table_delimiter(lines: list[str]) -> str | None:
    """The delimiter every line of a table holds the same number of times (two or more)."""
    for delimiter in _DELIMITERS:
        counts = [line.count(delimiter) for line in lines]
        common = max(set(counts), key=counts.count)
        if common >= 1 and counts.count(common) / len(counts) >= NOT_PROSE_SHARE:
            # prose has commas too, but not the same number in line after line of short lines
            if delimiter != "," or common >= 2 or max(map(len, lines)) <= 80:
                return delimiter
    return None


#: A Markdown heading: its level is the number of hashes.
_HEADING = re.compile(r"(#{1,6})[ \t]+(\S.*?)[ \t#]*$")
_EMPHASIS = re.compile(r"(?<!\w)[*_`]+|[*_`]+(?!\w)")
_WORD = re.compile(r"[^\W\d_]{2,}")
#: Lines read for a title: a title is near the top.
TITLE_LINES = 40
MAX_TITLE = 120


def title_of(layer: str, markdown: bool = False) -> str | None:
    """A plain text's title: its first line that holds a word (a code fence, a rule or a row
    of stars before it is passed over), or, in Markdown, its first heading of the highest
    level near the top ("# The Tragedy of the Commons" after "## A running head"), without
    the heading's hashes and emphasis marks. None when no line of the top will do."""
    lines = layer.split("\n")[:TITLE_LINES]
    if markdown:
        headings = [(len(m[1]), m[2]) for line in lines if (m := _HEADING.fullmatch(line.strip()))]
        if headings:
            top = min(level for level, _ in headings)
            lines = [next(text for level, text in headings if level == top)]
    for line in lines:
        clean = " ".join(_EMPHASIS.sub("", line).split())
        if _WORD.search(clean):
            return clean if len(clean) <= MAX_TITLE else None
    return None


@register
class PlainTextIngester(Ingester):
    name = "text"
    #: 0.2: charset detection by chardet (ingest.decode); 0.3: the title is the first line
    #: with a word, or Markdown's top heading (the text layer is the same)
    version = "0.3.0"
    media_types = ("text/plain", "text/markdown")
    extensions = ("txt", "text", "md", "markdown")

    def match(self, data: bytes, hint: Hint) -> float:
        if looks_binary(data):
            return 0.0
        return 0.5 if hint.extension in self.extensions else 0.2

    def skip_reason(self, data: bytes, hint: Hint) -> str | None:
        if hint.as_text:
            return None
        reason = not_prose_reason(decode(data[: SNIFF_CHARS * 4])[0])
        return f"{reason}, not prose (add --as-text to store it as text)" if reason else None

    def extract(self, data: bytes, hint: Hint) -> Extracted:
        text, encoding = decode(data)
        builder = TextBuilder()
        for block in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
            builder.add(block, "paragraph")
        layer = builder.text()
        title = title_of(layer, markdown=hint.extension in ("md", "markdown")) or hint.name
        return Extracted(
            kind="text",
            text=layer,
            extractor="text",
            extractor_version=self.version,
            title=title,
            url=hint.url,
            structure=builder.structure,
            metadata={"encoding": encoding},
        )
