"""The field-spec schema: the only thing a document type imports to declare its fields.

A document type is data: a tuple of ``FieldSpec``, each naming how its value is found (``find``:
the options of one value kind) plus what every kind shares (the page it lives on, the shape the
value must have, how it is normalised and corrected). Each value kind's options are their own
small dataclass, so an option can only be given to the kind that reads it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from medxtract_lab.extraction.text import clean

# The layout a type's contract was first written for (the committed corpus's).
HOUSE_LAYOUT = "standard"


@dataclass(frozen=True)
class Label:
    """The value after a label, on the same line or on the lines below it."""

    anchors: tuple[str, ...]  # the label as printed, and its other spellings
    max_lines: int = 1  # lines the value may span
    lookahead: int = 2  # lines below the label searched for the value
    # The value's lines continue in its own column: a line printed only further right (a
    # second column OCR read in between) is passed over instead of ending the value.
    own_column: bool = False

    @property
    def labels(self) -> tuple[str, ...]:
        return self.anchors


@dataclass(frozen=True)
class Block:
    """The unlabelled lines between a start label and an end label (a prescription's medicines)."""

    anchors: tuple[str, ...]  # start labels
    until: tuple[str, ...]  # end labels
    line_filter: str | None = None  # a regex a kept line must contain

    @property
    def labels(self) -> tuple[str, ...]:
        return self.anchors + self.until


@dataclass(frozen=True)
class Section:
    """The unlabelled text of a section (a form column without labels), read as a name, the
    first match of the field's value pattern, or the remaining lines."""

    anchors: tuple[str, ...]  # section headings
    until: tuple[str, ...]  # the next section's headings
    take: Literal["name", "pattern", "lines"] = "lines"

    @property
    def labels(self) -> tuple[str, ...]:
        return self.anchors + self.until


@dataclass(frozen=True)
class Pattern:
    """The field's value pattern searched over a whole page (a letterhead's doctor name)."""

    @property
    def labels(self) -> tuple[str, ...]:
        return ()


@dataclass(frozen=True)
class Lines:
    """Unlabelled lines placed by a label's line (a dispensing label's patient name, a
    signature): the value's first line is ``offset`` printed lines after (or, negative, before)
    the line holding one of ``anchors``; it holds ``count`` lines, or, with ``until``, runs to
    ``until_offset`` lines from the next line holding one of those labels."""

    anchors: tuple[str, ...]
    offset: int = 1
    count: int = 1
    until: tuple[str, ...] = ()
    until_offset: int = -1

    @property
    def labels(self) -> tuple[str, ...]:
        return self.anchors + self.until


@dataclass(frozen=True)
class Choice:
    """Options printed after a label, one of them ticked in a box (a form's Yes/No): the value
    is the ticked option, read from the page's pixels (``ticks.py``)."""

    anchors: tuple[str, ...]
    options: tuple[str, ...]

    @property
    def labels(self) -> tuple[str, ...]:
        return self.anchors


@dataclass(frozen=True)
class Region:
    """The text printed inside a part of the page, when no label places the value (a stamp, a
    code in a corner): ``box`` is (x0, y0, x1, y1) as fractions of the page's width and height,
    origin top-left. It needs the words' positions and the page's size."""

    box: tuple[float, float, float, float]

    @property
    def labels(self) -> tuple[str, ...]:
        return ()


@dataclass(frozen=True)
class Nowhere:
    """A field this layout does not print: always absent (null)."""

    @property
    def labels(self) -> tuple[str, ...]:
        return ()


Kind = Label | Block | Section | Pattern | Lines | Choice | Region | Nowhere


@dataclass(frozen=True)
class FieldSpec:
    name: str
    find: Kind
    page: int | None = None  # 1-based page the field lives on; None for any page
    value: str | None = None  # regex a value must contain; group "v" if present, else match
    normalise: Callable[[str], str] = clean
    # Snaps a value to a known form; returns the value and a confidence factor.
    correct: Callable[[str], tuple[str, float]] | None = None
    lines: Literal["one", "many"] = "one"  # whether the contract lets the value span lines

    @property
    def anchors(self) -> tuple[str, ...]:
        """The labels that place this field on the page (empty for a pattern field)."""
        return getattr(self.find, "anchors", ())

    @property
    def multiline(self) -> bool:
        """Whether the value may hold several lines (editors show a text area for it)."""
        found = self.find
        return (
            self.lines == "many"
            or isinstance(found, Block)
            or (isinstance(found, Section) and found.take == "lines")
            or (isinstance(found, Label) and found.max_lines > 1)
            or (isinstance(found, Lines) and (found.count > 1 or bool(found.until)))
        )


@dataclass(frozen=True)
class DocType:
    name: str
    fields: tuple[FieldSpec, ...]
    # Labels that carry no field but must stop values and blocks (section headings etc.).
    structural_labels: tuple[str, ...] = ()
    layout: str = HOUSE_LAYOUT  # which printed layout of the type these specs read
    description: str = ""

    @property
    def field_names(self) -> list[str]:
        return [spec.name for spec in self.fields]

    def labels(self) -> list[str]:
        """Every label of the type, longest first (a long label claims its span first)."""
        found = {label for spec in self.fields for label in spec.find.labels}
        return sorted(found | set(self.structural_labels), key=len, reverse=True)
