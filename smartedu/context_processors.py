from .db import current_schema


def school(request):
    tenant = getattr(request, "tenant", None)
    is_school = tenant is not None and current_schema() != "public"
    return {"school": tenant if is_school else None}
