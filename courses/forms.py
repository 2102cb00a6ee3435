"""Forms of the course pages; rules live in ``courses.services``."""

from django import forms

from .models import Enrollment


class CourseCreateForm(forms.Form):
    code = forms.CharField(
        max_length=40, help_text="A short code, e.g. BIO-101. It cannot change later."
    )
    name = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))


class CourseEditForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))


class MemberAddForm(forms.Form):
    username = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=Enrollment.Role.choices, label="Course role")


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Enrollment.Role.choices, label="Course role")


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label="Roster CSV",
        help_text="UTF-8 CSV with a header row; columns: external_id, username, email, first_name, "
        "last_name, role, course_code, course_role.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
