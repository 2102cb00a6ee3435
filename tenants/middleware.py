from django.http import JsonResponse
from django.shortcuts import render


class SuspendedSchoolMiddleware:
    """A suspended school answers 403 to everyone (web and API), its data untouched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        school = getattr(request, "tenant", None)
        if school is not None and getattr(school, "is_suspended", False):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "error": {
                            "code": "school_suspended",
                            "message": (
                                "This school's account is suspended. Contact SmartEdu support."
                            ),
                        }
                    },
                    status=403,
                )
            if request.path in ("/health", "/ready"):
                return self.get_response(request)
            return render(request, "tenants/suspended.html", {"school": school}, status=403)
        return self.get_response(request)
