"""Readers for the public corpora the shipped models are trained and measured on.

Used by ``scripts/train_*.py`` and ``benchmarks/``, never by the tool at run time. The corpora
sit beside the project (``../shared/corpus``, or ``$PROVENANCE_CORPUS``) and are never copied
into it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def corpus_dir() -> Path:
    """``$PROVENANCE_CORPUS`` or ``../shared/corpus`` relative to the project root."""
    return Path(os.environ.get("PROVENANCE_CORPUS") or ROOT.parent / "shared" / "corpus")


def sha256_files(paths: Iterable[Path]) -> str:
    """One SHA-256 over the bytes of several files, in the order given (names data sets)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


# --- PolNeAR ------------------------------------------------------------------------------


@dataclass
class Span:
    role: str  # Source | Cue | Content
    parts: list[tuple[int, int]]


@dataclass
class AnnotatedAttribution:
    cue: Span | None
    source: Span | None
    content: Span | None


@dataclass
class Article:
    name: str
    text: str
    spans: list[Span] = field(default_factory=list)  # every Source, Cue and Content span
    attributions: list[AnnotatedAttribution] = field(default_factory=list)


_T_LINE = re.compile(r"^(T\d+)\t(\S+) (\d+ \d+(?:;\d+ \d+)*)\t")
_E_LINE = re.compile(r"^(E\d+)\t(.*)$")


def polnear_files(split: str) -> list[Path]:
    """The ``.ann`` files of one PolNeAR split (``train`` or ``dev``)."""
    return sorted(
        (corpus_dir() / "attribution" / "polnear" / "data" / split).glob("attributions/*.ann")
    )


def read_polnear(split: str) -> list[Article]:
    """The articles of one PolNeAR split with their Source, Cue and Content spans.

    Annotation files are named ``<article>_<annotator>.ann``; the text is ``<article>.txt``.
    Offsets are Python code-point offsets into the text; discontinuous spans keep their parts.
    """
    base = corpus_dir() / "attribution" / "polnear" / "data" / split
    articles = []
    for ann in polnear_files(split):
        name = ann.stem.rsplit("_", 1)[0]
        text = (base / "text" / f"{name}.txt").read_text(encoding="utf-8")
        by_id: dict[str, Span] = {}
        relations = []
        for line in ann.read_text(encoding="utf-8").splitlines():
            t = _T_LINE.match(line)
            if t:
                parts = [tuple(map(int, p.split())) for p in t.group(3).split(";")]
                by_id[t.group(1)] = Span(t.group(2), parts)  # type: ignore[arg-type]
                continue
            e = _E_LINE.match(line)
            if e:
                relations.append(dict(r.split(":", 1) for r in e.group(2).split() if ":" in r))
        article = Article(name, text)
        article.spans = [s for s in by_id.values() if s.role in ("Source", "Cue", "Content")]
        for rel in relations:
            article.attributions.append(
                AnnotatedAttribution(
                    by_id.get(rel.get("Cue", "")),
                    by_id.get(rel.get("Source", "")),
                    by_id.get(rel.get("Content", "")),
                )
            )
        articles.append(article)
    return articles


# --- check-worthiness ---------------------------------------------------------------------


def claimbuster_path() -> Path:
    return corpus_dir() / "checkworthiness" / "claimbuster" / "train.json"


def read_claimbuster() -> tuple[list[str], list[int]]:
    """ClaimBuster ``train.json``: sentences and labels (1 = check-worthy factual claim)."""
    rows = json.loads(claimbuster_path().read_text(encoding="utf-8"))
    return [r["text"] for r in rows], [int(r["label"]) for r in rows]


def checkthat2019_path() -> Path:
    return corpus_dir() / "checkworthiness" / "clef2019" / "CT19-T1-Training.csv"


@dataclass
class DebateLine:
    debate: str
    line: int
    speaker: str
    text: str
    label: int


def read_checkthat2019() -> list[DebateLine]:
    """CheckThat! 2019 task 1 training data: every line of every debate, in order."""
    with checkthat2019_path().open(encoding="utf-8", newline="") as fh:
        return [
            DebateLine(
                r["file_name"], int(r["line_number"]), r["speaker"], r["text"], int(r["label"])
            )
            for r in csv.DictReader(fh)
        ]


def by_debate(lines: Iterable[DebateLine]) -> Iterator[tuple[str, list[DebateLine]]]:
    """The lines grouped by debate, in a stable order."""
    debates: dict[str, list[DebateLine]] = {}
    for line in lines:
        debates.setdefault(line.debate, []).append(line)
    for name in sorted(debates):
        yield name, debates[name]
