"""The ``ou`` dimension: the department tree as DHIS2's org unit hierarchy (level 1 = a root), its
keywords (``USER_ORGUNIT``, ``USER_ORGUNIT_CHILDREN``, ``USER_ORGUNIT_GRANDCHILDREN``, ``LEVEL-n``,
``LEVEL-n-<boundary>``), and who may ask for which org unit."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.reports.datavalues.dhis2.analytics.query import AnalyticsQueryError

USER_KEYWORDS = ("USER_ORGUNIT", "USER_ORGUNIT_CHILDREN", "USER_ORGUNIT_GRANDCHILDREN")
_LEVEL = re.compile(r"LEVEL-(\d+)(?:-(.+))?")


@dataclass(frozen=True)
class OrgUnit:
    id: int
    code: str
    name: str
    parent_id: int | None


@dataclass
class OrgTree:
    units: dict[int, OrgUnit]
    children: dict[int | None, list[int]] = field(default_factory=dict)
    by_code: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, rows: Sequence[Any]) -> OrgTree:
        """From ``(id, code, name, parent_id)`` rows, children in the rows' order (by name)."""
        tree = cls({r.id: OrgUnit(r.id, r.code, r.name, r.parent_id) for r in rows})
        for r in rows:
            tree.children.setdefault(r.parent_id, []).append(r.id)
            tree.by_code[r.code] = r.id
        return tree

    def roots(self) -> list[int]:
        return list(self.children.get(None, []))

    def level(self, unit_id: int) -> int:
        depth, seen, node = 1, {unit_id}, self.units[unit_id].parent_id
        while node is not None and node not in seen:  # a cycle cannot be stored, but never loop on one
            seen.add(node)
            depth += 1
            node = self.units[node].parent_id
        return depth

    def subtree(self, unit_id: int) -> list[int]:
        """``unit_id`` and every unit below it."""
        out, stack = [], [unit_id]
        seen: set[int] = set()
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            out.append(node)
            stack.extend(self.children.get(node, []))
        return out

    def below(self, unit_ids: Collection[int], generations: int) -> list[int]:
        """The units ``generations`` levels below ``unit_ids`` (0: themselves)."""
        current = list(unit_ids)
        for _ in range(generations):
            current = [c for u in current for c in self.children.get(u, [])]
        return current


@dataclass(frozen=True)
class OrgUnitItems:
    units: list[int]  # the dimension's items, in order, without duplicates
    keywords: list[str]  # the user keywords asked for (their units go into the metadata)


def resolve(
    items: Sequence[str], *, tree: OrgTree, code_of: Callable[[str], str], user_units: list[int]
) -> OrgUnitItems:
    """The org units an ``ou`` dimension names. With ``LEVEL-n`` items the other items are boundaries (as
    in DHIS2): the units at those levels within them; without any boundary, within the caller's own
    units (the whole tree for city-wide callers), so a level never reaches past what the caller reads."""
    levels: list[int] = []
    named: list[int] = []
    keywords: list[str] = []
    for item in items:
        if item in USER_KEYWORDS:
            keywords.append(item)
            named.extend(tree.below(user_units, USER_KEYWORDS.index(item)))
        elif m := _LEVEL.fullmatch(item):
            levels.append(int(m[1]))
            if m[2] is not None:
                named.extend(_known(tree, code_of, m[2]))
        elif item.startswith("OU_GROUP-"):
            raise AnalyticsQueryError("E7143", f"Organisation unit groups are not supported by cityops: `{item}`")
        else:
            named.extend(_known(tree, code_of, item))
    if levels:
        boundaries = named or user_units
        within = {u for b in boundaries for u in tree.subtree(b)}
        units = [u for u in within if tree.level(u) in levels]
        units.sort(key=lambda u: (tree.level(u), tree.units[u].name, tree.units[u].code))
    else:
        units = named
    units = list(dict.fromkeys(units))
    if not units:
        raise AnalyticsQueryError("E7143", "Organisation unit or organisation unit level is not valid")
    return OrgUnitItems(units, keywords)


def _known(tree: OrgTree, code_of: Callable[[str], str], item: str) -> list[int]:
    """The unit an id names; an unknown id is left out, as DHIS2 does."""
    found = tree.by_code.get(code_of(item))
    return [] if found is None else [found]


def check_readable(
    units: Collection[int], readable: set[int] | None, *, caller: str, uid_of: Callable[[int], str]
) -> None:
    """Asking for an org unit outside the caller's subtrees is refused (E7120), not answered with less."""
    if readable is None:
        return
    for unit in units:
        if unit not in readable:
            raise AnalyticsQueryError("E7120", f"User: `{caller}` is not allowed to view org unit: `{uid_of(unit)}`")
