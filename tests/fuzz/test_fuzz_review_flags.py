"""Fuzzing the "mark for review" button: any body, any key, any person; never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from assessments.models import Assessment
from tests.fuzz.common import (
    ENCODING,
    FUZZ,
    assessment_with_work,
    form_data,
    post_form,
    rolled_back,
    saved_state,
    signed_in,
)

pytestmark = pytest.mark.django_db


@FUZZ
@given(
    data=st.data(),
    urlencoded=ENCODING,
    key=st.one_of(st.sampled_from(["gov.q01", "ops.q02"]), st.text(min_size=1, max_size=20)),
    user=st.sampled_from(["victor", "sam", "carla", "oscar"]),
    as_json=st.booleans(),
)
def test_fuzz_the_review_flag(world, data, urlencoded, key, user, as_json):
    posted = data.draw(form_data(["flagged"]))
    with rolled_back():
        assessment = assessment_with_work(world)
        before = saved_state()
        try:
            url = reverse("assessments:review-flag", args=[assessment.pk, key])
        except Exception:  # a key the URL cannot hold (a slash): nothing to post
            return
        headers = {"Accept": "application/json"} if as_json else {}
        response = post_form(
            signed_in(getattr(world, user)), url, posted, urlencoded, headers=headers
        )
        assert response.status_code < 500
        # Answers, status and results never change with a flag.
        assert saved_state() == before
        flags = Assessment.objects.get(pk=assessment.pk).review_flags
        if user in {"victor", "oscar"} or posted.get("flagged") != "1":
            assert flags == []
        else:
            assert flags == [key]
