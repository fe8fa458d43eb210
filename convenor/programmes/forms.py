"""Forms for programme pages; they shape input, the action functions decide what is valid."""

from typing import TYPE_CHECKING

from django import forms

from convenor.programmes.models import Programme

# Django's ModelForm is generic only in the type stubs; subscripting it at runtime fails.
if TYPE_CHECKING:
    _ProgrammeModelForm = forms.ModelForm[Programme]
else:
    _ProgrammeModelForm = forms.ModelForm


class ProgrammeForm(_ProgrammeModelForm):
    class Meta:
        model = Programme
        fields = ["name", "description", "chatham_house", "retention_days", "ground_rules"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "ground_rules": forms.Textarea(attrs={"rows": 12}),
        }
        help_texts = {
            "ground_rules": "Shown to each participant once, with an 'I agree', before they "
            "first enter the programme.",
        }


class CofacilitatorForm(forms.Form):
    email = forms.EmailField(
        label="Email address of their facilitator account",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
