"""Helpers for the publishing tests: build a database from the project's files, read pages."""

from __future__ import annotations

import json
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from datasette.app import Datasette

from provenance import pipeline
from provenance.datasette import datasette_kwargs
from provenance.datasette.serving import checkpoint, write_inspect_file
from provenance.db import open_db


def build_database(path: Path, *inputs: Path) -> Path:
    """Add ``inputs`` to a new database at ``path`` with the library, as `provenance add` does."""
    db = open_db(path)
    results = list(pipeline.add(db, [str(i) for i in inputs]))
    db.conn.close()
    # (test data among the fixtures, such as anchoring/cases.json, is not prose: skipped)
    assert results and all(r.status in ("added", "skipped") for r in results), results
    assert any(r.status == "added" for r in results), results
    return path


def published(path: Path) -> Datasette:
    """A Datasette configured like `provenance serve`: immutable, with cached table counts."""
    inspect_file = path.with_suffix(".inspect.json")
    if not inspect_file.exists():
        assert checkpoint(path)
        # Datasette's inspect runs its own event loop: keep it off the test's running loop.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(write_inspect_file, path, inspect_file).result()
    return Datasette(
        immutables=[str(path)],
        inspect_data=json.loads(inspect_file.read_text()),
        **datasette_kwargs(path.stem),
    )


def query(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    start: int  # offsets in the text layer (the container's data-start plus characters before)
    end: int

    @property
    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()


@dataclass
class Layer:
    """One ``.text-layer`` container: its text and the elements inside it, with offsets."""

    start: int
    attrs: dict[str, str]
    text: str = ""
    elements: list[Element] = field(default_factory=list)


class TextLayers(HTMLParser):
    """Read every ``div.text-layer`` of a page as the browser would see its text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.layers: list[Layer] = []
        self._layer: Layer | None = None
        self._open: list[tuple[str, dict[str, str], int]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if self._layer is None:
            if tag == "div" and "text-layer" in values.get("class", "").split():
                self._layer = Layer(int(values["data-start"]), values)
                self.layers.append(self._layer)
            return
        self._open.append((tag, values, len(self._layer.text)))

    def handle_endtag(self, tag: str) -> None:
        if self._layer is None:
            return
        if not self._open:
            self._layer = None  # the container's own </div>
            return
        name, values, offset = self._open.pop()
        assert name == tag, f"<{name}> closed by </{tag}>"
        base = self._layer.start
        self._layer.elements.append(
            Element(name, values, base + offset, base + len(self._layer.text))
        )

    def handle_data(self, data: str) -> None:
        if self._layer is not None:
            self._layer.text += data

    def marks(self, css_class: str) -> list[Element]:
        return [
            e
            for layer in self.layers
            for e in layer.elements
            if e.tag == "mark" and css_class in e.classes
        ]
