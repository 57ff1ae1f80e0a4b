"""DHIS2's field filter, object filter, order and paging on in-memory objects (pure: no service).

The expressions are the examples of DHIS2's documentation (dhis2-docs
src/developer/web-api/metadata.md, "Metadata object filter" and "Metadata field filter").
"""

from __future__ import annotations

from typing import Any

import pytest

from services.reports.datavalues.dhis2.metadata.fields import Ref, parse, render
from services.reports.datavalues.dhis2.metadata.query import Filter, Paging, order, select
from shared.errors import InvalidInputError

UNITS: dict[str, dict[str, Any]] = {
    "RootUid0001": {"id": "RootUid0001", "code": "CITY", "name": "City", "level": 1, "children": []},
    "WardUid0002": {"id": "WardUid0002", "code": "W2", "name": "ward 2", "level": 2, "children": []},
    "WardUid0003": {"id": "WardUid0003", "code": "W3", "name": "Ward 3", "level": 2, "children": []},
}
UNITS["RootUid0001"]["children"] = [Ref("organisationUnits", "WardUid0002"), Ref("organisationUnits", "WardUid0003")]
for _uid in ("WardUid0002", "WardUid0003"):
    UNITS[_uid]["parent"] = Ref("organisationUnits", "RootUid0001")
DATA_SET = {
    "id": "DataSet0001",
    "name": "Monthly",
    "organisationUnits": [Ref("organisationUnits", "WardUid0002")],
    "dataSetElements": [{"dataSet": Ref("dataSets", "DataSet0001"), "dataElement": Ref("dataElements", "Element0001")}],
}
OWNER = ("id", "code", "name", "parent")


def lookup(ref: Ref) -> dict[str, Any] | None:
    return UNITS.get(ref.id) if ref.kind == "organisationUnits" else None


def resolve(ref: Ref) -> tuple[dict[str, Any], tuple[str, ...]] | None:
    found = lookup(ref)
    return None if found is None else (found, OWNER)


def shape(values: dict[str, Any], fields: str) -> dict[str, Any]:
    return render(values, parse(fields), OWNER, resolve)


def test_fields_select_nest_exclude_and_presets() -> None:
    ward = UNITS["WardUid0002"]
    assert shape(ward, "id,name") == {"id": "WardUid0002", "name": "ward 2"}
    # references are {"id"} unless fields are asked inside them, then the referenced object is shaped
    assert shape(ward, "id,parent") == {"id": "WardUid0002", "parent": {"id": "RootUid0001"}}
    assert shape(ward, "parent[id,code,children[code]]") == {
        "parent": {"id": "RootUid0001", "code": "CITY", "children": [{"code": "W2"}, {"code": "W3"}]}
    }
    assert shape(ward, ":all,!children,!level") == {
        "id": "WardUid0002",
        "code": "W2",
        "name": "ward 2",
        "parent": {"id": "RootUid0001"},
    }
    assert shape(ward, "*") == shape(ward, ":all")
    assert shape(ward, ":owner") == {
        "id": "WardUid0002",
        "code": "W2",
        "name": "ward 2",
        "parent": {"id": "RootUid0001"},
    }
    assert shape(ward, "nosuchfield,id") == {"id": "WardUid0002"}
    # the documentation's "fields=:all,!organisationUnits" and "organisationUnits[:all,!id]"
    assert "organisationUnits" not in shape(DATA_SET, ":all,!organisationUnits")
    assert shape(DATA_SET, "id,organisationUnits[:all,!id]")["organisationUnits"] == [
        {"code": "W2", "name": "ward 2", "level": 2, "children": [], "parent": {"id": "RootUid0001"}}
    ]
    # an embedded object (not a reference) is shown whole, its references as ids
    assert shape(DATA_SET, "dataSetElements")["dataSetElements"] == [
        {"dataSet": {"id": "DataSet0001"}, "dataElement": {"id": "Element0001"}}
    ]


def test_field_transformers() -> None:
    root = UNITS["RootUid0001"]
    assert shape(root, "id~rename(i),name~rename(n)") == {"i": "RootUid0001", "n": "City"}
    assert shape(root, "children~size,name~size") == {"children": 2, "name": 4}
    assert shape(root, "children~isEmpty~rename(none)") == {"none": False}
    assert shape(UNITS["WardUid0002"], "children~isNotEmpty") == {"children": False}
    assert shape(root, "children~pluck") == {"children": ["WardUid0002", "WardUid0003"]}
    assert shape(root, "children~pluck[name]") == {"children": ["ward 2", "Ward 3"]}
    assert shape(root, "children~pluck(code)") == {"children": ["W2", "W3"]}


@pytest.mark.parametrize("bad", ["id,parent[id", "id]", ":nosuchpreset", "id~frobnicate", "id~rename", "!"])
def test_malformed_fields_name_the_parameter(bad: str) -> None:
    with pytest.raises(InvalidInputError) as exc:
        parse(bad)
    assert exc.value.field == "fields"


def codes(*filters: str, junction: str = "AND") -> list[str]:
    return [u["code"] for u in select(UNITS.values(), [Filter.parse(f) for f in filters], lookup, junction=junction)]


def test_object_filter_operators() -> None:
    assert codes("code:eq:W2") == ["W2"]
    assert codes("code:!eq:W2") == ["CITY", "W3"]
    assert codes("code:ne:W2") == ["CITY", "W3"]
    assert codes("name:ieq:WARD 2") == ["W2"]
    assert codes("id:in:[WardUid0002,RootUid0001]") == ["CITY", "W2"]
    assert codes("id:!in:[WardUid0002,RootUid0001]") == ["W3"]
    assert codes("name:like:ard") == ["W2", "W3"]
    assert codes("name:like:Ward") == ["W3"]
    assert codes("name:ilike:WARD") == ["W2", "W3"]
    assert codes("name:!ilike:ward") == ["CITY"]
    assert codes("name:$like:W") == ["W3"]
    assert codes("name:$ilike:w") == ["W2", "W3"]
    assert codes("name:ilike$:3") == ["W3"]
    assert codes("level:gt:1") == ["W2", "W3"]
    assert codes("level:le:1") == ["CITY"]
    assert codes("parent:null") == ["CITY"]
    assert codes("parent:!null") == ["W2", "W3"]
    # through a reference, and comparing a collection by its size
    assert codes("parent.code:eq:CITY") == ["W2", "W3"]
    assert codes("children.code:eq:W3") == ["CITY"]
    assert codes("children:gt:1") == ["CITY"]
    assert codes("children:empty") == ["W2", "W3"]
    assert codes("identifiable:token:ward 3") == ["W3"]
    # several filters: all must hold, or any with rootJunction=OR
    assert codes("level:eq:2", "code:eq:CITY") == []
    assert codes("level:eq:2", "code:eq:CITY", junction="OR") == ["CITY", "W2", "W3"]
    assert codes("id:in:[WardUid0002]", "code:eq:W3", junction="or") == ["W2", "W3"]


@pytest.mark.parametrize("bad", ["code", "code:eq", "code:frob:1", ":eq:1", "level:gt:high"])
def test_malformed_filters_name_the_parameter(bad: str) -> None:
    with pytest.raises(InvalidInputError) as exc:
        codes(bad)
    assert exc.value.field == "filter"


def test_order_and_paging() -> None:
    units = list(UNITS.values())
    assert [u["code"] for u in order(units, "name:asc")] == ["CITY", "W3", "W2"]
    assert [u["code"] for u in order(units, "name:iasc")] == ["CITY", "W2", "W3"]
    assert [u["code"] for u in order(units, "level:desc,code:asc")] == ["W2", "W3", "CITY"]
    with pytest.raises(InvalidInputError):
        order(units, "name:up")
    items, pager = Paging.from_params({"page": "2", "pageSize": "2"}).apply(units)
    assert [u["code"] for u in items] == ["W3"]
    assert pager == {"page": 2, "pageCount": 2, "total": 3, "pageSize": 2}
    items, pager = Paging.from_params({"paging": "false", "pageSize": "1"}).apply(units)
    assert (len(items), pager) == (3, None)
    _, pager = Paging.from_params({}).apply([])
    assert pager == {"page": 1, "pageCount": 1, "total": 0, "pageSize": 50}
    for bad in ({"page": "0"}, {"pageSize": "x"}):
        with pytest.raises(InvalidInputError):
            Paging.from_params(bad)
