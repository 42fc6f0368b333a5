"""The blind rule of independent answers (respondents/blind.py): its cases one by one, and its
SQL form (`hidden`, which pages of the History and file lists use) deciding row by row as
`shows` does (hypothesis)."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessments.models import AuditEntry
from respondents.blind import PartState, rule_of
from tests import factories
from tests.fuzz.common import FUZZ, rolled_back

DONE = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)
DOMAIN_OF = {"gov.q01": "gov", "gov.q02": "gov", "ops.q01": "ops"}
V, C, A, S = 1, 2, 3, 4  # viewer-respondent, consultant-respondent, admin, someone else


def _part(user: int, domain: str, *, done: bool = False, removed: bool = False) -> PartState:
    return PartState(user, domain, DONE if done else None, DONE if removed else None)


def test_a_respondent_still_answering_sees_only_their_own_work_there():
    rule = rule_of([_part(V, "gov"), _part(C, "gov", done=True)], viewer_id=V, domain_of=DOMAIN_OF)
    assert rule.shows(V, "gov")
    assert not rule.shows(C, "gov")  # done, but V still answers
    assert not rule.shows(A, "gov")  # the coordinator's too
    assert not rule.shows(None, "gov")  # nobody's (the scanner, a closed account)
    assert rule.shows(A, "ops")  # V does not answer "ops"


def test_others_see_a_respondents_work_once_they_marked_it_done():
    parts = [_part(V, "gov"), _part(C, "gov", done=True)]
    rule = rule_of(parts, viewer_id=A, domain_of=DOMAIN_OF)
    assert not rule.shows(V, "gov")
    assert rule.shows(C, "gov")
    assert rule.shows(S, "gov")  # answers nothing: not hidden
    done_viewer = rule_of(parts, viewer_id=C, domain_of=DOMAIN_OF)
    assert done_viewer.shows(A, "gov")
    assert not done_viewer.shows(V, "gov")


def test_a_removed_respondent_is_hidden_unless_done_and_no_longer_blind_themselves():
    parts = [_part(V, "gov", removed=True), _part(C, "gov", removed=True, done=True)]
    rule = rule_of(parts, viewer_id=A, domain_of=DOMAIN_OF)
    assert not rule.shows(V, "gov")
    assert rule.shows(C, "gov")
    assert rule_of(parts, viewer_id=V, domain_of=DOMAIN_OF).shows(A, "gov")


def test_a_question_no_longer_asked_is_shown_only_where_every_domain_would_show_it():
    parts = [_part(V, "gov"), _part(C, "ops", done=True)]
    assert not rule_of(parts, viewer_id=A, domain_of=DOMAIN_OF).shows_question(V, "old.q9")
    assert rule_of(parts, viewer_id=A, domain_of=DOMAIN_OF).shows_question(C, "old.q9")
    assert not rule_of(parts, viewer_id=V, domain_of=DOMAIN_OF).shows_question(C, "old.q9")
    assert rule_of(parts, viewer_id=V, domain_of=DOMAIN_OF).shows_question(V, "old.q9")


def test_a_file_for_nobody_withholds_the_open_domains_given():
    parts = [_part(V, "gov"), _part(C, "gov", done=True)]
    rule = rule_of(parts, viewer_id=None, domain_of=DOMAIN_OF, still_answering={"gov"})
    assert not rule.shows(C, "gov")
    assert rule.shows(C, "ops")
    assert rule_of(parts, viewer_id=None, domain_of=DOMAIN_OF).shows(C, "gov")


def _parts() -> st.SearchStrategy[list[PartState]]:
    part = st.builds(
        _part,
        st.sampled_from([V, C, A, S]),
        st.sampled_from(["gov", "ops"]),
        done=st.booleans(),
        removed=st.booleans(),
    )
    return st.lists(part, max_size=6, unique_by=lambda p: (p.user_id, p.domain_key))


@pytest.mark.django_db
@FUZZ
@given(
    parts=_parts(),
    viewer=st.sampled_from([V, C, A, S, None]),
    open_domains=st.one_of(st.none(), st.sets(st.sampled_from(["gov", "ops"]))),
)
def test_the_sql_form_hides_exactly_what_shows_refuses(world, parts, viewer, open_domains):
    ids = {V: world.victor.pk, C: world.carla.pk, A: world.alice.pk, S: world.sam.pk}
    real = [PartState(ids[p.user_id], p.domain_key, p.done_at, p.removed_at) for p in parts]
    rule = rule_of(
        real,
        viewer_id=ids.get(viewer) if viewer else None,
        domain_of=DOMAIN_OF,
        still_answering=open_domains if viewer is None else None,
    )
    with rolled_back():
        assessment = factories.make_assessment(world.clinic, world.instrument)
        entries = AuditEntry.objects.filter(assessment=assessment)
        for author in [*ids.values(), None]:
            for key in [*DOMAIN_OF, "old.q9"]:
                AuditEntry.objects.create(
                    assessment=assessment,
                    user_id=author,
                    action=AuditEntry.Action.EVIDENCE_ADDED,
                    subject=key,
                )
        kept = set(
            rule.visible(entries, author="user_id", question="subject").values_list(
                "user_id", "subject"
            )
        )
        expected = {
            (e.user_id, e.subject) for e in entries if rule.shows_question(e.user_id, e.subject)
        }
        assert kept == expected
