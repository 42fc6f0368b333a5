"""The blind rule of independent answers (issue 15), in one place: whose work on a domain a
person may see. Every path that shows a respondent's work asks it here: their own answers
(`respondent_answers_visible`), evidence files (the domain page, downloads, the API, the JSON
and the ZIP export, the report's appendix), the files' lines of the History and its lines of
own answers and consensus notes (`events_visible`).

- A respondent still answering a domain (an active assignment not marked done) sees nobody
  else's work on it, only their own.
- Anyone else sees a respondent's work on a domain only once that respondent marked their part
  done; the coordinator included. A removed respondent's work stays hidden unless they had
  marked it done.
- Work of people who do not answer the domain is seen by everyone but its respondents still
  answering it.
- Work on a question the instrument no longer has (a file kept from an earlier version) is
  seen only where it would be seen in every domain.
- The consensus answers of a domain (the assessment's Answer rows: value, comment, evidence
  note, whoever set them, pre-filled or not) are hidden from a respondent still answering
  that domain, until they mark their part done (`shows_consensus`, `consensus_hidden` as
  SQL): the History's answer lines (`audit_visible`), the JSON export and the results page
  and gap report (reports/report.py). Everybody else sees them. Scores stay: they are the
  organisation's result, computed from every consensus, not one person's answer.

Outside the independent mode nothing is hidden: `blind_rule` answers None, with no query for
an assessment read through assessments/access.py. A rule is plain data: `shows` for objects at
hand, `hidden` for a queryset (the same decision as SQL, so that paged lists stay paged).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar

from django.db.models import Q

from assessments.content import instrument_content
from assessments.models import Assessment, AuditEntry


class Part(Protocol):
    """What the rule reads of an assignment (respondents.models.Assignment, PartState)."""

    @property
    def user_id(self) -> int: ...
    @property
    def domain_key(self) -> str: ...
    @property
    def done_at(self) -> Any: ...
    @property
    def removed_at(self) -> Any: ...


@dataclass(frozen=True)
class PartState:
    """An assignment's state as the rule reads it, where a query read it with more."""

    user_id: int
    domain_key: str
    done_at: Any
    removed_at: Any


class Work(Protocol):
    """A file as the rule reads it (evidence.models.EvidenceFile)."""

    @property
    def uploaded_by_id(self) -> int | None: ...
    @property
    def question_key(self) -> str: ...


W = TypeVar("W", bound=Work)


@dataclass(frozen=True)
class BlindRule:
    """What one viewer may see of the respondents' work on an assessment in independent mode.

    `viewer_id` None: a file made for nobody in particular (a report's PDF), seeing as someone
    who answers none of the domains but `still_answering`."""

    viewer_id: int | None
    still_answering: frozenset[str]  # the viewer's domains: active, not marked done
    not_done: Mapping[str, frozenset[int]]  # domain key -> its respondents not done
    domains: frozenset[str]  # every domain with an assignment
    domain_of: Mapping[str, str]  # question key -> domain key (the current instrument)

    def shows(self, author_id: int | None, domain_key: str | None) -> bool:
        """Whether the viewer may see what `author_id` did on the domain (None: unknown)."""
        if author_id is not None and author_id == self.viewer_id:
            return True
        if domain_key is None:
            return all(self.shows(author_id, domain) for domain in self.domains)
        if domain_key in self.still_answering:
            return False
        return author_id not in self.not_done.get(domain_key, frozenset())

    def shows_question(self, author_id: int | None, question_key: str) -> bool:
        return self.shows(author_id, self.domain_of.get(question_key))

    def shows_consensus(self, domain_key: str | None) -> bool:
        """Whether the viewer may see the consensus answers of the domain (None: a question
        the instrument no longer has, seen only by someone answering no domain)."""
        if domain_key is None:
            return not self.still_answering
        return domain_key not in self.still_answering

    def consensus_hidden(self, *, question: str) -> Q | None:
        """The consensus answers the viewer may not see, as a filter (None: none hidden),
        where the field `question` holds the question key. `shows_consensus` as SQL."""
        if not self.still_answering:
            return None
        keys = sorted(k for k, d in self.domain_of.items() if d in self.still_answering)
        return Q(**{f"{question}__in": keys}) | ~Q(**{f"{question}__in": sorted(self.domain_of)})

    def files(self, files: Iterable[W]) -> list[W]:
        """The files (anything with `uploaded_by_id` and `question_key`) the viewer may see."""
        return [f for f in files if self.shows_question(f.uploaded_by_id, f.question_key)]

    def hidden(self, *, author: str, question: str) -> Q | None:
        """The rows the viewer may not see, as a filter (None: none hidden), where the field
        `author` holds who did the work and `question` the question key. `shows` as SQL."""
        keys_by_domain: dict[str, list[str]] = defaultdict(list)
        for key, domain in self.domain_of.items():
            keys_by_domain[domain].append(key)
        # Django's exclude-style negation keeps rows whose author is NULL (nobody's: hidden).
        not_mine = ~Q(**{author: self.viewer_id}) if self.viewer_id is not None else Q()
        hide: list[Q] = []
        for domain, keys in keys_by_domain.items():
            on_domain = Q(**{f"{question}__in": sorted(keys)})
            if domain in self.still_answering:
                hide.append(on_domain & not_mine)
                continue
            others = self.not_done.get(domain, frozenset()) - {self.viewer_id}
            if others:
                hide.append(on_domain & Q(**{f"{author}__in": sorted(others)}))
        if self.domains:
            elsewhere = ~Q(**{f"{question}__in": sorted(self.domain_of)})
            if self.still_answering:
                hide.append(elsewhere & not_mine)
            else:
                others = frozenset().union(*self.not_done.values()) - {self.viewer_id}
                if others:
                    hide.append(elsewhere & Q(**{f"{author}__in": sorted(others)}))
        if not hide:
            return None
        found = hide[0]
        for more in hide[1:]:
            found |= more
        return found

    def visible(self, rows: Any, *, author: str, question: str) -> Any:
        """`rows` (a queryset) without the ones the viewer may not see."""
        hidden = self.hidden(author=author, question=question)
        return rows if hidden is None else rows.exclude(hidden)


def rule_of(
    parts: Iterable[Part],
    *,
    viewer_id: int | None,
    domain_of: Mapping[str, str],
    still_answering: Collection[str] | None = None,
) -> BlindRule:
    """The rule from the assessment's assignments (removed ones included). `still_answering`:
    for a file made for someone not at hand (a report's `blind_domains`); by default the
    viewer's active assignments not marked done."""
    parts = list(parts)
    not_done: dict[str, set[int]] = defaultdict(set)
    for part in parts:
        if part.done_at is None:
            not_done[part.domain_key].add(part.user_id)
    if still_answering is None:
        still_answering = {
            p.domain_key
            for p in parts
            if p.user_id == viewer_id and p.removed_at is None and p.done_at is None
        }
    return BlindRule(
        viewer_id=viewer_id,
        still_answering=frozenset(still_answering),
        not_done={domain: frozenset(users) for domain, users in not_done.items()},
        domains=frozenset(p.domain_key for p in parts) | frozenset(still_answering),
        domain_of=domain_of,
    )


def domains_of_questions(assessment: Assessment) -> dict[str, str]:
    """Question key -> domain key of the assessment's instrument (content cached per process)."""
    return {
        key: q.domain.key for key, q in instrument_content(assessment.instrument).by_key.items()
    }


def blind_rule(
    assessment: Assessment,
    *,
    viewer_id: int | None,
    still_answering: Collection[str] | None = None,
    parts: Iterable[Part] | None = None,
) -> BlindRule | None:
    """The viewer's rule, or None outside the independent mode (nothing hidden). One query
    for the assignments, none when the caller has them (`parts`)."""
    # Imported here: respondents/independent.py builds on this module.
    from respondents.independent import is_independent
    from respondents.models import Assignment

    if not is_independent(assessment):
        return None
    if parts is None:
        parts = Assignment.objects.filter(assessment_id=assessment.pk).only(
            "user_id", "domain_key", "done_at", "removed_at"
        )
    return rule_of(
        parts,
        viewer_id=viewer_id,
        domain_of=domains_of_questions(assessment),
        still_answering=still_answering,
    )


def events_visible(events: Any, assessment: Assessment, *, viewer_id: int) -> Any:
    """An assessment's assignment events (a queryset of AssignmentEvent) without those whose
    line is work the blind rule hides from the viewer: a respondent's change to their own
    answer ("answered": the respondent is its author; which question they touched, and when,
    is part of the work, so the whole line goes, not only its values) and a consensus note
    ("note": whoever set it) on the event's domain. Assigning, due dates, removal, done,
    reopening and the mode are about the work, not the work itself: shown to all. As SQL: pages
    stay pages."""
    # Imported here, as in blind_rule: respondents.models is not needed for the rule itself.
    from respondents.models import AssignmentEvent

    blind = blind_rule(assessment, viewer_id=viewer_id)
    if blind is None:
        return events
    # The events name their domain: the same rule, read per domain instead of per question.
    domains = blind.domains | frozenset(blind.domain_of.values())
    by_domain = replace(blind, domain_of={key: key for key in domains})
    hide = Q()
    for action, author in (
        (AssignmentEvent.Action.ANSWERED, "respondent_id"),
        (AssignmentEvent.Action.NOTE, "user_id"),
    ):
        hidden = by_domain.hidden(author=author, question="domain_key")
        if hidden is not None:
            hide |= Q(action=action) & hidden
    return events.exclude(hide) if hide else events


def audit_visible(entries: Any, assessment: Assessment, *, viewer_id: int) -> Any:
    """An assessment's audit rows (a queryset of AuditEntry) without the lines the blind rule
    hides from the viewer: those of evidence files (such a line names a file: name, size,
    fingerprint; whoever attached or deleted it counts as the work's author, and the virus
    scanner, nobody, is hidden from a respondent still answering), and the consensus answers'
    lines of the domains the viewer still answers, whoever changed them. As SQL: pages stay
    pages."""
    blind = blind_rule(assessment, viewer_id=viewer_id)
    if blind is None:
        return entries
    hide = Q()
    hidden = blind.hidden(author="user_id", question="subject")
    if hidden is not None:
        files = [AuditEntry.Action.EVIDENCE_ADDED, AuditEntry.Action.EVIDENCE_DELETED]
        hide |= Q(action__in=files) & hidden
    consensus = blind.consensus_hidden(question="subject")
    if consensus is not None:
        hide |= Q(action=AuditEntry.Action.ANSWER) & consensus
    return entries.exclude(hide) if hide else entries
