"""What a generation request may ask for: kinds, objectives and materials, each refused with a
ValidationError (keyed by the request's field) a teacher or an API client can act on."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError

from courses.models import Course, Material

KINDS = ("single", "multiple", "true_false", "short_answer", "numeric", "fill_blank")
DEFAULT_KINDS = ("single",)
OBJECTIVES_MAX = 20
OBJECTIVE_MAX_CHARS = 300


def clean_kinds(kinds: str | Iterable[str] | None) -> list[str]:
    """The kinds asked for, once each, in order (none: DEFAULT_KINDS)."""
    if kinds is None or kinds == "" or kinds == [] or kinds == ():
        return list(DEFAULT_KINDS)
    if isinstance(kinds, str):
        kinds = [kinds]
    cleaned: list[str] = []
    for kind in kinds:
        if kind not in KINDS:
            raise ValidationError(
                {"kinds": f"Unknown question type {kind!r}; use one of {', '.join(KINDS)}."}
            )
        if kind not in cleaned:
            cleaned.append(kind)
    return cleaned


def clean_objectives(objectives: str | Iterable[object] | None) -> list[str]:
    """The learning objectives, whitespace folded and empty ones dropped."""
    if isinstance(objectives, str):
        objectives = [objectives]
    cleaned: list[str] = []
    for objective in objectives or ():
        text = " ".join(str(objective or "").split())
        if not text:
            continue
        if len(text) > OBJECTIVE_MAX_CHARS:
            raise ValidationError(
                {"objectives": f"Each objective can be at most {OBJECTIVE_MAX_CHARS} characters."}
            )
        cleaned.append(text)
    if len(cleaned) > OBJECTIVES_MAX:
        raise ValidationError({"objectives": f"Give at most {OBJECTIVES_MAX} objectives."})
    return cleaned


def clean_materials(course: Course, material_ids: Iterable[object] | None) -> list[Material]:
    """The course's materials of ``material_ids``, each ready, in the order given."""
    ids: list[int] = []
    for value in material_ids or ():
        try:
            ids.append(int(value))  # type: ignore[call-overload]
        except (TypeError, ValueError):
            raise ValidationError({"material_ids": f"{value!r} is not a material id."}) from None
    ids = list(dict.fromkeys(ids))
    materials = {m.pk: m for m in Material.objects.filter(course=course, pk__in=ids)}
    for material_id in ids:
        material = materials.get(material_id)
        if material is None:
            raise ValidationError(
                {"material_ids": f"Material {material_id} is not part of this course."}
            )
        if material.state != Material.State.READY:
            raise ValidationError(
                {
                    "material_ids": f"“{material.title}” is not ready yet (it is "
                    f"{material.state}); generate from it once it is ready."
                }
            )
    return [materials[i] for i in ids]
