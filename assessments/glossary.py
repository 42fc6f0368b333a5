"""The words of the app explained once: the help page lists them, pages link to them.

Each term has an anchor on the help page (`/help/#term-<slug>`) and a one-sentence
explanation that the pages show where the word appears ({% term_help "blocker" %}), so the
explanation a page gives and the help page's can never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    slug: str
    name: str
    short: str  # one sentence, shown where the term appears
    more: str = ""  # the rest of the explanation, on the help page only

    @property
    def anchor(self) -> str:
        return f"term-{self.slug}"


TERMS: tuple[Term, ...] = (
    Term(
        "instrument",
        "Instrument",
        "The questionnaire an assessment uses, such as “Clinical AI readiness”, in one version.",
        "Its questions are grouped in domains. A version never changes once an assessment uses "
        "it; new wording is a new version, and a draft can move to it from its own page.",
    ),
    Term(
        "domain",
        "Domain",
        "One area of the questionnaire, such as “Data quality and availability”, "
        "with its own score, level and target.",
    ),
    Term(
        "question-number",
        "Question number",
        "“7.4” is the 4th question of the 7th domain, counted in the order of the "
        "questionnaire; the same number on every page, report and export.",
        "A follow-up question keeps its number while it is hidden, so a gap in the numbers "
        "(7.2, then 7.4) is a follow-up that does not apply. Files and the API name questions "
        "by their key instead (training.q03), which never changes.",
    ),
    Term(
        "follow-up",
        "Follow-up question",
        "A question shown only when an earlier answer calls for it; hidden follow-ups count "
        "nowhere.",
    ),
    Term(
        "visible-scored",
        "Visible scored questions",
        "The questions that can count towards a score: shown (not a hidden follow-up) and "
        "answered with an option (not free text).",
        "Progress, “Answered” and completeness are the share of these that have an answer, "
        "“Not applicable” included.",
    ),
    Term(
        "not-applicable",
        "Not applicable (N/A)",
        "An answer saying the question does not apply to this site: it counts as answered but "
        "is left out of the score.",
        "A domain whose every question is answered N/A is not applicable: it has no score and "
        "is left out of the overall score and the verdict.",
    ),
    Term(
        "score",
        "Score",
        "0 to 100 per domain: the weighted share of the top answer reached by the domain's "
        "answered questions; the overall score is the weighted mean of the domain scores.",
        "A domain without any answered scored question has no score yet, shown as “—”, never 0.",
    ),
    Term(
        "level",
        "Maturity level",
        "1 Initial (score under 20), 2 Developing (20–40), 3 Defined (40–60), 4 Managed (60–80), "
        "5 Optimising (80 and above).",
    ),
    Term(
        "no-score",
        "No score yet (“—”)",
        "A domain that applies but has no answered scored question: it has no score, and "
        "counts as level 1 (Initial) for the verdict until it has one.",
    ),
    Term(
        "critical",
        "Critical safeguard",
        "A basic safeguard, such as a business associate agreement before patient data "
        "reaches an AI vendor, or human review of AI output; a low answer to it is a blocker.",
    ),
    Term(
        "blocker",
        "Blocker",
        "A critical safeguard answered below the instrument's threshold (in the shipped "
        "questionnaires, below half of its top answer in version 1.0 and below three "
        "quarters from 1.1; “No” on a yes/no question always blocks).",
        "A domain with a blocker is capped at level 2, and any blocker makes the verdict "
        "“Not ready”. Blockers are listed first in the results and the report.",
    ),
    Term(
        "verdict",
        "Readiness verdict",
        "Ready: no blocker and every domain at level 3 or above. Conditionally ready: no "
        "blocker, no domain at level 1, at most two at level 2. Not ready: otherwise.",
    ),
    Term(
        "provisional",
        "Provisional",
        "Fewer than 80 % of the visible scored questions are answered, or a domain that "
        "applies has no score yet: the verdict may still change.",
    ),
    Term(
        "target-gap",
        "Target and gap",
        "Each domain has a target score (60 unless changed); the gap is how far the score is "
        "below it, never less than 0.",
    ),
    Term(
        "priority",
        "Priority (High, Medium, Low)",
        "How much improving an answer would help, from how low it is, its weight, the "
        "domain's gap and whether it is critical. High: a blocker, or at least half the "
        "plan's highest priority; Medium: at least a quarter; Low: the rest.",
        "The number itself is shown when you point at the label, and kept in the exports.",
    ),
    Term(
        "action-plan",
        "Action plan",
        "The recommendations of the questions answered below their top option, highest "
        "priority first.",
    ),
    Term(
        "still-to-answer",
        "Still to answer",
        "Visible scored questions without an answer yet; they count in no score.",
    ),
    Term(
        "round",
        "Round",
        "One assessment of a site, named by a label such as “2026 spring”; the next round can "
        "carry the answers over and shows what changed.",
    ),
    Term(
        "carried-over",
        "Carried over",
        "An answer copied from the previous round; confirm or change it, and the mark goes.",
    ),
    Term(
        "status",
        "Draft, submitted, reopened",
        "A draft is being answered; a submitted assessment is read-only and its results are "
        "stored; reopening makes it editable again.",
    ),
    Term(
        "export-json",
        "Export JSON",
        "Downloads the assessment as one file (answers, comments, results) that another copy "
        "of the app can import, or that other tools can read.",
        "Questions are named in it by their key. An import recomputes the results.",
    ),
    Term(
        "history",
        "History",
        "Every saved change to answers, targets and status, who made it and when; one person's "
        "quick changes to one answer are grouped on one line.",
    ),
)

BY_SLUG: dict[str, Term] = {term.slug: term for term in TERMS}


def term(slug: str) -> Term:
    """The term of a slug; an unknown slug is a programming error, caught by the tests."""
    return BY_SLUG[slug]
