from django.db import connection


def school(request):
    tenant = getattr(request, "tenant", None)
    is_school = tenant is not None and connection.schema_name != "public"
    return {"school": tenant if is_school else None}
