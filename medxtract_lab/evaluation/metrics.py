"""CER and field matching, defined as in DESIGN.md.

Every rate comes with its counts, so totals are micro-averaged (summed edits over summed
reference length), the way jiwer sums counts before dividing.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein


def normalise(text: str | None) -> str:
    """NFC, whitespace runs collapsed to one space, trimmed."""
    if not text:
        return ""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


@dataclass(frozen=True)
class Cer:
    edits: int
    reference: int

    @property
    def rate(self) -> float:
        """Edits per reference character; an empty reference counts its insertions."""
        return self.edits / self.reference if self.reference else float(self.edits)


def cer(reference: str | None, hypothesis: str | None) -> Cer:
    ref, hyp = normalise(reference), normalise(hypothesis)
    return Cer(Levenshtein.distance(ref, hyp), len(ref))


def micro_cer(counts: Iterable[Cer]) -> float:
    """Summed edits over summed reference length (0 when there is nothing to compare)."""
    edits = reference = 0
    for count in counts:
        edits += count.edits
        reference += count.reference
    return edits / reference if reference else float(edits)


def field_match(expected: str | None, got: str | None) -> bool:
    """Exact match after normalisation and case-folding; null matches only null."""
    if expected is None or got is None:
        return expected is None and got is None
    return normalise(expected).casefold() == normalise(got).casefold()


def field_cer(expected: str | None, got: str | None) -> Cer:
    return cer(expected or "", got or "")


def confusions(reference: str | None, hypothesis: str | None) -> Counter[str]:
    """Character-level confusions as 'expected :: got' (an empty side is shown as '∅')."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    found: Counter[str] = Counter()
    for op in Levenshtein.opcodes(ref, hyp):
        if op.tag == "equal":
            continue
        expected = ref[op.src_start : op.src_end] or "∅"
        got = hyp[op.dest_start : op.dest_end] or "∅"
        found[f"{expected} :: {got}"] += 1
    return found
