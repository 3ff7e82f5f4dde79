"""Diplomatic cables: WikiLeaks cable pages and plain telegram text.

Both share :func:`parse_telegram`, which reads the header fields of a telegram (date-time group,
FM line, classification line, TAGS, SUBJECT, REF) and builds the text layer from its numbered
paragraphs, leaving routing headers and page furniture in the raw capture only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import IngestError
from ..text import TextBuilder, normalise_block
from . import register
from .base import Extracted, Hint, Ingester
from .dates import iso_date
from .decode import decode, looks_binary
from .html import parse_html, text_of

_MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
# Date-time group: "O 151250Z FEB 08" (precedence, day, hour, minute, Zulu, month, year)
_DTG = re.compile(
    r"\b(?P<d>[0-3]\d)(?P<H>[0-2]\d)(?P<M>[0-5]\d)Z\s+(?P<mon>[A-Z]{3})\s+(?P<y>\d{2})\b"
)
_FROM = re.compile(r"^\s*FM\s+(?P<from>[A-Z][A-Z .'/-]+?)\s*$", re.M)
_TAGS = re.compile(r"^\s*TAGS:?\s+(?P<tags>.+)$", re.M)
_SUBJECT = re.compile(r"^\s*SUBJ(?:ECT)?:\s*(?P<subject>.+(?:\n(?!\s*\n).+)*)", re.M)
_REF = re.compile(
    r"^\s*REFS?:\s*(?P<ref>.+(?:\n(?!\s*\n)(?!\s*(?:Classified|CLASSIFIED)).+)*)", re.M
)
_CLASSIFIED_BY = re.compile(r"^\s*Classified\s+By:?\s*(?P<by>.+)$", re.M | re.I)
_CLASSIFIED_BY_PREFIX = re.compile(
    r"^\s*Classified\s+By:?.*?\b1\.[45]\s*(?:\(?[a-hA-H]\)?\s*(?:,|and|&)?\s*)+\.?\s*",
    re.I,
)
_EO = re.compile(r"^\s*E\.\s?O\.\s*\d+", re.M)
# Page furniture: "TRIPOLI 00000430  002.2 OF 004" or "NEW DELHI 00004948 001.2 OF 003"
_FURNITURE = re.compile(r"[ \t]*\b[A-Z][A-Z ]{1,30}\s\d{6,8}\s+\d{3}(?:\.\d)?\s+OF\s+\d{3}\b[ \t]*")
# Paragraph marking: "1.(C)", "¶3. (S/NF)", "2. (U)", "A. (SBU)"
_MARKING = re.compile(
    r"^(?:¶\s*)?(?P<num>\d{1,2}|[A-Z])\s*\.\s*(?P<mark>\((?:[A-Z]{1,4})(?:/[A-Z]{1,4})*\))?\s*"
)
_CLASS_WORDS = {
    "SECRET": "SECRET",
    "CONFIDENTIAL": "CONFIDENTIAL",
    "UNCLASSIFIED": "UNCLASSIFIED",
    "UNCLAS": "UNCLASSIFIED",
    "TOPSECRET": "TOP SECRET",
}
_HEADER_LINE = re.compile(
    r"^\s*(?:SIPDIS|NOFORN|E\.\s?O\.|TAGS:?|SUBJ(?:ECT)?:|REFS?:|Classified\s+By|CLASSIFIED\s+BY|"
    r"SENSITIVE|DEPT\s+FOR|STATE\s+FOR|PASS\s+TO|FOR\s+[A-Z/]+$)",
    re.I,
)


@dataclass
class Telegram:
    reference_id: str | None = None
    created: str | None = None
    classification: str | None = None
    origin: str | None = None
    subject: str | None = None
    tags: str | None = None
    refs: list[str] = field(default_factory=list)
    classified_by: str | None = None
    text: str = ""
    structure: list = field(default_factory=list)


def _collapse_spaced(word_line: str) -> str:
    # "S E C R E T" -> "SECRET"; "C O N F I D E N T I A L" -> "CONFIDENTIAL"
    return re.sub(r"\b(?:[A-Z] ){2,}[A-Z]\b", lambda m: m.group(0).replace(" ", ""), word_line)


def _classification(first_line: str) -> str | None:
    line = _collapse_spaced(first_line.upper())
    words = re.findall(r"[A-Z]+", line)
    level = next((_CLASS_WORDS[w] for w in words if w in _CLASS_WORDS), None)
    if level is None:
        return None
    caveats = [w for w in ("NOFORN",) if w in words]
    if level == "UNCLASSIFIED" and ("SENSITIVE" in words or "FOUO" in words):
        caveats.append("FOR OFFICIAL USE ONLY")
    return "//".join([level, *caveats])


def _origin(sender: str) -> str:
    sender = re.sub(r"\s+", " ", sender.strip())
    for prefix, name in (
        ("AMEMBASSY ", "Embassy "),
        ("AMCONSUL ", "Consulate "),
        ("USMISSION ", "Mission "),
        ("USINT ", "US Interests Section "),
    ):
        if sender.startswith(prefix):
            place = sender[len(prefix) :]
            if place.isupper() and not place.startswith("US"):
                place = place.title()
            return name + place
    if sender.startswith("SECSTATE"):
        return "Secretary of State"
    return sender.title()


_NOT_PLACE = re.compile(
    r"\b(?:SECRET|CONFIDENTIAL|UNCLASSIFIED|UNCLAS|NOFORN|SENSITIVE|LIMDIS|EXDIS|NODIS|SIPDIS|"
    r"FOUO|E F T O|EFTO|SECTION \d+ OF \d+)\b"
)


def _place_and_number(first_line: str, sender: str | None) -> tuple[str | None, str | None]:
    """The originating post and serial number in a classification line such as
    "S E C R E T SECTION 01 OF 04 TRIPOLI 000120"."""
    line = _collapse_spaced(first_line.upper())
    place = None
    if sender:
        place = "STATE" if sender.startswith("SECSTATE") else sender.split(" ", 1)[-1]
        if match := re.search(re.escape(place) + r"\s+0*(\d+)\b", line):
            return place, match.group(1)
    line = _NOT_PLACE.sub(" ", line)
    if match := re.search(r"([A-Z][A-Z .'-]*?)\s+0*(\d+)\b", line):
        return " ".join(match.group(1).split()), match.group(2)
    return None, None


def parse_telegram(routing: str, body: str) -> Telegram:
    """Header fields and text layer of a telegram, from its routing header and body."""
    tel = Telegram()
    header_text = routing + "\n" + body[:3000]
    dtg = _DTG.search(header_text)
    sender_match = _FROM.search(header_text)
    sender = sender_match.group("from").strip() if sender_match else None
    if sender:
        tel.origin = _origin(sender)
    if dtg and dtg["mon"] in _MONTHS:
        year = int(dtg["y"])
        year += 1900 if year >= 40 else 2000
        tel.created = (
            f"{year:04d}-{_MONTHS.index(dtg['mon']) + 1:02d}-{dtg['d']}T{dtg['H']}:{dtg['M']}:00Z"
        )
    lines = body.split("\n")
    first = next((ln for ln in lines if ln.strip()), "")
    tel.classification = _classification(first)
    header = body[: _EO.search(body).start()] if _EO.search(body) else first
    if tel.classification == "UNCLASSIFIED" and re.search(r"\bSENSITIVE\b", header):
        tel.classification = "UNCLASSIFIED//FOR OFFICIAL USE ONLY"
    elif (
        tel.classification
        and "NOFORN" not in tel.classification
        and re.search(r"\bNOFORN\b", header)
    ):
        tel.classification += "//NOFORN"
    place, number = _place_and_number(first, sender)
    if place and number and tel.created:
        tel.reference_id = f"{tel.created[2:4]}{place.replace(' ', '')}{int(number)}"
    if m := _SUBJECT.search(body):
        tel.subject = normalise_block(m.group("subject")).replace("\n", " ")
    if m := _TAGS.search(body):
        tel.tags = " ".join(m.group("tags").split())
    if m := _REF.search(body):
        refs = re.split(r"\bClassified\s+By\b", m.group("ref"), flags=re.I)[0]
        tel.refs = [" ".join(r.split()) for r in re.split(r"(?:¶\s*)?\b[A-H]\.\s+|;", refs)]
        tel.refs = [r for r in tel.refs if r]
    if m := _CLASSIFIED_BY.search(body):
        tel.classified_by = m.group("by").strip()
    tel.text, tel.structure = _text_layer(body, tel.subject)
    return tel


# The first numbered paragraph: "1. (C)", "¶1.(S/NF)". Everything before it is header.
_FIRST_PARAGRAPH = re.compile(r"(?<![\w.])(?:¶\s*)?1\s*\.\s*\((?:[A-Z]{1,4})(?:/[A-Z]{1,4})*\)")
# A numbered paragraph run on after the previous one, as on some cable pages: "...  2. (C) ..."
_INLINE_PARAGRAPH = re.compile(
    r"[ \t]{2,}(?=(?:¶\s*)?\d{1,2}\s*\.\s*\((?:[A-Z]{1,4})(?:/[A-Z]{1,4})*\))"
)


def _header_end(body: str) -> int:
    """Where the paragraphs of a telegram body begin (after classification, TAGS, SUBJECT...)."""
    match = _FIRST_PARAGRAPH.search(body)
    if match:
        return match.start()
    pos = 0
    for para in re.finditer(r"(?:[^\n]|\n(?![ \t]*\n))+", body):
        lines = [_CLASSIFIED_BY_PREFIX.sub("", ln).strip() for ln in para.group(0).split("\n")]
        lines = [ln for ln in lines if ln and not _HEADER_LINE.match(ln)]
        if lines and _classification(lines[0]) and re.search(r"\d{3,}\s*$", lines[0]):
            lines = lines[1:]
        header = (
            _SUBJECT.search(para.group(0))
            or _REF.search(para.group(0))
            or _EO.search(para.group(0))
        )
        if lines and not header:
            return para.start()
        pos = para.end()
    return pos


def _text_layer(body: str, subject: str | None):
    """The paragraphs of a telegram body, unwrapped, without header lines or page furniture."""
    body = _FURNITURE.sub(" ", body)
    builder = TextBuilder()
    if subject:
        builder.add(subject, "heading", label="subject")
    rest = body[_header_end(body) :]
    for para in re.split(r"\n[ \t]*\n", rest):
        for piece in _INLINE_PARAGRAPH.split(para):
            lines = [ln.strip() for ln in piece.split("\n") if ln.strip()]
            if not lines:
                continue
            text = " ".join(lines)
            marking = _MARKING.match(text)
            span = builder.add(text, "paragraph")
            if span is None:
                continue
            if marking and (marking["mark"] or marking["num"].isdigit()):
                span.number = int(marking["num"]) if marking["num"].isdigit() else None
                span.label = marking["mark"].strip("()") if marking["mark"] else None
                builder.structure.append(
                    type(span)("marker", span.start, span.start + len(marking.group(0).rstrip()))
                )
    return builder.text(), builder.structure


_REF_ID = re.compile(r"^(?:(?P<yy>\d{2})\s*)?(?P<place>[A-Z][A-Z .'-]*?)\s*0*(?P<num>\d{1,7})\b")


def ref_identifier(ref: str, year: str | None) -> str | None:
    """The reference id a REF line names: "08 MANAMA 471" -> "08MANAMA471"; "STATE 6698" in a
    2010 cable -> "10STATE6698"."""
    match = _REF_ID.match(ref.strip().upper())
    if not match:
        return None
    yy = match["yy"] or (year[2:4] if year else None)
    if yy is None:
        return None
    place = match["place"].replace(" ", "").replace(".", "")
    return f"{yy}{place}{int(match['num'])}"


def _telegram_record(tel: Telegram, extractor: str, version: str) -> Extracted:
    record = Extracted(
        kind="cable",
        text=tel.text,
        extractor=extractor,
        extractor_version=version,
        title=tel.subject or tel.reference_id,
        reference_id=tel.reference_id,
        published=tel.created,
        classification=tel.classification,
        origin=tel.origin,
        subject=tel.subject,
        tags=tel.tags,
        structure=tel.structure,
        publisher="US Department of State",
    )
    if tel.refs:
        record.metadata["refs"] = [
            {"mention": ref, "identifier": ref_identifier(ref, tel.created)} for ref in tel.refs
        ]
    if tel.classified_by:
        record.metadata["classified_by"] = tel.classified_by
    return record


_CABLE_PAGE = re.compile(rb"<table class=['\"]cable['\"]")


@register
class CablePageIngester(Ingester):
    """A cable page as WikiLeaks published it: a header table and two <pre> blocks."""

    name = "cable-page"
    version = "0.1.0"
    media_types = ("text/html",)
    extensions = ("html", "htm")

    def match(self, data: bytes, hint: Hint) -> float:
        return 0.95 if _CABLE_PAGE.search(data[:200_000]) else 0.0

    def extract(self, data: bytes, hint: Hint) -> Extracted:
        markup, _ = decode(data)
        tree = parse_html(markup)
        cells = tree.xpath("//table[@class='cable']//tr[td]/td")
        values = [normalise_block(text_of(td)) for td in cells]
        if len(values) < 5:
            raise IngestError("cable-page: header table without its five fields")
        reference_id, created, released, classification, origin = values[:5]
        pres = tree.xpath("//pre")
        if not pres:
            raise IngestError("cable-page: no telegram text in the page")
        routing = text_of(pres[0]) if len(pres) > 1 else ""
        body = text_of(pres[-1])
        tel = parse_telegram(routing, body)
        tel.reference_id = reference_id
        tel.created = iso_date(created) and created.replace(" ", "T")
        tel.classification = classification
        tel.origin = origin
        record = _telegram_record(tel, "cable-page", self.version)
        record.released = released.replace(" ", "T") if iso_date(released) else None
        record.url = hint.url
        return record


_TELEGRAM_MARKERS = (
    re.compile(rb"^\s*FM\s+[A-Z]", re.M),
    re.compile(rb"^\s*TO\s+[A-Z]", re.M),
    re.compile(rb"^\s*SUBJ(?:ECT)?:", re.M),
    re.compile(rb"^\s*TAGS:?\s", re.M),
    re.compile(rb"E\.\s?O\.\s*1\d{4}"),
    re.compile(rb"\b[0-3]\d[0-2]\d[0-5]\dZ\s+[A-Z]{3}\s+\d{2}\b"),
)


@register
class TelegramIngester(Ingester):
    """Plain telegram text: routing header, classification line, TAGS, SUBJECT, paragraphs."""

    name = "telegram"
    version = "0.1.0"
    media_types = ("text/plain",)
    extensions = ("txt", "tel", "cable")

    def match(self, data: bytes, hint: Hint) -> float:
        if looks_binary(data):
            return 0.0
        head = data[:6000]
        if re.search(rb"<(html|body|div|p)[\s>]", head, re.I):
            return 0.0
        hits = sum(1 for marker in _TELEGRAM_MARKERS if marker.search(head))
        return 0.9 if hits >= 3 else 0.0

    def extract(self, data: bytes, hint: Hint) -> Extracted:
        text, _ = decode(data)
        text = text.replace("\r\n", "\n")
        # The routing header ends where the classification line of the body begins.
        match = re.search(
            r"^\s*(?:(?:[A-Z] ){3,}[A-Z]|UNCLAS\w*|SECRET|CONFIDENTIAL)\b.*$", text, re.M
        )
        split = match.start() if match else 0
        tel = parse_telegram(text[:split], text[split:])
        if not tel.text.strip():
            raise IngestError("telegram: no paragraphs found after the header")
        return _telegram_record(tel, "telegram", self.version)
