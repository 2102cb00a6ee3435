"""Reads of the AI app for pages: a material's extracted passages and the tutor's turns.

Callers have already checked that the asking person may see the course (courses.selectors);
every read here is scoped to that course or material, so an id from another course finds
nothing. The vector search itself lives in ai.retrieval."""

from typing import Any

from django.db.models import Count, Min, QuerySet

from accounts.models import User
from courses.models import Course, Material

from .models import Chunk, TutorTurn

OUTLINE_MAX_ENTRIES = 300


def material_chunks(material: Material) -> QuerySet[Chunk]:
    """The material's passages in reading order, without their vectors (pages never need them)."""
    return (
        Chunk.objects.filter(material=material)
        .defer("embedding", "search_vector")
        .order_by("ordinal")
    )


def material_chunk_position(material: Material, chunk_id: int) -> int | None:
    """The 0-based position of a chunk in its material's reading order (None if not in it), so
    a link to a passage can open the viewer's page that holds it."""
    ordinal = (
        Chunk.objects.filter(material=material, pk=chunk_id).values_list("ordinal", flat=True)
    ).first()
    if ordinal is None:
        return None
    return Chunk.objects.filter(material=material, ordinal__lt=ordinal).count()


def material_outline(
    material: Material, *, limit: int = OUTLINE_MAX_ENTRIES
) -> list[dict[str, Any]]:
    """Where the text came from: each (page, section) once, in reading order, with its first
    chunk and how many passages it gave. At most ``limit`` entries: ``{page, section,
    first_ordinal, chunks}`` each, plain dicts (the material page adds to them)."""
    rows = (
        Chunk.objects.filter(material=material)
        .values("page", "section")
        .annotate(first_ordinal=Min("ordinal"), chunks=Count("id"))
        .order_by("first_ordinal")[:limit]
    )
    return [dict(row) for row in rows]


def material_chunk_ids_at(material: Material, ordinals: list[int]) -> dict[int, int]:
    """{ordinal: chunk id} for the given ordinals of a material."""
    rows = Chunk.objects.filter(material=material, ordinal__in=ordinals).values_list(
        "ordinal", "id"
    )
    return dict(rows)


def tutor_turn_list(course: Course, *, asked_by: User | None = None) -> QuerySet[TutorTurn]:
    """The course's tutor turns, newest first; only ``asked_by``'s when given."""
    turns = TutorTurn.objects.filter(course=course).select_related("asked_by")
    if asked_by is not None:
        turns = turns.filter(asked_by=asked_by)
    return turns.order_by("-created_at", "-pk")


def tutor_turn_get(
    course: Course, turn_id: int, *, asked_by: User | None = None
) -> TutorTurn | None:
    """One turn of ``course`` (and of ``asked_by`` when given), or None."""
    return tutor_turn_list(course, asked_by=asked_by).filter(pk=turn_id).first()


def tutor_turn_get_for(user: User, turn_id: int) -> TutorTurn:
    """A turn of a course ``user`` may see; 404 otherwise (never reveal that it exists). Who may
    open a turn's trace is the caller's check (courses.selectors.can_manage_course)."""
    from django.http import Http404

    from courses.selectors import course_list_for

    turn = (
        TutorTurn.objects.select_related("course", "asked_by")
        .filter(pk=turn_id, course__in=course_list_for(user, include_archived=True))
        .first()
    )
    if turn is None:
        raise Http404("No such tutor turn.")
    return turn
