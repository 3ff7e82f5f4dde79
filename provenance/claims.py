"""Check-worthy claim detection: score sentences as factual claims, and name their kind.

The scorer works on a batch of sentences at once so that a trained model can replace it
without changing callers. This first scorer is a transparent weighted sum of cues that
fact-checkers look for (numbers, named sources, reporting verbs, past events) against cues of
opinion, questions and page boilerplate.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

MODEL_VERSION = "heuristic-0.1"
THRESHOLD = 0.5

_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|hundred|thousand|million|billion|trillion|dozen|half|percent|per cent)\b",
    re.I,
)
_STATISTIC = re.compile(
    r"\d[\d,.]*\s*(?:%|percent|per cent|million|billion|trillion|thousand)|"
    r"[$£€¥]\s?\d|\b\d{1,3}(?:,\d{3})+\b|\b\d+(?:\.\d+)?\s*(?:km|kilometres|miles|tons|tonnes|"
    r"dinar|dollars|euros|pounds|people|deaths|cases|officers|troops)\b",
    re.I,
)
_REPORTING = re.compile(
    r"\b(?:said|says|told|stated|reported|reports|confirmed|announced|according to|estimated|"
    r"found|showed|revealed|wrote|testified|acknowledged|admitted|alleged|claimed)\b",
    re.I,
)
_PAST = re.compile(r"\b\w{3,}ed\b|\b(?:was|were|had|did|began|took|went|met|made|sent|held)\b")
_DATE = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|(?:19|20)\d\d)\b"
)
_OPINION = re.compile(
    r"\b(?:I|we|you) (?:think|believe|feel|hope|guess|love|hate)\b|\bin my (?:view|opinion)\b|"
    r"\b(?:should|must|ought to|would be better)\b|\b(?:amazing|awesome|terrible|wonderful|"
    r"beautiful|best|worst)\b",
    re.I,
)
_BOILERPLATE = re.compile(
    r"\b(?:cookies?|subscribe|newsletter|sign up|log in|click here|share this|follow us|"
    r"all rights reserved|read more|advertisement|terms of (?:use|service)|privacy policy|"
    r"related articles?|comments?)\b|©",
    re.I,
)
_CAPITALISED = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-z]+")
_QUOTED = re.compile(r"[\"“][^\"”]{12,}[\"”]")


def _features(sentence: str) -> float:
    words = sentence.split()
    n = len(words)
    z = -0.6
    if n < 4:
        z -= 2.5
    elif n < 7:
        z -= 0.6
    elif n > 80:
        z -= 0.8
    if _NUMBER.search(sentence):
        z += 1.0
    if _STATISTIC.search(sentence):
        z += 0.6
    if _REPORTING.search(sentence):
        z += 0.8
    if _DATE.search(sentence):
        z += 0.4
    if _PAST.search(sentence):
        z += 0.4
    z += 0.25 * min(3, len(_CAPITALISED.findall(sentence)))
    stripped = sentence.rstrip("\"'”’) ")
    if stripped.endswith("?"):
        z -= 2.2
    elif stripped.endswith("!"):
        z -= 0.8
    if _OPINION.search(sentence):
        z -= 0.8
    if _BOILERPLATE.search(sentence):
        z -= 2.5
    letters = [c for c in sentence if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) / len(letters) > 0.7 and n < 15:
        z -= 1.5  # a heading in capitals
    return z


def score_sentences(sentences: Sequence[str]) -> list[float]:
    """Check-worthiness of each sentence, between 0 and 1."""
    return [1.0 / (1.0 + math.exp(-_features(s))) for s in sentences]


def claim_kind(sentence: str, attributed: bool) -> str:
    """A kind a reader can filter on: statistic, quotation, attributed, event or statement."""
    if _STATISTIC.search(sentence):
        return "statistic"
    if _QUOTED.search(sentence):
        return "quotation"
    if attributed:
        return "attributed"
    if _DATE.search(sentence) or _PAST.search(sentence):
        return "event"
    return "statement"
