"""An assessment of the small instrument answered in independent mode, for the tests of what
shows the respondents' answers (report section, JSON export and import).

Victor (viewer) and Carla (consultant) answer both domains and mark them done; Alice (org
admin) sets the consensus. They disagree on gov.q02 (yes against no), gov.q03 (4 against 1)
and ops.q02 (3 against not applicable); they agree on gov.q01, gov.q04 (free text) and ops.q01.
"""

from __future__ import annotations

from django.contrib.auth.models import User

from assessments.models import Assessment, Membership
from assessments.services import AnswerChange
from respondents.independent import (
    consensus_save,
    independent_mode_set,
    respondent_answers_save,
    respondent_domain_done,
)
from respondents.services import assignment_create
from tests import factories
from tests.conftest import World

VICTOR = {
    "gov": {"gov.q01": "yes", "gov.q02": "yes", "gov.q03": "4", "gov.q04": "Scribe"},
    "ops": {"ops.q01": "all", "ops.q02": "3"},
}
CARLA = {
    "gov": {"gov.q01": "yes", "gov.q02": "no", "gov.q03": "1", "gov.q04": "ChatGPT"},
    "ops": {"ops.q01": "all", "ops.q02": "na"},
}
CONSENSUS = {
    "gov": {"gov.q01": "yes", "gov.q02": "no", "gov.q03": "2", "gov.q04": "Scribe, ChatGPT"},
    "ops": {"ops.q01": "all", "ops.q02": "3"},
}
NOTES = {
    "gov.q02": "No BAA with the scribe vendor yet: legal has the draft.",
    "gov.q03": "The committee meets but keeps no minutes.",
}


def respond(
    assessment: Assessment, user: User, answers: dict[str, dict[str, str]], *, done: bool = True
) -> None:
    for domain, values in answers.items():
        changes = [
            AnswerChange(key=k, value=v, comment=f"{user.first_name} on {k}")
            for k, v in values.items()
        ]
        outcome = respondent_answers_save(
            assessment=assessment, user=user, domain_key=domain, changes=changes
        )
        assert not outcome.conflicts
        if done:
            respondent_domain_done(assessment=assessment, user=user, domain_key=domain)


def assign(assessment: Assessment, coordinator: User, *people: User) -> None:
    for person in people:
        for domain in ("gov", "ops"):
            assignment_create(
                assessment=assessment,
                domain_key=domain,
                respondent=person,
                due_date=None,
                user=coordinator,
            )


def set_consensus(assessment: Assessment, coordinator: User) -> None:
    for domain, values in CONSENSUS.items():
        consensus_save(
            assessment=assessment,
            user=coordinator,
            domain_key=domain,
            changes=[AnswerChange(key=k, value=v) for k, v in values.items()],
            notes={k: v for k, v in NOTES.items() if k.startswith(domain)},
        )


def extra_respondents(world: World, count: int) -> list[User]:
    """Viewers of Northside who answer as Victor did."""
    people = []
    for n in range(count):
        user = factories.make_user(f"resp{n}", first_name=f"Resp{n}", last_name="Extra")
        factories.make_membership(user, world.org, Membership.Role.VIEWER)
        people.append(user)
    return people


def independent_assessment(
    world: World, *, extra: int = 0, consensus: bool = True, round_label: str = "2026 spring"
) -> Assessment:
    """The scenario above; `extra` more viewers answer as Victor did."""
    assessment = factories.make_assessment(world.clinic, world.instrument, round_label=round_label)
    independent_mode_set(assessment=assessment, user=world.alice, enabled=True)
    others = extra_respondents(world, extra) if extra else []
    assign(assessment, world.alice, world.victor, world.carla, *others)
    respond(assessment, world.victor, VICTOR)
    respond(assessment, world.carla, CARLA)
    for person in others:
        respond(assessment, person, VICTOR)
    if consensus:
        set_consensus(assessment, world.alice)
    # Read as the pages read it (assessments.access): with its mode.
    return (
        Assessment.objects.with_context()
        .select_related("independent_answering")
        .get(pk=assessment.pk)
    )
