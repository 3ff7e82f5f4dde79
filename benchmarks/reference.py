"""The reference pipeline: the least work that stores the same files searchably.

`benchmarks/speed.py` runs it in the same rounds as `provenance add` on the same files, so that
every speed figure of the project is also a ratio against what a minimal pipeline on this
machine does (wall and CPU seconds). It reads and hashes each file, turns it into text with the
fastest parser at hand (HTML: selectolax's lexbor when installed, else lxml; PDF: pypdfium2;
text: a UTF-8 decode), splits sentences with one regular expression, and stores the source and
its sentences with raw ``executemany`` in one transaction, the full-text index built once at
the end. No metadata, no claims model, no attribution, no linking: a floor, not a rival.

    .venv/bin/python benchmarks/reference.py html DB FILE...      # or: @LIST (one path a line)

Prints one JSON line: files, sentences, seconds.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import sys
import time
from pathlib import Path

SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+[\"'”’)]*|\n|$)")


def html_parser() -> str:
    """The parser the reference turns HTML with: selectolax's lexbor (the ``train`` extra), else
    lxml, several times slower on real pages, which makes every HTML ratio look better."""
    try:
        import selectolax.lexbor  # noqa: F401
    except ImportError:
        return "lxml"
    return "selectolax"


def html_text(data: bytes) -> str:
    if html_parser() == "lxml":
        import lxml.html

        return lxml.html.document_fromstring(data).text_content()
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(data)
    for node in tree.css("script, style, noscript"):
        node.decompose()
    return tree.body.text(separator="\n") if tree.body else ""


def pdf_text(data: bytes) -> str:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        return "\f".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def run(kind: str, db: Path, paths: list[Path]) -> dict:
    start = time.perf_counter()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE sources (id INTEGER PRIMARY KEY, path TEXT, sha256 TEXT, text TEXT)")
    conn.execute(
        "CREATE TABLE sentences (id INTEGER PRIMARY KEY, source_id INTEGER, start INTEGER,"
        " end INTEGER, text TEXT)"
    )
    to_text = {"html": html_text, "pdf": pdf_text}.get(
        kind, lambda data: data.decode("utf-8", "replace")
    )
    count = 0
    with conn:
        for number, path in enumerate(paths, 1):
            data = path.read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            text = to_text(data)
            conn.execute(
                "INSERT INTO sources VALUES (?, ?, ?, ?)", (number, str(path), digest, text)
            )
            rows = [
                (number, m.start(), m.end(), m.group(0).strip())
                for m in SENTENCE.finditer(text)
                if m.group(0).strip()
            ]
            conn.executemany(
                "INSERT INTO sentences (source_id, start, end, text) VALUES (?, ?, ?, ?)", rows
            )
            count += len(rows)
    conn.execute("CREATE VIRTUAL TABLE sentences_fts USING fts5(text, content='sentences')")
    conn.execute("INSERT INTO sentences_fts(sentences_fts) VALUES ('rebuild')")
    conn.commit()
    conn.close()
    out = {"files": len(paths), "sentences": count, "seconds": time.perf_counter() - start}
    if kind == "html":
        out["parser"] = html_parser()
    return out


def main(argv: list[str]) -> None:
    kind, db, *names = argv
    paths: list[Path] = []
    for name in names:
        if name.startswith("@"):
            paths += [Path(line) for line in Path(name[1:]).read_text().splitlines() if line]
        else:
            paths.append(Path(name))
    print(json.dumps(run(kind, Path(db), paths)))


if __name__ == "__main__":
    main(sys.argv[1:])
