"""The query rows as pandas frames, and numbers back from them as exact decimals.

Scores travel through pandas as integer tenths in float columns (62.3 -> 623.0): integers
are exact in a float, so a median of two scores (a .5 of a tenth at worst) is exact too and is
rounded half up like every other score (PRODUCT.md, "Rounding").
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pandas as pd

from assessments.scoring import round_half_up
from reports.comparison.queries import (
    ASSESSMENT_COLUMNS,
    DOMAIN_COLUMNS,
    STANDING_COLUMNS,
    AssessmentRow,
    DomainRow,
    StandingRow,
)


def assessment_frame(rows: list[AssessmentRow]) -> pd.DataFrame:
    """One row per submitted assessment, and its change since the site's round before."""
    frame = pd.DataFrame.from_records(rows, columns=ASSESSMENT_COLUMNS)
    for column in ("score", "completeness", "previous_score", "level"):
        frame[column] = frame[column].astype("float64")
    frame["change"] = frame["score"] - frame["previous_score"]
    return frame


def domain_frame(rows: list[DomainRow]) -> pd.DataFrame:
    """Long format: one row per (assessment, domain)."""
    frame = pd.DataFrame.from_records(rows, columns=DOMAIN_COLUMNS)
    frame["score"] = frame["score"].astype("float64")
    frame["level"] = frame["level"].astype("float64")
    frame["blockers"] = frame["blockers"].fillna(0).astype("int64")
    return frame


def standing_frame(rows: list[StandingRow]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows, columns=STANDING_COLUMNS)
    frame["score"] = frame["score"].astype("float64")
    frame["overall"] = frame["overall"].astype("float64")
    return frame


def wide(frame: pd.DataFrame, *, index: str, columns: str, values: str) -> pd.DataFrame:
    """One column per value of `columns`. Each (index, column) pair occurs at most once in
    the rows given, so "first" takes the value itself; missing pairs and unscored values are
    NaN, and a column whose values are all missing is kept."""
    return frame.pivot_table(
        index=index, columns=columns, values=values, aggfunc="first", dropna=False
    )


def missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def from_tenths(value: Any) -> Decimal | None:
    """A score from integer tenths (or a median's half tenth), rounded half up to 0.1."""
    if missing(value):
        return None
    number = float(value)
    if number.is_integer():
        return Decimal(int(number)).scaleb(-1)
    return round_half_up(Fraction(number) / 10)


def to_int(value: Any) -> int | None:
    return None if missing(value) else int(value)
