"""Turning bytes into str: charset detection shared by the text-based ingesters."""

from __future__ import annotations

import codecs
import re

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([-\w:.]+)""", re.I)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([-\w:.]+)""", re.I)


# Bytes below 32 other than tab, newline, form feed, carriage return and escape.
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))


def looks_binary(data: bytes, sample: int = 4096) -> bool:
    """Whether bytes look like binary data rather than text in some encoding."""
    head = data[:sample]
    if not head:
        return False
    if any(head.startswith(bom) for bom, _ in _BOMS):
        return False
    if b"\x00" in head:
        # A stray NUL in valid UTF-8 text (a byte a broken editor left) is not binary; text
        # in UTF-16 without a BOM, or binary data, has NULs everywhere.
        return not (head.count(b"\x00") * 100 <= len(head) and _utf8_prefix(head))
    control = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return control / len(head) > 0.05


def _utf8_prefix(head: bytes) -> bool:
    """Whether a sample is UTF-8, allowing a sequence cut at its end."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3 and exc.reason == "unexpected end of data"
    return True


def declared_charset(data: bytes) -> str | None:
    """The charset a markup document declares in its first bytes, if any."""
    head = data[:4096]
    match = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    if not match:
        return None
    name = match.group(1).decode("ascii", "replace").lower()
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _mostly_utf8(data: bytes) -> bool:
    """Whether the bytes hold multi-byte UTF-8 sequences (so stray bytes are the exception)."""
    return len(re.findall(rb"[\xc2-\xf4][\x80-\xbf]+", data[:200_000])) >= 3


def decode(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode bytes to text; return the text and the encoding used.

    A BOM wins; then strict UTF-8; then the declared charset if the bytes decode under it
    (declarations lie: a page saying UTF-8 may be Windows-1252); then charset detection.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace"), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if declared in ("utf-8", "utf_8") or _mostly_utf8(data):
        # UTF-8 with Windows-1252 bytes pasted in (a page that lies about its charset in part).
        from bs4.dammit import UnicodeDammit  # imported here: most inputs are UTF-8

        try:
            return UnicodeDammit.detwingle(data).decode("utf-8"), "utf-8+windows-1252"
        except UnicodeDecodeError:
            pass
        if not _mostly_utf8(data):
            # Declared UTF-8, written in Windows-1252 (the commonest lie): detection alone
            # guesses a neighbouring code page from a few accented letters.
            try:
                return data.decode("cp1252"), "windows-1252"
            except UnicodeDecodeError:
                pass
    if declared and declared not in ("utf-8", "utf_8"):
        try:
            return data.decode(declared), declared
        except (UnicodeDecodeError, LookupError):
            pass
    return _detected(data)


#: Candidates of the charset detector tried in its order of confidence (see :func:`_detected`).
_CANDIDATES = 5
#: Bytes the detector reads and the candidates are judged on.
_SAMPLE = 200_000
_WORD = re.compile(r"[^\W\d_]{2,}")


def _detected(data: bytes) -> tuple[str, str]:
    """Charset detection (chardet: byte-pair models of the languages each encoding serves)
    for bytes that are neither UTF-8 nor in a charset they declare.

    The detector's best guess wins unless it puts letters of two scripts in one word, as a
    Cyrillic or CJK guess does with Western text whose accented letters are few ("cittа",
    with a Cyrillic а): then the next candidate without such words, in the detector's order.
    Windows-1252 when nothing is detected."""
    import chardet

    sample = data[:_SAMPLE]
    found = chardet.detect_all(
        sample,
        ignore_threshold=True,
        prefer_superset=True,  # the Windows code page that decodes all an ISO charset does
        encoding_era=chardet.EncodingEra.MODERN_WEB,
    )
    best: tuple[int, str] | None = None
    for candidate in found[:_CANDIDATES]:
        try:
            encoding = codecs.lookup(candidate["encoding"] or "").name
        except LookupError:
            continue
        mixed = _mixed_script_words(sample.decode(encoding, errors="replace"))
        if best is None or mixed < best[0]:
            best = (mixed, encoding)
        if mixed == 0:
            break
    encoding = best[1] if best else "cp1252"
    return data.decode(encoding, errors="replace"), encoding


def _mixed_script_words(text: str) -> int:
    """Words holding both a basic Latin letter and a letter of another script (Latin letters
    with accents, U+00C0-U+024F and U+1E00-U+1EFF, count as Latin)."""
    mixed = 0
    for word in _WORD.findall(text):
        if word.isascii() or not any("a" <= c <= "z" or "A" <= c <= "Z" for c in word):
            continue
        if any(ord(c) > 0x24F and not 0x1E00 <= ord(c) <= 0x1EFF and c.isalpha() for c in word):
            mixed += 1
    return mixed
