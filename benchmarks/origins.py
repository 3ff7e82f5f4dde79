"""Origins harness: where did they get it, on the articles that cite cables, with renditions.

One command (from the project root):

    .venv/bin/python benchmarks/origins.py                  # a few minutes on 2 cores
    .venv/bin/python benchmarks/origins.py --per-month 30   # more distractor cables

It reads ``../shared/corpus`` (or ``$PROVENANCE_CORPUS``) and says so and stops when it is
absent. Cases, built here from the corpus:

- the cables cited by the 19 pages of ``cables/articles_citing_cables`` (``citations_index.json``)
  and, as distractors, ``--per-month`` other cables of each month one of them was sent in,
  written out as WikiLeaks-style cable pages (``benchmarks/linking.py``'s writer);
- each of the 19 pages three times: the page itself, a **plain-text copy** (its title and text
  layer as a reader would save them, no date, no links) and a **reprint** under another headline
  by another (invented) outlet three days later, its hyperlinks kept. The copies of half the
  pages are added before their pages, the rest after, and the reprints last.

Gold: a cited cable of ``citations_index.json`` is a (rendition, cable) pair to find in the page
and in its reprint; in the plain-text copy, which lost its hyperlinks, those the copy still names
(by reference id or by a labelled description). A **description** ("An October 2005 cable") is
labelled with the cited cable named by a reference id or hyperlink in its own sentence of the
page, else by hand in ``benchmarks/origins_descriptions.json`` (with the reason of each label; a
null label means the right answer is "unresolved").

Prints, as JSON (also written to ``benchmarks/out/origins-report.json``): precision and recall
of cited cables over identifiers, URLs and descriptions, and of descriptions alone; the
description thresholds calibrated by two-fold cross-validation over the pages (tuned on one half,
scored on the other) beside the shipped ones; citations, quote traces and claim links within
one work (must be 0); links against time's arrow (must be 0); unresolved citations without
stored candidates and a reason (must be 0); and whether each page's renditions form one work.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import os
import random
import re
import sqlite3
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from provenance import citations, pipeline, works  # noqa: E402
from provenance.db import open_db  # noqa: E402

OUT = ROOT / "benchmarks" / "out" / "origins"
LABELS = ROOT / "benchmarks" / "origins_descriptions.json"
REPRINT_OUTLET = "The Meridian Wire (a benchmark reprint; invented outlet)"
_CABLE_ID = re.compile(r"\b\d{2}[A-Z]{3,}\d{1,6}\b")


def corpus_dir() -> Path | None:
    path = Path(os.environ.get("PROVENANCE_CORPUS") or ROOT.parent / "shared" / "corpus")
    return path if (path / "cables" / "articles_citing_cables").exists() else None


def _fresh(path: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def add_all(db_path: Path, inputs: list[str]) -> dict[str, int]:
    db = open_db(db_path)
    counts: dict[str, int] = {}
    for result in pipeline.add(db, inputs):
        counts[result.status] = counts.get(result.status, 0) + 1
    db.conn.close()
    return counts


# --- cases -------------------------------------------------------------------------------


def write_cables(corpus: Path, target: Path, per_month: int, seed: int) -> list[str]:
    """The cited cables and ``per_month`` distractors of each of their months, as cable pages."""
    from linking import _PAGE  # benchmarks/linking.py: one writer of cable pages

    gold = json.loads(
        (corpus / "cables" / "articles_citing_cables" / "citations_index.json").read_text()
    )
    cited = {c for v in gold.values() for c in v["cited_cable_ids"]}
    records = {}
    with gzip.open(corpus / "cables" / "cables.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            cable = json.loads(line)
            records[cable["reference_id"]] = cable
    months = {records[c]["created"][:7] for c in cited if c in records}
    rng = random.Random(seed)
    chosen = set(cited & records.keys())
    for month in sorted(months):
        pool = sorted(r for r, c in records.items() if c["created"][:7] == month and r not in cited)
        chosen |= set(rng.sample(pool, min(per_month, len(pool))))
    target.mkdir(parents=True, exist_ok=True)
    paths = []
    for ref in sorted(chosen):
        cable = records[ref]
        fields = {k: html.escape(cable.get(k) or "") for k in
                  ("created", "released", "classification", "origin")}  # fmt: skip
        path = target / f"{ref}.html"
        path.write_text(
            _PAGE.format(ref=html.escape(ref), routing=html.escape(cable["routing_header"]),
                         body=html.escape(cable["body"]), **fields),
            encoding="utf-8",
        )  # fmt: skip
        paths.append(str(path))
    return paths


def write_renditions(pages: list[Path], target: Path) -> tuple[dict[str, Path], dict[str, Path]]:
    """A plain-text copy and a reprint of each page, from the text layer the tool reads."""
    target.mkdir(parents=True, exist_ok=True)
    scratch = _fresh(target / "scratch.db")
    add_all(scratch, [str(p) for p in pages])
    conn = sqlite3.connect(scratch)
    copies, reprints = {}, {}
    for page in pages:
        source_id, title, text, published = conn.execute(
            "SELECT id, title, text, published FROM sources WHERE input = ? AND parent_id IS NULL",
            (str(page),),
        ).fetchone()
        links = conn.execute(
            "SELECT start, end, identifier FROM citations WHERE citing_source_id = ?"
            " AND kind = 'link' ORDER BY start",
            (source_id,),
        ).fetchall()
        copy = target / f"{page.stem}.txt"
        copy.write_text(f"{title}\n\n{text}\n", encoding="utf-8")
        copies[page.name] = copy
        reprints[page.name] = target / f"reprint-{page.name}"
        reprints[page.name].write_text(_reprint(title, text, published, links), encoding="utf-8")
    conn.close()
    return copies, reprints


def _reprint(title: str, text: str, published: str | None, links: list[tuple]) -> str:
    """The story under another headline, by another outlet, three days later, links kept."""
    pieces, cursor = [], 0
    for start, end, url in links:
        if start < cursor:
            continue
        pieces.append(html.escape(text[cursor:start]))
        pieces.append(f'<a href="{html.escape(url)}">{html.escape(text[start:end])}</a>')
        cursor = end
    pieces.append(html.escape(text[cursor:]))
    body = "".join(pieces)
    paragraphs = "\n".join(f"<p>{p}</p>" for p in body.split("\n\n") if p.strip())
    words = [w for w in re.findall(r"[\w’'-]+", text.split("\n\n")[0]) if w][:9]
    headline = "Reprint: " + " ".join(words) if words else "Reprint"
    when = ""
    if published:
        day = datetime.fromisoformat(published[:10]) + timedelta(days=3)
        when = f'<meta property="article:published_time" content="{day.date().isoformat()}">'
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(headline)} - {REPRINT_OUTLET}</title>
<meta property="og:title" content="{html.escape(headline)}">
<meta property="og:site_name" content="{REPRINT_OUTLET}">
{when}
</head><body><article><h1>{html.escape(headline)}</h1>
{paragraphs}
<p>Reprinted from the original story (“{html.escape(title or "")}”).</p>
</article></body></html>
"""


# --- gold ----------------------------------------------------------------------------------


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    a = max(text.rfind(". ", 0, start), text.rfind("\n", 0, start)) + 1
    ends = [i for i in (text.find(". ", end), text.find("\n", end)) if i >= 0]
    return a, min(ends) if ends else len(text)


def description_labels(
    conn: sqlite3.Connection, page_ids: dict[str, int], gold: dict
) -> dict[tuple[str, str], tuple[str | None, str]]:
    """(page, mention) → (the cable it names or None, how that was decided)."""
    hand = json.loads(LABELS.read_text())
    labels = {}
    for page, source_id in page_ids.items():
        cited = set(gold[page]["cited_cable_ids"])
        text = conn.execute("SELECT text FROM sources WHERE id = ?", (source_id,)).fetchone()[0]
        for start, end, mention in conn.execute(
            "SELECT start, end, mention FROM citations WHERE citing_source_id = ?"
            " AND kind = 'description'",
            (source_id,),
        ).fetchall():
            by_hand = next(
                (v for k, v in hand.get(page, {}).items() if mention.startswith(k)), None
            )
            if by_hand is not None:
                labels[(page, mention)] = (by_hand[0], "hand")
                continue
            a, b = _sentence(text, start, end)
            named = [
                _cable_of(identifier)
                for identifier, kind in conn.execute(
                    "SELECT identifier, kind FROM citations WHERE citing_source_id = ?"
                    " AND kind IN ('cable', 'link', 'url') AND start < ? AND end > ?",
                    (source_id, b, a),
                )
            ]
            named = [c for c in named if c in cited]
            labels[(page, mention)] = (named[0] if named else None, "id or link in its sentence")
    return labels


def _cable_of(identifier: str | None) -> str | None:
    found = _CABLE_ID.findall(identifier or "")
    return found[-1] if found else None


# --- measures -----------------------------------------------------------------------------


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 1.0


def measure(db_path: Path, corpus: Path, copies: dict, reprints: dict) -> dict:
    conn = sqlite3.connect(db_path)
    gold = json.loads(
        (corpus / "cables" / "articles_citing_cables" / "citations_index.json").read_text()
    )
    renditions: dict[int, tuple[str, str]] = {}  # source id → (page, rendition)
    page_ids = {}
    for source_id, path in conn.execute("SELECT id, input FROM sources WHERE parent_id IS NULL"):
        name = Path(path).name
        if name in gold and path.endswith(".html") and "reprint-" not in name:
            renditions[source_id] = (name, "page")
            page_ids[name] = source_id
        for page, copy in copies.items():
            if path == str(copy):
                renditions[source_id] = (page, "plain-text copy")
        for page, reprint in reprints.items():
            if path == str(reprint):
                renditions[source_id] = (page, "reprint")
    labels = description_labels(conn, page_ids, gold)
    refs = dict(conn.execute("SELECT id, reference_id FROM sources WHERE kind = 'cable'"))

    # Pairs: what each rendition cites, against what it should.
    predicted, gold_pairs = set(), set()
    described: dict[str, list] = {"correct": [], "wrong": [], "missed": [], "unresolved_right": []}
    per_kind: dict[str, dict[str, int]] = {}
    for source_id, (page, rendition) in renditions.items():
        text = conn.execute("SELECT text FROM sources WHERE id = ?", (source_id,)).fetchone()[0]
        named_by_id = set(_CABLE_ID.findall(text))
        wanted = set(gold[page]["cited_cable_ids"])
        if rendition == "plain-text copy":
            labelled = {v[0] for (p, _), v in labels.items() if p == page and v[0]}
            wanted = wanted & (named_by_id | labelled)
        gold_pairs |= {(source_id, c) for c in wanted}
        for kind, mention, cited in conn.execute(
            "SELECT kind, mention, cited_source_id FROM citations WHERE citing_source_id = ?",
            (source_id,),
        ):
            ref = refs.get(cited)
            counts = per_kind.setdefault(kind, {"mentions": 0, "resolved_to_cable": 0})
            counts["mentions"] += 1
            if ref:
                counts["resolved_to_cable"] += 1
                predicted.add((source_id, ref))
            if kind != "description":
                continue
            label = labels.get((page, mention))
            if label is None:
                continue  # a description the page itself does not have
            row = {"page": page, "rendition": rendition, "mention": mention, "gold": label[0],
                   "label": label[1], "resolved": ref}  # fmt: skip
            if label[0] is None:
                described["unresolved_right" if cited is None else "wrong"].append(row)
            elif ref == label[0]:
                described["correct"].append(row)
            elif cited is None:
                described["missed"].append(row)
            else:
                described["wrong"].append(row)
    hits = predicted & gold_pairs
    labelled = (
        len(described["correct"])
        + len(described["missed"])
        + sum(1 for r in described["wrong"] if r["gold"])
    )
    report = {
        "cables": len(refs),
        "renditions": {
            r: sum(1 for v in renditions.values() if v[1] == r)
            for r in ("page", "plain-text copy", "reprint")
        },  # fmt: skip
        "cited_cables": {
            "gold_pairs": len(gold_pairs),
            "predicted_pairs": len(predicted),
            "precision": _ratio(len(hits), len(predicted)),
            "recall": _ratio(len(hits), len(gold_pairs)),
            "missed": sorted(
                (renditions[s][0], renditions[s][1], c) for s, c in gold_pairs - predicted
            ),
            "not_in_gold": sorted(
                (renditions[s][0], renditions[s][1], c) for s, c in predicted - gold_pairs
            ),
            "mentions_by_kind": per_kind,
        },
        "descriptions": {
            "labelled": sum(len(v) for v in described.values()),
            "naming_a_cited_cable": labelled,
            "resolved_correctly": len(described["correct"]),
            "resolved_wrongly": len(described["wrong"]),
            "left_unresolved_though_labelled": len(described["missed"]),
            "left_unresolved_rightly": len(described["unresolved_right"]),
            "precision": _ratio(
                len(described["correct"]), len(described["correct"]) + len(described["wrong"])
            ),
            "recall": _ratio(len(described["correct"]), labelled),
            "wrong": described["wrong"],
            "missed": described["missed"],
        },
    }
    report["calibration"] = calibrate(conn, renditions, labels, refs)
    report["content_fit"] = content_fit(conn, corpus, page_ids, gold, refs)
    report["checks"] = checks(conn, renditions)
    conn.close()
    return report


def _decide(candidates: list[dict], minimum: float, runner_up: float) -> int | None:
    if not candidates or candidates[0]["score"] <= 0:
        return None
    best = candidates[0]["score"]
    second = candidates[1]["score"] if len(candidates) > 1 else 0.0
    return candidates[0]["source_id"] if best >= minimum and second <= runner_up * best else None


def calibrate(conn, renditions: dict, labels: dict, refs: dict) -> dict:
    """The description thresholds, tuned on half the pages and scored on the other half (and
    the other way round), from the candidates and scores every description stores."""
    cases = []  # (page, gold ref, candidates) of descriptions decided by their candidates
    for source_id, (page, _) in renditions.items():
        for mention, evidence in conn.execute(
            "SELECT mention, evidence FROM citations WHERE citing_source_id = ?"
            " AND kind = 'description'",
            (source_id,),
        ):
            label = labels.get((page, mention))
            found = json.loads(evidence or "{}")
            if label is None or "beside_identifier" in found:
                continue
            cases.append((page, label[0], found.get("candidates") or []))
    pages = sorted({c[0] for c in cases})
    folds = [set(pages[0::2]), set(pages[1::2])]
    grid = [(m, r) for m in (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0) for r in (0.4, 0.5, 0.6, 0.7, 0.8)]

    def score(chosen: list, minimum: float, runner_up: float) -> dict:
        right = wrong = missed = 0
        for _, gold_ref, candidates in chosen:
            decided = _decide(candidates, minimum, runner_up)
            ref = refs.get(decided) if decided is not None else None
            if decided is None:
                missed += gold_ref is not None
            elif ref == gold_ref:
                right += 1
            else:
                wrong += 1
        return {"right": right, "wrong": wrong, "missed": missed}

    def utility(s: dict) -> float:
        return s["right"] - 3 * s["wrong"] - 0.5 * s["missed"]  # a wrong source is worse

    held_out = {"right": 0, "wrong": 0, "missed": 0}
    chosen_by_fold = []
    for k, test in enumerate(folds):
        train = [c for c in cases if c[0] not in test]
        best = max(grid, key=lambda g: (utility(score(train, *g)), g[0], -g[1]))
        chosen_by_fold.append({"fold": k, "min_score": best[0], "max_runner_up": best[1]})
        for key, value in score([c for c in cases if c[0] in test], *best).items():
            held_out[key] += value
    shipped = score(cases, citations.MIN_DESCRIPTION_SCORE, citations.MAX_RUNNER_UP)
    on_all = max(grid, key=lambda g: (utility(score(cases, *g)), g[0], -g[1]))
    return {
        "chosen_on_all_pages": {"min_score": on_all[0], "max_runner_up": on_all[1]},
        "descriptions_decided_by_candidates": len(cases),
        "thresholds_by_fold": chosen_by_fold,
        "held_out": held_out,
        "held_out_precision": _ratio(held_out["right"], held_out["right"] + held_out["wrong"]),
        "shipped": {
            "min_score": citations.MIN_DESCRIPTION_SCORE,
            "max_runner_up": citations.MAX_RUNNER_UP,
            **shipped,
        },  # fmt: skip
    }


def content_fit(conn, corpus: Path, page_ids: dict, gold: dict, refs: dict) -> dict:
    """What the content of a passage says about the cable it names (``citations.MIN_COVERAGE``).

    Each page's passages that name a cited cable (by reference id, hyperlink or description;
    the passage a description of it would have), as the resolver reads them: the share of the
    passage's weighed words (IDF over this archive) held by the cited cable, and the highest
    share held by any *other* cable of the same post, of any year, in the whole corpus — what
    resolving by content alone would pick if that other cable were the only one stored."""
    from provenance import citations as c

    records = {}
    with gzip.open(corpus / "cables" / "cables.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            cable = json.loads(line)
            records[cable["reference_id"]] = cable
    by_post: dict[str, list[str]] = {}
    for ref, cable in records.items():
        by_post.setdefault(cable["origin"], []).append(ref)

    def text_of(ref: str) -> str:
        return records[ref]["routing_header"] + "\n" + records[ref]["body"]

    rows, seen = [], set()
    for page, source_id in sorted(page_ids.items()):
        text = conn.execute("SELECT text FROM sources WHERE id = ?", (source_id,)).fetchone()[0]
        mentions = conn.execute(
            "SELECT start, end, cited_source_id FROM citations WHERE citing_source_id = ?"
            " AND start IS NOT NULL ORDER BY start",
            (source_id,),
        ).fetchall()
        family = works.family(conn, [source_id])
        for start, end, cited in mentions:
            ref = refs.get(cited)
            if ref not in gold[page]["cited_cable_ids"] or ref not in records:
                continue
            others = [m[0] for m in mentions if m[0] != start]
            target = c.parse_target(text, start, end)
            lo, hi = c._passage(text, start, end, others)
            hi = c._refers_back(text, hi, target, others)
            if (lo, hi, ref) in seen:
                continue
            seen.add((lo, hi, ref))
            weights = c.passage_weights(conn, text[lo:start] + " " + text[end:hi], family)
            if not weights:
                continue
            siblings = [r for r in by_post[records[ref]["origin"]] if r != ref]
            other = max((c.covered(weights, text_of(r)), r) for r in siblings) if siblings else None
            rows.append((round(c.covered(weights, text_of(ref)), 3), other, page, ref))
    threshold = c.MIN_COVERAGE
    highest = max((r[1][0] for r in rows if r[1]), default=0.0)
    return {
        "passages": len(rows),
        "other_cables_compared": sum(len(by_post[records[r[3]]["origin"]]) - 1 for r in rows),
        "min_coverage": threshold,
        "cited_cable_at_or_above": sum(r[0] >= threshold for r in rows),
        "another_cable_at_or_above": sum(bool(r[1]) and r[1][0] >= threshold for r in rows),
        "highest_other": round(highest, 3),
        "highest_others": sorted(
            ([round(r[1][0], 3), r[1][1], r[2]] for r in rows if r[1]), reverse=True
        )[:5],
        "cited_cable_coverages": sorted((r[0] for r in rows), reverse=True),
        "lowest_threshold_no_other_reaches": next(
            (t / 100 for t in range(50, 100, 5) if t / 100 > highest), None
        ),
    }


def checks(conn: sqlite3.Connection, renditions: dict) -> dict:
    """What must be 0 (or true) whatever the data."""
    same_work = "(SELECT work_id FROM sources WHERE id = {a}) = (SELECT work_id FROM sources WHERE id = {b})"
    citations_within = conn.execute(
        "SELECT count(*) FROM citations c WHERE cited_source_id IS NOT NULL AND "
        + same_work.format(a="c.citing_source_id", b="c.cited_source_id")
    ).fetchone()[0]
    quotes_within = conn.execute(
        "SELECT count(*) FROM quotes q WHERE traced_source_id IS NOT NULL AND "
        + same_work.format(a="q.source_id", b="q.traced_source_id")
    ).fetchone()[0]
    links_within = conn.execute(
        "SELECT count(*) FROM claim_links l JOIN claims a ON a.id = l.claim_id"
        " JOIN claims b ON b.id = l.other_claim_id WHERE "
        + same_work.format(a="a.source_id", b="b.source_id")
    ).fetchone()[0]
    attributions_within = conn.execute(
        "SELECT count(*) FROM attributions t WHERE cited_source_id IS NOT NULL AND "
        + same_work.format(a="t.source_id", b="t.cited_source_id")
    ).fetchone()[0]
    against_arrow = 0
    for citing, cited in conn.execute(
        "SELECT citing_source_id, cited_source_id FROM citations WHERE cited_source_id IS NOT NULL"
    ).fetchall():
        against_arrow += (
            works.time_rule(works.dated(conn, citing), works.dated(conn, cited)) is None
        )
    for quoting, traced in conn.execute(
        "SELECT source_id, traced_source_id FROM quotes WHERE traced_source_id IS NOT NULL"
    ).fetchall():
        against_arrow += (
            works.time_rule(works.dated(conn, quoting), works.dated(conn, traced)) is None
        )
    no_reason = [
        (mention, evidence)
        for mention, evidence in conn.execute(
            "SELECT mention, evidence FROM citations WHERE cited_source_id IS NULL"
        )
        if not evidence
        or "unresolved" not in json.loads(evidence)
        or "candidates" not in json.loads(evidence)
    ]
    unresolved = conn.execute(
        "SELECT count(*) FROM citations WHERE cited_source_id IS NULL"
    ).fetchone()[0]
    by_page: dict[str, set[int]] = {}
    for source_id, (page, _) in renditions.items():
        work = conn.execute("SELECT work_id FROM sources WHERE id = ?", (source_id,)).fetchone()[0]
        by_page.setdefault(page, set()).add(work)
    one_work = sum(len(w) == 1 for w in by_page.values())
    works_shared = len(by_page) - len({next(iter(w)) for w in by_page.values() if len(w) == 1})
    cables_in_article_works = conn.execute(
        "SELECT count(*) FROM sources c JOIN sources w ON w.work_id = c.work_id AND w.id != c.id"
        " WHERE c.kind = 'cable' AND w.kind != 'cable'"
    ).fetchone()[0]
    return {
        "citations_within_a_work": citations_within,
        "quote_traces_within_a_work": quotes_within,
        "claim_links_within_a_work": links_within,
        "attributions_within_a_work": attributions_within,
        "links_against_times_arrow": against_arrow,
        "unresolved_citations": unresolved,
        "unresolved_without_candidates_and_reason": len(no_reason),
        "examples_without_reason": no_reason[:3],
        "pages_whose_3_renditions_are_one_work": f"{one_work}/{len(by_page)}",
        "pages_sharing_a_work_with_another_page": works_shared - (len(by_page) - one_work),
        "cables_in_the_work_of_an_article": cables_in_article_works,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-month", type=int, default=10, help="distractor cables per month")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    corpus = corpus_dir()
    if corpus is None:
        print("origins: the corpus (../shared/corpus or $PROVENANCE_CORPUS) is absent; skipped")
        return
    sys.path.insert(0, str(ROOT / "benchmarks"))
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    cables = write_cables(corpus, out / "cables", args.per_month, args.seed)
    pages = sorted((corpus / "cables" / "articles_citing_cables").glob("*.html"))
    copies, reprints = write_renditions(pages, out / "renditions")
    db_path = _fresh(out / "origins.db")
    first_half = {p.name for p in pages[0::2]}
    order = (
        cables
        + [str(copies[p.name]) for p in pages if p.name in first_half]
        + [str(p) for p in pages]
        + [str(copies[p.name]) for p in pages if p.name not in first_half]
        + [str(reprints[p.name]) for p in pages]
    )
    counts = add_all(db_path, order)
    report = {"added": counts, "build_seconds": round(time.perf_counter() - started, 1)}
    report.update(measure(db_path, corpus, copies, reprints))
    (out / "origins-report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
