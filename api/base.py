"""What every view of the API shares: who asks, the audit mark, the token's limits, caching.

`ApiView` runs each request inside `audit_via("api")`, so every audit row it writes says it
came through the API, and inside `access.organisation_limit_block()`, in which a token limited
to one organisation narrows every access decision of assessments/access.py to that one.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from api.models import ApiToken
from assessments import access
from assessments.audit_source import Via, audit_via
from assessments.http import private_no_store


# GenericAPIView for its paginator (and the schema's paged lists); objects never come from
# get_object(), always from assessments/access.py. (A comment, not a docstring: the schema
# would show a docstring as every operation's description.)
class ApiView(GenericAPIView):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        with audit_via(Via.API), access.organisation_limit_block():
            response = super().dispatch(request, *args, **kwargs)
        # Answers, scores and names: no cache may keep them, whoever asks.
        return private_no_store(response)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Signs in, checks permissions and throttles; the handler runs only after this.
        super().initial(request, *args, **kwargs)
        token = request.auth
        if isinstance(token, ApiToken) and token.organisation_id is not None:
            access.limit_to_organisation(token.organisation_id)

    @property
    def user_id(self) -> int:
        return int(self.request.user.pk)

    def page_of(self, items: Any, serializer: Any) -> Response:
        """One page of `items` (a queryset or a list) as {"count", "next", "previous",
        "results"}: a COUNT and the page's query, whatever the number of rows."""
        page = self.paginate_queryset(items)
        return self.get_paginated_response(serializer(page, many=True).data)
