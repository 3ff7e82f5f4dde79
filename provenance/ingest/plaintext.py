"""Plain text: decoded with charset detection, paragraphs split on blank lines."""

from __future__ import annotations

import re

from ..text import TextBuilder
from . import register
from .base import Extracted, Hint, Ingester
from .decode import decode, looks_binary


@register
class PlainTextIngester(Ingester):
    name = "text"
    version = "0.1.0"
    media_types = ("text/plain", "text/markdown")
    extensions = ("txt", "text", "md", "markdown")

    def match(self, data: bytes, hint: Hint) -> float:
        if looks_binary(data):
            return 0.0
        return 0.5 if hint.extension in self.extensions else 0.2

    def extract(self, data: bytes, hint: Hint) -> Extracted:
        text, encoding = decode(data)
        builder = TextBuilder()
        for block in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
            builder.add(block, "paragraph")
        layer = builder.text()
        first_line = layer.split("\n", 1)[0] if layer else ""
        title = first_line if 0 < len(first_line) <= 120 else (hint.name or None)
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
