"""Property tests (hypothesis): for any input, a domain error or a source whose invariants hold.

And for re-anchoring: for any sequence of edits to a text full of look-alike sentences, no
claim is ever anchored anywhere but where its own sentence went.
"""

from __future__ import annotations

import gzip
import io
import itertools
import os
import tempfile
from pathlib import Path

import pypdf
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from provenance import pipeline
from provenance.anchoring import Claim, reanchor
from provenance.db import open_db
from provenance.errors import LimitExceeded, ProvenanceError
from provenance.ingest.base import Hint
from provenance.inputs import Fetched, display_name, gunzip
from provenance.text import TextBuilder, normalise, sentence_spans
from provenance.verify import verify

from .conftest import FIXTURES

#: Multiply every example count, for a long run: PROVENANCE_PROPERTY_SCALE=50 .venv/bin/pytest …
SCALE = int(os.environ.get("PROVENANCE_PROPERTY_SCALE", "1"))


def examples(count: int) -> int:
    return count * SCALE


PROPERTIES = settings(
    deadline=None,
    max_examples=examples(60),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- inputs -----------------------------------------------------------------------------

WORDS = st.sampled_from(
    "The council said 40 people were hurt on Monday according to officials in Port Velmora "
    "ministry Dr. U.S. Gen. Jan. 5 percent million “quoted” «guillemets» café naïve 中文 "
    "عربى \u00a0 \u200b \u00ad & &amp; &#0; &#xD800; &lt;p&gt; \t \r\n".split(" ")
)
SENTENCES = st.lists(WORDS, min_size=0, max_size=25).map(" ".join)
TAGS = st.sampled_from(
    "p div article section h1 h2 h3 a time span b i blockquote pre ul li table tr td br "
    "script style nav footer header main aside title meta".split()
)
CLASSES = st.sampled_from(["", "hentry", "h-entry", "post", "entry-content", "share", "byline"])


@st.composite
def markup(draw, depth: int = 0) -> str:
    """HTML-ish markup: real tags, attributes, text, entities, comments, left open at times."""
    parts = []
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.integers(0, 9))
        if kind < 4 or depth > 4:
            parts.append(draw(SENTENCES))
        elif kind == 4:
            parts.append(draw(st.sampled_from(["<!--", "-->", "<![CDATA[", "]]>", "<", ">", "&"])))
        else:
            tag = draw(TAGS)
            attrs = f' class="{draw(CLASSES)}"'
            if tag == "a":
                attrs += f' href="/{draw(st.integers(0, 9))}/" rel="author"'
            if tag == "time":
                attrs += f' datetime="{draw(st.sampled_from(["2012-04-18", "nonsense", ""]))}"'
            if tag == "meta":
                attrs = f' property="og:type" content="{draw(st.sampled_from(["article", "x"]))}"'
            inner = draw(markup(depth + 1))
            close = draw(st.booleans()) or depth == 0
            parts.append(f"<{tag}{attrs}>{inner}" + (f"</{tag}>" if close else ""))
    return "".join(parts)


HTML = st.builds(
    lambda head, body, enc: (
        f"<html><head><meta charset='utf-8'><title>{head}</title></head><body>{body}</body></html>"
    ).encode(enc, "replace"),
    SENTENCES,
    markup(),
    st.sampled_from(["utf-8", "cp1252", "utf-16"]),
)

TELEGRAM_LINES = st.sampled_from(
    [
        "O 151250Z FEB 08",
        "FM AMEMBASSY VELMORA",
        "TO SECSTATE WASHDC 1234",
        "C O N F I D E N T I A L VELMORA 000112",
        "UNCLAS SECTION 01 OF 02",
        "SIPDIS",
        "E.O. 12958: DECL: 02/15/2018",
        "TAGS: PREL ECON VL",
        "SUBJECT: HARBOUR AUTHORITY DISPUTES FIGURES",
        "REF: A. 08 VELMORA 99 B. STATE 1234",
        "Classified By: Ambassador A. Person for reasons 1.4 (b) and (d).",
        "1. (C) Summary: the board said 40 trawlers were seized.",
        "¶2. (S/NF) The minister told us prices rose 12 percent.",
        "A. (SBU) Another paragraph.",
        "VELMORA 00000112 002.2 OF 002",
        "",
    ]
)
TELEGRAMS = st.lists(st.one_of(TELEGRAM_LINES, SENTENCES), max_size=30).map(
    lambda lines: "\n".join(lines).encode("utf-8")
)

REPORT = (FIXTURES / "report.pdf").read_bytes()


@st.composite
def damaged_pdfs(draw) -> bytes:
    """The fixture report with bytes flipped, cut short, or spliced."""
    data = bytearray(REPORT)
    for _ in range(draw(st.integers(1, 8))):
        position = draw(st.integers(0, len(data) - 1))
        data[position] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        data = data[: draw(st.integers(8, len(data)))]
    return bytes(data)


def generated_pdf(texts: list[str]) -> bytes:
    writer = pypdf.PdfWriter()
    for text in texts:
        page = writer.add_blank_page(300, 300)
        escaped = text.encode("latin-1", "replace").replace(b"\\", b"\\\\")
        escaped = escaped.replace(b"(", b"\\(").replace(b")", b"\\)")
        stream = pypdf.generic.DecodedStreamObject()
        stream.set_data(b"BT /F1 10 Tf 10 200 Td (" + escaped + b") Tj ET")
        font = pypdf.generic.DictionaryObject(
            {
                pypdf.generic.NameObject("/Type"): pypdf.generic.NameObject("/Font"),
                pypdf.generic.NameObject("/Subtype"): pypdf.generic.NameObject("/Type1"),
                pypdf.generic.NameObject("/BaseFont"): pypdf.generic.NameObject("/Helvetica"),
            }
        )
        page[pypdf.generic.NameObject("/Resources")] = pypdf.generic.DictionaryObject(
            {
                pypdf.generic.NameObject("/Font"): pypdf.generic.DictionaryObject(
                    {pypdf.generic.NameObject("/F1"): writer._add_object(font)}
                )
            }
        )
        page[pypdf.generic.NameObject("/Contents")] = writer._add_object(stream)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


ANY_INPUT = st.one_of(
    st.binary(max_size=2000),
    st.text(max_size=500).map(lambda t: t.encode("utf-8", "surrogatepass")),
    HTML,
    TELEGRAMS,
    damaged_pdfs(),
    st.lists(SENTENCES, min_size=1, max_size=3).map(generated_pdf),
    st.one_of(HTML, TELEGRAMS).map(gzip.compress),
)
NAMES = st.sampled_from(["page.html", "notes.txt", "report.pdf", "cable.txt", "x", "a.gz", ""])


def check_invariants(prepared) -> None:
    """What every prepared input must satisfy before it may be stored."""
    for record, analysis in zip(prepared.flatten(), prepared.analyses, strict=True):
        text = record.text
        for span in record.structure:
            assert 0 <= span.start <= span.end <= len(text)
        if record.parent_start is not None:
            assert prepared.record.text[record.parent_start : record.parent_end] == text
        if analysis is None:
            continue
        pages = {s.number: s for s in record.structure if s.kind == "page"}
        for claim in analysis.claims:
            assert text[claim.start : claim.end] == claim.text and claim.text
            if claim.page is not None:
                page = pages[claim.page]
                assert page.start <= claim.start and claim.end <= page.end
        for quote in analysis.quotes:
            assert text[quote.start : quote.end] == quote.text


@PROPERTIES
@given(data=ANY_INPUT, name=NAMES)
def test_any_input_gives_a_domain_error_or_a_record_whose_invariants_hold(data, name):
    fetched = Fetched(input=name, data=data, hint=Hint(name=name or None), retrieved="now")
    try:
        prepared = pipeline.prepare(fetched)
    except ProvenanceError:
        return
    check_invariants(prepared)


@settings(PROPERTIES, max_examples=examples(15))
@given(inputs=st.lists(st.tuples(ANY_INPUT, NAMES), min_size=1, max_size=4))
def test_any_batch_stores_sources_that_verify(inputs):
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for n, (data, name) in enumerate(inputs):
            path = Path(folder, "in", f"{n}-{name or 'noname'}")
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(data)
            paths.append(str(path))
        db = open_db(Path(folder, "p.db"))
        try:
            results = list(pipeline.add(db, paths))
            assert {r.input for r in results} == set(paths)
            # "skipped": text that is not prose (a line of symbols), recorded as a failure
            assert all(r.status in ("added", "unchanged", "failed", "skipped") for r in results)
            not_stored = {r.input for r in results if r.status in ("failed", "skipped")}
            stored = {
                row[0]
                for row in db.conn.execute("SELECT input FROM sources WHERE parent_id IS NULL")
            }
            assert not not_stored & stored  # whole or not at all
            report = verify(db.conn)
            assert report.ok, report.problems
        finally:
            db.conn.close()


# --- the text layer ---------------------------------------------------------------------


@PROPERTIES
@given(st.text())
def test_normalise_is_idempotent(text):
    assert normalise(normalise(text)) == normalise(text)


@PROPERTIES
@given(st.lists(st.tuples(st.text(max_size=80), st.sampled_from(["paragraph", "heading"]))))
def test_text_builder_spans_hold_their_blocks(blocks):
    builder = TextBuilder()
    spans = [builder.add(text, kind) for text, kind in blocks]
    text = builder.text()
    for span, (block, _) in zip(spans, blocks, strict=True):
        if span is not None:
            assert text[span.start : span.end] == normalise(block).replace("\n\n", "\n")
    assert normalise(text) == text


@PROPERTIES
@given(st.one_of(st.text(), SENTENCES))
def test_sentence_spans_are_ordered_stripped_and_inside_the_text(text):
    previous_end = 0
    for start, end in sentence_spans(text):
        assert previous_end <= start < end <= len(text)
        assert text[start:end] == text[start:end].strip()
        previous_end = end


# --- limits -----------------------------------------------------------------------------


@PROPERTIES
@given(st.binary(max_size=5000), st.integers(1, 6000))
def test_gunzip_returns_the_bytes_or_stops_at_the_cap(data, cap):
    packed = gzip.compress(data)
    if len(data) <= cap:
        assert gunzip(packed, cap) == data
    else:
        with pytest.raises(LimitExceeded):
            gunzip(packed, cap)


@PROPERTIES
@given(st.binary(min_size=1, max_size=60))
def test_any_file_name_displays_as_one_storable_line(raw):
    name = display_name(raw.decode("utf-8", "surrogateescape"))
    assert "\n" not in name and "\r" not in name
    name.encode("utf-8")  # storable and printable as JSON


# --- re-anchoring against a model of the edits --------------------------------------------

TEMPLATES = [
    "Officials said the channel was deepened to {} metres in March.",
    "Officials said the channel was deepened to {} metres in April.",
    "The work cost {} million crowns, according to the board.",
    "The harbour master said {} trawlers returned to port.",
    "He agreed {} times.",
]


@st.composite
def edited_documents(draw):
    """A document of look-alike sentences (templates that differ by a number), edited.

    Every sentence instance has an id; the edits keep track of where each id goes, so the right
    answer for every claim is known.
    """
    numbers = itertools.count(10)
    ids = itertools.count()

    def sentence() -> list:
        return [next(ids), draw(st.sampled_from(TEMPLATES)), next(numbers)]

    def paragraph() -> list:
        return [sentence() for _ in range(draw(st.integers(1, 4)))]

    old = [paragraph() for _ in range(draw(st.integers(2, 6)))]
    new = [[list(s) for s in p] for p in old]
    edited: set[int] = set()
    for _ in range(draw(st.integers(1, 5))):
        op = draw(st.sampled_from(["delete", "move", "edit", "drop", "insert", "twin", "split"]))
        if not new:
            new.append(paragraph())
            continue
        p = draw(st.integers(0, len(new) - 1))
        if op == "delete":
            new.pop(p)
        elif op == "move":
            new.insert(draw(st.integers(0, len(new) - 1)), new.pop(p))
        elif op == "edit":
            s = draw(st.integers(0, len(new[p]) - 1))
            new[p][s][2] = next(numbers)
            edited.add(new[p][s][0])
        elif op == "drop" and len(new[p]) > 1:
            new[p].pop(draw(st.integers(0, len(new[p]) - 1)))
        elif op == "insert":
            new.insert(draw(st.integers(0, len(new))), paragraph())
        elif op == "twin":  # a near-copy: the same templates, other numbers, new ids
            twin = [[next(ids), s[1], next(numbers)] for s in new[p]]
            new.insert(draw(st.integers(0, len(new))), twin)
        elif op == "split" and len(new[p]) > 1:
            moved = new[p].pop(draw(st.integers(0, len(new[p]) - 1)))
            new.insert(draw(st.integers(0, len(new))), [moved])
    return old, new, edited


def render(paragraphs) -> tuple[str, dict[int, tuple[int, int]]]:
    text, where = "", {}
    for p, paragraph in enumerate(paragraphs):
        if p:
            text += "\n\n"
        for s, (sid, template, number) in enumerate(paragraph):
            if s:
                text += " "
            sentence = template.format(number)
            where[sid] = (len(text), len(text) + len(sentence))
            text += sentence
    return text, where


@settings(PROPERTIES, max_examples=examples(300))
@given(edited_documents())
def test_no_claim_is_ever_anchored_to_a_look_alike_that_is_still_there(document):
    """The look-alike failure: a claim landing on another old sentence that is still in the
    text word for word (its twin), or leaving its own sentence when that is still there.

    Where the texts cannot tell (a sentence gone, and a similar one edited or written nearby),
    a claim may be called edited into a changed sentence: from the texts alone that is what an
    edit is. Every sentence here differs from its look-alikes by one number.
    """
    old, new, edited = document
    old_text, old_where = render(old)
    new_text, new_where = render(new)
    assume(old_text != new_text)
    owner = {span: sid for sid, span in new_where.items()}
    intact = {sid for sid in new_where if sid in old_where and sid not in edited}
    claims = [Claim(sid, a, b, old_text[a:b]) for sid, (a, b) in old_where.items()]
    for anchor in reanchor(old_text, new_text, claims):
        if anchor.status == "orphaned":
            continue
        landed_on = owner.get((anchor.start, anchor.end))
        assert landed_on is not None, f"{anchor} is not a whole sentence of the new text"
        if landed_on in intact:
            assert landed_on == anchor.claim_id, f"{anchor} landed on its twin {landed_on}"
        if anchor.claim_id in intact:
            assert landed_on == anchor.claim_id, f"{anchor} left its own sentence"
        if anchor.status in ("unchanged", "moved"):
            assert anchor.claim_id in intact and anchor.text == anchor.old_text
        else:
            assert landed_on not in intact and anchor.claim_id not in intact


@settings(PROPERTIES, max_examples=examples(100))
@given(edited_documents())
def test_paragraphs_that_only_moved_keep_their_claims(document):
    old, new, _ = document
    old_text, old_where = render(old)
    new_text, _ = render(new)
    unique = {tuple(map(tuple, p)) for p in old}
    kept = [p for p in new if tuple(map(tuple, p)) in unique]
    claims = [Claim(sid, a, b, old_text[a:b]) for sid, (a, b) in old_where.items()]
    anchors = {a.claim_id: a for a in reanchor(old_text, new_text, claims)}
    for paragraph in kept:
        if sum(1 for p in new if p == paragraph) == 1:
            for sid, *_ in paragraph:
                assert anchors[sid].status in ("unchanged", "moved"), anchors[sid]
