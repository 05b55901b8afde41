"""Which registered document type a document is, from the labels its pages print.

Reading pages does not depend on the type, so a document read once can be matched against
every type: each type's landmarks (a field's labels, a section's headings, a structural label)
are looked for with the same fuzzy label matching extraction uses, and the type whose
landmarks are found in the largest share wins. ``--type auto`` uses the winner; a type given by
hand that loses clearly gets a warning naming the likely one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from medxtract_lab.extraction.labels import find_labels
from medxtract_lab.extraction.spec import HOUSE_LAYOUT, DocType

AUTO = "auto"
# A type is recognised when at least this share of its landmarks is printed on the pages; the
# corpus documents of each type show 80% or more of their own and 30% or less of the other's.
RECOGNISED_SHARE = 0.5
# A given type is named as wrong when another type's share is larger by this much.
CLEARLY_OTHER = 0.3


@dataclass(frozen=True)
class TypeMatch:
    """How much of one layout of a document type's printed landmarks a document shows."""

    name: str
    found: int
    landmarks: int
    layout: str = HOUSE_LAYOUT

    @property
    def share(self) -> float:
        return self.found / self.landmarks if self.landmarks else 0.0

    def describe(self) -> str:
        return f"{self.found} of {self.landmarks} {self.name} labels found"


def landmarks(doc_type: DocType) -> list[tuple[str, ...]]:
    """The layout's landmarks: each a group of spellings, found when any of them is."""
    groups: list[tuple[str, ...]] = []
    for spec in doc_type.fields:
        for group in (getattr(spec.find, "anchors", ()), getattr(spec.find, "until", ())):
            if group and tuple(group) not in groups:
                groups.append(tuple(group))
    groups += [(label,) for label in doc_type.structural_labels if (label,) not in groups]
    return groups


def rank_layouts(
    pages: Sequence[str], layouts: Sequence[DocType], by_type: bool = True
) -> list[TypeMatch]:
    """``layouts`` by the share of their landmarks found in the page texts, best first. A label
    that more than one type prints ('Address:') tells them apart by nothing and is left out;
    with ``by_type=False`` (choosing among one type's layouts) so is a label more than one
    layout prints. Ties go to the house layout."""
    owner = (lambda d: d.name) if by_type else (lambda d: (d.name, d.layout))
    groups = {(d.name, d.layout): landmarks(d) for d in layouts}
    owners: dict[str, set] = {}
    for layout in layouts:
        for label in {label for group in groups[(layout.name, layout.layout)] for label in group}:
            owners.setdefault(label, set()).add(owner(layout))
    lines = [line for page in pages for line in page.splitlines() if line.strip()]
    ranked = []
    for (name, layout), layout_groups in groups.items():
        own = [g for g in layout_groups if all(len(owners[label]) == 1 for label in g)]
        labels = sorted({label for group in own for label in group}, key=len, reverse=True)
        seen = {hit.label for line in lines for hit in find_labels(line, labels)} if own else set()
        found = sum(1 for group in own if seen.intersection(group))
        ranked.append(TypeMatch(name, found, len(own), layout))
    return sorted(ranked, key=lambda m: (-m.share, m.layout != HOUSE_LAYOUT, m.name, m.layout))


def rank_types(pages: Sequence[str], layouts: Sequence[DocType]) -> list[TypeMatch]:
    """Each type once, as its best-matching layout, best first."""
    best: dict[str, TypeMatch] = {}
    for match in rank_layouts(pages, layouts):
        best.setdefault(match.name, match)
    return list(best.values())


def wrong_type_warning(given: str, ranked: Sequence[TypeMatch]) -> str | None:
    """A warning when ``given`` is clearly not the type the pages print, else None."""
    shares = {m.name: m for m in ranked}
    best = ranked[0] if ranked else None
    if best is None or best.name == given or given not in shares:
        return None
    if best.share - shares[given].share < CLEARLY_OTHER or best.share < RECOGNISED_SHARE:
        return None
    return (
        f"this looks like a {best.name} document ({best.describe()}, against "
        f"{shares[given].describe()}); read it with type {best.name!r}."
    )
