"""Seeding the demo described by riverbend.yaml.

Everything goes through the services (assessment_create, answers_save, assessment_submit,
assessment_reopen, assessment_set_targets), so the demo has the audit trail and stored results
that real use produces. The answers not fixed in the file come from a seeded random.Random per
site and round, so every run builds the same demo; a second run finds each organisation, person
and assessment already there and changes nothing.
"""

from __future__ import annotations

import datetime
import io
import random
from collections.abc import Iterator
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max

from assessments.content import InstrumentContent, instrument_content
from assessments.demo.data import (
    Branding,
    DemoData,
    FixedAnswer,
    Round,
    SitePlan,
    SiteRound,
)
from assessments.instrument_loading import LoadSummary, load_all
from assessments.models import (
    Answer,
    Assessment,
    AuditEntry,
    Instrument,
    Membership,
    Organisation,
    Question,
    Site,
)
from assessments.scoring import NA, visible_keys
from assessments.services import (
    AnswerChange,
    answers_save,
    assessment_create,
    assessment_reopen,
    assessment_set_targets,
    assessment_submit,
)

Status = Assessment.Status


@dataclass(frozen=True)
class SeedSummary:
    instruments: LoadSummary
    users_created: int
    assessments_created: int

    def __str__(self) -> str:
        if not self.users_created and not self.assessments_created:
            return "Demo data already present: nothing changed."
        return (
            f"Demo data: {self.users_created} people and {self.assessments_created} "
            "assessments created."
        )


def demo_seed(*, data: DemoData) -> SeedSummary:
    """Create the demo organisations, people and assessments that are not there yet."""
    instruments = load_all()
    with transaction.atomic():
        users, users_created = _users(data)
        organisations = {org.name: _organisation(org.name, org.slug) for org in data.organisations}
        sites = {plan.name: _site(organisations[plan.organisation], plan) for plan in data.sites}
        for organisation in data.organisations:
            if organisation.branding is not None:
                _branding(organisations[organisation.name], organisation.branding)
        for login in data.logins:
            if login.branding is not None:
                _consultant_branding(users[login.username], login.branding)
        for membership in data.memberships:
            _membership(
                users[membership.user],
                organisations[membership.organisation],
                membership.role,
                [sites[name] for name in membership.sites],
            )
        admins = {org.name: users[org.admin] for org in data.organisations}

        created = 0
        for plan in data.sites:
            for index, round_ in enumerate(data.rounds):
                instrument = Instrument.objects.get(
                    slug=plan.instrument, version=round_.version, organisation=None
                )
                site = sites[plan.name]
                if Assessment.objects.filter(site=site, round_label=round_.label).exists():
                    continue
                story = _Story(data, plan, round_, users, admins[plan.organisation])
                previous = data.rounds[index - 1] if index else None
                story.assessment(site, instrument, previous)
                created += 1
    return SeedSummary(
        instruments=instruments, users_created=users_created, assessments_created=created
    )


def _users(data: DemoData) -> tuple[dict[str, User], int]:
    model = get_user_model()
    people: list[tuple[str, str, str | None, bool]] = [
        (login.username, login.name, login.password, login.staff) for login in data.logins
    ]
    people += [(person.username, person.name, None, False) for person in data.colleagues]
    users: dict[str, User] = {}
    created = 0
    for username, name, password, staff in people:
        first, last = name.split(" ", 1)
        user, is_new = model.objects.get_or_create(
            username=username,
            defaults={"email": username, "first_name": first, "last_name": last},
        )
        created += is_new
        changed = is_new
        if password is None:
            if is_new:
                user.set_unusable_password()
        elif not user.check_password(password):
            # Keep the printed logins true even if someone changed a demo password.
            user.set_password(password)
            changed = True
        if staff and not (user.is_staff and user.is_superuser):
            user.is_staff = user.is_superuser = True  # so /admin/ works in the demo
            changed = True
        if changed:
            user.save()
        users[username] = user
    return users, created


def _logo(colour: tuple[int, int, int]) -> bytes:
    """A small generated logo (a diamond and two bars), so a report cover shows one."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (360, 120), "white")
    draw = ImageDraw.Draw(image)
    draw.polygon([(60, 10), (110, 60), (60, 110), (10, 60)], fill=colour)
    draw.polygon([(60, 35), (85, 60), (60, 85), (35, 60)], fill=(158, 224, 232))
    draw.rectangle([(130, 40), (340, 52)], fill=colour)
    draw.rectangle([(130, 68), (290, 78)], fill=(120, 140, 150))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _branding(organisation: Organisation, branding: Branding) -> None:
    """The organisation's own branding, on the reports its staff export."""
    if organisation.report_logo:
        return
    organisation.report_title = branding.title
    organisation.report_signoff = branding.signoff
    organisation.report_logo.save(branding.logo, ContentFile(_logo((11, 93, 107))), save=False)
    organisation.save(update_fields=["report_title", "report_signoff", "report_logo"])


def _consultant_branding(user: User, branding: Branding) -> None:
    """A consultant's own branding, on the reports they export for any client."""
    from reports.models import ConsultantBranding

    own, _ = ConsultantBranding.objects.get_or_create(user=user)
    if own.report_logo:
        return
    own.report_title = branding.title
    own.report_signoff = branding.signoff
    own.report_logo.save(branding.logo, ContentFile(_logo((94, 53, 122))), save=False)
    own.save(update_fields=["report_title", "report_signoff", "report_logo"])


def _organisation(name: str, slug: str) -> Organisation:
    organisation, _ = Organisation.objects.get_or_create(name=name, defaults={"slug": slug})
    return organisation


def _site(organisation: Organisation, plan: SitePlan) -> Site:
    site, _ = Site.objects.get_or_create(
        organisation=organisation, name=plan.name, defaults={"kind": plan.kind}
    )
    return site


def _membership(user: User, organisation: Organisation, role: str, sites: list[Site]) -> None:
    membership, _ = Membership.objects.get_or_create(
        user=user, organisation=organisation, defaults={"role": role}
    )
    if sites:
        membership.sites.add(*sites)  # adds only what is missing


def _stamp(day: datetime.date, offset_days: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(
        day + datetime.timedelta(days=offset_days), datetime.time(hour, minute), datetime.UTC
    )


class _Backdater:
    """Moves what the services just wrote to the day the demo story says it happened.

    The services stamp everything with the current time; a demo where both rounds were filled
    in a second ago would make the history page and the round dates meaningless. Seeding runs
    in one transaction of one process, so every audit entry newer than the last one seen
    belongs to the assessment being seeded.
    """

    def __init__(self) -> None:
        self.last_audit = self._max_audit()

    def _max_audit(self) -> int:
        return AuditEntry.objects.aggregate(top=Max("pk"))["top"] or 0

    def __call__(
        self,
        when: datetime.datetime,
        assessment: Assessment | None = None,
        keys: list[str] | None = None,
    ) -> None:
        AuditEntry.objects.filter(pk__gt=self.last_audit).update(at=when)
        if assessment is not None and keys:
            Answer.objects.filter(assessment=assessment, question__key__in=keys).update(
                answered_at=when
            )
        self.last_audit = self._max_audit()


class _Cycler:
    """Hands out comments from a pool in a shuffled order, so one page rarely repeats one."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.pools: dict[str, Iterator[str]] = {}

    def take(self, name: str, pool: tuple[str, ...]) -> str:
        if name not in self.pools:
            self.pools[name] = self._cycle(pool)
        return next(self.pools[name])

    def _cycle(self, pool: tuple[str, ...]) -> Iterator[str]:
        while True:
            items = list(pool)
            self.rng.shuffle(items)
            yield from items


class _Story:
    """One site's assessment of one round, told the way the demo file says it went.

    Started a month before the round date, a domain every other day, submitted on the round
    date; a reopened round is corrected two weeks later.
    """

    def __init__(
        self,
        data: DemoData,
        plan: SitePlan,
        round_: Round,
        users: dict[str, User],
        admin: User,
    ) -> None:
        self.data, self.plan, self.round, self.users, self.admin = data, plan, round_, users, admin
        self.planned: SiteRound = plan.rounds[round_.label]
        self.rng = random.Random(f"{data.seed}:{plan.name}:{round_.label}")
        # The per-question offsets are drawn from a generator of the site alone, so they are
        # the same in every round: a later round moves the whole site, not each answer at random.
        self.site_rng = random.Random(f"{data.seed}:{plan.name}")
        self.comments = _Cycler(self.rng)
        # Respondents' own answers in an independent round draw from a generator of their own,
        # so the round's answers are those of the same story in either mode.
        self.own_rng = random.Random(f"{data.seed}:{plan.name}:{round_.label}:own")

    def assessment(self, site: Site, instrument: Instrument, previous: Round | None) -> Assessment:
        plan, planned, round_ = self.plan, self.planned, self.round
        content = instrument_content(instrument)
        owner = self.users[plan.answered_by]
        status = planned.status
        domains_done = (
            planned.domains_done
            if status == Status.DRAFT and planned.domains_done is not None
            else len(content.domains)
        )

        created_at = _stamp(round_.date, -30, 9, 12)
        backdate = _Backdater()
        assessment = assessment_create(
            site=site,
            instrument=instrument,
            round_label=round_.label,
            round_date=round_.date,
            user=owner,
        )
        backdate(created_at)
        if planned.independent is not None:
            # Imported here: respondents builds on assessments, never the reverse at import time.
            from respondents.demo import independent_start

            independent_start(
                assessment=assessment,
                plan=planned.independent,
                users=self.users,
                domains=[d.key for d in content.domains],
            )
        if previous is not None:
            # Linked to the round before, so "Changes since previous round" has something to show.
            earlier = Assessment.objects.filter(site=site, round_label=previous.label).first()
            assessment.previous = earlier
            assessment.save(update_fields=["previous"])
        if planned.targets:
            assessment_set_targets(assessment=assessment, user=self.admin, targets=planned.targets)
            backdate(_stamp(round_.date, -29, 14))

        last_change = created_at
        values: dict[str, str] = {}
        spec = instrument.spec()
        for number, domain in enumerate(content.domains):
            if number >= domains_done:
                break
            questions = content.questions_of(domain.key)
            offsets = {q.key: self.site_rng.gauss(0, 0.18) for q in questions}
            strength = planned.strength + plan.leanings.get(domain.key, 0.0)
            # A draft stops part-way through a domain, as a person interrupted would.
            answer_count = round(min(1.0, domains_done - number) * len(questions))
            changes = []
            for question in questions[:answer_count]:
                # Visibility depends only on earlier answers, all given by now (scoring's rule).
                if question.key not in visible_keys(spec, values):
                    continue
                change = self.answer(question, strength + offsets[question.key])
                if change is not None:
                    values[question.key] = change.value
                    changes.append(change)
            user = self.users[plan.helpers.get(domain.key, plan.answered_by)]
            if planned.independent is None:
                answers_save(
                    assessment=assessment, user=user, changes=changes, domain_key=domain.key
                )
            else:
                self.independently(assessment, domain.key, changes, content)
            last_change = _stamp(
                round_.date, -28 + 2 * number, 10 + number % 6, self.rng.randrange(60)
            )
            backdate(last_change, assessment, [change.key for change in changes])
            if planned.independent is not None:
                from respondents.demo import independent_dated

                independent_dated(
                    assessment=assessment,
                    domain_key=domain.key,
                    started=created_at,
                    when=last_change,
                )

        submitted_at = None
        if status != Status.DRAFT:
            assessment_submit(assessment=assessment, user=owner)
            last_change = submitted_at = _stamp(round_.date, 0, 15, 30)
            backdate(submitted_at)
        if status == Status.REOPENED and planned.correction is not None:
            last_change = self.reopen_and_correct(assessment, owner, planned.correction, backdate)
        Assessment.objects.filter(pk=assessment.pk).update(
            created_at=created_at, updated_at=last_change, submitted_at=submitted_at
        )
        return assessment

    def independently(
        self,
        assessment: Assessment,
        domain_key: str,
        changes: list[AnswerChange],
        content: InstrumentContent,
    ) -> None:
        """The domain answered by its respondents on their own, then settled by the
        coordinator: the round's answers become the consensus (respondents/demo.py)."""
        from respondents.demo import independent_domain

        assert self.planned.independent is not None
        independent_domain(
            assessment=assessment,
            domain_key=domain_key,
            changes=changes,
            questions=content.by_key,
            plan=self.planned.independent,
            users=self.users,
            rng=self.own_rng,
        )

    def reopen_and_correct(
        self,
        assessment: Assessment,
        owner: User,
        correction: FixedAnswer,
        backdate: _Backdater,
    ) -> datetime.datetime:
        """The admin reopens a submitted round so the site can record what changed since."""
        assessment_reopen(assessment=assessment, user=self.admin)
        backdate(_stamp(self.round.date, 12, 9, 40))
        key = correction.key
        answer = Answer.objects.get(assessment=assessment, question__key=key)
        change = AnswerChange(
            key=key,
            value=correction.value,
            comment=correction.comment,
            evidence=correction.evidence,
            base_revision=answer.revision,
        )
        domain_key = key.split(".", 1)[0]
        answers_save(assessment=assessment, user=owner, changes=[change], domain_key=domain_key)
        changed_at = _stamp(self.round.date, 14, 10, 5)
        backdate(changed_at, assessment, [key])
        return changed_at

    def answer(self, question: Question, level: float) -> AnswerChange | None:
        plan, rng, key = self.plan, self.rng, question.key
        fixed = self.planned.answers.get(key)
        if fixed is not None:
            return AnswerChange(
                key=key, value=fixed.value, comment=fixed.comment, evidence=fixed.evidence
            )
        if key in plan.not_applicable and question.allow_na:
            return AnswerChange(key=key, value=NA, comment=plan.not_applicable[key])
        if question.type == Question.Type.TEXT:
            text = plan.texts.get(key, "")
            return AnswerChange(key=key, value=text) if text else None

        # Each round moves a little on its own too: people answer the same practice differently.
        level = min(1.0, max(0.0, level + rng.gauss(0, 0.06)))
        options = sorted(question.options, key=lambda o: o["score"])
        if question.type == Question.Type.YES_NO:
            value = "yes" if level >= 0.5 else "no"
            top = 1.0 if value == "yes" else 0.0
        else:
            position = round(level * (len(options) - 1))
            value = str(options[position]["value"])
            top = position / (len(options) - 1)

        comment = evidence = ""
        if rng.random() < 0.3:
            band = "low" if top < 0.4 else "mid" if top < 0.75 else "high"
            comment = self.comments.take(band, self.data.comments[band])
        if top >= 0.5 and rng.random() < 0.25:
            pool = self.data.evidence.get(plan.instrument, {}).get(question.domain.key, ())
            if pool:
                evidence = self.comments.take(question.domain.key, pool)
        return AnswerChange(key=key, value=value, comment=comment, evidence=evidence)
