"""API list pagination: limit/offset with a ceiling, so no query string reaches the SQL as an
absurd LIMIT or OFFSET."""

from __future__ import annotations

from django.conf import settings
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

# Beyond any count a table here could hold; the page is empty anyway (DRF answers an offset
# past the count without a query), and next/previous links stay computable.
MAX_OFFSET = 2**53


class Pagination(LimitOffsetPagination):
    """`limit` capped at settings.DINGDIAN_API_MAX_LIMIT (one beyond PostgreSQL's bigint
    would otherwise end in a 500); `offset` clamped."""

    max_limit = settings.DINGDIAN_API_MAX_LIMIT

    def get_offset(self, request: Request) -> int:
        return min(super().get_offset(request), MAX_OFFSET)
