"""Text cleaning for values: OCR debris off, every real character kept."""

from __future__ import annotations

import re

LEAD_JUNK = " \t|—–-_:;.,~'\"‘’`*•>»"
TRAIL_JUNK = " \t|—–_:;~'\"‘’`*•°©®"
MIN_FREE_TEXT_CHARS = 2  # letters or digits a value without a pattern needs (find_value)
_NAME_TOKEN = re.compile(r"^[^\W\d_][\w.'’-]*$")


def clean(value: str) -> str:
    """Strip OCR junk around a value and underline runs, keep every real character."""
    lines = []
    for line in value.splitlines():
        line = re.sub(r"_{2,}|(?<!\w)_|_(?!\w)", " ", line)
        words = line.split()
        # Tokens without a letter or digit at either end are OCR debris (" ) .", "|", "—").
        while words and not any(ch.isalnum() for ch in words[-1]):
            words.pop()
        while words and not any(ch.isalnum() for ch in words[0]):
            words.pop(0)
        line = " ".join(words).strip(TRAIL_JUNK).lstrip(LEAD_JUNK).strip()
        if line:
            lines.append(line)
    return "\n".join(lines)


def name_prefix(text: str) -> str:
    """The leading run of name-like words (stops at the first word holding a digit). A speck
    in the margin read as one lower-case letter before it ('j Michele Albero') is left out: a
    name never starts so."""
    read = clean(text).split()
    while len(read) > 1 and len(read[0]) == 1 and read[0].islower():
        read.pop(0)
    words = []
    for word in read:
        if not _NAME_TOKEN.match(word):
            break
        words.append(word)
    return " ".join(words).rstrip(",")


def looks_like_name(text: str) -> bool:
    """Two or more words, the first and last capitalised, at least four letters."""
    words = text.split()
    return (
        len(words) >= 2
        and words[0][0].isupper()
        and words[-1][0].isupper()
        and len(words[-1]) >= 2
        and sum(ch.isalpha() for ch in text) >= 4
    )


def value_span(match: re.Match) -> tuple[str, int, int]:
    """A match's value: its group "v" when the pattern names one, else the whole match."""
    group = "v" if "v" in match.re.groupindex else 0
    return match.group(group), match.start(group), match.end(group)


def find_value(pattern: str | None, text: str, last: bool = False) -> tuple[str, int, int] | None:
    """The value inside ``text``: the whole text, or the first (or last) pattern match."""
    if pattern is None:
        stripped = text.lstrip(LEAD_JUNK).rstrip(TRAIL_JUNK)
        # One letter or digit alone is a speck or a broken label's tail ('Com' 'pany' leaves
        # 'm'), never a printed value: names, addresses and codes have more.
        if sum(ch.isalnum() for ch in stripped) < MIN_FREE_TEXT_CHARS:
            return None
        start = text.index(stripped)
        return stripped, start, start + len(stripped)
    matches = list(re.finditer(pattern, text, flags=re.IGNORECASE))
    if not matches:
        return None
    return value_span(matches[-1] if last else matches[0])
