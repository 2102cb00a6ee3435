from django import forms

from .models import SchoolAPIKey


class APIKeyCreateForm(forms.Form):
    name = forms.CharField(
        max_length=50, help_text="Who or what uses it, e.g. 'Student information system'."
    )
    scope = forms.ChoiceField(choices=SchoolAPIKey.Scope.choices, initial=SchoolAPIKey.Scope.READ)
