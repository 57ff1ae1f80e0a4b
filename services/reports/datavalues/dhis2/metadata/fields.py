"""DHIS2's field filter (``fields=id,name,parent[id,name],!code,:owner,children~size``): parsed once,
then applied to an object's values.

An object's values hold plain values, references to other objects (:class:`Ref`, rendered
``{"id": ...}`` unless fields are asked inside them, then resolved and shaped with those), embedded
objects (a data set element) and lists of these. A field the object does not have is left out, as DHIS2
leaves out null properties.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared.errors import InvalidInputError

FIELD = "fields"


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference to another metadata object: its type (the plural resource name) and UID."""

    kind: str
    id: str


@dataclass(frozen=True, slots=True)
class Field:
    name: str  # a property, or a preset (``:all``, ``:owner``, ...)
    children: tuple[Field, ...] | None = None  # ``name[...]``: fields inside a reference or collection
    transformers: tuple[tuple[str, str | None], ...] = ()  # ``name~rename(x)~size``
    exclude: bool = False  # ``!name``


# What a reference resolves to: the object's values and its type's owned properties.
Resolver = Callable[[Ref], "tuple[Mapping[str, Any], Sequence[str]] | None"]

IDENTIFIABLE = ("id", "name", "code", "created", "lastUpdated", "lastUpdatedBy")
NAMEABLE = ("id", "name", "shortName", "code", "description", "created", "lastUpdated")
PRESET_ALIASES = {"*": ":all", ":*": ":all", ":persisted": ":owner"}
PRESETS = frozenset({":all", ":owner", ":identifiable", ":nameable", ":simple"})


def parse(text: str) -> tuple[Field, ...]:
    """``fields`` as DHIS2 writes it; a malformed one is an input error naming ``fields``."""
    return tuple(_item(part) for part in _split(text) if part.strip())


def _split(text: str) -> list[str]:
    """Split on the commas that are not inside ``[...]`` or ``(...)``."""
    parts: list[str] = []
    depth = 0
    start = 0
    for i, ch in enumerate(text):
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
            if depth < 0:
                raise InvalidInputError(f"unbalanced brackets in fields: {text}", field=FIELD)
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if depth != 0:
        raise InvalidInputError(f"unbalanced brackets in fields: {text}", field=FIELD)
    parts.append(text[start:])
    return parts


def _item(part: str) -> Field:
    part = part.strip()
    exclude = part.startswith("!")
    part = part.removeprefix("!")
    children: tuple[Field, ...] | None = None
    open_at = _bracket(part)
    if open_at >= 0:
        if not part.endswith("]"):
            raise InvalidInputError(f"unexpected text after ']' in fields: {part}", field=FIELD)
        children = parse(part[open_at + 1 : -1])
        part = part[:open_at]
    name, *raw_transformers = part.split("~")
    name = PRESET_ALIASES.get(name.strip(), name.strip())
    if not name:
        raise InvalidInputError("an empty field name in fields", field=FIELD)
    if name.startswith(":") and name not in PRESETS:
        raise InvalidInputError(f"unknown field preset {name}", field=FIELD)
    return Field(name, children, tuple(_transformer(t) for t in raw_transformers), exclude)


def _bracket(part: str) -> int:
    """Where the ``[`` of a nested selection starts (not one inside a transformer's arguments)."""
    depth = 0
    for i, ch in enumerate(part):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "[" and depth == 0:
            return i
    return -1


TRANSFORMERS = frozenset({"rename", "size", "isEmpty", "isNotEmpty", "pluck"})


def _transformer(text: str) -> tuple[str, str | None]:
    name, _, rest = text.partition("(")
    if name not in TRANSFORMERS:
        raise InvalidInputError(f"field transformer {name} is not supported", field=FIELD)
    argument = rest.removesuffix(")").strip() if rest else None
    if name == "rename" and not argument:
        raise InvalidInputError("rename needs a name: ~rename(newName)", field=FIELD)
    return name, argument or None


def render(
    values: Mapping[str, Any], fields: Sequence[Field], owner: Sequence[str], resolve: Resolver
) -> dict[str, Any]:
    """``values`` shaped by ``fields``; ``owner`` are the properties the ``:owner`` preset names."""
    chosen: dict[str, Field] = {}
    excluded: set[str] = set()
    for f in fields:
        if f.exclude:
            excluded.add(f.name)
        elif f.name.startswith(":"):
            for name in _preset(f.name, values, owner):
                chosen.setdefault(name, Field(name))
        else:
            chosen[f.name] = f  # an explicit field wins over the preset that also named it
    out: dict[str, Any] = {}
    for name, f in chosen.items():
        if name in excluded or values.get(name) is None:
            continue
        children = f.children
        if children is None:  # ``~pluck(name)`` needs that property of each referenced object
            children = next(((Field(a),) for t, a in f.transformers if t == "pluck" and a), None)
        value = _value(values[name], children, resolve)
        key = name
        for transformer, argument in f.transformers:
            if transformer == "rename":
                key = argument or key
            else:
                value = _transform(transformer, argument, value)
        out[key] = value
    return out


def _preset(preset: str, values: Mapping[str, Any], owner: Sequence[str]) -> Sequence[str]:
    if preset == ":all":
        return list(values)
    if preset == ":owner":
        return owner
    if preset == ":simple":  # properties that are neither references nor collections
        return [k for k, v in values.items() if not isinstance(v, (Ref, list, dict))]
    return IDENTIFIABLE if preset == ":identifiable" else NAMEABLE


def _value(value: Any, children: tuple[Field, ...] | None, resolve: Resolver) -> Any:
    if isinstance(value, Ref):
        if children is None:
            return {"id": value.id}
        target = resolve(value)
        if target is None:
            return {"id": value.id}
        return render(target[0], children, target[1], resolve)
    if isinstance(value, list):
        return [_value(item, children, resolve) for item in value]
    if isinstance(value, dict):  # an embedded object (not a reference): all of it unless asked
        return render(value, children or (Field(":all"),), list(value), resolve)
    return value


def _transform(name: str, argument: str | None, value: Any) -> Any:
    if name == "size":
        return len(value) if isinstance(value, (str, list)) else value
    if name == "isEmpty":
        return isinstance(value, (str, list)) and len(value) == 0
    if name == "isNotEmpty":
        return isinstance(value, (str, list)) and len(value) > 0
    # pluck: a list of objects becomes a list of one of their properties (the first one by default)
    if not isinstance(value, list):
        return value
    return [_pluck(item, argument) for item in value]


def _pluck(item: Any, name: str | None) -> Any:
    if not isinstance(item, dict) or not item:
        return item
    return item.get(name) if name else next(iter(item.values()))
