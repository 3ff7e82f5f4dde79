"""Agents: the person, organisation or document a source mention names, and its key.

Takes a mention as the text shows it ("Sen. Ted Cruz", "a report by the county council") and
gives the name to display, the key that makes the same agent one row across sources, and a
rough kind. Pure string work: the tagger that finds mentions lives in :mod:`provenance.attribution`.
"""

from __future__ import annotations

import re
import unicodedata

PRONOUNS = frozenset("he she they it we i you who which that his her their its".split())
PERSONAL_PRONOUNS = frozenset("he she his her who".split())
_DETERMINER = re.compile(r"^(?:the|a|an|this|that|these|those)\s+", re.I)
_HONORIFIC = re.compile(
    r"^(?:(?:mr|mrs|ms|dr|sen|rep|gov|gen|lt|col|maj|capt|sgt|adm|rev|prof)\.?|"
    r"president|vice president|senator|sen|representative|rep|governor|gov|congressman|"
    r"congresswoman|secretary of state|secretary|mayor|judge|justice|chancellor|"
    r"prime minister|minister|ambassador|general|colonel|captain|commander|lieutenant|"
    r"sergeant|admiral|sir|dame|lord|lady|"
    r"(?:former|then|current|acting)\s+)\s+",
    re.I,
)
_DOCUMENT_BY = re.compile(
    r"\b(?:report|study|statement|analysis|poll|survey|memo|letter|article|cable|paper|"
    r"review|audit|assessment|investigation|story)\s+"
    r"(?:by|from|of|published by|released by|issued by)\s+(?P<agent>.+)$",
    re.I,
)
#: A capitalised title before a name: "Fisheries Minister Adela Brun", "Foreign Secretary
#: Ann Vale", "Coast Guard Commander Iver Dahl".
_CAPITAL_TITLE = re.compile(
    r"^(?:[A-Z][\w'’-]*\s+){0,3}?(?:Minister|Secretary|Spokesman|Spokeswoman|Spokesperson|"
    r"Director|Commander|Chairman|Chairwoman|Chair|President|Governor|Ambassador|Mayor|"
    r"Leader|Chief|Captain|General|Attorney General|Adviser|Advisor)\s+"
    r"(?P<name>(?:[A-Z][\w'’.-]*\s+){0,2}[A-Z][\w'’-]+)$"
)
_RELATIVE = frozenset(("which", "who", "whom", "that"))
NAME = re.compile(r"^(?:[A-Z][\w'’.-]*\s+){0,3}[A-Z][\w'’-]+$")
#: A job title before a name: "Council leader Ruth Okafor", "White House spokesman Josh
#: Earnest" (not "the Institute for Maritime Studies": a preposition is not a title).
_TITLED_NAME = re.compile(
    r"^(?:[\w'’.&-]+\s+)*?"
    r"(?!(?:the|a|an|this|that|its|their|by|of|from|for|in|on|at|to|with|and|or)\s)[a-z][\w-]*\s+"
    r"(?P<name>(?:[A-Z][\w'’.-]*\s+){1,2}[A-Z][\w'’-]+)$"
)
_TRAILING_CLAUSE = re.compile(
    r"\s+(?:published|released|issued|sent|dated|obtained|seen|written|filed|posted|"
    r"on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|last (?:week|month|year)|"
    r"this (?:week|month|year)|earlier|later)\b.*$",
    re.I,
)
#: A cable's paragraph marking caught at the start of a mention: "(C)", "C)", "(SBU)".
MARKING_AT = re.compile(r"\(?(?:U|C|S|SBU|TS|NF|S/NF|C/NF|S//NF|C//NF)\)\s*")
_MARKING = re.compile("^" + MARKING_AT.pattern)


_DATE_WORD = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|"
    r"december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec|monday|tuesday|wednesday|"
    r"thursday|friday|saturday|sunday|spring|summer|autumn|fall|winter|today|yesterday|"
    r"(?:1[89]|20)\d\d|[0-3]?\d(?:st|nd|rd|th)?|last|this|next|early|late|mid|the|of|week|"
    r"month|year)\.?"
)
_DATE = re.compile(rf"^{_DATE_WORD}(?:[\s,/-]+{_DATE_WORD})*$", re.I)


def is_date(name: str) -> bool:
    """Whether a mention is only a date or a time ("February 2008", "Saturday", "last
    week"): never an agent."""
    name = name.strip(" ,;:.")
    if not name or not _DATE.match(name):
        return False
    words = name.split()
    if len(words) == 1 and not re.fullmatch(
        r"(?i)(?:1[89]|20)\d\d|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
        r"today|yesterday",
        words[0],
    ):
        return False  # "May", "June", "12": a name or a number as often as a date
    return True


def _strip_honorifics(name: str) -> str:
    while True:
        stripped = _HONORIFIC.sub("", name, count=1)
        if stripped == name or not stripped:
            return name
        name = stripped


def agent_name(mention: str, before_cue: bool = True) -> str:
    """The agent a mention names, as displayed.

    "a report by the county council" → "the county council"; "Sen. Ted Cruz" → "Ted Cruz";
    "Council leader Ruth Okafor" → "Ruth Okafor"; "the authority's chief engineer, Dov Harlan"
    → "Dov Harlan"; "West Point's Combating Terrorism Center" stays as it is. Of a mention
    in parts ("the cable, the embassy"), a part that is a proper name, else the part next to
    the cue (the last when the mention comes ``before_cue``, else the first).
    """
    name = re.sub(r"\s*\([^()]*\)", "", " ".join(_MARKING.sub("", mention.strip()).split()))
    name = name.strip(" ,;:—–-\"“”'’()")
    name = _TRAILING_CLAUSE.sub("", name)
    if "," in name:
        parts = [p.strip() for p in name.split(",") if p.strip()]
        named = [p for p in (parts[-1], parts[0]) if NAME.fullmatch(_strip_honorifics(p))]
        index = (len(parts) - 1 if before_cue else 0) if not named else parts.index(named[0])
        if parts[index].lower() in _RELATIVE and index > 0:
            index -= 1  # "the Meridian Institute, which found": the antecedent
        name = parts[index]
    match = _DOCUMENT_BY.search(name)
    if match and not is_date(match.group("agent")):  # "a cable from February 2008"
        name = match.group("agent").strip(" ,;:")
    if is_date(name):
        return ""  # "February 2008", "Saturday": a date is never an agent
    name = _strip_honorifics(name)
    titled = _TITLED_NAME.match(name) or _CAPITAL_TITLE.match(name)
    if titled:
        name = _strip_honorifics(titled.group("name"))
    return name.strip()


def agent_key(name: str) -> str:
    """The key that makes the same agent one row across sources."""
    name = unicodedata.normalize("NFKC", agent_name(name)).casefold().replace("’", "'")
    name = _DETERMINER.sub("", name.strip())
    name = re.sub(r"'s\b", "", name)
    return " ".join(re.sub(r"[^\w\s]", " ", name).split())


def agent_kind(name: str) -> str:
    lowered = name.lower()
    if re.search(
        r"\b(?:report|cable|study|document|memo|letter|survey|paper|article|telegram)\b", lowered
    ):
        return "document"
    if re.search(
        r"\b(?:ministry|department|agency|police|government|institute|center|centre|office|"
        r"embassy|council|committee|university|company|group|officials?|army|forces|court|"
        r"commission|association|party|bank|union|organisation|organization|campaign|"
        r"administration|house|senate|congress|times|post|news|press|network)\b",
        lowered,
    ):
        return "organisation"
    if lowered in PRONOUNS:
        return "pronoun"
    if NAME.fullmatch(name.strip()):
        return "person"
    return "unknown"
