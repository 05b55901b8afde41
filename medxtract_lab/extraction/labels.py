"""Finding printed labels in a line of OCR text, fuzzily (``Narne:`` and ``Measies:`` anchor)."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

# Length-preserving OCR confusions, applied to both sides when matching labels only.
_CONFUSABLE = str.maketrans({"!": "l", "|": "l", "1": "l", "0": "o", "’": "'", "‘": "'"})
_COLON_LIKE = (":", ";", "'", "’", "‘", ".", ",")


@dataclass(frozen=True)
class Hit:
    """A label found in a line: which label, where, and how well it matched (0 to 1)."""

    label: str
    start: int
    end: int
    score: float


# Letters a Latin-script model invents for plain ones in English labels ('Diræztions:').
_LIGATURES = {"æ": "e", "œ": "o", "ø": "o"}


def _fold(char: str) -> str:
    """One character case-folded and without its accent, unless folding would change its
    length ('ß' -> 'ss'): label offsets found in the folded line must index the line itself."""
    folded = char.casefold()
    if len(folded) != 1:
        lowered = char.lower()
        return lowered if len(lowered) == 1 else char
    base = unicodedata.normalize("NFKD", folded)[:1]
    return _LIGATURES.get(folded, base if base.isascii() and base.isalpha() else folded)


def _norm(text: str) -> str:
    """Case-folded with OCR confusions mapped, character for character."""
    if text.isascii():
        return text.lower().translate(_CONFUSABLE)
    return "".join(map(_fold, text)).translate(_CONFUSABLE)


def _threshold(label: str) -> float:
    """The least similarity that anchors: about one misread letter in a short label, two in a
    label of eight or nine characters ('Meacies:' for 'Measles:'), 18% of a longer one."""
    if len(label) <= 6:
        return 80.0
    if len(label) in (8, 9):
        return 100 * (1 - 2 / len(label)) - 0.1
    return 82.0


def _plausible(label: str, norm_line: str, start: int, end: int, score: float) -> bool:
    """A short label matched inexactly must keep its colon (or what OCR made of it), so
    'Dale:' and 'Weight’' anchor but the words 'data' and 'Wright' do not."""
    if score >= 100 or len(label) > 10 or not label.endswith(":"):
        return True
    following = norm_line[end : end + 1]
    return norm_line[start:end].endswith(_COLON_LIKE) or following in _COLON_LIKE


_GLUED_LABEL_CHARS = 8


def _glued_label(label: str, line: str, start: int, end: int) -> bool:
    """Whether a label found right after a letter still anchors: on a blurred photo two
    columns of one row run together ('NOT IMMUNÆMMeasles:', 'IMMUWeasles:'). Only a label of
    ``_GLUED_LABEL_CHARS`` or more, read with its colon and starting with a capital where the
    word before it does not: 'Outpatient:' and 'Emailaddress:' are words, not labels."""
    return (
        len(label) >= _GLUED_LABEL_CHARS
        and label.endswith(":")
        and (line[end - 1] in ":;" or line[end : end + 1] in (":", ";"))
        and line[start].isupper()
    )


@functools.cache
def _variants(label: str) -> tuple[str, ...]:
    """The spellings of a label to look for (a fixed set per label, so computed once)."""
    base = _norm(label)
    found = {base, base.replace("m", "rn"), base.replace(":", ""), base.rstrip("?:")}
    return tuple(sorted(v for v in found if v))


@functools.lru_cache(maxsize=256)  # a few label sets, and the subsets sheet.py asks for
def _plan(labels: tuple[str, ...]) -> tuple[tuple[str, float, tuple[tuple[str, float], ...]], ...]:
    """Per label, its threshold and its spellings with the least length of text each must
    cover: fixed per label set, and worked out once rather than on every line (this loop runs
    thousands of times a document)."""
    return tuple(
        (label, _threshold(label), tuple((v, 0.9 * len(v)) for v in _variants(label)))
        for label in labels
    )


# Each label's best match in a line, by (line, label): ``find_labels``' memory.
KnownMatches = dict[tuple[str, str], Hit | None]


def find_labels(text: str, labels: Sequence[str], known: KnownMatches | None = None) -> list[Hit]:
    """Fuzzy-locate known labels in one line; the best-scoring label claims each span.
    ``known`` keeps each label's best match in a line between calls, for a caller that asks
    of the same lines for different sets of labels (``sheet``: its long labels, then all)."""
    norm = _norm(text)
    known = {} if known is None else known
    candidates = []
    for label, threshold, variants in _plan(tuple(labels)):
        key = (text, label)
        if key not in known:
            known[key] = _best_match(text, norm, label, threshold, variants)
        if known[key] is not None:
            candidates.append(known[key])
    taken = [False] * len(norm)
    hits = []
    for hit in sorted(candidates, key=lambda h: (-h.score, -len(h.label))):
        if any(taken[hit.start : hit.end]):
            continue
        for i in range(hit.start, hit.end):
            taken[i] = True
        hits.append(hit)
    return sorted(hits, key=lambda h: h.start)


def _best_match(
    line: str, norm: str, label: str, threshold: float, variants: tuple[tuple[str, float], ...]
) -> Hit | None:
    """The best of a label's spellings in ``line`` (``norm`` its normalised copy, character for
    character), or None below ``threshold``."""
    best = None
    for variant, least in variants:
        found = fuzz.partial_ratio_alignment(variant, norm, score_cutoff=threshold)
        if found is None or (found.src_end - found.src_start) < least:
            continue
        glued = found.dest_start > 0 and norm[found.dest_start - 1].isalnum()
        if glued and not _glued_label(label, line, found.dest_start, found.dest_end):
            continue
        if not _plausible(label, norm, found.dest_start, found.dest_end, found.score):
            continue
        if best is None or found.score > best.score:
            best = found
    if best is None:
        return None
    end = best.dest_end
    while end < len(norm) and norm[end] in ":?;.":
        end += 1  # a variant without its colon matched; the colon belongs to it
    return Hit(label, best.dest_start, end, best.score / 100)
