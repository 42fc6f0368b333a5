"""Action-plan priorities in words: High, Medium, Low (issue 11, item 7)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assessments.scoring import priority_band

D = Decimal


@pytest.mark.parametrize(
    ("priority", "highest", "blocker", "expected"),
    [
        (D("1.8227"), D("1.8227"), False, "High"),  # the top of the plan
        (D("0.9114"), D("1.8227"), False, "High"),  # 0.9114 * 2 = 1.8228, at least half
        (D("0.9113"), D("1.8227"), False, "Medium"),  # just under half
        (D("0.4557"), D("1.8227"), False, "Medium"),  # 0.4557 * 4 = 1.8228, a quarter
        (D("0.4556"), D("1.8227"), False, "Low"),
        (D("0.0848"), D("1.8227"), False, "Low"),
        (D("0.0848"), D("1.8227"), True, "High"),  # a blocker is High whatever its number
        (D("0.5000"), D("2.0000"), False, "Medium"),  # exactly a quarter
        (D("1.0000"), D("2.0000"), False, "High"),  # exactly half
    ],
)
def test_a_priority_is_high_medium_or_low_against_the_plans_highest(
    priority: Decimal, highest: Decimal, blocker: bool, expected: str
) -> None:
    assert priority_band(priority, highest=highest, blocker=blocker) == expected
