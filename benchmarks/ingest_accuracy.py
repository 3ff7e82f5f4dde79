"""Ingest fidelity on real material: main text, metadata, posts, cables, PDFs and non-prose text.

    python benchmarks/ingest_accuracy.py                 # every section
    python benchmarks/ingest_accuracy.py --only html,posts --json results.json
    python benchmarks/ingest_accuracy.py --only html --pages   # main text page by page

Reads the corpus at ``../shared/corpus`` from the project root (or ``$PROVENANCE_CORPUS``) and
prints one table per section; exits 0 with a message when the corpus is absent. Every number
comes from ``provenance.ingest.extract`` on the raw bytes, the same call ``provenance add``
makes; trafilatura is run by this harness on the same pages as the baseline.

How each measure is defined (so the numbers can be checked):

- main text: precision, recall and F1 over 4-word shingles of ``\\w+`` tokens, per page then
  averaged (scrapinghub/article-extraction-benchmark ``evaluate.py``): on ``html/readability``
  against the text of ``expected.html``; on ``html/trafilatura`` against its snippets (a
  shingle of a ``with`` snippet found in the text is a true positive, one not found a false
  negative, one of a ``without`` snippet found a false positive; a snippet of fewer than four
  words is one shingle). The thresholds of the rule that combines our pass with trafilatura
  (``provenance.ingest.combine.Rule``) are tuned over ``TUNING_GRID`` on one set and the F1 is
  reported on the other, both ways, beside the shipped rule and ``trafilatura.extract``. The
  snippets are also counted whole: a ``with`` snippet when it occurs in the text layer, a
  ``without`` snippet when it does not, whitespace collapsed.
- metadata: titles are compared after NFKC, case folding, removal of all punctuation (quotes,
  dashes, colons) and collapsing of whitespace. They match when equal; when ours only adds a
  leading or trailing site part set off by a separator (`` | `` `` - `` `` – `` `` — ``
  `` · `` `` » `` `` : `` `` / `` ``::``), as in "Headline | Site" or "Site » Headline"; when
  the gold only adds a trailing one; or when the gold was cut short (it ends in "..." or stops
  inside a word of ours, 20+ characters). Any other extra word is a miss ("Roasted Chicken
  with Oriental Rice Recipe" is not "Roasted Chicken with Oriental Rice"). Dates match on the
  calendar day; an instant with a time zone (gold or ours) also matches the calendar day it
  falls on anywhere between UTC-12 and UTC+14. Authors match when one normalised name string contains
  the other (after a leading "By") or when the name lists (split at commas, "and", "&") share
  a name. Pages without a gold value are not counted.
- posts (``blogs/octopress-artsy``): the posts a multi-post page holds are its ``<article>``
  items in ``#content`` (the Octopress template; the ingester does not know it); each is
  found when a child source has that post's URL, and right when its title (normalised) and
  date equal those on the post's own page. Post pages that have no post markup are left out
  (and counted).
- cables: each of ``cables.jsonl.gz`` is written out as telegram text (routing header, a blank
  line, body); reference id, created date (the calendar day), classification and origin are
  compared with the gold exactly. Partial extracts (whose routing header says the original is
  not available) are reported apart as well: most of them state no date of sending in any
  form, and so no reference id either (its first two digits are the year); the harness counts
  the records left without one. The 125 raw pages are compared with the header table this
  harness reads itself. Subjects: the stored subject against the subject as the header
  states it, read by this harness (``stated_subject``: over its lines to the next header
  line, line breaks, banners and page furniture removed), compared without regard to case
  (some captures state it in lower case); on the raw pages, exactly.
- posts, tags and categories: each post on a list page that shows its labels has the tags
  and categories its own page records; one the list shows without labels has none.
- text that is not prose: files written by this harness (``NOT_PROSE_FILES``: passwd-like
  records, JSON, CSV and TSV, logs, INI and sshd-style configuration) are added as a folder
  through the pipeline into a scratch database; each must be skipped with a one-line reason,
  and no source stored.
- PDFs: each file is ingested (its title printed with where it came from) or fails with a
  one-line reason, with its time. On the pdfminer
  samples with expected text, similarity is difflib's ratio after NFKC and removal of all
  whitespace; for the entries pdfminer's own tests check as a prefix or as one line
  (``zen_of_python_corrupted``, ``issue-625``, ``issue-791``, ``issue-886``) it is the share
  of the expected text found in order in ours.
- charsets: the main texts of the real pages (``expected.html`` of ``html/readability``, the
  text layer of ``html/trafilatura``'s pages), each cut to its first 300 and 2,000 characters
  and whole, are encoded in every legacy code page of ``LEGACY_ENCODINGS`` that can hold them
  (texts of ASCII alone left out) and decoded as a plain-text file without a declared charset
  (``provenance.ingest.decode.decode``); right when the text comes back exactly. Beside it,
  charset-normalizer's best guess (the detector used before) on the same bytes. "Accented"
  counts the samples whose letters are at least 1 % outside ASCII (mostly not English).
"""

from __future__ import annotations

import argparse
import difflib
import functools
import gzip
import itertools
import json
import os
import re
import signal
import statistics
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import lxml.html  # noqa: E402

from provenance import ingest  # noqa: E402
from provenance.errors import ProvenanceError  # noqa: E402
from provenance.ingest.base import Hint  # noqa: E402

SECTIONS = ("html", "metadata", "posts", "cables", "pdf", "nonprose", "charsets")


def corpus_path() -> Path:
    return Path(os.environ.get("PROVENANCE_CORPUS") or ROOT.parent / "shared" / "corpus")


def extract(data: bytes, name: str):
    try:
        return ingest.extract(data, Hint(name=name))
    except ProvenanceError:
        return None


def table(title: str, header: list[str], rows: list[list[object]]) -> None:
    cells = [header] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(f"\n## {title}\n")
    for i, row in enumerate(cells):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))


def pct(n: int, d: int) -> str:
    return f"{n}/{d} = {n / d:.3f}" if d else "n/a"


# --- main text ---------------------------------------------------------------------------

_TOKEN = re.compile(r"\w+")


def shingles(text: str, n: int = 4) -> Counter:
    tokens = _TOKEN.findall(text or "")
    return Counter(
        tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n]
    )


def shingle_match(true: str, pred: str) -> tuple[float, float, float]:
    a, b = shingles(true), shingles(pred)
    tp = sum((a & b).values())
    fp = sum((b - a).values())
    fn = sum((a - b).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision_recall(counts: tuple[float, float, float]) -> tuple[float, float]:
    """One page's precision and recall from its (tp, fp, fn) shares."""
    tp, fp, fn = counts
    if fp == fn == 0:
        return 1.0, 1.0
    return (tp / (tp + fp) if tp + fp else 0.0), (tp / (tp + fn) if tp + fn else 0.0)


def prf(rows: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    p = statistics.mean(_precision_recall(r)[0] for r in rows if r[0] + r[1] > 0)
    r = statistics.mean(_precision_recall(x)[1] for x in rows if x[0] + x[2] > 0)
    return p, r, 2 * p * r / (p + r)


def html_text(markup: str) -> str:
    """The text of an expected-output fragment, with block boundaries kept as spaces."""
    root = lxml.html.fragment_fromstring(markup, create_parent="div")
    for el in root.iter():
        if isinstance(el.tag, str):
            el.tail = " " + (el.tail or "")
            el.text = " " + (el.text or "")
    return root.text_content()


def squash(text: str) -> str:
    return " ".join((text or "").split())


def snippet_match(with_: list[str], without: list[str], pred: str) -> tuple[float, float, float]:
    """Shingle counts against with/without snippets: a 4-word shingle of a ``with`` snippet
    found in the text is a true positive, one not found a false negative, and one of a
    ``without`` snippet found a false positive (shorter snippets count as one shingle)."""
    tokens = _TOKEN.findall(pred or "")
    grams: dict[int, set] = {}
    counts = Counter()
    for snippets, found, missed in ((with_, "tp", "fn"), (without, "fp", None)):
        for snippet in snippets:
            words = _TOKEN.findall(snippet)
            n = min(4, len(words))
            if not n:
                continue
            if n not in grams:
                grams[n] = {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}
            for i in range(len(words) - n + 1):
                if tuple(words[i : i + n]) in grams[n]:
                    counts[found] += 1
                elif missed:
                    counts[missed] += 1
    total = sum(counts.values())
    return (
        (counts["tp"] / total, counts["fp"] / total, counts["fn"] / total)
        if total
        else (0.0, 0.0, 0.0)
    )


@dataclass
class _Page:
    """One page of a main-text set: its gold, the shipped result and the two candidates."""

    set: str
    name: str
    score: Callable[[str], tuple[float, float, float]]
    ours: str
    trafilatura: str
    candidates: tuple | None


def _main_text_pages(corpus: Path) -> list[_Page]:
    import trafilatura

    from provenance.ingest.html import main_text_candidates

    found = []
    base = corpus / "html" / "trafilatura"
    evaldata = json.loads((base / "evaldata.json").read_text())
    inputs = [
        (
            "html/trafilatura",
            base / "pages" / item["file"],
            functools.partial(snippet_match, item["with"], item["without"]),
        )
        for item in evaldata.values()
    ]
    for page in sorted((corpus / "html" / "readability" / "pages").iterdir()):
        gold = html_text((page / "expected.html").read_text())
        inputs.append(
            ("html/readability", page / "source.html", functools.partial(shingle_match, gold))
        )
    for name, path, score in inputs:
        data = path.read_bytes()
        record = extract(data, path.name)
        found.append(
            _Page(
                name,
                path.name if name == "html/trafilatura" else path.parent.name,
                score,
                record.text if record else "",
                trafilatura.extract(data) or "",
                main_text_candidates(data),
            )
        )
    return found


def _rule_text(page: _Page, rule) -> str:
    from provenance.ingest.combine import combine

    if page.candidates is None:  # a page of posts: the rule does not apply
        return page.ours
    return "\n".join(text for _, text in combine(*page.candidates, rule).blocks)


def _f1(pages: list[_Page], texts: Iterable[str]) -> float:
    return prf([page.score(text) for page, text in zip(pages, texts, strict=True)])[2]


#: The thresholds tried when tuning the main-text rule (provenance.ingest.combine.Rule).
TUNING_GRID = {
    "trim_head_below": (0, 200, 400),
    "trim_tail_below": (0, 400, 800),
    "shared_at_least": (0.5, 0.8),
    "agree_at_least": (0.5, 0.9),
}


def _tune(pages: list[_Page]):
    """The rule of the grid with the best F1 on these pages (ties: the least trimming)."""
    from provenance.ingest.combine import Rule

    best = None
    for values in itertools.product(*TUNING_GRID.values()):
        rule = Rule(**dict(zip(TUNING_GRID, values, strict=True)))
        f1 = round(_f1(pages, (_rule_text(p, rule) for p in pages)), 4)
        key = (f1, -(rule.trim_head_below + rule.trim_tail_below))
        if best is None or key > best[0]:
            best = (key, rule)
    return best[1]


#: Set by ``--pages``: list the pages where ours and trafilatura.extract differ.
SHOW_PAGES = False


def _page_table(name: str, pages: list[_Page], tuned, other_name: str) -> None:
    """Each page where the rule tuned on the other set and trafilatura.extract differ by more
    than 0.05 in precision plus recall, worst for ours first, with the signals that chose."""
    from provenance.ingest.combine import combine

    rows = []
    for page in pages:
        ours = _precision_recall(page.score(_rule_text(page, tuned)))
        theirs = _precision_recall(page.score(page.trafilatura))
        if abs(sum(ours) - sum(theirs)) <= 0.05:
            continue
        chosen = combine(*page.candidates, tuned) if page.candidates else None
        signals = chosen.signals if chosen else {}
        rows.append(
            (
                sum(ours) - sum(theirs),
                [
                    page.name,
                    f"{ours[0]:.2f} / {ours[1]:.2f}",
                    f"{theirs[0]:.2f} / {theirs[1]:.2f}",
                    chosen.method if chosen else "posts",
                    signals.get("agreement", ""),
                    signals.get("trimmed_blocks", ""),
                ],
            )
        )
    table(
        f"Main text, {name}: pages where ours (tuned on {other_name}) and trafilatura differ",
        ["page", "ours P / R", "trafilatura P / R", "method", "agreement", "trimmed"],
        [row for _, row in sorted(rows, key=lambda r: r[0])],
    )


def section_html(corpus: Path, results: dict) -> None:
    from provenance.ingest.combine import RULE

    pages = _main_text_pages(corpus)
    sets = {
        name: [p for p in pages if p.set == name]
        for name in ("html/trafilatura", "html/readability")
    }
    rows = []
    out = results.setdefault("main_text", {})
    for name, own in sets.items():
        other_name = next(n for n in sets if n != name)
        tuned = _tune(sets[other_name])
        scores = {
            "trafilatura.extract": _f1(own, (p.trafilatura for p in own)),
            "ours (shipped rule)": _f1(own, (p.ours for p in own)),
            "readability pass alone": _f1(
                own,
                (
                    p.ours if p.candidates is None else "\n".join(t for _, t in p.candidates[0])
                    for p in own
                ),
            ),
            f"ours tuned on {other_name}": _f1(own, (_rule_text(p, tuned) for p in own)),
        }
        for who, f1 in scores.items():
            rows.append([name, len(own), who, f"{f1:.4f}"])
        out[name] = {
            "pages": len(own),
            **scores,
            f"rule tuned on {other_name}": {k: getattr(tuned, k) for k in TUNING_GRID},
        }
        print(f"  rule tuned on {other_name}: {out[name][f'rule tuned on {other_name}']}")
        if SHOW_PAGES:
            _page_table(name, own, tuned, other_name)
    print(f"  shipped rule: { {k: getattr(RULE, k) for k in TUNING_GRID} }")
    table(
        "Main text: word-shingle F1 (html/trafilatura against its with/without snippets, "
        "html/readability against expected.html)",
        ["set", "pages", "extractor", "F1"],
        rows,
    )
    # The snippet check as trafilatura's own tests make it.
    counts = {k: Counter() for k in ("ours", "trafilatura")}
    base = corpus / "html" / "trafilatura"
    evaldata = list(json.loads((base / "evaldata.json").read_text()).values())
    for item, page in zip(evaldata, sets["html/trafilatura"], strict=True):
        for who, text in (("ours", squash(page.ours)), ("trafilatura", squash(page.trafilatura))):
            for snippet in item["with"]:
                counts[who]["with"] += squash(snippet) in text
                counts[who]["with_n"] += 1
            for snippet in item["without"]:
                counts[who]["without"] += squash(snippet) not in text
                counts[who]["without_n"] += 1
    table(
        f"Main text, html/trafilatura ({len(evaldata)} pages): snippets found whole",
        ["extractor", "'with' found", "'without' absent", "all snippets"],
        [
            [
                who,
                pct(c["with"], c["with_n"]),
                pct(c["without"], c["without_n"]),
                pct(c["with"] + c["without"], c["with_n"] + c["without_n"]),
            ]
            for who, c in counts.items()
        ],
    )
    results["html_trafilatura"] = {who: dict(c) for who, c in counts.items()}


# --- metadata ----------------------------------------------------------------------------


def _key(text: object) -> str:
    if isinstance(text, list):
        text = ", ".join(map(str, text))
    text = unicodedata.normalize("NFKC", str(text or "")).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


# A separator between a title's parts: " | ", " - ", " – ", " — ", " · ", " » ", " : ", " / ",
# " \\ ", " :: ".
_SITE_SEPARATOR = re.compile(r"\s+(?:[|\-–—·»:/\\]|::)\s+")


def _site_part_removed(title: str, leading: bool = True) -> set[str]:
    """Keys of the title without trailing parts ("Headline | Site" -> "headline") and, when
    ``leading``, without leading ones ("Site | Headline" -> "headline")."""
    parts = [p for p in _SITE_SEPARATOR.split(title) if _key(p)]
    found = {_key(" ".join(parts[:i])) for i in range(1, len(parts))}
    if leading:
        found |= {_key(" ".join(parts[i:])) for i in range(1, len(parts))}
    return found


def same_title(ours: str | None, gold: str) -> bool:
    """Titles match when equal after normalisation, when ours only adds a leading or trailing
    site part, when the gold only adds a trailing one, or when the gold was cut short."""
    a, b = _key(ours), _key(gold)
    if not a or not b:
        return False
    if a == b or b in _site_part_removed(ours or "") or a in _site_part_removed(gold, False):
        return True
    cut = gold.strip()
    if cut.endswith(("...", "…")):  # the gold cut short, marked
        cut = _key(cut.rstrip(".…"))
        return len(cut) >= 10 and a.startswith(cut)
    # the gold cut short in the middle of a word ("... complex thinkin")
    return len(b) >= 20 and a.startswith(b) and a[len(b) : len(b) + 1].isalnum()


def _names(value: object) -> set[str]:
    text = ", ".join(value) if isinstance(value, list) else str(value or "")
    parts = re.split(r"\s*(?:[,;&|/]|\band\b|\bund\b|\bet\b)\s*", text)
    return {k for k in (_author_key(p) for p in parts) if k}


def _author_key(value: object) -> str:
    return re.sub(r"^(?:by|par|von|written by|posted by)\s+", "", _key(value))


def same_author(ours: str | None, gold: object) -> bool:
    a, b = _author_key(ours), _author_key(gold)
    return bool(a) and (a == b or a in b or b in a or bool(_names(ours) & _names(gold)))


def same_date(ours: str | None, gold: str) -> bool:
    if not ours:
        return False
    if ours[:10] == gold[:10]:
        return True
    return ours[:10] in _local_days(gold) or gold[:10] in _local_days(ours)


def _local_days(value: str) -> set[str]:
    """The calendar days an instant with a time zone falls on between UTC-12 and UTC+14."""
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        return set()
    if instant.tzinfo is None:
        return set()
    utc = instant.astimezone(UTC)
    return {(utc + timedelta(hours=h)).date().isoformat() for h in (-12, 14)}


def _metadata_items(corpus: Path) -> list[dict]:
    items = []
    base = corpus / "html" / "trafilatura"
    evaldata = json.loads((base / "evaldata.json").read_text())
    dates = {
        v["file"]: v["date"]
        for v in json.loads((base / "htmldate_dates.json").read_text()).values()
    }
    for item in evaldata.values():
        items.append(
            {
                "set": "trafilatura",
                "path": base / "pages" / item["file"],
                "title": item.get("title"),
                "author": item.get("author"),
                "date": item.get("date"),
                "htmldate": dates.get(item["file"]),
            }
        )
    for page in sorted((corpus / "html" / "readability" / "pages").iterdir()):
        gold = json.loads((page / "expected-metadata.json").read_text())
        items.append(
            {
                "set": "readability",
                "path": page / "source.html",
                "title": gold.get("title"),
                "author": gold.get("byline"),
                "date": gold.get("publishedTime"),
                "htmldate": None,
            }
        )
    return items


def section_metadata(corpus: Path, results: dict) -> None:
    from trafilatura import bare_extraction

    checks = {"title": same_title, "date": same_date, "author": same_author, "htmldate": same_date}
    fields = {"title": "title", "date": "published", "author": "author", "htmldate": "published"}
    scores = {
        who: {s: Counter() for s in ("trafilatura", "readability", "all")}
        for who in ("ours", "trafilatura")
    }
    dates = []
    for item in _metadata_items(corpus):
        data = item["path"].read_bytes()
        record = extract(data, item["path"].name)
        ours = {f: getattr(record, attr, None) if record else None for f, attr in fields.items()}
        origin = record.metadata.get("field_origins", {}).get("published") if record else None
        page = item["path"].name if item["set"] == "trafilatura" else item["path"].parent.name
        dates.append([item["set"], page, ours["date"] or "-", origin or "-", item["date"] or "-"])
        doc = bare_extraction(data, with_metadata=True, only_with_metadata=False)
        theirs = {
            "title": getattr(doc, "title", None),
            "date": getattr(doc, "date", None),
            "author": getattr(doc, "author", None),
            "htmldate": getattr(doc, "date", None),
        }
        for who, found in (("ours", ours), ("trafilatura", theirs)):
            for name, check in checks.items():
                gold = item[name]
                if not gold:
                    continue
                ok = check(found[name], gold)
                for s in (item["set"], "all"):
                    scores[who][s][name] += ok
                    scores[who][s][name + "_n"] += 1
    rows = []
    for who, by_set in scores.items():
        for s, c in by_set.items():
            rows.append(
                [who, s] + [pct(c[n], c[n + "_n"]) for n in ("title", "date", "author", "htmldate")]
            )
    table(
        "Metadata against the gold (title, published date, author; htmldate_dates.json)",
        ["extractor", "set", "title", "date", "author", "date (htmldate gold)"],
        rows,
    )
    results["metadata"] = {w: {s: dict(c) for s, c in v.items()} for w, v in scores.items()}
    results["published"] = {f"{row[0]}/{row[1]}": row[2:4] for row in dates}
    if SHOW_PAGES:  # every page's date and where it came from (compare two trees' listings)
        table(
            "Publication date of every page",
            ["set", "page", "ours", "field origin", "gold"],
            dates,
        )


# --- posts -------------------------------------------------------------------------------


# Category and tag markup of a post in a list (Octopress: <span class="categories">).
_LABEL_MARKUP = (
    ".//*[contains(concat(' ', normalize-space(@class), ' '), ' categories ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' tags ')]"
    " | .//a[contains(concat(' ', normalize-space(@rel), ' '), ' tag ')]"
)


def section_posts(corpus: Path, results: dict) -> None:
    base = corpus / "blogs" / "octopress-artsy"
    posts: dict[str, dict | None] = {}
    for page in sorted(base.glob("blog/[0-9]*/*/*/*/index.html")):
        tree = lxml.html.parse(str(page)).getroot()
        url = "/" + str(page.parent.relative_to(base)) + "/"
        heading = tree.xpath("//article//h1[contains(@class, 'entry-title')]")
        times = tree.xpath("//article//time/@datetime")
        posts[url] = (
            {"title": heading[0].text_content(), "date": times[0][:10], "page": page}
            if heading and times
            else None
        )
    multi = [
        base / "index.html",
        *sorted(base.glob("blog/page/*/index.html")),
        base / "blog" / "archives" / "index.html",
        *sorted(base.glob("blog/categories/*/index.html")),
    ]
    expected = found = right = left_out = extra = 0
    labels = Counter()
    own_labels: dict[str, tuple] = {}
    failures = []
    for page in multi:
        tree = lxml.html.parse(str(page)).getroot()
        held = []
        shows_labels = set()
        for article in tree.xpath("//div[@id='content']//article[not(@role)]"):
            links = [h for h in article.xpath(".//a/@href") if re.match(r"^/blog/\d{4}/", h)]
            if links:
                held.append(links[0])
                if article.xpath(_LABEL_MARKUP):
                    shows_labels.add(links[0])
        record = extract(page.read_bytes(), "index.html")
        children = {urlsplit(c.url or "").path: c for c in (record.children if record else [])}
        extra += len(set(children) - set(held))
        for url in held:
            gold = posts.get(url)
            if gold is None:
                left_out += 1
                continue
            expected += 1
            child = children.get(url)
            if child is None:
                failures.append((str(page.relative_to(base)), url, "not found"))
                continue
            found += 1
            if url not in own_labels:
                own = extract(gold["page"].read_bytes(), "index.html")
                own_labels[url] = (own.tags, own.metadata.get("categories")) if own else None
            if url in shows_labels:
                labels["compared"] += 1
                same = (child.tags, child.metadata.get("categories")) == own_labels[url]
                labels["equal"] += same
                if not same:
                    failures.append((str(page.relative_to(base)), url, "labels", child.tags))
            else:  # the list shows no labels for this post: none may be invented
                labels["not shown"] += 1
                labels["none invented"] += not (child.tags or child.metadata.get("categories"))
            if (
                _key(child.title) == _key(gold["title"])
                and (child.published or "")[:10] == gold["date"]
            ):
                right += 1
            else:
                failures.append((str(page.relative_to(base)), url, child.title, child.published))
    split = 0
    for url in posts:
        page = base / url.strip("/") / "index.html"
        record = extract(page.read_bytes(), "index.html")
        split += bool(record and record.children)
    table(
        f"Posts on the multi-post pages of blogs/octopress-artsy ({len(multi)} pages)",
        ["measure", "value"],
        [
            ["posts expected", expected],
            ["found (child with the post's URL)", pct(found, expected)],
            ["right title, URL and date", pct(right, expected)],
            ["children that are not posts of the page", extra],
            ["posts left out (post page without post markup)", left_out],
            ["single-post pages split", f"{split} of {len(posts)}"],
            [
                "tags and categories equal to those of the post's own page",
                pct(labels["equal"], labels["compared"]),
            ],
            [
                "posts the list shows without labels: none invented",
                pct(labels["none invented"], labels["not shown"]),
            ],
        ],
    )
    for failure in failures[:10]:
        print("  miss:", *failure)
    results["posts"] = {
        "expected": expected,
        "found": found,
        "right": right,
        "extra": extra,
        "left_out": left_out,
        "single_pages_split": split,
        "single_pages": len(posts),
        "labels": dict(labels),
    }


# --- cables ------------------------------------------------------------------------------

_CABLE_FIELDS = ("reference_id", "created", "classification", "origin", "level")


def _compare_cable(record, gold: dict) -> dict[str, bool]:
    found = {
        "reference_id": record.reference_id if record else None,
        "created": (record.published or "")[:10] if record else None,
        "classification": record.classification if record else None,
        "origin": record.origin if record else None,
    }
    return {
        "reference_id": found["reference_id"] == gold["reference_id"],
        "created": found["created"] == gold["created"][:10],
        "classification": found["classification"] == gold["classification"],
        "origin": found["origin"] == gold["origin"],
        "level": (found["classification"] or "").split("//")[0]
        == gold["classification"].split("//")[0],
    }


_SUBJECT_LABEL = re.compile(r"^[ \t]*SUBJ(?:ECT)?[ \t]*:[ \t]*", re.M | re.I)
_FIRST_NUMBERED = re.compile(r"^[ \t]*(?:¶[ \t]*)?1[ \t]*\.", re.M)
_NEXT_HEADER = re.compile(
    r"[ \t]*(?:REF|Classified|E\.?\s?O\.?\s|TAGS|SUBJ|¶|\d{1,2}\s*\.|SUMMARY\b|Sensitive\b|-{3,})",
    re.I,
)
_INLINE_END = re.compile(
    r"\s(?:REFS?\s*:|REFTELS?\b|Classified\s+By\b|SENSITIVE\s+BUT\s+UNCLASSIFIED|-{3,}|¶|"
    r"\d{1,2}\.\s*\()|(?<=\.\.\.)\s",
    re.I,
)
_FURNITURE_NUMBER = re.compile(r"(?<=\s)\d{6,8}\s+\d{3}(?:\.\d)?\s+OF\s+\d{3}\b")
_PAGE_HEADER = re.compile(
    r"\bPAGE\s+\d{2,3}\s+[A-Z][A-Z ]*?\s+\d{3,7}(?:\s+\d{2}\s+OF\s+\d{2})?\s+\d{6}Z"
)
_BANNER_LINE = re.compile(r"\s*(?:UNCLASSIFIED|UNCLAS|CONFIDENTIAL|SECRET)\s*")


def _without_furniture(line: str, place: str) -> str:
    line = _PAGE_HEADER.sub(" ", line)
    for m in reversed(list(_FURNITURE_NUMBER.finditer(line))):
        words = line[: m.start()].rstrip().split(" ")
        for k in range(4, 0, -1):
            letters = re.sub(r"[^A-Z]", "", "".join(words[-k:]))
            if letters and (
                letters == place
                or (len(letters) >= 5 and (place.startswith(letters) or place.endswith(letters)))
            ):
                line = " ".join(words[:-k]) + " " + line[m.end() :]
                break
    return line


def stated_subject(body: str, reference_id: str) -> str | None:
    """The subject as the cable's header states it, read by this harness: after a SUBJECT label
    at the start of a line, over the lines that continue it up to a blank line or a header
    line (REF, Classified By, E.O., TAGS, a numbered paragraph, Summary, a rule), up to an
    inline REF/Classified By/caption, with line breaks, trailing backslashes, banner lines and
    page furniture (the post's name as the reference id spells it, or its first or last
    letters, then "NNNNNNNN NNN.N OF NNN"; "PAGE NN ... NNNNNNZ") removed. Of several labels in
    the header, the longest statement (a capture may state it cut short first)."""
    match = re.match(r"\d\d([A-Z]+)\d+$", reference_id)
    place = match.group(1) if match else ""
    end = _FIRST_NUMBERED.search(body)
    header = body[: end.start()] if end else body
    found = []
    for label in _SUBJECT_LABEL.finditer(header):
        parts = []
        for number, line in enumerate(header[label.end() :].split("\n")[:8]):
            line = line.rstrip().rstrip("\\")
            if number and (not line.strip() or _NEXT_HEADER.match(line)):
                break
            if not _BANNER_LINE.fullmatch(line):
                parts.append(_without_furniture(line, place))
        found.append(" ".join(_INLINE_END.split(" ".join(parts), maxsplit=1)[0].split()))
    return max(found, key=len) if found else None


def section_cables(corpus: Path, results: dict) -> None:
    path = corpus / "cables" / "cables.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        cables = [json.loads(line) for line in fh]
    groups = {"all": Counter(), "with date-time group": Counter(), "partial extracts": Counter()}
    subject = Counter()
    subject_misses: list[tuple] = []
    undated = Counter()
    named = Counter()
    misses: dict[str, list] = {f: [] for f in _CABLE_FIELDS}
    partial_ids = [c["reference_id"] for c in cables if "partial extract" in c["routing_header"]]
    # each partial extract named by another's reference id (the next one of the corpus)
    other_name = dict(zip(partial_ids, partial_ids[1:] + partial_ids[:1], strict=True))
    for cable in cables:
        text = cable["routing_header"] + "\n\n" + cable["body"]
        record = extract(text.encode("utf-8"), "cable.txt")
        ok = _compare_cable(record if record and record.kind == "cable" else None, cable)
        partial = "partial extract" in cable["routing_header"]
        for group in ("all", "partial extracts" if partial else "with date-time group"):
            groups[group]["n"] += 1
            for name, good in ok.items():
                groups[group][name] += good
        for name, good in ok.items():
            if not good and not partial and len(misses[name]) < 5:
                misses[name].append(cable["reference_id"])
        if partial and record and record.kind == "cable" and not record.published:
            undated["n"] += 1
            undated["reference_id"] += record.reference_id is None
        if partial and record and record.kind == "cable" and not record.reference_id:
            # named as collections of the released cables name their files, then wrongly
            named["n"] += 1
            own = extract(text.encode("utf-8"), f"{cable['reference_id']}.txt")
            if own and own.reference_id:
                named["taken"] += 1
                named["reference_id"] += own.reference_id == cable["reference_id"]
                named["year"] += (own.published or "")[:4] == cable["created"][:4]
            other = extract(text.encode("utf-8"), f"{other_name[cable['reference_id']]}.txt")
            named["wrong"] += bool(other and other.reference_id)
        if re.search(r"^\s*SUBJ(?:ECT)?\s*:", cable["body"], re.M | re.I):
            subject["n"] += 1
            subject["found"] += bool(record and record.subject)
        stated = stated_subject(cable["body"], cable["reference_id"])
        if stated is not None:
            subject["stated"] += 1
            same = (record.subject or "").casefold() == stated.casefold() if record else False
            subject["equal"] += same
            if not same and len(subject_misses) < 10:
                subject_misses.append(
                    (
                        cable["reference_id"],
                        "| stated:",
                        stated,
                        "| stored:",
                        record and record.subject,
                    )
                )
    rows = [
        [group, c["n"]] + [pct(c[f], c["n"]) for f in _CABLE_FIELDS] for group, c in groups.items()
    ]
    pages = sorted((corpus / "cables" / "html_08TRIPOLI").glob("*.html"))
    page_counts = Counter()
    for page in pages:
        cells = lxml.html.fromstring(page.read_bytes()).xpath("//table[@class='cable']//tr[td]/td")
        values = [" ".join(td.text_content().split()) for td in cells][:5]
        gold = dict(
            zip(
                ("reference_id", "created", "released", "classification", "origin"),
                values,
                strict=False,
            )
        )
        record = extract(page.read_bytes(), page.name)
        pre = lxml.html.fromstring(page.read_bytes()).xpath("//pre")
        stated = stated_subject(pre[-1].text_content() if pre else "", page.stem)
        page_counts["subject_exact"] += bool(record) and record.subject == stated
        page_counts["n"] += 1
        for name, good in _compare_cable(record, gold).items():
            page_counts[name] += good
    rows.append(
        ["raw pages (html_08TRIPOLI)", page_counts["n"]]
        + [pct(page_counts[f], page_counts["n"]) for f in _CABLE_FIELDS]
    )
    table(
        f"Cables: {len(cables)} telegrams from cables.jsonl.gz and the raw pages",
        [
            "group",
            "cables",
            "reference id",
            "created date",
            "classification",
            "origin",
            "level (no caveats)",
        ],
        rows,
    )
    print(
        f"\n  subject found for cables with a SUBJECT: line: {pct(subject['found'], subject['n'])}"
    )
    print(
        f"  stored subject equal to the stated subject (line breaks and furniture removed, "
        f"any case): {pct(subject['equal'], subject['stated'])} of the cables with a SUBJECT line"
    )
    print(
        f"  raw pages (html_08TRIPOLI) whose subject is exactly the stated one: "
        f"{pct(page_counts['subject_exact'], page_counts['n'])}"
    )
    for miss in subject_misses:
        print("  subject miss:", *miss)
    print(
        f"  partial extracts left without a created date (no date of sending read): "
        f"{undated['n']} of {groups['partial extracts']['n']}, of which without a reference id: "
        f"{undated['reference_id']}"
    )
    print(
        f"  partial extracts without a reference id, written to a file named by their reference"
        f" id: {named['taken']} of {named['n']} take it from the name ({named['reference_id']}"
        f" equal to the gold, {named['year']} with the gold's year); named by another's: "
        f"{named['wrong']} take that name"
    )
    for name, ids in misses.items():
        if ids:
            print(f"  first misses on {name} (with date-time group): {', '.join(ids)}")
    results["cables"] = {g: dict(c) for g, c in groups.items()}
    results["cables"]["pages"] = dict(page_counts)
    results["cables"]["subject"] = dict(subject)
    results["cables"]["partial_undated"] = dict(undated)
    results["cables"]["partial_named"] = dict(named)


# --- PDFs --------------------------------------------------------------------------------

_CONTAINED = {
    "zen_of_python_corrupted.pdf",
    "contrib/issue-625-identity-cmap.pdf",
    "contrib/issue-791-non-unicode-cmap.pdf",
    "contrib/issue-886-xref-stream-widths.pdf",
}


def _similarity(expected: str, ours: str, contained: bool) -> float:
    def norm(text: str) -> str:
        return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))

    e, o = norm(expected), norm(ours)
    if not e and not o:
        return 1.0
    matcher = difflib.SequenceMatcher(None, e, o, autojunk=False)
    if contained:
        return sum(b.size for b in matcher.get_matching_blocks()) / max(1, len(e))
    return matcher.ratio()


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout


def section_pdf(corpus: Path, results: dict) -> None:
    files = sorted((corpus / "pdf").rglob("*.pdf"))
    rows = []
    times = []
    ingested = failed = 0
    bad_reasons = []
    texts: dict[str, str] = {}
    signal.signal(signal.SIGALRM, _alarm)
    for path in files:
        start = time.perf_counter()
        signal.alarm(120)
        try:
            record = ingest.extract(path.read_bytes(), Hint(name=path.name))
            origin = record.metadata["field_origins"].get("title", "file name")
            status, reason = (
                "ingested",
                f"{record.page_count} pages, {len(record.text):,} chars; title {record.title!r}"
                f" ({origin})",
            )
            texts[str(path.relative_to(corpus / "pdf"))] = record.text
            ingested += 1
        except ProvenanceError as exc:
            status, reason = "failed", str(exc)
            failed += 1
            if "\n" in reason or len(reason) > 200:
                bad_reasons.append(str(path))
        except _Timeout:
            status, reason = "failed", "took longer than 120 s (harness limit)"
            failed += 1
            bad_reasons.append(str(path))
        finally:
            signal.alarm(0)
        seconds = time.perf_counter() - start
        times.append(seconds)
        rows.append([str(path.relative_to(corpus / "pdf")), status, f"{seconds:.2f}", reason])
    table(
        f"PDFs: every file under pdf/ ({len(files)})",
        ["file", "status", "seconds", "pages or reason"],
        rows,
    )
    print(
        f"\n  ingested {ingested}, failed with a one-line reason {failed - len(bad_reasons)}, "
        f"other failures {len(bad_reasons)}; slowest {max(times):.2f} s; over 30 s: "
        f"{sum(t > 30 for t in times)}"
    )
    samples = corpus / "pdf" / "pdfminer-samples"
    expected = json.loads((samples / "expected_extract_text.json").read_text())["expected"]
    sims = []
    rows = []
    for key, text in expected.items():
        name = key.replace("_no_boxes_flow", "")
        ours = texts.get(f"pdfminer-samples/samples/{name}", "")
        score = _similarity(text, ours, name in _CONTAINED)
        sims.append(score)
        rows.append([key, "contained" if name in _CONTAINED else "whole text", f"{score:.3f}"])
    table(
        f"PDFs: normalised similarity on the {len(expected)} pdfminer samples with expected text",
        ["sample", "compared as", "similarity"],
        rows,
    )
    print(
        f"\n  mean {statistics.mean(sims):.3f}, minimum {min(sims):.3f}, at or above 0.95: {sum(s >= 0.95 for s in sims)} of {len(sims)}"
    )
    results["pdf"] = {
        "files": len(files),
        "ingested": ingested,
        "failed": failed,
        "not_one_line": bad_reasons,
        "slowest_seconds": max(times),
        "over_30s": sum(t > 30 for t in times),
        "similarity": dict(zip(expected, sims, strict=True)),
        "similarity_mean": statistics.mean(sims),
        "similarity_min": min(sims),
    }


# --- text that is not prose --------------------------------------------------------------

#: Files written by this harness: what `provenance add` must skip, each with its reason.
NOT_PROSE_FILES = {
    "passwd": "root:x:0:0:root:/root:/bin/bash\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n",
    "group": "root:x:0:\nadm:x:4:syslog\nsudo:x:27:alice\n",
    "config.json": json.dumps({"name": "demo", "port": 8080, "tags": ["a", "b"]}, indent=2),
    "records.jsonl": "\n".join(json.dumps({"id": i, "ok": i % 2 == 0}) for i in range(5)),
    "table.csv": "id,name,country,score\n1,Ann,NO,3.5\n2,Bob,SE,4.0\n3,Cem,TR,2.5\n",
    "table.tsv": "id\tname\n1\tAnn\n2\tBob\n3\tCem\n",
    "app.log": "".join(
        f"2024-03-0{d} 10:0{d}:00,123 INFO worker {d} started\n" for d in range(1, 6)
    ),
    "syslog": "".join(f"Mar  {d} 10:00:0{d} host sshd[42]: session opened\n" for d in range(1, 6)),
    "access.log": "".join(
        f'10.0.0.{d} - - [01/Mar/2024:10:00:0{d} +0000] "GET / HTTP/1.1" 200 512\n'
        for d in range(1, 6)
    ),
    "settings.ini": "[server]\nhost = example.org\nport = 8080\n\n[log]\nlevel = info\n",
    "sshd_config": "Port 22\nPermitRootLogin no\nPasswordAuthentication: no\n",
}


def section_nonprose(corpus: Path, results: dict) -> None:
    """Non-prose text files written here, added through the pipeline into a scratch database:
    each must be skipped with a one-line reason and none stored as a source."""
    import tempfile

    from provenance.db import open_db
    from provenance.pipeline import add

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "not-prose"
        folder.mkdir()
        for name, text in NOT_PROSE_FILES.items():
            (folder / name).write_text(text)
        db = open_db(Path(scratch) / "scratch.db")
        outcomes = list(add(db, [str(folder)], workers=1))
        sources = db.conn.execute("SELECT count(*) FROM sources").fetchone()[0]
        recorded = db.conn.execute("SELECT count(*) FROM failures").fetchone()[0]
        db.conn.close()
    rows = [
        [Path(r.input).name, r.status, (r.error or "").replace("\n", " ")[:90]] for r in outcomes
    ]
    table(
        f"Text that is not prose: {len(NOT_PROSE_FILES)} files added as a folder",
        ["file", "status", "reason"],
        rows,
    )
    skipped = sum(r.status == "skipped" and bool(r.error) and "\n" not in r.error for r in outcomes)
    print(
        f"\n  skipped with a one-line reason: {pct(skipped, len(NOT_PROSE_FILES))}; "
        f"failure rows recorded: {recorded}; sources stored: {sources}"
    )
    results["nonprose"] = {
        "files": len(NOT_PROSE_FILES),
        "skipped": skipped,
        "failure_rows": recorded,
        "sources": sources,
    }


LEGACY_ENCODINGS = ("cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1257", "koi8_r")


def section_charsets(corpus: Path, results: dict) -> None:
    from provenance.ingest.decode import decode

    texts = []
    base = corpus / "html" / "trafilatura"
    for item in json.loads((base / "evaldata.json").read_text()).values():
        record = extract((base / "pages" / item["file"]).read_bytes(), item["file"])
        if record is not None and record.text:
            texts.append(record.text)
    for page in sorted((corpus / "html" / "readability" / "pages").iterdir()):
        texts.append(squash(html_text((page / "expected.html").read_text())))
    samples = []
    for text in texts:
        for length in (300, 2000, None):
            cut = text[:length] if length else text
            if cut.isascii():
                continue
            letters = [c for c in cut if c.isalpha()]
            accented = sum(not c.isascii() for c in letters) >= 0.01 * max(1, len(letters))
            for encoding in LEGACY_ENCODINGS:
                try:
                    samples.append((cut, encoding, cut.encode(encoding), length, accented))
                except UnicodeEncodeError:
                    continue

    def normalizer(data: bytes) -> str:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:200_000]).best()
        return data.decode(best.encoding if best else "cp1252", errors="replace")

    deciders = {"shipped": lambda data: decode(data)[0]}
    try:
        import charset_normalizer  # noqa: F401

        deciders["charset-normalizer"] = normalizer
    except ImportError:
        pass
    right: dict[str, Counter] = {name: Counter() for name in deciders}
    seconds = {}
    for name, decide in deciders.items():
        start = time.process_time()
        for cut, encoding, data, length, accented in samples:
            if decide(data) == cut:
                right[name][(encoding, length)] += 1
                right[name][("accented", length)] += accented
                right[name]["all"] += 1
        seconds[name] = time.process_time() - start
    totals = Counter()
    for _cut, encoding, _data, length, accented in samples:
        totals[(encoding, length)] += 1
        totals[("accented", length)] += accented
    rows = []
    for group in (*LEGACY_ENCODINGS, "accented"):
        for length in (300, 2000, None):
            if totals[(group, length)]:
                rows.append(
                    [group, length or "whole", totals[(group, length)]]
                    + [
                        pct(right[name][(group, length)], totals[(group, length)])
                        for name in deciders
                    ]
                )
    rows.append(
        ["all", "", len(samples)] + [pct(right[name]["all"], len(samples)) for name in deciders]
    )
    rows.append(["CPU seconds", "", ""] + [f"{seconds[name]:.1f}" for name in deciders])
    table(
        f"Charsets: {len(texts)} real main texts in legacy code pages, read back exactly",
        ["code page", "characters", "samples", *deciders],
        rows,
    )
    results["charsets"] = {
        name: {"right": right[name]["all"], "samples": len(samples), "cpu_s": seconds[name]}
        for name in deciders
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help=f"comma-separated sections of: {', '.join(SECTIONS)}")
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    parser.add_argument(
        "--pages",
        action="store_true",
        help="main text: also list the pages where ours and trafilatura.extract differ;"
        " metadata: every page's publication date and its origin",
    )
    args = parser.parse_args()
    global SHOW_PAGES
    SHOW_PAGES = args.pages
    corpus = corpus_path()
    if not corpus.is_dir():
        print(f"corpus not found at {corpus} (set PROVENANCE_CORPUS): nothing measured")
        return 0
    chosen = args.only.split(",") if args.only else list(SECTIONS)
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    results: dict = {"corpus": str(corpus), "seconds": {}}
    import logging

    logging.disable(logging.WARNING)  # parsers warn about every odd page
    for name in chosen:
        start = time.perf_counter()
        globals()[f"section_{name}"](corpus, results)
        results["seconds"][name] = round(time.perf_counter() - start, 1)
        print(f"\n  ({name}: {results['seconds'][name]} s)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
