"""Value kinds by their options type: how each resolves, and in which order.

A kind is one module here with a ``resolve(spec, sheet) -> Found | None`` registered for its
options class from ``extraction.spec``. Kinds resolve in ascending ``order``: section fields read
what labelled fields left over, so they come last.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from medxtract_lab.extraction.sheet import Found, Sheet
from medxtract_lab.extraction.spec import FieldSpec

Resolver = Callable[[FieldSpec, Sheet], Found | None]


@dataclass(frozen=True)
class KindInfo:
    name: str
    order: int
    resolve: Resolver


KINDS: dict[type, KindInfo] = {}


def register_kind(options: type, name: str, order: int) -> Callable[[Resolver], Resolver]:
    """Decorator: ``resolve`` reads fields whose ``find`` is an ``options`` instance."""

    def add(resolve: Resolver) -> Resolver:
        KINDS[options] = KindInfo(name, order, resolve)
        return resolve

    return add


def kind_of(spec: FieldSpec) -> KindInfo:
    try:
        return KINDS[type(spec.find)]
    except KeyError:
        raise TypeError(
            f"field {spec.name!r}: {type(spec.find).__name__} is not a registered value kind; "
            f"use one of {[k.__name__ for k in KINDS]}."
        ) from None


# The built-in kinds register themselves on import.
from medxtract_lab.extraction.kinds import (  # noqa: E402, F401
    block,
    choice,
    label,
    lines,
    nowhere,
    pattern,
    region,
    section,
)
