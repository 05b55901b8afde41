"""Document types and layouts as YAML files: read, validated, and turned into ``DocType``s.

A folder of layouts holds two kinds of file:

- ``<type>.type.yaml``: a document type's field contract: its fields in order, each with the
  shape of its value (``value``: a shared pattern by name; ``pattern``: a regular expression),
  the validator that snaps a read value to a known form (``correct``), how it is normalised,
  and whether it may span lines;
- ``<type>.<layout>.layout.yaml``: one printed layout of a type: for every field of the
  contract, how it is found on the page (``find``: ``label``, ``block``, ``section``,
  ``lines``, ``choice``, ``region``, ``pattern`` or ``none``, with that kind's options) and
  on which page.

The built-in types and layouts ship in ``doctypes/builtin/``. Every problem is reported with
the file, the key and what to do, before anything is registered.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from medxtract_lab.doctypes.patterns import NAMED_VALUES
from medxtract_lab.errors import LayoutFileError
from medxtract_lab.extraction import validators
from medxtract_lab.extraction.spec import (
    Block,
    Choice,
    DocType,
    FieldSpec,
    Kind,
    Label,
    Lines,
    Nowhere,
    Pattern,
    Region,
    Section,
)
from medxtract_lab.extraction.text import clean

TYPE_SUFFIX = ".type.yaml"
LAYOUT_SUFFIX = ".layout.yaml"
NORMALISERS: dict[str, Callable[[str], str]] = {"clean": clean, "strip": str.strip}
IDENTIFIER = r"^[a-z][a-z0-9_]*$"
# A file larger than this is not a layout someone wrote or `learn` induced.
MAX_FILE_BYTES = 256 * 1024


def _regex(text: str | None) -> str | None:
    if text is not None:
        try:
            re.compile(text)
        except re.error as exc:
            raise ValueError(f"is not a valid regular expression ({exc})") from None
    return text


def _named_value(name: str | None) -> str | None:
    if name is not None and name not in NAMED_VALUES:
        raise ValueError(
            f"{name!r} is not a shared value pattern; use one of {sorted(NAMED_VALUES)}, or "
            "give a regular expression as `pattern`"
        )
    return name


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Shape(_Strict):
    """What a value must look like: a shared pattern by name, or a regex of its own."""

    value: str | None = None
    pattern: str | None = None

    _check_value = field_validator("value")(_named_value)
    _check_pattern = field_validator("pattern")(_regex)

    def regex(self) -> str | None:
        if self.value is not None and self.pattern is not None:
            raise ValueError("give `value` or `pattern`, not both")
        return NAMED_VALUES[self.value] if self.value is not None else self.pattern


class TypeField(_Shape):
    correct: str | None = None
    normalise: Literal["clean", "strip"] = "clean"
    lines: Literal["one", "many"] = "one"

    @field_validator("correct")
    @classmethod
    def _known_validator(cls, name: str | None) -> str | None:
        if name is not None and name not in validators.VALIDATORS:
            raise ValueError(
                f"{name!r} is not a validator; use one of {sorted(validators.VALIDATORS)}"
            )
        return name


class TypeFile(_Strict):
    document_type: str = Field(pattern=IDENTIFIER)
    description: str = ""
    fields: dict[str, TypeField] = Field(min_length=1)


class _Placed(_Shape):
    page: int | None = Field(default=None, ge=1)  # None: any page


class LabelFind(_Placed):
    find: Literal["label"]
    anchors: list[str] = Field(min_length=1)
    max_lines: int = Field(default=1, ge=1, le=50)
    lookahead: int = Field(default=2, ge=0, le=20)
    own_column: bool = False  # pass over other columns' lines between the value's lines


class BlockFind(_Placed):
    find: Literal["block"]
    anchors: list[str] = Field(min_length=1)
    until: list[str] = Field(min_length=1)
    line_filter: str | None = None

    _check_filter = field_validator("line_filter")(_regex)


class SectionFind(_Placed):
    find: Literal["section"]
    anchors: list[str] = Field(min_length=1)
    until: list[str] = Field(min_length=1)
    take: Literal["name", "pattern", "lines"] = "lines"


class LinesFind(_Placed):
    find: Literal["lines"]
    anchors: list[str] = Field(min_length=1)
    offset: int = Field(default=1, ge=-20, le=20)  # printed rows from the anchor's row
    count: int = Field(default=1, ge=1, le=50)
    until: list[str] = []
    until_offset: int = Field(default=-1, ge=-20, le=0)

    @model_validator(mode="after")
    def _count_or_until(self) -> LinesFind:
        if self.until and "count" in self.model_fields_set:
            raise ValueError("give `count` (a fixed number of rows) or `until`, not both")
        return self


class ChoiceFind(_Placed):
    find: Literal["choice"]
    anchors: list[str] = Field(min_length=1)
    options: list[str] = Field(min_length=2)

    @model_validator(mode="after")
    def _options_only(self) -> ChoiceFind:
        if self.value is not None or self.pattern is not None:
            raise ValueError("a choice is one of its `options`: drop `value` and `pattern`")
        return self


class RegionFind(_Placed):
    find: Literal["region"]
    box: list[float] = Field(min_length=4, max_length=4)  # x0, y0, x1, y1: page fractions

    @field_validator("box")
    @classmethod
    def _inside_the_page(cls, box: list[float]) -> list[float]:
        x0, y0, x1, y1 = box
        if not (0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1):
            raise ValueError(
                "must be [x0, y0, x1, y1] as fractions of the page, 0 <= x0 < x1 <= 1 and "
                "0 <= y0 < y1 <= 1"
            )
        return box


class PatternFind(_Placed):
    find: Literal["pattern"]


class NoneFind(_Strict):
    find: Literal["none"]


FieldFind = Annotated[
    LabelFind
    | BlockFind
    | SectionFind
    | LinesFind
    | ChoiceFind
    | RegionFind
    | PatternFind
    | NoneFind,
    Field(discriminator="find"),
]


class LayoutFile(_Strict):
    layout: str = Field(pattern=IDENTIFIER)
    document_type: str = Field(pattern=IDENTIFIER)
    description: str = ""
    structural_labels: list[str] = []
    fields: dict[str, FieldFind] = Field(min_length=1)


@dataclass(frozen=True)
class ContractField:
    """One field of a type's contract: the shape, validator and normaliser of its value."""

    name: str
    value: str | None = None
    correct: Callable[[str], tuple[str, float]] | None = None
    normalise: Callable[[str], str] = clean
    multiline: bool = False


@dataclass(frozen=True)
class Contract:
    """A document type's field contract, shared by all its layouts."""

    name: str
    fields: tuple[ContractField, ...]
    description: str = ""

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]


def _kind(find: Any) -> Kind:
    if isinstance(find, LabelFind):
        return Label(tuple(find.anchors), find.max_lines, find.lookahead, find.own_column)
    if isinstance(find, BlockFind):
        return Block(tuple(find.anchors), tuple(find.until), find.line_filter)
    if isinstance(find, SectionFind):
        return Section(tuple(find.anchors), tuple(find.until), find.take)
    if isinstance(find, LinesFind):
        return Lines(
            tuple(find.anchors), find.offset, find.count, tuple(find.until), find.until_offset
        )
    if isinstance(find, ChoiceFind):
        return Choice(tuple(find.anchors), tuple(find.options))
    if isinstance(find, RegionFind):
        return Region(tuple(find.box))
    if isinstance(find, PatternFind):
        return Pattern()
    return Nowhere()


def _problems(error: ValidationError) -> list[str]:
    """Pydantic's errors as 'key.path: what is wrong', with the fix for the common ones."""
    lines = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "is not a key here: remove it or correct its spelling"
        elif item["type"] == "missing":
            message = "is required"
        elif item["type"] == "union_tag_not_found":
            message = "needs `find:` (label, block, section, lines, choice, region, pattern, none)"
        elif item["type"] == "union_tag_invalid":
            message = (
                "`find` must be one of label, block, section, lines, choice, region, pattern, none"
            )
        lines.append(f"{where}: {message}")
    return lines


def _load_yaml(path: Path) -> Any:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise LayoutFileError(
                f"{path}: the file is larger than {MAX_FILE_BYTES // 1024} KB; a type or layout "
                "file is a short list of fields: check that this is the file you meant."
            )
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise LayoutFileError(f"{path}: cannot be read ({exc}).") from None
    except yaml.YAMLError as exc:
        raise LayoutFileError(
            f"{path}: is not valid YAML ({exc}); fix the syntax at the line shown."
        ) from None


def _parse(path: Path, model: type[BaseModel]) -> Any:
    data = _load_yaml(path)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise LayoutFileError(
            f"{path}: " + "; ".join(_problems(exc)) + ". See medxtract_lab/doctypes/builtin/ "
            "for complete examples."
        ) from None


def _check_name(path: Path, expected: str) -> None:
    """A file is named after what it defines, so a folder shows its types and layouts."""
    if path.name != expected:
        raise LayoutFileError(
            f"{path}: defines {expected.removesuffix('.yaml')}; rename the file {expected}."
        )


def read_type(path: str | Path) -> Contract:
    path = Path(path)
    parsed: TypeFile = _parse(path, TypeFile)
    _check_name(path, f"{parsed.document_type}{TYPE_SUFFIX}")
    fields = []
    for name, spec in parsed.fields.items():
        try:
            regex = spec.regex()
        except ValueError as exc:
            raise LayoutFileError(f"{path}: fields.{name}: {exc}.") from None
        correct = validators.VALIDATORS[spec.correct] if spec.correct else None
        normalise = NORMALISERS[spec.normalise]
        fields.append(ContractField(name, regex, correct, normalise, spec.lines == "many"))
    return Contract(parsed.document_type, tuple(fields), parsed.description)


def read_layout(path: str | Path, contracts: dict[str, Contract]) -> DocType:
    """A layout file built against its type's contract (from ``contracts``)."""
    path = Path(path)
    parsed: LayoutFile = _parse(path, LayoutFile)
    contract = contracts.get(parsed.document_type)
    if contract is None:
        raise LayoutFileError(
            f"{path}: document_type: {parsed.document_type!r} is not a known type "
            f"({sorted(contracts)}); add its {parsed.document_type}{TYPE_SUFFIX} to the folder."
        )
    _check_name(path, f"{parsed.document_type}.{parsed.layout}{LAYOUT_SUFFIX}")
    missing = [n for n in contract.field_names if n not in parsed.fields]
    unknown = [n for n in parsed.fields if n not in contract.field_names]
    if missing or unknown:
        problems = []
        if missing:
            problems.append(
                f"fields: {missing} missing; give each a `find` (`find: none` when the layout "
                "does not print it)"
            )
        if unknown:
            problems.append(
                f"fields: {unknown} are not fields of {contract.name} "
                f"({contract.field_names}); correct the names"
            )
        raise LayoutFileError(f"{path}: " + "; ".join(problems) + ".")
    specs = []
    for field in contract.fields:
        find = parsed.fields[field.name]
        try:
            override = find.regex() if isinstance(find, _Shape) else None
        except ValueError as exc:
            raise LayoutFileError(f"{path}: fields.{field.name}: {exc}.") from None
        value = override or field.value
        if isinstance(find, PatternFind) and value is None:
            raise LayoutFileError(
                f"{path}: fields.{field.name}: `find: pattern` needs a `pattern` (or `value`) "
                "here or in the type's contract."
            )
        specs.append(
            FieldSpec(
                field.name,
                _kind(find),
                page=getattr(find, "page", None),
                value=value,
                normalise=field.normalise,
                correct=field.correct,
                lines="many" if field.multiline else "one",
            )
        )
    return DocType(
        contract.name,
        tuple(specs),
        tuple(parsed.structural_labels),
        layout=parsed.layout,
        description=parsed.description or contract.description,
    )


def read_folder(
    folder: str | Path, known: dict[str, Contract]
) -> tuple[list[Contract], list[DocType]]:
    """Every type and layout file in ``folder``, all validated before any is used; layouts
    may fill a type of the folder or one already ``known``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise LayoutFileError(
            f"{folder}: is not a folder; pass a folder of *{TYPE_SUFFIX} and *{LAYOUT_SUFFIX} "
            "files."
        )
    types = [read_type(p) for p in sorted(folder.glob(f"*{TYPE_SUFFIX}"))]
    names = [c.name for c in types]
    twice_typed = sorted({n for n in names if names.count(n) > 1})
    if twice_typed:
        raise LayoutFileError(f"{folder}: type(s) {twice_typed} defined twice; keep one file.")
    for contract in types:
        old = known.get(contract.name)
        if old is not None and old.field_names != contract.field_names:
            raise LayoutFileError(
                f"{folder}: {contract.name}{TYPE_SUFFIX} gives {contract.name!r} the fields "
                f"{contract.field_names}, but the registered type has {old.field_names} and "
                "layouts that fill them; give the new type a name of its own."
            )
    contracts = {**known, **{c.name: c for c in types}}
    layouts = [read_layout(p, contracts) for p in sorted(folder.glob(f"*{LAYOUT_SUFFIX}"))]
    if not types and not layouts:
        raise LayoutFileError(
            f"{folder}: holds no *{TYPE_SUFFIX} or *{LAYOUT_SUFFIX} files; pass the folder "
            "`medxtract learn` wrote into."
        )
    seen: dict[tuple[str, str], int] = {}
    for layout in layouts:
        key = (layout.name, layout.layout)
        seen[key] = seen.get(key, 0) + 1
    twice = [f"{t}/{n}" for (t, n), count in seen.items() if count > 1]
    if twice:
        raise LayoutFileError(f"{folder}: layout(s) {twice} defined twice; rename one.")
    for contract in types:
        if (
            not any(layout.name == contract.name for layout in layouts)
            and contract.name not in known
        ):
            raise LayoutFileError(
                f"{folder}: type {contract.name!r} has no layout; add a "
                f"{contract.name}.<layout>{LAYOUT_SUFFIX} beside its {TYPE_SUFFIX}."
            )
    return types, layouts


def contract_of(doc_type: DocType) -> Contract:
    """The contract a type registered from Python (a plug-in, a test) implies."""
    fields = tuple(
        ContractField(s.name, s.value, s.correct, s.normalise, s.multiline) for s in doc_type.fields
    )
    return Contract(doc_type.name, fields, doc_type.description)
