"""URLs of the bare domain (public schema): the platform operators' admin and a landing page."""

from django.contrib import admin
from django.urls import path
from django.views.generic import TemplateView

admin.site.site_header = "SmartEdu platform"
admin.site.site_title = "SmartEdu platform"

urlpatterns = [
    path("", TemplateView.as_view(template_name="public/landing.html"), name="landing"),
    path("admin/", admin.site.urls),
]
