"""DHIS2 metadata use cases: lists and single objects of each type, the org unit tree's relatives,
``/api/metadata`` export, ``/api/me`` and ``/api/system/info``.

Scoping: metadata is not department-owned (``services/reports/access.py``): every signed-in caller
reads the whole catalogue, as a DHIS2 user with metadata read does; only data is scoped. What DHIS2
scopes by the user's org units is honoured where a client asks for it: ``userOnly``,
``withinUserHierarchy`` and the like narrow ``organisationUnits`` to the caller's departments, and
``/api/me`` names them.

``params`` are the request's query parameters, each name with all its values.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.datavalues.dhis2.metadata import objects
from services.reports.datavalues.dhis2.metadata.fields import Field, Ref, parse, render
from services.reports.datavalues.dhis2.metadata.objects import KINDS, SCHEMAS, Catalogue
from services.reports.datavalues.dhis2.metadata.query import Filter, Paging, order, select
from services.reports.datavalues.periods import VIETNAM
from shared.errors import InvalidInputError, NotFoundError
from shared.identity import Caller, Role
from shared.scoping import readable_departments

Params = Mapping[str, Sequence[str]]
Obj = Mapping[str, Any]

VERSION = "2.40.0"
LIST_FIELDS = "id,displayName"  # DHIS2's default on lists; a single object shows all its fields
DATA_WRITE_AUTHORITIES = ("F_DATAVALUE_ADD", "F_DATAVALUE_DELETE")
DATA_WRITE_ROLES: frozenset[Role] = frozenset({"admin", "department"})
WITHIN_USER = ("withinUserHierarchy", "withinDataViewUserHierarchy", "withinUserSearchHierarchy")
USER_ONLY = ("userOnly", "userDataViewOnly", "userDataViewFallback")
RELATIONS = ("children", "descendants", "ancestors", "parents")


def _one(params: Params, name: str, default: str | None = None) -> str | None:
    values = params.get(name)
    return values[-1] if values else default


def _flag(params: Params, name: str) -> bool:
    return (_one(params, name) or "").strip().lower() == "true"


def _int(params: Params, name: str) -> int | None:
    raw = _one(params, name)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidInputError(f"{name} must be a whole number", field=name) from None


async def list_objects(session: AsyncSession, *, kind: str, params: Params, caller: Caller) -> dict[str, Any]:
    catalogue = await objects.load(session)
    items = catalogue.of(kind)
    if kind == "organisationUnits":
        items = _org_unit_params(items, params, catalogue, caller, parent_level=None)
    return _listing(kind, items, params, catalogue)


async def get_object(session: AsyncSession, *, kind: str, ident: str, params: Params, caller: Caller) -> dict[str, Any]:
    """One object (``fields`` default: all); for an org unit with ``includeChildren``,
    ``includeDescendants``, ``includeAncestors`` or ``level``, the list DHIS2 answers instead."""
    catalogue = await objects.load(session)
    found = _find(catalogue, kind, ident)
    if kind == "organisationUnits":
        for flag, relation in (("includeChildren", "children"), ("includeDescendants", "descendants")):
            if _flag(params, flag):
                return _relatives(catalogue, found, relation, params, caller)
        if _flag(params, "includeAncestors"):
            return _relatives(catalogue, found, "ancestors", params, caller)
        if _one(params, "level") is not None:
            return _relatives(catalogue, found, "children", params, caller)
    return render(found, _fields(params, ":all"), SCHEMAS[kind].owner, catalogue.resolve)


async def org_unit_relatives(
    session: AsyncSession, *, ident: str, relation: str, params: Params, caller: Caller
) -> dict[str, Any]:
    """``organisationUnits/{id}/children|descendants|ancestors|parents`` as a list."""
    catalogue = await objects.load(session)
    return _relatives(catalogue, _find(catalogue, "organisationUnits", ident), relation, params, caller)


def _find(catalogue: Catalogue, kind: str, ident: str) -> dict[str, Any]:
    found = catalogue.find(kind, ident)
    if found is None:
        raise NotFoundError(f"{SCHEMAS[kind].klass} with id {ident} could not be found.", errorCode="E1005")
    return found


def _relatives(catalogue: Catalogue, unit: Obj, relation: str, params: Params, caller: Caller) -> dict[str, Any]:
    """What DHIS2 answers for the relatives of ``unit`` (each list includes ``unit`` itself but
    ``parents``): children are the unit and the level below it, or with ``level`` the units that many
    levels below; descendants its whole subtree; ancestors the units on its path, root first."""
    uid, level, path = unit["id"], unit["level"], unit["path"]
    units = catalogue.of("organisationUnits")
    if relation == "children" and _int(params, "level") is not None:
        below = [u for u in units if u["path"] == path or u["path"].startswith(path + "/")]
        items = _org_unit_params(below, params, catalogue, caller, parent_level=level)
    else:
        if relation == "children":
            items = [u for u in units if u["level"] in (level, level + 1) and uid in u["path"].split("/")]
        elif relation == "descendants":
            items = [u for u in units if uid in u["path"].split("/")]
        else:
            on_path = path.split("/")[1:] if relation == "ancestors" else path.split("/")[1:-1]
            items = [u for u in units if u["id"] in on_path]
        rest = {k: v for k, v in params.items() if k != "level"}
        items = _org_unit_params(items, rest, catalogue, caller, parent_level=None)
    return _listing("organisationUnits", items, params, catalogue, default_order="level:asc,name:asc")


def _org_unit_params(
    items: list[dict[str, Any]], params: Params, catalogue: Catalogue, caller: Caller, *, parent_level: int | None
) -> list[dict[str, Any]]:
    """DHIS2's organisationUnits parameters: ``level`` (absolute, or below ``parent_level``),
    ``maxLevel``, ``withinUserHierarchy`` and ``userOnly`` (and their data-view variants)."""
    level = _int(params, "level")
    if level is not None:
        wanted = parent_level + max(0, level) if parent_level is not None else level
        items = [u for u in items if u["level"] == wanted]
    max_level = _int(params, "maxLevel")
    if max_level is not None:
        items = [u for u in items if u["level"] <= max_level]
    own = user_org_units(catalogue, caller)
    if any(_flag(params, p) for p in WITHIN_USER):
        items = [u for u in items if own & set(u["path"].split("/"))]
    if any(_flag(params, p) for p in USER_ONLY):
        items = [u for u in items if u["id"] in own]
    return items


def user_org_units(catalogue: Catalogue, caller: Caller) -> set[str]:
    """UIDs of the caller's own org units: their departments, or the roots for city-wide callers."""
    departments = readable_departments(caller)
    if departments is None:
        return {u["id"] for u in catalogue.roots()}
    return {u["id"] for u in catalogue.of("organisationUnits") if u["code"] in departments}


def _fields(params: Params, default: str, name: str = "fields") -> tuple[Field, ...]:
    """Every ``fields`` parameter joined (DHIS2 accepts the parameter repeated)."""
    given = params.get(name)
    return parse(",".join(given) if given else default)


def _listing(
    kind: str, items: list[dict[str, Any]], params: Params, catalogue: Catalogue, *, default_order: str = "name:asc"
) -> dict[str, Any]:
    query = (_one(params, "query") or "").casefold()
    if query:  # DHIS2's ``query``: id, code or name containing the text
        items = [o for o in items if any(query in str(o.get(p) or "").casefold() for p in ("id", "code", "name"))]
    filters = [Filter.parse(f) for f in params.get("filter", [])]
    items = select(items, filters, catalogue.lookup, junction=_one(params, "rootJunction", "AND") or "AND")
    if _flag(params, "levelSorted"):
        default_order = "level:asc"
    items = order(items, _one(params, "order") or default_order)
    page, pager = Paging.from_params({k: v[-1] for k, v in params.items() if v}).apply(items)
    fields = _fields(params, LIST_FIELDS)
    owner = SCHEMAS[kind].owner
    body: dict[str, Any] = {} if pager is None else {"pager": pager}
    body[kind] = [render(o, fields, owner, catalogue.resolve) for o in page]
    return body


async def export(session: AsyncSession, *, params: Params, now: datetime) -> dict[str, Any]:
    """``/api/metadata``: every type (or those named ``<type>=true``, less those ``=false``), each with
    ``fields`` (default ``:owner``), ``filter`` and ``order``, or their ``<type>:`` variants."""
    catalogue = await objects.load(session)
    named = {k: (_one(params, k) or "").lower() for k in KINDS}
    kinds = [k for k in KINDS if named[k] == "true"] or [k for k in KINDS if named[k] != "false"]
    exclude_defaults = (_one(params, "defaults") or "INCLUDE").upper() == "EXCLUDE"
    body: dict[str, Any] = {"system": {"rev": "cityops", "version": VERSION, "date": _server_date(now)}}
    for kind in kinds:
        items = catalogue.of(kind)
        if exclude_defaults:
            items = [o for o in items if not _is_default(kind, o, catalogue)]
        filters = [Filter.parse(f) for f in params.get(f"{kind}:filter") or params.get("filter", [])]
        junction = _one(params, "rootJunction", "AND") or "AND"
        items = order(select(items, filters, catalogue.lookup, junction=junction), _export_order(params, kind))
        given = params.get(f"{kind}:fields") or params.get("fields")
        chosen = parse(",".join(given) if given else ":owner")
        body[kind] = [render(o, chosen, SCHEMAS[kind].owner, catalogue.resolve) for o in items]
    return body


def _export_order(params: Params, kind: str) -> str:
    return _one(params, f"{kind}:order") or _one(params, "order") or _one(params, "defaultOrder") or "name:asc"


def _is_default(kind: str, values: Obj, catalogue: Catalogue) -> bool:
    """DHIS2's generated default category objects (left out with ``defaults=EXCLUDE``)."""
    if kind == "categoryCombos":
        return bool(values["isDefault"])
    if kind == "categoryOptionCombos":
        combo = catalogue.lookup(values["categoryCombo"])
        return combo is not None and bool(combo["isDefault"])
    return False


async def me(session: AsyncSession, *, caller: Caller, params: Params) -> dict[str, Any]:
    """``/api/me``: the caller as a DHIS2 user (id derived from who they are, stable across calls)."""
    catalogue = await objects.load(session)
    own = sorted(user_org_units(catalogue, caller))
    units = [Ref("organisationUnits", uid) for uid in own]
    # the data sets the caller may enter data for: only the roles that write data (the gateway's rule)
    writes = bool(caller.roles & DATA_WRITE_ROLES)
    writable = {u["id"] for u in catalogue.of("organisationUnits") if writes and caller.may_write(u["code"])}
    data_sets = [s["id"] for s in catalogue.of("dataSets") if any(u.id in writable for u in s["organisationUnits"])]
    if "admin" in caller.roles:
        authorities = ["ALL"]
    elif "department" in caller.roles:
        authorities = list(DATA_WRITE_AUTHORITIES)
    else:
        authorities = []
    values: dict[str, Any] = {
        "id": pseudo_uid(f"{caller.kind}:{caller.name}"),
        "username": caller.name,
        "name": caller.name,
        "displayName": caller.name,
        "firstName": caller.name,
        "surname": "",
        "userCredentials": {"username": caller.name},
        "organisationUnits": units,
        "dataViewOrganisationUnits": units,
        "teiSearchOrganisationUnits": [],
        "userRoles": [{"id": pseudo_uid(f"role:{r}"), "name": r} for r in sorted(caller.roles)],
        "userGroups": [],
        "authorities": authorities,
        "dataSets": data_sets,
        "programs": [],
    }
    return render(values, _fields(params, ":all"), list(values), catalogue.resolve)


LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
ALPHANUMERIC = LETTERS + "0123456789"


def pseudo_uid(seed: str) -> str:
    """A DHIS2-shaped UID (11 characters, letter first) that is always the same for ``seed``: users
    and roles live in the gateway, which draws no UIDs for them."""
    digest = hashlib.sha256(seed.encode()).digest()
    return LETTERS[digest[0] % 52] + "".join(ALPHANUMERIC[b % 62] for b in digest[1:11])


def _server_date(now: datetime) -> str:
    """DHIS2's server date: the server's local time (the city's, UTC+7), to the millisecond."""
    return now.astimezone(VIETNAM).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def system_info(*, now: datetime, user_agent: str | None) -> dict[str, Any]:
    """The non-sensitive part of DHIS2's system info (what a user without full authority sees)."""
    info: dict[str, Any] = {
        "contextPath": "/dhis2",
        "calendar": "iso8601",
        "dateFormat": "yyyy-mm-dd",
        "serverDate": _server_date(now),
        "serverTimeZoneId": "Asia/Ho_Chi_Minh",
        "serverTimeZoneDisplayName": "Indochina Time",
        "version": VERSION,
        "revision": "cityops",
        "systemName": "cityops reports",
        "isMetadataVersionEnabled": False,
    }
    if user_agent:
        info["userAgent"] = user_agent
    return info
