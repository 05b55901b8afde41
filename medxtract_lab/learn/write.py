"""An induced layout as a readable, commented YAML file a person can edit.

Strings are written as JSON strings, which YAML reads as double-quoted scalars, so a label or a
pattern with any character in it round-trips exactly.
"""

from __future__ import annotations

import json
import textwrap

from medxtract_lab.extraction.spec import (
    Block,
    Choice,
    Label,
    Lines,
    Nowhere,
    Pattern,
    Region,
    Section,
)
from medxtract_lab.learn.induce import FieldRule, Induced


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _list(items: tuple[str, ...]) -> str:
    return "[" + ", ".join(_q(i) for i in items) + "]"


def describe(rule: FieldRule) -> str:
    """The rule in words, for the comment above it."""
    find = rule.find
    if isinstance(find, Label):
        where = "on its line" if find.lookahead <= 1 and find.max_lines == 1 else "or below it"
        column = ", in its own column" if find.own_column else ""
        return f"the value after the label {_q(find.anchors[0])} {where}{column}"
    if isinstance(find, Lines):
        side = "below" if find.offset > 0 else "above"
        rows = "1 row" if abs(find.offset) == 1 else f"{abs(find.offset)} rows"
        start = f"{rows} {side} the row with {_q(find.anchors[0])}"
        if find.until:
            return f"the rows from {start} to {-find.until_offset} above {_q(find.until[0])}"
        return start if find.count == 1 else f"{find.count} rows from {start}"
    if isinstance(find, Block):
        return f"the lines between {_q(find.anchors[0])} and {_q(find.until[0])}"
    if isinstance(find, Choice):
        return f"the option ticked after the label {_q(find.anchors[0])}"
    if isinstance(find, Region):
        x0, y0, x1, y1 = find.box
        return (
            f"no label places it: the text within {x0:.0%}-{x1:.0%} of the page's width and "
            f"{y0:.0%}-{y1:.0%} of its height"
        )
    if isinstance(find, Nowhere):
        return "not printed by this layout: always null"
    return "found by its pattern"


def _comment(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(
        text,
        98,
        initial_indent=f"{indent}# ",
        subsequent_indent=f"{indent}# ",
        break_on_hyphens=False,
    )


def _rule_lines(rule: FieldRule, loo: tuple[int, int] | None) -> list[str]:
    find = rule.find
    evidence = f"reads {rule.read} of {rule.labelled} examples"
    if loo is not None:
        evidence += f"; leave-one-out {loo[0]} of {loo[1]}"
    lines = _comment(f"{rule.kind}: {describe(rule)}; {evidence}.", "  ")
    if rule.note and rule.read < rule.labelled:
        lines += _comment(f"Check this field: it {rule.note}.", "  ")
    lines.append(f"  {rule.name}:")
    body: list[tuple[str, str]] = []
    if isinstance(find, Label):
        body = [("find", "label"), ("anchors", _list(find.anchors))]
        body += [("max_lines", str(find.max_lines)), ("lookahead", str(find.lookahead))]
        if find.own_column:
            body.append(("own_column", "true"))
    elif isinstance(find, Lines):
        body = [("find", "lines"), ("anchors", _list(find.anchors))]
        body += [("offset", str(find.offset))]
        if find.until:
            body += [("until", _list(find.until)), ("until_offset", str(find.until_offset))]
        else:
            body += [("count", str(find.count))]
    elif isinstance(find, Block):
        body = [("find", "block"), ("anchors", _list(find.anchors)), ("until", _list(find.until))]
        if find.line_filter:
            body.append(("line_filter", _q(find.line_filter)))
    elif isinstance(find, Section):
        body = [("find", "section"), ("anchors", _list(find.anchors))]
        body += [("until", _list(find.until)), ("take", find.take)]
    elif isinstance(find, Choice):
        body = [("find", "choice"), ("anchors", _list(find.anchors))]
        body += [("options", _list(find.options))]
    elif isinstance(find, Region):
        body = [("find", "region"), ("box", "[" + ", ".join(f"{v:.3f}" for v in find.box) + "]")]
    elif isinstance(find, Pattern):
        body = [("find", "pattern")]
    else:
        body = [("find", "none")]
    if not isinstance(find, Nowhere):
        if rule.page is not None:
            body.append(("page", str(rule.page)))
        if rule.pattern is not None:
            body.append(("pattern", _q(rule.pattern)))
    lines += [f"    {key}: {value}" for key, value in body]
    return lines


def layout_yaml(
    induced: Induced,
    leave_one_out: dict[str, tuple[int, int]] | None,
    origin: str,
) -> str:
    """The layout file's text: a header saying where it came from, then one commented rule per
    field in the type's order."""
    out = _comment(
        f"Layout {_q(induced.layout)} of {induced.doc_type}, learned by `medxtract learn` from "
        f"{induced.examples} labelled documents ({origin})."
    )
    out += [
        "# Every rule is plain data: edit it, then check it with `medxtract report --layouts`.",
        "# Keys: medxtract_lab/doctypes/files.py; the built-in layouts in doctypes/builtin/.",
    ]
    if leave_one_out:
        right = sum(r for r, _ in leave_one_out.values())
        total = sum(t for _, t in leave_one_out.values())
        out += _comment(
            f"Leave-one-out over the examples: {right} of {total} fields read right "
            f"({right / total:.1%})."
        )
    for warning in induced.warnings:
        out += _comment(f"Warning: {warning}.")
    out += [
        f"layout: {induced.layout}",
        f"document_type: {induced.doc_type}",
        f"structural_labels: {_list(induced.structural_labels)}",
        "fields:",
    ]
    for rule in induced.rules:
        loo = leave_one_out.get(rule.name) if leave_one_out else None
        out += _rule_lines(rule, loo)
    return "\n".join(out) + "\n"
