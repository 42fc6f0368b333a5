"""The questionnaire page's domain lists, written in Python (assessments/domain_nav.py): every
value escaped as a template would, the page's own domain marked. The page's tests and browser
tests read the same markup on real pages."""

from __future__ import annotations

from types import SimpleNamespace

from assessments import domain_nav


def _row(key: str, title: str, answered: int, total: int, **extra):
    return {
        "key": key,
        "url": f'/a/1/d/{key}/?x=1&y="2"',
        "domain": SimpleNamespace(title=title),
        "answered": answered,
        "total": total,
        "complete": answered == total,
        **extra,
    }


ROWS = [_row("gov", "Governance <b>& co</b>", 2, 4), _row("ops", "Operations", 3, 3)]


def test_the_switcher_escapes_every_value_and_marks_the_current_domain():
    html = domain_nav.switcher_links(ROWS, "ops")
    assert "Governance &lt;b&gt;&amp; co&lt;/b&gt;" in html
    assert 'href="/a/1/d/gov/?x=1&amp;y=&quot;2&quot;"' in html
    assert '<a class="domain-switcher-link" href="/a/1/d/gov/' in html
    assert (
        '<a class="domain-switcher-link active" href="/a/1/d/ops/?x=1&amp;y=&quot;2&quot;" aria-current="page">'
        in html
    )
    assert '<span class="domain-count domain-done" data-domain-count="ops">3/3</span>' in html
    assert '<span class="domain-count" data-domain-count="gov">2/4</span>' in html
    assert domain_nav.current_count(ROWS, "gov") == ' · <span data-domain-count="gov">2/4</span>'
    assert domain_nav.current_count(ROWS, "nope") == ""


def test_the_side_list_shows_counts_and_the_independent_answers_state():
    status = SimpleNamespace(assigned=2, done=1, consensus_set=0, consensus_needed=4)
    nobody = SimpleNamespace(assigned=0, done=0, consensus_set=1, consensus_needed=3)
    rows = [
        _row("gov", "Governance", 2, 4, status=status, mine=True),
        _row("ops", "Operations", 3, 3, status=nobody, mine=False),
    ]
    html = domain_nav.side_links(rows, "gov")
    assert 'align-items-center active"' in html
    assert 'aria-current="page" data-domain="gov"' in html
    assert (
        '<span class="d-block small domain-state">yours · 1/2 respondents done · consensus 0/4'
        in html
    )
    assert "nobody assigned · consensus 1/3" in html
    assert 'title="2 of 4 questions answered">2/4</span>' in html
    assert "domain-state" not in domain_nav.side_links(ROWS, "gov")
