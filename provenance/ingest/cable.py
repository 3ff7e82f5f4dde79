"""Diplomatic cables: WikiLeaks cable pages and plain telegram text.

Both share :func:`parse_telegram`, which reads a telegram's header fields and builds its text
layer. The fields come from every form a telegram states them in: the archive's header row
that some captures repeat (row, date, reference id, origin, classification), the date-time
group (``R 151212Z FEB 08``, ``291359Z Nov 00``), the ``FM`` line, the ``DE`` line's serial,
``ZNY``, the serial line (``S E C R E T SECTION 01 OF 04 TRIPOLI 000120``), a dated line
(``Wednesday, 29 November 2000, 13:59``), a routing block repeated before a later section, a
``PAGE`` line (``PAGE 02 HARARE 05461 01 OF 02 271458Z``), ``NOFORN``/``SENSITIVE`` caveats,
``TAGS``, ``SUBJECT``, ``REF``, ``Classified By`` and the signature; the post a serial line
names gives the origin through :mod:`.us_posts`. Where forms disagree the most explicit wins,
and ``field_origins`` says which form gave each field. Nothing is guessed: a field the text
does not state stays empty (a declassification date is not a date of sending; a ``PAGE``
line's day and time are not a date). The text layer holds the subject and the numbered
paragraphs (their markings, such as ``8.(S/NF)``, recorded as structure); routing headers,
page furniture (``TRIPOLI 00000430 002.2 OF 004``), classification banners and ``END
SUMMARY``-style markers stay in the raw capture only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..errors import IngestError
from ..text import Span, TextBuilder, normalise_block
from . import register
from .base import Extracted, Hint, Ingester, Mention
from .dates import iso_date
from .decode import decode, looks_binary
from .html import parse_html, text_of
from .us_posts import post_name

_MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
_MONTH_NAMES = (
    "JANUARY FEBRUARY MARCH APRIL MAY JUNE JULY AUGUST SEPTEMBER OCTOBER NOVEMBER DECEMBER".split()
)
# Date-time group: "O 151250Z FEB 08" (precedence, day, hour, minute, Zulu, month, year)
_DTG = re.compile(
    r"(?<![\w/])(?P<d>[0-3]\d)(?P<H>[0-2]\d)(?P<M>[0-5]\d)[Zz]\s+(?P<mon>[A-Za-z]{3})\s+(?P<y>\d{2})\b"
)
# A date-time group that opens a routing block ("O 271459Z SEP 00 FM AMEMBASSY HARARE"), as
# repeated before the later sections of a telegram whose first routing header is lost.
_ROUTING_DTG = re.compile(
    _DTG.pattern + r"\s+FM\s+(?P<sender>[A-Z][A-Z .'-]{2,40}?)(?=\s+TO\b|\s*\n|$)"
)
# A printed page's header: "PAGE 02 HARARE 05461 01 OF 02 271458Z" (post, serial, day and time).
_PAGE_LINE = re.compile(
    r"\bPAGE\s+\d{2,3}\s+(?P<place>[A-Z][A-Z ]{1,30}?)\s+(?P<num>\d{3,7})(?:\s+\d{2}\s+OF\s+\d{2})?"
    r"\s+(?P<d>[0-3]\d)(?P<H>[0-2]\d)(?P<M>[0-5]\d)Z\b"
)
# Other ways a capture states when the cable was sent.
_STATED_DATES = (
    # "Tuesday, 20 January 2004, 09:44"
    re.compile(
        r"^[ \t]*(?:MON|TUES|WEDNES|THURS|FRI|SATUR|SUN)DAY,\s+(?P<d>\d{1,2})\s+(?P<mon>[A-Z]+)\s+"
        r"(?P<y>(?:19|20)\d\d),\s+(?P<H>\d\d):(?P<M>\d\d)",
        re.M | re.I,
    ),
    # "Cable dated:2006-02-07T22:12:00"
    re.compile(
        r"CABLE DATED:\s*(?P<y>(?:19|20)\d\d)-(?P<m>\d\d)-(?P<d>\d\d)T(?P<H>\d\d):(?P<M>\d\d)",
        re.I,
    ),
)
_FROM = re.compile(r"^[ \t]*(?:FM|From:)\s+(?P<from>[A-Z][A-Z0-9 .'/-]+?)\s*$", re.M)
# Below the routing header "FM" may also be a Foreign Minister ("...MEETING WITH ACTING\nFM
# GUIMARAES"): there only a sender line naming a kind of post counts.
_HEADER_FROM = re.compile(
    r"^[ \t]*(?:FM|From:)\s+(?P<from>(?:AMEMBASSY|AMCONSUL|USMISSION|SECSTATE|USDEL|USEU|USINT|"
    r"USLO|USOFFICE|AIT|REO|(?:IRAN )?RPO)\b[A-Z0-9 .'/-]*?)\s*$",
    re.M,
)
_DE_SERIAL = re.compile(r"^[ \t]*DE\s+[A-Z0-9]+\s+#(?P<serial>\d{1,5})", re.M)
_ZNY = re.compile(r"^[ \t]*ZN[YR]\s+(?P<letters>[CSEUT]{4,5})\b", re.M)
_TAGS = re.compile(r"^[ \t]*TAGS:?\s+(?P<tags>.+)$", re.M | re.I)
# The label that opens a subject: at the start of a line, or glued after other header words.
_SUBJECT = re.compile(
    r"^[ \t]*SUBJ(?:ECT)?(?:[ \t]*:[ \t]*|[ \t]+)|(?<=\s)SUBJ(?:ECT)?[ \t]*:[ \t]*", re.M | re.I
)
# A line that ends a subject running over several: the next header line or the first paragraph.
_SUBJECT_STOP = re.compile(
    r"[ \t]*(?:REF|Classified|CLASSIFIED|\d{1,2}[ \t]*\.|¶|E\.?[ \t]?O\.?[ \t]|TAGS|"
    r"SUBJ(?:ECT)?[ \t]*:|(?:Sensitive|SENSITIVE)\b|(?:SUMMARY|Summary)[ \t]*(?::|-|$)|[-=_]{3})"
)
# Where a subject glued to what follows it ends.
# A search for a pattern that opens with a run of spaces tries every position of a long run,
# each scanning the rest of it: quadratic on a page of whitespace (60 KB took a minute). The
# leftmost match of such a pattern always begins where the run begins, so "(?<!\s)" (not
# inside a run) changes no match and makes the search linear.
_SUBJECT_END = re.compile(
    r"(?<!\s)\s+(?:REFS?:|REFTEL|Classified\s+By|¶|\((?:U|SBU|C|S)\)\s|\d{1,2}\.\s*\(|"
    r"\d\d:\d\d\b|SIPDIS|"
    # a classification that opens the serial line or a banner, not "SECRET DETENTION CENTERS"
    r"(?:UNCLAS|CONFIDENTIAL|SECRET)\b(?=\s*$|\s*//|\s+(?:SECTION|SIPDIS|NOFORN|SENSITIVE)\b|"
    r"\s+[A-Z][A-Z ]{1,30}\s0*\d{2,7}\b)|E\.O\.\s*\d{5}:|TAGS:|"
    r"SENSITIVE\s+BUT\s+UNCLASSIFIED|[-=_]{3})"
    # a subject the capture cut short ("... IN THE NET...") ends where it was cut
    r"|(?<=\.\.\.)\s+",
    re.I,
)
_REF = re.compile(
    r"^[ \t]*REFS?:?\s+(?P<ref>.+(?:\n(?![ \t]*\n)(?![ \t]*(?:Classified|CLASSIFIED|\(U\)|"
    r"\d{1,2}\s*\.\s*\()).+)*)",
    re.M,
)
_CLASSIFIED_BY = re.compile(r"^[ \t]*(?:\(U\)\s*)?Classified\s+By:?\s*(?P<by>.+)$", re.M | re.I)
_CLASSIFIED_BY_PREFIX = re.compile(
    r"^\s*Classified\s+By:?.*?\b1\.[45]\s*(?:\(?[a-hA-H]\)?\s*(?:,|and|&)?\s*)+\.?\s*",
    re.I,
)
_EO = re.compile(r"^[ \t]*E\.?\s?O\.?\s*\d+", re.M)
# Page furniture: "TRIPOLI 00000430  002.2 OF 004", "NEW DELHI 00004948 001.2 OF 003",
# "PAGE 02 VATICA 01261 061419Z".
_FURNITURE = (
    re.compile(r"[ \t]*\b[A-Z][A-Z ]{1,30}\s\d{6,8}\s+\d{3}(?:\.\d)?\s+OF\s+\d{3}\b[ \t]*"),
    re.compile(
        r"(?<![ \t])[ \t]*\bPAGE\s+\d{2,3}\s+[A-Z][A-Z ]{1,20}\s+\d{3,6}(?:\s+\d{2}\s+OF\s+\d{2})?"
        r"\s+\d{6}Z\b[ \t]*"
    ),
)
# A classification banner alone on a line (the top and bottom of each printed page).
_BANNER = re.compile(
    r"^[ \t]*(?:UNCLASSIFIED|UNCLAS|CONFIDENTIAL|SECRET|TOP SECRET|SENSITIVE BUT UNCLASSIFIED|"
    r"(?:[A-Z] ){5,}[A-Z])(?:[ \t]*(?://|/)?[ \t]*(?:NOFORN|SENSITIVE|SIPDIS))*[ \t]*$",
    re.M,
)


_MARKERS = re.compile(
    r"\b(?:END|BEGIN|End|Begin|end|begin)\s+(?:(?:OF|Of|of)\s+)?"
    r"(?:SUMMARY|COMMENT|NOTE|TEXT|QUOTE|BACKGROUND|CABLE|Summary|Comment|Note|Text|Quote|"
    r"Background|Cable|summary|comment|note|text|quote|background|cable)\b\.?"
)  # literal alternatives: far faster than one pattern with re.I
# The fast part of a page-furniture line, found first; the place name before it is then
# taken back by hand (a pattern starting at every capital letter is slow on capitals).
_FURNITURE_TAIL = re.compile(r"\d{6,8}\s+\d{3}(?:\.\d)?\s+OF\s+\d{3}\b[ \t]*")
# (each pattern that opens with a run of blanks starts only where the run does: tried at every
# blank of a long run it would scan the rest of the run each time)
_SIPDIS = re.compile(r"(?<![ \t])[ \t]*\bSIPDIS\b")
_RULES = re.compile(r"^[ \t]*[-=_]{3,}[ \t]*$", re.M)
# Paragraph marking: "1.(C)", "¶3. (C)", "2. (U)", "A. (SBU)", "8.(S/NF)"
# A portion marking: "(C)", "(S/NF)", "(SBU)", "(S/NOFORN)", "(C//NF)".
_MARK = r"\((?:[A-Z]{1,4})(?://?(?:[A-Z]{1,4}|NOFORN))*\)"
_MARKING = re.compile(r"^(?:¶\s*)?(?P<num>\d{1,2}|[A-Z])\s*\.\s*(?P<mark>" + _MARK + r")?\s*")
_LEVELS = (
    ("TOP SECRET", "TOP SECRET"),
    ("TOPSECRET", "TOP SECRET"),
    ("SECRET", "SECRET"),
    ("CONFIDENTIAL", "CONFIDENTIAL"),
    ("UNCLASSIFIED", "UNCLASSIFIED"),
    ("UNCLAS", "UNCLASSIFIED"),
)
_ZNY_LEVELS = {"S": "SECRET", "C": "CONFIDENTIAL", "U": "UNCLASSIFIED", "E": "UNCLASSIFIED"}
# The serial line: classification, caveats, section, post and serial number.
_SERIAL_LINE = re.compile(
    # (a key struck twice stays in some captures: "CCONFIDENTIAL", "UUNCLAS")
    r"(?<![A-Z])(?P<level>TOP SECRET|S?SECRET|C?CONFIDENTIAL|U?UNCLASSIFIED|U?UNCLAS)(?![A-Z])"
    # (WikiLeaks keeps "EFTO" in the reference id: "UNCLAS E F T O LONDON 002883" is
    # 08EFTOLONDON2883, so it is not read as a caveat here.)
    r"(?P<caveats>(?:\s*(?://|/)?\s*(?:NOFORN|SENSITIVE|SBU|FOUO|LIMDIS|EXDIS|"
    r"NODIS|SIPDIS|NOCONTRACT|ORCON|PROPIN))*)"
    r"\s*(?:(?:EFTO\s+)?SECTION\s*\d+\s*OF\s*\d+\s*)?"
    # place and number apart, or glued to a zero-padded serial ("TRIPOLI000120"), never to a
    # short number ("CONFIDENTIAL PTQ2529" is a page banner's transmission number); a number
    # ending in Z is a date-time group ("CONFIDENTIAL<tab>R 021439Z DEC 08" in a header row)
    r"(?P<place>[A-Z][A-Z .'-]{1,40}?)(?:\s+|(?=\d{6}))0*(?P<num>\d{1,7})(?!\d|Z\b)"
)
# Caveats in the header; captures glue words together ("022025SIPDISNOFORN SIPDISE.O.").
# (the caption alone on its line may be in any case: "Sensitive")
_SENSITIVE = re.compile(
    r"SENSITIVE|FOUO|FOR OFFICIAL USE ONLY|E F T O|EFTO|(?<!\()\bSBU\b(?!\))"
    r"|(?im:^[ \t]*sensitive[ \t]*$)"
)
_NOFORN = re.compile(r"NOFORN")
# The first numbered paragraph: "1. (C)", "¶1.(S/NF)". Everything before it is header.
_FIRST_PARAGRAPH = re.compile(r"(?<![\w.])(?:¶\s*)?1\s*\.\s*(?:" + _MARK + r"|(?=[A-Z][A-Za-z]))")
# A numbered paragraph run on after the previous one, as on some cable pages: "...  2. (C) ..."
_INLINE_PARAGRAPH = re.compile(r"(?<![ \t])[ \t]{2,}(?=(?:¶\s*)?\d{1,2}\s*\.\s*" + _MARK + ")")
_HEADER_LINE = re.compile(
    r"^\s*(?:SIPDIS|NOFORN|E\.?\s?O\.?\s|TAGS:?|SUBJ(?:ECT)?:|REFS?:|Classified\s+By|"
    r"CLASSIFIED\s+BY|SENSITIVE|DEPT\.?\s+FOR|STATE\s+FOR|PASS\s+TO|FOR\s+[A-Z/]+$|"
    r"FROM\s+EMBASSY)",
    re.I,
)
# WikiLeaks' names for posts whose sender line says something else.
_ORIGIN_NAMES = {
    "USMISSION USUN NEW YORK": "USUN New York",
    "USMISSION GENEVA": "US Mission Geneva",
    "USMISSION UNVIE VIENNA": "UNVIE",
    "USEU BRUSSELS": "USEU Brussels",
    "USNATO": "Mission USNATO",
    "USMISSION USNATO": "Mission USNATO",
    "USMISSION USOSCE": "Mission USOSCE",
    "RPO DUBAI": "Iran RPO Dubai",
    "IRAN RPO DUBAI": "Iran RPO Dubai",
    "AIT TAIPEI": "American Institute Taiwan, Taipei",
    "USLO TRIPOLI": "Embassy Tripoli",
    "AMEMBASSY KIEV": "Embassy Kyiv",
    "AMCONSUL CALCUTTA": "Consulate Kolkata",
    "AMCONSUL BOMBAY": "Consulate Mumbai",
    "AMCONSUL MADRAS": "Consulate Chennai",
    "USDEL SECRETARY": "US Delegation, Secretary",
    "SECSTATE WASHDC": "Secretary of State",
    "SECSTATE": "Secretary of State",
    "USINT HAVANA": "US Interests Section Havana",
}
_SENDER_PREFIXES = (
    ("AMEMBASSY ", "Embassy "),
    ("AMCONSUL ", "Consulate "),
    ("USMISSION ", "Mission "),
    ("USOFFICE ", "US Office "),
    ("REO ", "REO "),
    ("USINT ", "US Interests Section "),
)
# Country codes some senders append: "AMEMBASSY TRIPOLI LY".
_SENDER_SUFFIX = re.compile(r"(?<!\s)\s+(?:[A-Z]{2})$|//.*$")
# The archive's own header row, which some captures carry: row number, date, reference id,
# origin and classification, one field a line, tab- or comma-separated, space-separated
# ("23064 11/19/2004 15:41 04BRUSSELS4944 C O N F ..."), or labelled ("refid: 04BOGOTA2313").
_ROW_DATE = (
    r"(?:(?P<y>(?:19|20)\d\d)-(?P<m>\d\d)-(?P<d>\d\d)"
    r"|(?P<m2>\d{1,2})/(?P<d2>\d{1,2})/(?P<y2>(?:19|20)\d\d)"
    r"|\d{1,2}\.\d{1,2}\.(?P<y3>(?:19|20)\d\d))"  # day and month order unknown: year only
    r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d\d)(?::\d\d)?)?"
)
_ROW_SEP = r"(?:[ \t]*\n\s*|[ \t]*[\t,][ \t]*|[ ]+)"
_ROW_LEVEL = (
    r"(?:TOP SECRET|SECRET|CONFIDENTIAL|UNCLASSIFIED)(?://(?:NOFORN|FOR OFFICIAL USE ONLY))?"
)
# Found from its reference id, the rarest part: then the date before it, the origin and
# classification after it.
_ROW_REF = re.compile(r"\d\d[A-Z]{2,}\d{1,7}")  # (no lookarounds: they slow the scan down)
_ROW_BEFORE = re.compile(rf"(?<![\w.,/-])(?:\d{{1,7}}{_ROW_SEP})?{_ROW_DATE}{_ROW_SEP}$")
_ROW_AFTER = re.compile(
    rf"{_ROW_SEP}(?:\"(?P<quoted>[^\"\n]{{2,80}})\"|(?P<origin>[A-Z][^\t\n\"]{{1,80}}?))"
    rf"{_ROW_SEP}\"?(?P<cls>{_ROW_LEVEL})(?![A-Z/])"
)
_LABELLED_ROW = re.compile(
    rf"^date:[ \t]*{_ROW_DATE}[ \t]*\nrefid:[ \t]*(?P<ref>\d\d[A-Z]{{2,}}\d{{1,7}})[ \t]*\n"
    rf"(?:origin:[ \t]*(?P<origin>[^\n]+?)[ \t]*\nclassification:[ \t]*(?P<cls>{_ROW_LEVEL})[ \t]*$)?",
    re.M | re.I,
)
# The signature: a surname alone on the last line ("STEVENS"), sometimes with the archive's
# trailing "0 02/15/2008".
_SIGNATURE = re.compile(
    r"^[ \t]*(?P<name>[A-Z][A-Z'-]+(?:[ \t]+[A-Z][A-Z'-]+){0,2})"
    r"(?:[ \t]+\d+[ \t]+\d{1,2}/\d{1,2}/\d{4})?[ \t]*$"
)


_SIGNATURE_RUN_ON = re.compile(
    r"(?<=[.!?\"”)])[ \t]{1,3}(?P<name>[A-Z][A-Z'-]{2,})(?:[ \t]+\d+[ \t]+\d{1,2}/\d{1,2}/\d{4})?"
    r"[ \t]*$"
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
    signer: str | None = None
    post: str | None = None  # the posting station as the serial line names it
    serial: int | None = None
    text: str = ""
    structure: list[Span] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # field -> where it was read


_SPACED = re.compile(r"(?<![A-Za-z])(?P<stutter>[A-Z])?(?P<word>(?:[A-Z] ){2,}[A-Z])(?![A-Za-z])")
# Found first, cheaply: the words spaced out are four letters or more ("E F T O", "S E C R E T").
_SPACED_HINT = re.compile(r"[A-Z] [A-Z] [A-Z] [A-Z]")


def _collapse_spaced(line: str) -> str:
    # "S E C R E T" -> "SECRET"; "C O N F I D E N T I A L" -> "CONFIDENTIAL"; a key struck
    # twice ("SS E C R E T") counts once.
    def collapse(m: re.Match[str]) -> str:
        word = m["word"].replace(" ", "")
        stutter = m["stutter"] or ""
        return word if stutter == word[0] else stutter + word

    return _SPACED.sub(collapse, line) if _SPACED_HINT.search(line) else line


def sender_origin(sender: str) -> str:
    """The post a ``FM`` line names, as WikiLeaks names it: "AMEMBASSY TRIPOLI" -> "Embassy
    Tripoli"."""
    sender = " ".join(sender.split()).upper()
    bare = _SENDER_SUFFIX.sub("", sender)
    for name in (sender, bare):
        if name in _ORIGIN_NAMES:
            return _ORIGIN_NAMES[name]
    sender = bare
    for prefix, kind in _SENDER_PREFIXES:
        if sender.startswith(prefix):
            place = sender[len(prefix) :]
            if not place.startswith("US"):
                place = place.title()
            return kind + place
    if sender.startswith("SECSTATE"):
        return "Secretary of State"
    return sender.title()


def _sender_place(sender: str) -> str:
    """The place part of a sender as reference ids spell it: "AMEMBASSY NEW DELHI" ->
    "NEWDELHI"; "SECSTATE WASHDC" -> "STATE"."""
    sender = _SENDER_SUFFIX.sub("", " ".join(sender.split()).upper())
    if sender.startswith("SECSTATE"):
        return "STATE"
    for prefix in ("AMEMBASSY ", "AMCONSUL ", "USMISSION ", "USEU ", "AIT ", "USLO ", "USINT "):
        if sender.startswith(prefix):
            sender = sender[len(prefix) :]
            break
    return re.sub(r"[^A-Z]", "", sender)


def _year(two_digits: str) -> int:
    year = int(two_digits)
    return year + (1900 if year >= 40 else 2000)


def _dtg_value(match: re.Match[str]) -> str | None:
    """The instant a date-time group states ("291359Z Nov 00" -> 2000-11-29T13:59:00Z)."""
    month_name = match["mon"].upper()  # some captures are in lower case: "201247Z Jan 04"
    if month_name not in _MONTHS:
        return None
    month = _MONTHS.index(month_name) + 1
    value = f"{_year(match['y']):04d}-{month:02d}-{match['d']}T{match['H']}:{match['M']}:00Z"
    return value if iso_date(value) else None


def _created(text: str) -> tuple[str | None, str | None]:
    """When the cable was sent, and where that was read."""
    match = _DTG.search(text)
    value = _dtg_value(match) if match else None
    if value:
        return value, "date-time group"
    return _created_stated(text)


def _created_stated(text: str) -> tuple[str | None, str | None]:
    """When the cable was sent as a dated line states it ("Wednesday, 29 November 2000, 13:59",
    "Cable dated:2006-02-07T22:12:00")."""
    for pattern in _STATED_DATES:
        match = pattern.search(text)
        if not match:
            continue
        if "mon" in match.groupdict():
            name = match["mon"].upper()
            if name not in _MONTH_NAMES:
                continue
            month = _MONTH_NAMES.index(name) + 1
        else:
            month = int(match["m"])
        value = f"{match['y']}-{month:02d}-{int(match['d']):02d}T{match['H']}:{match['M']}"
        if iso_date(value):
            return value, "stated date"
    return None, None


def _serial_line(lines: list[str]) -> tuple[int, re.Match[str]] | None:
    """The first line giving classification, post and serial number, and its index."""
    for index, line in enumerate(lines):
        collapsed = _collapse_spaced(line.upper())
        match = _SERIAL_LINE.search(collapsed)
        if match and not re.match(r"^\s*(?:FM|TO|INFO|PAGE)\b", collapsed):
            return index, match
    return None


def _level(word: str) -> str | None:
    word = word.replace(" ", "").upper()
    if len(word) > 1 and word[0] == word[1]:
        word = word[1:]  # "SSECRET", "UUNCLAS"
    if word.startswith("C") and word.endswith("CONFIDENTIAL"):
        return "CONFIDENTIAL"
    for key, level in _LEVELS:
        if word == key.replace(" ", ""):
            return level
    return None


def _with_caveats(level: str | None, header: str) -> str | None:
    """The classification with the caveats the header states (paragraph markings such as
    ``(S/NF)`` do not raise the whole cable's caveat)."""
    if level is None:
        return None
    if level == "UNCLASSIFIED":
        if _SENSITIVE.search(header) or _NOFORN.search(header):
            return level + "//FOR OFFICIAL USE ONLY"
        return level
    if _NOFORN.search(header):
        return level + "//NOFORN"
    return level


def _split_refs(value: str) -> list[str]:
    value = re.split(r"\bClassified\s+By\b", value, flags=re.I)[0]
    value = " ".join(value.split())
    pieces = re.split(
        r"(?:^|\s|;|,)(?:¶\s*)?\(?[A-H][.)]\s+|;|\bAND\b(?=\s+(?:\d\d\s+)?[A-Z])", value
    )
    refs = []
    for piece in pieces:
        piece = piece.strip(" ,.;")
        piece = re.sub(r"^(?:AND\s+)?(?:PREVIOUS|PREV)\s+", "", piece, flags=re.I)
        if piece:
            refs.append(piece)
    return refs


def _signature(body: str) -> tuple[str | None, int]:
    """The signer's name and where the signature line starts (or the body's length)."""
    end = len(body.rstrip())
    for _ in range(3):
        start = body.rfind("\n", 0, end) + 1
        line = body[start:end].strip()
        if not line or _FURNITURE[0].fullmatch(line) or _BANNER.fullmatch(line):
            end = max(start - 1, 0)
            continue
        match = _SIGNATURE.match(line)
        if match and not _level(match["name"]) and match["name"] not in ("NNNN", "END", "BT"):
            return match["name"], start
        # Pages run the signature on after the last sentence: "...  End comment. CRETZ"
        match = _SIGNATURE_RUN_ON.search(body, 0, end)
        if match and not _level(match["name"]):
            return match["name"], match.start("name")
        break
    return None, len(body)


@dataclass
class HeaderRow:
    """The archive's header row as a capture carries it."""

    reference_id: str
    created: str | None
    origin: str | None
    classification: str | None


def _header_row(text: str, post: str | None, serial: int | None) -> HeaderRow | None:
    """The first header row naming this telegram: its reference id's year is its date's, and
    its post and serial are the telegram's own where the telegram states them (captures paste
    other cables' rows in too)."""
    for ref, dated, after in _row_candidates(text):
        year = dated["y"] or dated["y2"] or dated["y3"]
        if ref[:2] != year[2:]:
            continue
        if post is not None and not ref[2:].startswith(post):
            continue
        if serial is not None and not re.fullmatch(rf"\d\d[A-Z]+{serial}", ref):
            continue
        created = None
        if dated["y"] or dated["y2"]:
            if dated["y"]:
                y, m, d = dated["y"], dated["m"], dated["d"]
            else:
                y, m, d = dated["y2"], dated["m2"], dated["d2"]
            created = f"{y}-{int(m):02d}-{int(d):02d}"
            if dated["H"]:
                created += f"T{int(dated['H']):02d}:{dated['M']}"
            created = created if iso_date(created) else None
        origin, level = None, None
        if after:
            origin = " ".join((after.groupdict().get("quoted") or after["origin"]).split())
            level = after["cls"]
        return HeaderRow(ref, created, origin or None, level)
    return None


def _row_candidates(
    text: str,
) -> Iterator[tuple[str, re.Match[str], re.Match[str] | None]]:
    """Possible header rows: reference id, the match holding the date, the one holding origin
    and classification."""
    for ref in _ROW_REF.finditer(text):
        start, end = ref.span()
        if (start and text[start - 1].isalnum()) or (end < len(text) and text[end].isalnum()):
            continue
        before = _ROW_BEFORE.search(text, max(0, start - 48), start)
        if before:
            yield ref.group(0), before, _ROW_AFTER.match(text, ref.end())
    if "refid:" in text or "REFID:" in text:
        for match in _LABELLED_ROW.finditer(text):
            yield match["ref"].upper(), match, match if match["cls"] else None


def _routing_block_created(text: str, post: str | None) -> str | None:
    """The date-time group of a routing block of this post's ("O 271459Z SEP 00 FM AMEMBASSY
    HARARE"), wherever the capture repeats one."""
    for match in _ROUTING_DTG.finditer(text):
        if post is None or _sender_place(match["sender"]) == post:
            value = _dtg_value(match)
            if value:
                return value
    return None


def parse_telegram(routing: str, body: str) -> Telegram:
    """Header fields and text layer of a telegram, from its routing header and body.

    Each field is read from every form the text states it in, the most explicit first: the
    archive's header row when the capture carries one naming this telegram; then the routing
    header (date-time group, ``FM``, ``DE`` serial, ``ZNY``) and the serial line; then dated
    lines, routing blocks repeated before later sections, ``PAGE`` lines; and for the origin,
    the post the serial line names. ``sources`` records which form gave each field.
    """
    tel = Telegram()
    paragraph = _FIRST_PARAGRAPH.search(body)
    header = body[: paragraph.start()] if paragraph else body[:3000]
    head_text = routing + "\n" + header
    tel.created, source = _created(head_text) if routing or header else (None, None)
    if source:
        tel.sources["created"] = source
    sender_match = _FROM.search(routing) or _HEADER_FROM.search(header)
    sender = sender_match.group("from").strip() if sender_match else None
    if sender:
        tel.origin = sender_origin(sender)
        tel.sources["origin"] = "FM line"
    serial_found = _serial_line(body.split("\n")[:80])
    level = None
    caveats = ""
    place = None
    if serial_found:
        index, match = serial_found
        level = _level(match["level"])
        caveats = match["caveats"]
        place = match["place"]
        tel.post = re.sub(r"[^A-Z]", "", place)
        if re.fullmatch(r"X+", tel.post):
            place = tel.post = None  # the post's name redacted
        tel.serial = int(match["num"])
        tel.sources["classification"] = "serial line"
    if tel.serial is None and (page := _PAGE_LINE.search(head_text)):
        # (its day and time alone do not make a date)
        place = page["place"]
        tel.post, tel.serial = re.sub(r"[^A-Z]", "", place), int(page["num"])
        tel.sources["reference_id"] = "PAGE line"
    # The routing header belongs to this record; the serial line may be mistyped, cut short,
    # or belong to another cable pasted under this header: one that names another post than
    # the FM line, or comes with a routing header of its own.
    named = post_name(place) if place else None
    other_body = bool(sender and named and named != sender_origin(sender))
    de = _DE_SERIAL.search(routing)
    if sender and de and not sender.upper().startswith("USDEL"):
        serial = int(de["serial"])
        if tel.serial is None or tel.serial % 10000 != serial or other_body:
            if tel.serial is not None and not other_body:
                own = re.compile(rf"^\s*DE\s+[A-Z0-9]+\s+#0*{tel.serial % 10000}\b", re.M)
                other_body = bool(own.search(routing, de.end()) or own.search(body))
            tel.post, tel.serial = _sender_place(sender), serial
            tel.sources["reference_id"] = "FM and DE lines"
    elif other_body:
        tel.post, tel.serial = None, None  # this cable's serial is not stated
        tel.sources.pop("reference_id", None)
    if tel.post is None and sender:
        tel.post = _sender_place(sender)
    caveat_text = caveats + "\n" + header
    zny = _ZNY.search(routing)
    if zny and (level is None or other_body):
        level = _ZNY_LEVELS.get(zny["letters"][0])
        tel.sources["classification"] = "ZNY line"
        if other_body:  # the body's serial line and caveats do not classify this cable
            caveat_text = routing
    elif other_body:
        level = None
        tel.sources.pop("classification", None)
    tel.classification = _with_caveats(level, caveat_text)
    if tel.created is None:
        # Later forms: a routing block repeated before a later section, a dated line anywhere.
        if value := _routing_block_created(body, tel.post):
            tel.created, tel.sources["created"] = value, "routing block"
        else:
            tel.created, source = _created_stated(body[:6000])
            if source:
                tel.sources["created"] = source
    row = _header_row(routing[:3000] + "\n" + body[:3000], tel.post, tel.serial)
    if row:
        # The archive's own statement of the fields, for this telegram: the most explicit.
        tel.reference_id = row.reference_id
        tel.sources["reference_id"] = "header row"
        for name, value in (
            ("created", row.created),
            ("origin", row.origin),
            ("classification", row.classification),
        ):
            if value:
                setattr(tel, name, value)
                tel.sources[name] = "header row"
    if tel.origin is None:
        stated = re.search(
            r"^[ \t]*FROM\s+(EMBASSY|CONSULATE)\s+([A-Z][A-Z ]+?)\s*(?:/|$)", header, re.M
        )
        if stated:
            tel.origin = f"{stated[1].title()} {stated[2].title()}"
            tel.sources["origin"] = "FROM line"
        elif place and not other_body and (name := post_name(place)):
            tel.origin = name
            tel.sources["origin"] = "serial line post"
    if tel.reference_id is None and tel.post and tel.serial is not None and tel.created:
        tel.reference_id = f"{tel.created[2:4]}{tel.post}{tel.serial}"
        tel.sources.setdefault("reference_id", "serial line")
    subject_text = header or body[:3000]
    for m in _SUBJECT.finditer(subject_text):
        subject = _stated_subject(subject_text, m.end(), tel.post or _ref_place(tel.reference_id))
        if not tel.subject:
            tel.subject = subject or None
        elif subject.startswith(tel.subject.removesuffix("...")) and len(subject) > len(
            tel.subject
        ):
            tel.subject = subject  # the whole of a subject stated cut short before
    if m := _TAGS.search(header or body[:3000]):
        tel.tags = " ".join(m.group("tags").replace(",", " ").split()) or None
    if m := _REF.search(header or body[:3000]):
        tel.refs = _split_refs(m.group("ref"))
    if m := _CLASSIFIED_BY.search(body[:6000]):
        tel.classified_by = " ".join(m.group("by").split())
    tel.signer, signature = _signature(body)
    tel.text, tel.structure = _text_layer(
        body[:signature], tel.subject, tel.post or _ref_place(tel.reference_id)
    )
    # a form that named post and serial but no year made no reference id: nothing to source
    tel.sources = {name: form for name, form in tel.sources.items() if getattr(tel, name)}
    return tel


# Header fields run together on one line ("SIPDIS E.O. 12958: DECL: 09/17/2028 TAGS: PREL AR").
_GLUED_FIELD = re.compile(
    r"E\.?\s?O\.?\s*\d{5}:?(?:\s*DECL:?\s*[\d/]+|\s*N/A)?|TAGS:?(?:\s+[A-Z]{2,}\b,?)+|"
    r"(?:SUBJ(?:ECT)?|REFS?|Classified\s+By):[^\n]*"
)


_HEADER_FIELD = re.compile(
    r"(?:^|(?<=\s))(?:E\.?\s?O\.?\s*1[23]\d{3}\b|TAGS:|SUBJ(?:ECT)?:|REFS?:|Classified\s+By\b)",
    re.M | re.I,
)


def _past_header_lines(body: str, start: int) -> int:
    """Skip the serial line, header lines and lines of glued header fields at ``start``."""
    while start < len(body):
        end = body.find("\n", start)
        end = len(body) if end < 0 else end
        line = body[start:end].strip()
        glued = list(_GLUED_FIELD.finditer(line))
        if not (
            _serial_line([line])
            or _HEADER_LINE.match(line)
            or (glued and not line[glued[-1].end() :].strip())
        ):
            break
        start = end + 1
    return min(start, len(body))


def _header_end(body: str) -> int:
    """Where the paragraphs of a telegram body begin (after classification, TAGS, SUBJECT...)."""
    match = _FIRST_PARAGRAPH.search(body)
    if match:
        return match.start()
    fields = list(_HEADER_FIELD.finditer(body[:4000]))
    if fields:
        # No numbered paragraphs: the text starts after the block holding the last header
        # field (E.O., TAGS, SUBJECT, REF, Classified By).
        blank = re.compile(r"\n[ \t]*\n").search(body, fields[-1].end())
        if blank and body[blank.end() :].strip():
            return _past_header_lines(body, blank.end())
    pos = 0
    for para in re.finditer(r"(?:[^\n]|\n(?![ \t]*\n))+", body):
        if not para.group(0).strip():  # blank: nothing to search (thousands cost seconds)
            pos = para.end()
            continue
        lines = [_CLASSIFIED_BY_PREFIX.sub("", ln).strip() for ln in para.group(0).split("\n")]
        lines = [ln for ln in lines if ln and not _HEADER_LINE.match(ln)]
        if lines and _serial_line(lines[:1]):
            lines = lines[1:]
        start = para.group(0)[:400]  # a header field opens its block; later words do not count
        header = _SUBJECT.search(start) or _REF.search(start) or _EO.search(start)
        if lines and not header:
            return _past_header_lines(body, para.start())
        pos = para.end()
    if not body[pos:].strip():
        # One block holding header and text alike: the text starts after the last header field.
        ends = [m.end() for m in _GLUED_FIELD.finditer(body[:1500])]
        if ends:
            line_end = body.find("\n", max(ends))
            return len(body) if line_end < 0 else line_end + 1
    return pos


def _stated_subject(text: str, start: int, post: str | None) -> str:
    """The subject stated from ``start``: its first line and the lines that continue it, up
    to a blank line or the next header line, without line breaks and page furniture."""
    lines = []
    for number, line in enumerate(text[start:].split("\n", _SUBJECT_MAX_LINES)):
        if number == _SUBJECT_MAX_LINES:
            break
        line = line.rstrip(" \t\\")  # some captures end every line with a backslash
        if number and (not line.strip() or _SUBJECT_STOP.match(line)):
            break
        # furniture and banners are taken out line by line: a banner is a line of its own
        line = _strip_furniture(line, post)
        if line.strip():
            lines.append(line)
    return " ".join(_SUBJECT_END.split(" ".join(lines), maxsplit=1)[0].split())


# A subject runs on a few lines; past these it is text that was never split into lines.
_SUBJECT_MAX_LINES = 8


def _ref_place(reference_id: str | None) -> str | None:
    match = re.match(r"\d\d([A-Z]+)\d+$", reference_id or "")
    return match[1] if match else None


def _strip_page_furniture(body: str, post: str | None = None) -> str:
    """Remove "TRIPOLI 00000430  002.2 OF 004" wherever it stands, place name included.

    The place name is the post's (as the reference id spells it, or its first letters where
    the line cuts it short: "USUN NEW Y", "RIO DE JAN"); without a post, or for furniture of
    another post quoted in the text, it is the one capitalised word before the number, so
    that the capitals of a subject before it stay ("... RESPONSE AT TRIPOLI 00000248").
    """
    pieces = []
    last = 0
    for match in _FURNITURE_TAIL.finditer(body):
        start = match.start()
        if start < 2 or body[start - 1] not in " \t":
            continue
        begin = _place_start(body, start, post)
        if begin is None:
            continue  # no place name before the number: not furniture
        pieces.append(body[last:begin])
        pieces.append(" ")
        last = match.end()
    pieces.append(body[last:])
    return "".join(pieces)


def _place_start(body: str, start: int, post: str | None) -> int | None:
    """Where the place name before a furniture number at ``start`` begins, if there is one."""
    words = []  # (offset, word) of the capitalised words before the number, nearest first
    end = start
    while len(words) < 4:
        stop = end
        while stop > 0 and body[stop - 1] in " \t":
            stop -= 1
        begin = stop
        while begin > 0 and start - begin <= 32 and not body[begin - 1].isspace():
            begin -= 1
        word = body[begin:stop]
        if not word or not re.fullmatch(r"[A-Z][A-Z.'-]*", word):
            break
        words.append((begin, word))
        end = begin
    if not words:
        return None
    if post:
        letters = ""
        found = None
        for begin, word in words:
            letters = re.sub(r"[^A-Z]", "", word) + letters
            if letters == post or (
                len(letters) >= 5 and (post.startswith(letters) or post.endswith(letters))
            ):
                found = begin
        if found is not None:
            return found
    return words[0][0]


def _strip_furniture(body: str, post: str | None = None) -> str:
    # The distribution marker the State Department's system wrote into running text (the
    # pattern opens with a lookbehind, so it is tried at every character: only where it can be).
    if "SIPDIS" in body:
        body = _SIPDIS.sub("", body)
    if " OF " in body:
        body = _strip_page_furniture(body, post)
    if "PAGE" in body:
        body = _FURNITURE[1].sub(" ", body)
    body = _BANNER.sub("", body)
    body = _RULES.sub("", body)
    return _MARKERS.sub("", body)


# Lines of a routing header, as repeated before each section of a long telegram.
_ROUTING_LINE = re.compile(
    r"^\s*(?:[A-Z]{1,2}\s+\d{6}Z\s+[A-Z]{3}\s+\d{2}\b|FM\s|TO\s|INFO\s|ACTION\s|PAGE\s+\d|"
    r"-{5,}|ZN[YR]\s|DE\s|VZCZC|AM(?:EMBASSY|CONSUL)\s|SECSTATE\s|USMISSION\s|"
    r"[A-Z]{2,6}-\d{2}\b|.*\b(?:WASHDC|IMMEDIATE|PRIORITY|ROUTINE)\b(?:\s+\d{4})?\s*$)"
)
_ADDRESS_LINE = re.compile(r"^\s*[A-Z][A-Z/ ,.&-]* FOR [A-Z]")
_LATER_SECTION = re.compile(r"SECTION\s*0*(?:[2-9]|\d\d)\s*OF\s*\d+")


def _drop_section_headers(text: str) -> str:
    """Remove the routing and header lines repeated before sections 2, 3... of a telegram."""
    if not _LATER_SECTION.search(text):
        return text
    lines = text.split("\n")
    kept: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _LATER_SECTION.search(_collapse_spaced(line.upper())) and _serial_line([line]):
            while kept and (not kept[-1].strip() or _ROUTING_LINE.match(kept[-1])):
                kept.pop()
            i += 1
            while i < len(lines) and (
                not lines[i].strip()
                or _HEADER_LINE.match(lines[i].strip())
                or _ADDRESS_LINE.match(lines[i])
                or _GLUED_FIELD.match(lines[i].strip())
            ):
                if re.match(r"\s*SUBJ", lines[i], re.I):
                    # the subject may run on to the next line
                    while i + 1 < len(lines) and lines[i + 1].strip():
                        i += 1
                i += 1
            kept.append("")
            continue
        kept.append(line)
        i += 1
    return "\n".join(kept)


def _text_layer(body: str, subject: str | None, post: str | None) -> tuple[str, list[Span]]:
    """The paragraphs of a telegram body, unwrapped, without header lines or page furniture."""
    builder = TextBuilder()
    if subject:
        builder.add(subject, "heading", label="subject")
    start = _header_end(body)
    if len(body[start:].strip()) < 0.2 * len(body.strip()):
        # The header ran into the text on one line: keep the text, header words and all.
        start = min(start, _past_header_lines(body, 0))
    rest = _strip_furniture(_drop_section_headers(body[start:]), post)
    for para in re.split(r"\n[ \t]*\n", rest):
        for piece in _INLINE_PARAGRAPH.split(para) if "  " in para else (para,):
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
                end = span.start + len(marking.group(0).rstrip())
                builder.structure.append(Span("marker", span.start, end, span.number, span.label))
    return builder.text(), builder.structure


_REF_ID = re.compile(
    r"^(?:(?P<yy>\d{2})\s*)?(?P<place>[A-Z][A-Z .'-]*?)\s*0*(?P<num>\d{1,7})\b(?!\s*/)"
)


def ref_identifier(ref: str, year: str | None) -> str | None:
    """The reference id a REF line names: "08 MANAMA 471" -> "08MANAMA471"; "STATE 6698" in a
    2010 cable -> "10STATE6698"."""
    match = _REF_ID.match(ref.strip().upper())
    if not match:
        return None
    yy = match["yy"] or (year[2:4] if year else None)
    if yy is None:
        return None
    place = re.sub(r"[^A-Z]", "", match["place"])
    if not place or place in ("REF", "REFS", "REFTEL", "PARA", "PARAS"):
        return None
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
        author=tel.signer,
    )
    if tel.refs:
        record.metadata["refs"] = [
            {"mention": ref, "identifier": ref_identifier(ref, tel.created)} for ref in tel.refs
        ]
        record.mentions = [
            Mention(ref["mention"], "cable-ref", ref["identifier"])
            for ref in record.metadata["refs"]
            if ref["identifier"]
        ]
    if tel.classified_by:
        record.metadata["classified_by"] = tel.classified_by
    if tel.signer:
        record.metadata["signer"] = tel.signer
    if tel.post:
        record.metadata["post"] = tel.post
    if tel.serial is not None:
        record.metadata["serial"] = tel.serial
    if tel.sources:
        record.metadata["field_origins"] = tel.sources
    return record


_CABLE_PAGE = re.compile(rb"<table class=['\"]cable['\"]")


@register
class CablePageIngester(Ingester):
    """A cable page as WikiLeaks published it: a header table and two <pre> blocks."""

    name = "cable-page"
    version = "0.4.0"  # 0.4: charset detection by chardet (ingest.decode)
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
        # The page's header table is the publisher's statement of these fields.
        tel.reference_id = reference_id
        tel.created = created.replace(" ", "T") if iso_date(created) else tel.created
        tel.classification = classification
        tel.origin = origin
        tel.sources.update(
            {f: "header table" for f in ("reference_id", "created", "classification", "origin")}
        )
        record = _telegram_record(tel, "cable-page", self.version)
        record.released = released.replace(" ", "T") if iso_date(released) else None
        record.url = hint.url
        return record


_TELEGRAM_MARKERS = (
    re.compile(rb"^\s*FM\s+[A-Z]", re.M),
    re.compile(rb"^\s*TO\s+[A-Z]", re.M),
    re.compile(rb"^\s*SUBJ(?:ECT)?:?\s", re.M | re.I),
    re.compile(rb"TAGS:?\s+[A-Z]{4}", re.I),
    re.compile(rb"E\.?\s?O\.?\s*1\d{4}", re.I),  # captures glue it on: "SIPDISE.O. 12958"
    re.compile(rb"\b[0-3]\d[0-2]\d[0-5]\dZ\s+[A-Z]{3}\s+\d{2}\b", re.I),
    re.compile(rb"SIPDIS", re.I),
    re.compile(rb"^\s*Classified\s+By\b", re.M | re.I),
    re.compile(rb"partial extract of the original cable|^Cable dated:", re.M),
    re.compile(
        rb"(?:UNCLAS|CONFIDENTIAL|SECRET|(?:[A-Z] ){5,}[A-Z])[A-Z /]*\s(?:SECTION \d+ OF \d+ )?"
        rb"[A-Z][A-Z ]+ \d{3,7}",
        re.I,
    ),
)


@register
class TelegramIngester(Ingester):
    """Plain telegram text: routing header, classification line, TAGS, SUBJECT, paragraphs."""

    name = "telegram"
    version = "0.5.0"  # 0.5: a reference id (and year) from a file named by it
    media_types = ("text/plain",)
    extensions = ("txt", "tel", "cable")

    def match(self, data: bytes, hint: Hint) -> float:
        if looks_binary(data):
            return 0.0
        head = data[:6000]
        if re.search(rb"<(html|body|div|p)[\s>]", head, re.I):
            return 0.0
        hits = 0
        for marker in _TELEGRAM_MARKERS:
            hits += marker.search(head) is not None
            if hits == 3:  # enough: the other markers need not be looked for
                return 0.9
        return 0.0

    def extract(self, data: bytes, hint: Hint) -> Extracted:
        text, _ = decode(data)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        routing, body = split_telegram(text)
        tel = parse_telegram(routing, body)
        named_by_file(tel, hint.name)
        if not tel.text.strip():
            raise IngestError("telegram: no paragraphs found after the header")
        return _telegram_record(tel, "telegram", self.version)


#: A file named by a cable's reference id, as collections of the released cables name their
#: text files ("01VATICAN1261.txt"): two digits of the year, the post, the serial number.
_REFERENCE_NAME = re.compile(r"(?P<y>\d\d)(?P<post>[A-Z]+)(?P<serial>\d{1,6})")


def named_by_file(tel: Telegram, name: str | None) -> None:
    """The reference id a telegram's file is named by, for a telegram whose text states its
    post and serial number but no reference id (a partial extract states no year): taken when
    the name names that post and serial number (and the year of a date the text states), and
    with it the year alone where the text states no date. A name that names another cable,
    or a telegram that states its own reference id, is left as the text has it."""
    if tel.reference_id or not name or not tel.post or tel.serial is None:
        return
    stem = name.replace("\\", "/").rsplit("/", 1)[-1].split(".", 1)[0]
    match = _REFERENCE_NAME.fullmatch(stem)
    if not match or match["post"] != tel.post or int(match["serial"]) != tel.serial:
        return
    year = _year(match["y"])
    if tel.created and int(tel.created[:4]) != year:
        return
    tel.reference_id = f"{match['y']}{tel.post}{tel.serial}"
    tel.sources["reference_id"] = "file name"
    if not tel.created:
        # a year alone is written as its first day and compared by its year (see
        # provenance.works.time_rule), its origin marked as the pages' coarse dates are
        tel.created = f"{year:04d}-01-01"
        tel.sources["created"] = "file name:year"


def split_telegram(text: str) -> tuple[str, str]:
    """The routing header and the body of a telegram: the body begins at the serial line, or
    failing that at the first line after the ``TO``/``INFO`` addressees."""
    lines = text.split("\n")
    found = _serial_line(lines[:120])
    if found:
        index, _ = found
        split = sum(len(ln) + 1 for ln in lines[:index])
        return text[:split], text[split:]
    dtg = _DTG.search(text[:4000])
    if dtg:
        after = text.find("\n\n", dtg.end())
        if after > 0:
            return text[:after], text[after:]
    return "", text
