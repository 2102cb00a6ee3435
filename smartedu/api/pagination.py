from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response


class StandardPagination(PageNumberPagination):
    """``?page=N&page_size=M`` (default 50, at most 500); a page past the end is a 404."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def paginated_response(*, view, request, queryset, serializer_class) -> Response:
    """One page of ``queryset`` in the standard envelope (count, next, previous, results)."""
    paginator = view.pagination_class()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)
