"""Forms of the people and API-key pages. They only shape input: rules live in the services,
whose ValidationErrors are put back onto the form's fields by ``add_service_errors``."""

from django import forms
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import ValidationError

from tenants.models import SchoolAPIKey

from .models import User

PASSWORD_ERROR_CODES = {
    "password_too_short",
    "password_too_common",
    "password_entirely_numeric",
    "password_too_similar",
}


def add_service_errors(form: forms.Form, exc: ValidationError, *, password_field: str = "") -> None:
    """Attach a service's ValidationError to the form: field errors to their field when the
    form has it, the rest (and password-rule errors, to ``password_field``) where they fit."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
        return
    for error in exc.error_list:
        target = password_field if password_field and error.code in PASSWORD_ERROR_CODES else None
        form.add_error(target, error)


class PersonForm(forms.Form):
    username = forms.CharField(max_length=150)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False, label="E-mail")
    role = forms.ChoiceField(choices=User.Role.choices)
    external_id = forms.CharField(
        max_length=100,
        required=False,
        label="External id",
        help_text="The id your school information system uses for this person, if any.",
    )


class PersonCreateForm(PersonForm):
    password = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        label="Initial password",
        help_text="Optional. Leave empty and the person sets one through 'Forgot your password?'.",
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(label="E-mail")
    role = forms.ChoiceField(choices=User.Role.choices, initial=User.Role.STUDENT)


class InvitationAcceptForm(forms.Form):
    username = forms.CharField(
        max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username"})
    )
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password_again = forms.CharField(
        strip=False,
        label="Password (again)",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean() or {}
        if cleaned.get("password") and cleaned.get("password") != cleaned.get("password_again"):
            self.add_error("password_again", "The two passwords differ.")
        return cleaned


class PeopleFilterForm(forms.Form):
    STATUS_CHOICES = [("active", "Active"), ("inactive", "Deactivated"), ("all", "All")]

    q = forms.CharField(required=False, label="Search")
    role = forms.ChoiceField(choices=[("", "All roles"), *User.Role.choices], required=False)
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False, initial="active")


class SchoolPasswordResetForm(PasswordResetForm):
    """People an admin created without a password set their first one through this form, so
    (unlike Django's) it also mails active people whose password is unusable."""

    def get_users(self, email):
        active_users = User._default_manager.filter(email__iexact=email, is_active=True)
        return (user for user in active_users if user.email.lower() == email.lower())


class APIKeyCreateForm(forms.Form):
    name = forms.CharField(
        max_length=50, help_text="Who or what uses it, e.g. 'Student information system'."
    )
    scope = forms.ChoiceField(choices=SchoolAPIKey.Scope.choices, initial=SchoolAPIKey.Scope.READ)


class OwnEndpointForm(forms.Form):
    """The school's own OpenAI-compatible endpoint. The key field is never filled in: a stored
    key is shown as "set on <date>" by the page, and an empty field keeps it."""

    name = forms.CharField(
        max_length=100, required=False, help_text="How it is listed, e.g. 'Our Azure account'."
    )
    base_url = forms.CharField(
        label="Base URL",
        max_length=300,
        help_text="The endpoint's /v1 address, e.g. https://api.openai.com/v1.",
        error_messages={
            "required": "Enter the endpoint's address, e.g. https://api.openai.com/v1."
        },
    )
    model = forms.CharField(
        max_length=200,
        help_text="e.g. gpt-4o-mini",
        error_messages={"required": "Name the model to use, e.g. gpt-4o-mini."},
    )
    api_key = forms.CharField(
        label="API key",
        max_length=500,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Stored encrypted and never shown again. Leave empty to keep the current key.",
    )


class ProviderOrderForm(forms.Form):
    """Each task's fallback order: up to three steps, each a provider the school may use for it
    (value: its id, or "default" for the platform's), or nothing. ``tasks``: (task, label,
    options, the saved order as values)."""

    STEPS = ("First", "then", "then")

    def __init__(self, *args, tasks: list[tuple[str, str, list[tuple[str, str]], list[str]]], **kw):
        super().__init__(*args, **kw)
        self.tasks = []
        for task, label, options, saved in tasks:
            names = []
            for step, word in enumerate(self.STEPS):
                name = f"{task}_{step}"
                self.fields[name] = forms.ChoiceField(
                    label=f"{label}: {word}",
                    choices=[("", "—")] + options,
                    required=False,
                    initial=saved[step] if step < len(saved) else "",
                )
                names.append(name)
            self.tasks.append((task, label, [self[name] for name in names]))

    def order(self, task: str) -> list[int | None]:
        """The chosen steps of ``task`` in order, blanks dropped (None: the platform default)."""
        values = [self.cleaned_data[f"{task}_{step}"] for step in range(len(self.STEPS))]
        return [None if v == "default" else int(v) for v in values if v]
