"""Forms for the people and invite pages; they shape input, the action functions decide."""

from typing import TYPE_CHECKING

from django import forms

from convenor.programmes import actions
from convenor.programmes.models import Participant
from convenor.programmes.people import MAX_ROWS, MAX_UPLOAD_BYTES

# Django's ModelForm is generic only in the type stubs; subscripting it at runtime fails.
if TYPE_CHECKING:
    _ParticipantModelForm = forms.ModelForm[Participant]
else:
    _ParticipantModelForm = forms.ModelForm


class ParticipantForm(_ParticipantModelForm):
    class Meta:
        model = Participant
        fields = [
            "display_name",
            "email",
            "organisation",
            "sector",
            "role",
            "pronouns",
            "access_needs",
            "external_id",
        ]
        widgets = {"access_needs": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "display_name": "As they would like to be called; shown to the rest of the cohort.",
            "email": "Optional. Only facilitators see it.",
            "access_needs": "Optional. Only facilitators see it.",
        }


class RegistrationForm(_ParticipantModelForm):
    """What the open registration link asks: name, organisation and sector, the rest optional."""

    class Meta:
        model = Participant
        fields = [
            "display_name",
            "organisation",
            "sector",
            "role",
            "pronouns",
            "access_needs",
            "email",
        ]
        labels = {
            "display_name": "Your name",
            "organisation": "Your organisation",
            "sector": "Your sector",
            "role": "Your job role (optional)",
            "pronouns": "Your pronouns (optional)",
            "access_needs": "Anything that would make it easier for you to take part (optional)",
            "email": "Your email address (optional)",
        }
        help_texts = {
            "display_name": "As you would like to be called; the rest of the cohort sees it.",
            "sector": "For example health, local government, voluntary sector.",
            "access_needs": "Only the facilitators see this.",
            "email": "Only the facilitators see this.",
        }
        widgets = {
            "display_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "organisation": forms.TextInput(attrs={"autocomplete": "organization"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "access_needs": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for name in ("organisation", "sector"):
            self.fields[name].required = True


class ValidDaysForm(forms.Form):
    valid_days = forms.IntegerField(
        label="Link valid for (days)",
        min_value=1,
        max_value=actions.MAX_INVITE_DAYS,
        initial=actions.DEFAULT_INVITE_DAYS,
    )


class LinksExportForm(ValidDaysForm):
    everyone = forms.TypedChoiceField(
        label="Whose links",
        choices=[
            ("no", "People who have not joined yet"),
            ("yes", "Everyone (people who already joined can use it on another device)"),
        ],
        coerce=lambda value: value == "yes",
        initial="no",
        widget=forms.RadioSelect,
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=(
            "A header line, then one line per person. Columns: name (required), email, "
            "organisation, sector, role, pronouns, access_needs, id. Up to "
            f"{MAX_ROWS} people and {MAX_UPLOAD_BYTES // 1024} KiB; save from a spreadsheet "
            "as 'CSV UTF-8'."
        ),
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )
