"""The questionnaire: where to continue (`take`), a domain's page with its questions, and
its saves (the whole page as a form post, or one question at a time by autosave)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from assessments import access, question_html, questionnaire
from assessments.answer_counts import AnswerCounts, count_answers
from assessments.content import InstrumentContent, instrument_content
from assessments.forms import (
    QuestionnaireForm,
    posted_questions,
    redisplay_form,
    unresolved_conflicts,
)
from assessments.http import AuthenticatedHttpRequest
from assessments.models import Answer, Assessment
from assessments.questionnaire import Shown, ShownAnswer
from assessments.scoring import NA
from assessments.services import (
    AssessmentLocked,
    AssessmentVersionChanged,
    Conflict,
    SaveOutcome,
    answers_save,
    snapshot_hash,
)
from assessments.versions import version_marks


@login_required
def take(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Continue at the first unanswered question, from the last domain worked on onwards."""
    assessment, _ = access.get_assessment_for_user(request.user.pk, pk)
    content = instrument_content(assessment.instrument)
    values = assessment.answer_values()
    # Independent answers: where a domain's consensus is hidden from the person (the blind
    # rule), their own answers decide where they continue, as on the domain page; which
    # question it lacks would tell them that consensus.
    answering = _independent_answering(assessment, request.user, "")
    if answering is not None:
        answering.consensus = values
        values = answering.seen_basis(content)
    result = assessment.compute_results(values, with_plan=False)
    point = questionnaire.resume_point(content, result, values, assessment.last_domain_key)
    url = reverse("assessments:domain", args=[assessment.pk, point.domain_key])
    return redirect(f"{url}#q-{point.question_key}" if point.question_key else url)


def _answers_by_question(assessment: Assessment, questions: tuple[Any, ...]) -> dict[int, Answer]:
    """The answers to these questions, with who gave them (for their cards)."""
    return {
        a.question_id: a
        for a in Answer.objects.filter(
            assessment=assessment, question_id__in=[q.pk for q in questions]
        ).select_related("answered_by")
    }


def _question_rows(
    form: QuestionnaireForm | None,
    questions: tuple[Any, ...],
    answers: Mapping[int, Answer | ShownAnswer],
    visible: frozenset[str],
    numbers: dict[str, str],
) -> list[dict[str, Any]]:
    """A card per question. Without a form (a GET) the fields show the stored answers, as an
    unbound QuestionnaireForm would, without building its ~70 fields."""
    rows = []
    for question in questions:
        key = question.key
        answer = answers.get(question.pk)
        fields = _shown_fields(answer) if form is None else _bound_fields(form, key)
        selected = fields["field"].value if form is None else form[key].value()
        rows.append(
            {
                "question": question,
                "number": numbers[key],
                "answer": answer,
                "answered_by": _answered_by(answer),
                **fields,
                "resolve": None
                if form is None or f"{key}--resolve" not in form.fields
                else form[f"{key}--resolve"],
                "conflict": None if form is None else form.conflicts.get(key),
                "visible": key in visible,
                "show_if_values": json.dumps(question.show_if_values),
                "legend": question_html.legend(question, numbers[key]),
                "fixed_badges": question_html.fixed_badges(question),
                "help": question_html.help_paragraph(question),
                "answer_options": question_html.answer_options(question, selected)
                if question.type != "text"
                else "",
            }
        )
    return rows


def _bound_fields(form: QuestionnaireForm, key: str) -> dict[str, Any]:
    return {
        "field": form[key],
        "comment": form[f"{key}--comment"],
        "evidence": form[f"{key}--evidence"],
        "rev": form[f"{key}--rev"],
        "base": form[f"{key}--base"],
    }


def _shown_fields(answer: Answer | ShownAnswer | None) -> dict[str, Any]:
    value = answer.value if answer else ""
    comment = answer.comment if answer else ""
    evidence = answer.evidence if answer else ""
    return {
        "field": Shown(value),
        "comment": Shown(comment),
        "evidence": Shown(evidence),
        "rev": Shown(answer.revision if answer else 0),
        "base": Shown(snapshot_hash(value, comment, evidence)),
    }


def _answered_by(answer: Answer | ShownAnswer | None) -> str:
    """Who gave the answer, as its card says: full name, else username, else nothing."""
    if answer is None:
        return ""
    if isinstance(answer, ShownAnswer):
        return answer.answered_by_name
    user = answer.answered_by
    return (user.get_full_name() or user.get_username()) if user else ""


def _independent_answering(assessment: Assessment, user: Any, key: str) -> Any:
    """The domain page's answering in independent-answers mode; None in the shared mode."""
    # Imported here: respondents builds on assessments, never the reverse at import time.
    from respondents.answering import domain_answering

    return domain_answering(assessment=assessment, user=user, domain_key=key)


def _posted_for_another_version(request: HttpRequest, assessment: Assessment) -> bool:
    """Whether a question posted says (`<key>--version`) it was shown for another version."""
    shown = {v for name, v in request.POST.items() if name.endswith("--version")}
    return any(v != str(assessment.instrument_id) for v in shown)


@login_required
def domain(request: AuthenticatedHttpRequest, pk: int, key: str) -> HttpResponse:
    """One domain of the questionnaire. POST saves it (autosave posts one question as JSON)."""
    assessment, membership = access.get_assessment_for_user(request.user.pk, pk)
    content = instrument_content(assessment.instrument)
    current = content.domain(key)
    if current is None:
        raise Http404
    questions = content.questions_of(key)
    # Independent answers (issue 15): None in the shared mode, where nothing of it runs.
    answering = _independent_answering(assessment, request.user, key)
    if answering is None:
        can_edit = access.may_edit_domain(membership, assessment, key) and assessment.is_editable
    else:
        can_edit = answering.can_answer
    answers: dict[int, Answer] = {}
    shown: Mapping[int, Answer | ShownAnswer]
    form: QuestionnaireForm | None
    autosave = request.headers.get("X-Autosave") == "1"
    conflicts: dict[str, Conflict] = {}

    if request.method == "POST":
        if answering is None:
            access.require_domain_edit(membership, assessment, key)
        elif answering.assignment is None:
            raise PermissionDenied  # only respondents answer; the consensus has its own page
        if _posted_for_another_version(request, assessment):
            # The page showed the version the draft had before it moved: its answers were
            # given to other questions, so none is saved.
            message = str(AssessmentVersionChanged())
            if autosave:
                return JsonResponse({"locked": True, "message": message}, status=409)
            messages.error(request, message)
            return redirect("assessments:domain", assessment.pk, key)
        posted = QuestionnaireForm(
            request.POST, questions=posted_questions(request.POST, questions), answers=answers
        )
        posted.is_valid()
        save = answers_save if answering is None else answering.save
        try:
            outcome = save(
                assessment=assessment, user=request.user, changes=posted.changes(), domain_key=key
            )
        except AssessmentLocked as locked:
            message = str(locked) or (
                "This assessment has been submitted and is read-only. Nothing was changed."
            )
            if autosave:
                return JsonResponse({"locked": True, "message": message}, status=409)
            messages.error(request, message)
            return redirect("assessments:domain", assessment.pk, key)
        unresolved = any(name.endswith("--resolve") for name in posted.errors)
        if not autosave and not posted.errors and not outcome.conflicts and not unresolved:
            messages.success(request, "Answers saved.")
            target = request.POST.get("next_domain", "")
            if target == "__submit__":
                return redirect("assessments:submit", assessment.pk)
            if target == "__done__" and answering is not None:
                return redirect("respondents:done", assessment.pk, key)
            if target and content.domain(target):
                return redirect("assessments:domain", assessment.pk, target)
            return redirect("assessments:domain", assessment.pk, key)
        if autosave and not posted.errors and not outcome.conflicts:
            # Nothing to show again: the answer needs no card, only revisions and counts.
            return _autosave_saved(assessment, content, outcome, answering)
        # The cards drawn again: the page's, or only what an autosave posted.
        redrawn = posted.questions if autosave else questions
        if answering is None:
            answers = _answers_by_question(assessment, redrawn)
            last_round = {} if autosave else questionnaire.previous_answers(assessment)
            # Every value as the save left them (read under its lock), for scores and counts.
            values = outcome.values if outcome.values is not None else assessment.answer_values()
        else:
            mine = answering.load(content)
            answers, values, last_round = mine.shown, mine.values, mine.last_round  # type: ignore[assignment]
        conflicts = {**outcome.conflicts, **unresolved_conflicts(posted, answers)}
        form = redisplay_form(posted, redrawn, answers, conflicts)
        shown = answers
        if autosave:
            return _autosave_response(
                request,
                form,
                redrawn,
                answers,
                values,
                content,
                outcome.saved,
                assessment,
                answering=answering,
            )
        # The page shows progress, no score: counted, not scored.
        counts = count_answers(content.spec, values)
        if conflicts:
            messages.warning(
                request,
                f"Someone else changed {len(conflicts)} answer(s) while you were working. Your "
                "other answers were saved; choose which version to keep below.",
            )
        if posted.errors:
            messages.error(request, "Some answers could not be saved: see the messages below.")
    else:
        if answering is None:
            loaded = questionnaire.domain_answers(assessment, questions)
        else:
            loaded = answering.load(content)
        shown, values, last_round = loaded.shown, loaded.values, loaded.last_round
        form = None
        # Nothing is written here: answers_save remembers the domain for resuming. The page
        # shows which questions are asked and how many are answered, no score: counted, not
        # scored (a tenth of the work; issue 13).
        counts = count_answers(content.spec, values)

    status = 200 if form is None or not (form.errors or conflicts) else 422
    rows = _question_rows(form, questions, shown, counts.visible, content.numbers)
    _add_flags_and_last_round(rows, assessment, values, last_round)
    if answering is not None and _still_answers(answering):
        _without_this_rounds_items(rows, assessment)
    # Questions of a newer version that did not carry over: marked until answered.
    marks = version_marks(assessment)
    for row in rows:
        answered = row["answer"] is not None and bool(row["answer"].value)
        row["version_mark"] = None if answered else marks.get(row["question"].key)
    # Each question's evidence files, one query; their upload and deletion messages go next
    # to the question (imported here: evidence builds on assessments, never the reverse).
    from evidence.questionnaire import attach_files

    page_messages = attach_files(request, assessment=assessment, rows=rows)
    if answering is not None:
        answering.hide_blind_files(rows)
    return render(
        request,
        "assessments/assessment_take.html",
        {
            "current_membership": membership,
            "assessment": assessment,
            "domain": current,
            "rows": rows,
            "version_marks_in_domain": sum(1 for row in rows if row["version_mark"]),
            "unanswered_in_domain": sum(1 for row in rows if row["visible"] and not row["done"]),
            "flagged_in_domain": sum(1 for row in rows if row["flagged"]),
            "only_unanswered": request.GET.get("only") == "unanswered",
            # The page reads its rows; the form is there for whoever asks for it (tests).
            "form": form
            or SimpleLazyObject(
                lambda: QuestionnaireForm(
                    # A ShownAnswer has the fields the form reads of an answer.
                    questions=questions,
                    answers=cast(dict[int, Answer], shown),
                )
            ),
            "progress": _linked(
                _navigation(content, counts, values, answering),
                _url_of_key("assessments:domain", assessment.pk),
            ),
            "answering": answering,
            "overall_progress": questionnaire.answered_percent(
                counts.answered, counts.visible_scored
            ),
            **_neighbours(content, key, answering),
            "can_edit": can_edit,
            "carried_in_domain": sum(
                1 for q in questions if q.pk in shown and shown[q.pk].carried_over
            ),
            "na": NA,
            "messages": page_messages,
        },
        status=status,
    )


def _add_flags_and_last_round(
    rows: list[dict[str, Any]],
    assessment: Assessment,
    values: dict[str, str],
    previous: dict[str, str],
) -> None:
    """Each question's review flag, whether it is answered, last round's answer, and its
    action item (the card includes the item's partial only when there is one)."""
    # Imported here: the actions app builds on assessments, never the reverse at import time.
    from actions.templatetags.actions_tags import question_action_item

    review_url = _url_of_key("assessments:review-flag", assessment.pk)
    for row in rows:
        key = row["question"].key
        row["flagged"] = key in assessment.review_flags
        row["done"] = questionnaire.is_answered(values, key)
        row["last_round"] = previous.get(key, "")
        row["review_url"] = review_url(key)
        # Called by the template when it draws the card (one query for all the cards, and
        # none for an autosave that redraws no card).
        row["action_item"] = partial(question_action_item, assessment, key)


def _still_answers(answering: Any) -> bool:
    """The page's person still answers its domain (independent mode): active, not done."""
    part = answering.assignment
    return bool(answering.respondent and part is not None and part.done_at is None)


def _without_this_rounds_items(rows: list[dict[str, Any]], assessment: Assessment) -> None:
    """For someone still answering the domain: no action item made from this round's action
    plan on the cards. Such an item exists because the consensus answer was weak (and it
    names it): the blind rule hides that consensus from them (respondents/blind.py). An
    earlier round's item stays."""
    for row in rows:
        row["action_item"] = partial(_earlier_item, row["action_item"], assessment.pk)


def _earlier_item(newest: Callable[[], Any], assessment_id: int) -> Any:
    item = newest()
    return None if item is None or item.assessment_id == assessment_id else item


def _linked(progress: list[dict[str, Any]], url: Callable[[str], str]) -> list[dict[str, Any]]:
    """The domain list with each domain's address (`url`), read twice by the page."""
    for row in progress:
        row["url"] = url(row["key"])
    return progress


def _url_of_key(name: str, pk: int) -> Callable[[str], str]:
    """The URL `name` of the assessment `pk` for a question key: one reverse() for all the
    keys of a page (a key is [a-z0-9_.-], the instrument schema's pattern, so nothing in it
    is quoted), reverse() itself for anything else."""
    template = reverse(name, args=[pk, "KEY"])
    safe = re.compile(r"[a-z0-9][a-z0-9_.-]*")

    def url(key: str) -> str:
        if safe.fullmatch(key):
            return template.replace("/KEY/", f"/{key}/")
        return reverse(name, args=[pk, key])

    return url


def _autosave_saved(
    assessment: Assessment, content: InstrumentContent, outcome: SaveOutcome, answering: Any
) -> JsonResponse:
    """An autosave's answer when all it posted is saved (or was unchanged): each saved
    answer's revision and fingerprint for the page's hidden fields, and the navigation's
    counts. The cards are not redrawn, so neither the form nor the answers are built again;
    the values counted are those the save read under its lock, with its own changes."""
    if answering is None:
        values = outcome.values if outcome.values is not None else assessment.answer_values()
    else:
        values = answering.load(content).values
    # Counted, not scored: the answer shows progress only.
    counts = count_answers(content.spec, values)
    return _autosave_json(
        {
            key: {
                "rev": answer.revision,
                "base": snapshot_hash(answer.value, answer.comment, answer.evidence),
            }
            for key, answer in outcome.saved.items()
        },
        {},
        _navigation(content, counts, values, answering),
        questionnaire.answered_percent(counts.answered, counts.visible_scored),
    )


def _autosave_json(
    saved: dict[str, dict[str, Any]],
    problems: Mapping[str, str],
    progress: list[dict[str, Any]],
    overall: int,
) -> JsonResponse:
    """The autosave's answer that static/js/questionnaire.js reads: 409 with the cards to
    redraw when there are problems."""
    return JsonResponse(
        {
            "saved": saved,
            "problems": problems,
            "progress": {
                row["key"]: {
                    "answered": row["answered"],
                    "total": row["total"],
                    "percent": row["percent"],
                }
                for row in progress
            },
            "overall": overall,
        },
        status=409 if problems else 200,
    )


def _autosave_response(
    request: AuthenticatedHttpRequest,
    form: QuestionnaireForm,
    questions: tuple[Any, ...],
    answers: dict[int, Answer],
    values: dict[str, str],
    content: InstrumentContent,
    saved: dict[str, Answer],
    assessment: Assessment,
    answering: Any = None,
) -> JsonResponse:
    """`questions`: those the autosave posted (the cards it may redraw); `values`: every
    answer's value. `answering`: in independent-answers mode, the respondent's (their own
    counts in the navigation, and the evidence files the blind rule lets them see)."""
    # Counted, not scored: the answer shows progress, no score.
    counts = count_answers(content.spec, values)
    listed = _question_rows(form, questions, answers, counts.visible, content.numbers)
    _add_flags_and_last_round(listed, assessment, values, {})
    if answering is not None and _still_answers(answering):
        _without_this_rounds_items(listed, assessment)
    rows = {row["question"].key: row for row in listed}
    redrawn = [
        key
        for key in rows
        if key in form.conflicts
        or rows[key]["field"].errors
        or rows[key]["comment"].errors
        or rows[key]["evidence"].errors
    ]
    if redrawn:
        # A redrawn card keeps its evidence files (imported here, as in `domain`).
        from evidence.questionnaire import attach_files

        attach_files(
            request, assessment=assessment, rows=[rows[k] for k in redrawn], take_messages=False
        )
        if answering is not None:
            answering.hide_blind_files(rows[k] for k in redrawn)
    problems = {
        key: render_to_string(
            "assessments/_question.html",
            {"row": rows[key], "form": form, "can_edit": True, "na": NA, "assessment": assessment},
        )
        for key in redrawn
    }
    return _autosave_json(
        {
            key: {"rev": answer.revision, "base": form[f"{key}--base"].value()}
            for key, answer in saved.items()
        },
        problems,
        _navigation(content, counts, values, answering),
        questionnaire.answered_percent(counts.answered, counts.visible_scored),
    )


def _navigation(
    content: InstrumentContent, counts: AnswerCounts, values: dict[str, str], answering: Any
) -> list[dict[str, Any]]:
    """The navigation's counts (the page's domain list, an autosave's answer): a respondent's
    are their own."""
    rows = questionnaire.navigation_rows(content, counts.visible, values)
    return rows if answering is None else answering.progress(rows, content)


def _neighbours(content: InstrumentContent, key: str, answering: Any) -> dict[str, Any]:
    """The domains before and after this one; a respondent on one of their own domains steps
    through their own domains only (the others' are not theirs to answer)."""
    steps = list(content.domains)
    if answering is not None and answering.respondent and key in answering.my_domains:
        steps = [d for d in steps if d.key in answering.my_domains]
    index = next(i for i, d in enumerate(steps) if d.key == key)
    return {
        "previous_domain": steps[index - 1] if index > 0 else None,
        "next_domain": steps[index + 1] if index + 1 < len(steps) else None,
    }
