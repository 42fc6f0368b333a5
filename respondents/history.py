"""The History page's second list, "Assignments and respondents": the assignment events
(AssignmentEvent) of an assessment in words, newest first, paged like the audit list.

Who assigned which domain to whom and with what due date, a due date changed, a person
removed, the answering mode switched, a respondent's part marked done or reopened, a
respondent's own answer changed and a consensus note changed. Names and labels come from the
instrument's content as the audit list shows them: the domain's title, the question's number
and text, an option's label, never a stored value.

The blind rule of independent answers (respondents/blind.py, `events_visible`) decides which
lines a person sees, as SQL so that pages stay pages: a respondent's change to their own
answer is that respondent's work on the domain, and so is the line itself (which question they
touched and when tells what they are weighing), so the whole line is left out wherever the
rule hides that respondent's work on that domain: from a respondent still answering the
domain, and from everyone else, the coordinator included, until the respondent marks their
part done (reopened, their lines go again until done again). A consensus note is its author's
work in the same way. The other events say who does what and by when, not what anyone
answered, and are shown to everyone who sees the History. The page says so in a line above
the list in independent mode.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Case, OuterRef, Subquery, When
from django.utils import formats

from assessments.audit_source import Via
from assessments.content import InstrumentContent, instrument_content
from assessments.history import GROUP_WINDOW
from assessments.models import Assessment, Question
from respondents.blind import events_visible
from respondents.models import AssignmentEvent

PAGE_SIZE = 100

Action = AssignmentEvent.Action


@dataclass
class EventLine:
    """One line of the list: the event, what happened in words (who did it is the Who
    column), and for a change of a value its question and the values before and after."""

    event: AssignmentEvent
    what: str
    # "answer" (own answer: a snapshot of value, comment, evidence note), "note" (text),
    # "due" (a date or None); "" where the line has no before and after.
    kind: str = ""
    question: Question | None = None
    question_key: str = ""
    before: Any = None
    after: Any = None
    # A run of one respondent's quick changes to one of their answers folded into this line
    # (as the audit list folds them, assessments/history.py): every step, newest first.
    steps: list[EventLine] = field(default_factory=list)

    @property
    def via_api(self) -> bool:
        return self.event.via == Via.API

    @property
    def grouped(self) -> bool:
        return len(self.steps) > 1

    @property
    def started_at(self) -> datetime.datetime:
        return (self.steps[-1] if self.steps else self).event.at

    @property
    def in_order(self) -> list[EventLine]:
        """The steps oldest first, as they happened."""
        return self.steps[::-1]

    def takes(self, older: EventLine) -> bool:
        """Whether `older`, the next older change of the same own answer, continues this run:
        the rule of the audit list (same person, same way in, within GROUP_WINDOW)."""
        first = self.steps[-1] if self.steps else self
        return (
            older.event.user_id is not None
            and older.event.user_id == first.event.user_id
            and older.event.via == first.event.via
            and first.event.at - older.event.at <= GROUP_WINDOW
        )

    def fold(self, older: EventLine) -> None:
        if not self.steps:
            self.steps.append(replace(self, steps=[]))
        self.steps.append(older)
        self.before = older.before


def person(user: Any) -> str:
    """A person as the History names them; a deleted account is "a former member"."""
    if user is None:
        return "a former member"
    return str(user.get_full_name() or user.get_username())


def _day(value: datetime.date | None) -> str:
    return formats.date_format(value, "j M Y") if value else ""


def _done_at(detail: dict[str, Any]) -> str:
    """When a reopened part had been marked done (stored as ISO text), or ""."""
    try:
        when = datetime.datetime.fromisoformat(str(detail.get("done_at", "")))
    except ValueError:
        return ""
    return formats.date_format(when, "j M Y")


def event_line(event: AssignmentEvent, content: InstrumentContent) -> EventLine:
    """The event in words. `event.respondent` and `event.user` are read (select them), and
    `previous_due` where annotated (`events_of`) for a changed due date."""
    domain = content.domain(event.domain_key)
    title = domain.title if domain is not None else event.domain_key
    who = person(event.respondent)
    detail = event.detail if isinstance(event.detail, dict) else {}
    own = event.respondent_id is not None and event.respondent_id == event.user_id
    if event.action == Action.ASSIGNED:
        due = f", due {_day(event.due_date)}" if event.due_date else ""
        return EventLine(event, f"Assigned {title} to {who}{due}")
    if event.action == Action.CHANGED:
        return EventLine(
            event,
            f"Changed the due date of {who} for {title}",
            kind="due",
            before=getattr(event, "previous_due", None),
            after=event.due_date,
        )
    if event.action == Action.REMOVED:
        return EventLine(event, f"Removed {who} from {title} (their answers stay in the record)")
    if event.action == Action.MODE:
        mode = "independent answers" if detail.get("independent") else "one shared questionnaire"
        if detail.get("imported"):
            count = int(detail.get("respondents") or 0)
            return EventLine(
                event,
                f"Set the answering mode to {mode} by an import, with {count} "
                f"respondent{'s' if count != 1 else ''}",
            )
        return EventLine(event, f"Changed the answering mode to {mode}")
    if event.action == Action.DONE:
        if own:
            return EventLine(event, f"Marked {title} done")
        return EventLine(event, f"Marked the part of {who} in {title} done")
    if event.action == Action.REOPENED:
        since = _done_at(detail)
        marked = f" (marked done {since})" if since else ""
        return EventLine(event, f"Reopened the part of {who} in {title}{marked}")
    key = str(detail.get("question", ""))
    question = content.by_key.get(key)
    if event.action == Action.ANSWERED:
        return EventLine(
            event,
            "Changed their own answer" if own else f"Changed the own answer of {who}",
            kind="answer",
            question=question,
            question_key=key,
            before=detail.get("old"),
            after=detail.get("new"),
        )
    if event.action == Action.NOTE:
        return EventLine(
            event,
            "Changed the consensus note",
            kind="note",
            question=question,
            question_key=key,
            before=str(detail.get("old") or ""),
            after=str(detail.get("new") or ""),
        )
    return EventLine(event, event.get_action_display())


def events_of(assessment: Assessment, *, viewer_id: int) -> Any:
    """The assessment's events the viewer may see (the blind rule), newest first, with who
    did them, whom they concern, and for a changed due date the one it replaced (one query)."""
    previous = (
        AssignmentEvent.objects.filter(
            assessment_id=OuterRef("assessment_id"),
            domain_key=OuterRef("domain_key"),
            respondent_id=OuterRef("respondent_id"),
            action__in=[Action.ASSIGNED, Action.CHANGED],
            pk__lt=OuterRef("pk"),
        )
        .order_by("-pk")
        .values("due_date")[:1]
    )
    rows = events_visible(
        AssignmentEvent.objects.filter(assessment_id=assessment.pk),
        assessment,
        viewer_id=viewer_id,
    )
    return (
        rows.select_related("user", "respondent")
        .annotate(previous_due=Case(When(action=Action.CHANGED, then=Subquery(previous))))
        .order_by("-at", "-pk")
    )


@dataclass(frozen=True)
class EventPage:
    lines: list[EventLine]
    page: int
    has_next: bool


def event_lines(events: list[AssignmentEvent], content: InstrumentContent) -> list[EventLine]:
    """The events (newest first) as lines, each run of one respondent's quick changes to one
    of their own answers folded into one line that stands where its latest change is. Autosave
    writes a change per pause in typing, so unfolded a comment would fill the page."""
    lines: list[EventLine] = []
    open_runs: dict[tuple[int | None, str], EventLine] = {}
    for event in events:
        line = event_line(event, content)
        if event.action != Action.ANSWERED:
            lines.append(line)
            continue
        key = (event.respondent_id, line.question_key)
        run = open_runs.get(key)
        if run is not None and run.takes(line):
            run.fold(line)
            continue
        lines.append(line)
        open_runs[key] = line
    return lines


def event_page(assessment: Assessment, *, viewer_id: int, page: int) -> EventPage:
    """One page of the list: the assignments of the assessment (for the rule) and the events,
    two queries whatever the number of events."""
    start = (page - 1) * PAGE_SIZE
    events = list(events_of(assessment, viewer_id=viewer_id)[start : start + PAGE_SIZE + 1])
    content = instrument_content(assessment.instrument)
    return EventPage(
        lines=event_lines(events[:PAGE_SIZE], content), page=page, has_next=len(events) > PAGE_SIZE
    )
