"""Forms of the material and tutor pages; what a file may be is decided by
courses.sniffing."""

from django import forms
from django.conf import settings

ACCEPTED_TYPES = ".pdf,.docx,.pptx,.html,.htm,.md,.markdown,.txt"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that takes several files at once and cleans to a list of them."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            files = [file for file in data if file]
        else:
            files = [data] if data else []
        if not files and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        # Each file is judged on its own by the upload service, which explains every refusal;
        # the form only makes sure something was sent.
        return files


class MaterialUploadForm(forms.Form):
    # The metaclass takes declared fields off the class, so this never hides BaseForm.files (the
    # uploaded files); the stubs cannot know that.
    files = MultipleFileField(  # type: ignore[assignment]
        label="Files",
        help_text=(
            "PDF, Word (.docx), PowerPoint (.pptx), web pages, Markdown or plain text; up to "
            f"{settings.MATERIAL_MAX_FILES_PER_UPLOAD} files at once, "
            f"{settings.MATERIAL_MAX_BYTES // (1024 * 1024)} MB each."
        ),
        error_messages={"required": "Choose at least one file to upload."},
        widget=MultipleFileInput(attrs={"accept": ACCEPTED_TYPES}),
    )
