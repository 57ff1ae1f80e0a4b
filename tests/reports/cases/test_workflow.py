"""The transition table, move by move, and who may make which move."""

from __future__ import annotations

import itertools

import pytest

from services.reports.cases.workflow import STATUSES, TRANSITIONS, check_actor, check_transition
from shared.errors import ConflictError, ForbiddenError
from shared.identity import Caller

LEGAL = {
    ("new", "acknowledged"),
    ("new", "rejected"),
    ("acknowledged", "assigned"),
    ("acknowledged", "rejected"),
    ("assigned", "in_progress"),
    ("assigned", "assigned"),
    ("assigned", "rejected"),
    ("in_progress", "resolved"),
    ("in_progress", "assigned"),
    ("resolved", "closed"),
    ("resolved", "reopened"),
    ("closed", "reopened"),
    ("rejected", "reopened"),
    ("reopened", "assigned"),
    ("reopened", "in_progress"),
    ("reopened", "rejected"),
}


@pytest.mark.parametrize(("src", "dst"), list(itertools.product(STATUSES, STATUSES)))
def test_every_move(src: str, dst: str) -> None:
    if (src, dst) in LEGAL:
        check_transition(src, dst)
        return
    with pytest.raises(ConflictError) as err:
        check_transition(src, dst)
    assert err.value.extra["allowed"] == list(TRANSITIONS[src])
    for allowed in TRANSITIONS[src]:
        assert allowed in err.value.detail


def test_table_is_the_documented_one() -> None:
    assert {(s, d) for s, ds in TRANSITIONS.items() for d in ds} == LEGAL


def test_who_may_move() -> None:
    op = Caller(name="op", roles=frozenset({"operator"}))
    dep = Caller(name="d", roles=frozenset({"department"}), departments=frozenset({"QLTT"}))
    viewer = Caller(name="v", roles=frozenset({"viewer"}))
    check_actor(op, "QLTT", "closed")
    check_actor(dep, "QLTT", "resolved")
    with pytest.raises(ForbiddenError):
        check_actor(dep, "GPMB", "resolved")
    with pytest.raises(ForbiddenError):
        check_actor(dep, "QLTT", "closed")
    with pytest.raises(ForbiddenError):
        check_actor(viewer, "QLTT", "acknowledged")
