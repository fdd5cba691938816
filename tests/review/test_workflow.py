"""The revision state machine: every allowed transition, and a 409 for everything else."""

from __future__ import annotations

import itertools

import pytest

from app.library.models import RevisionStatus as S
from app.review.workflow import TRANSITIONS, Action, IllegalTransition, allowed_actions, target


@pytest.mark.parametrize(
    ("source", "action", "result"), [(*key, value) for key, value in TRANSITIONS.items()]
)
def test_allowed_transitions(source, action, result):
    assert target(source, action) is result
    assert action in allowed_actions(source)


ILLEGAL = [
    (source, action)
    for source, action in itertools.product(S, Action)
    if (source, action) not in TRANSITIONS
]


@pytest.mark.parametrize(("source", "action"), ILLEGAL)
def test_everything_else_is_refused_with_a_409(source, action):
    with pytest.raises(IllegalTransition) as refused:
        target(source, action)
    assert refused.value.status == 409
    assert refused.value.errors == {"status": [source.value], "action": [action.value]}


def test_end_states_allow_nothing_but_what_the_register_must_do():
    assert allowed_actions(S.REJECTED) == []
    assert allowed_actions(S.WITHDRAWN) == []
    assert allowed_actions(S.SUPERSEDED) == []
    assert allowed_actions(S.PUBLISHED) == [Action.WITHDRAW, Action.SUPERSEDE]


def test_a_published_revision_is_never_submitted_again():
    with pytest.raises(IllegalTransition, match="veröffentlicht"):
        target(S.PUBLISHED, Action.SUBMIT)
