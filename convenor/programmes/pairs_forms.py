"""Forms for the pairing-preferences page; they shape input, convenor.programmes.pairs decides."""

from django import forms

from convenor.programmes.models import PairPreference, Participant, Programme
from convenor.programmes.pairs import MAX_ROWS, MAX_UPLOAD_BYTES

NOT_HERE = "Choose someone in this programme."
KIND_MISSING = "Choose whether to keep them apart or put them together."

KIND_CHOICES = [
    (PairPreference.Kind.AVOID.value, "Keep them apart (please don't pair us)"),
    (PairPreference.Kind.WANT.value, "Put them together (we'd like to meet)"),
]


class _PersonField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Participant) -> str:
        # Organisation tells apart two people of the same name.
        return f"{obj.display_name} ({obj.organisation})" if obj.organisation else obj.display_name


class PairForm(forms.Form):
    first = _PersonField(
        label="First person",
        queryset=Participant.objects.none(),
        empty_label="Choose a person",
        error_messages={"invalid_choice": NOT_HERE, "required": "Choose the first person."},
    )
    second = _PersonField(
        label="Second person",
        queryset=Participant.objects.none(),
        empty_label="Choose a person",
        error_messages={"invalid_choice": NOT_HERE, "required": "Choose the second person."},
    )
    kind = forms.ChoiceField(
        label="What to do with them",
        choices=KIND_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": KIND_MISSING, "invalid_choice": KIND_MISSING},
    )

    def __init__(self, programme: Programme, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        people = Participant.objects.filter(programme=programme).order_by("display_name", "pk")
        for name in ("first", "second"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = people


class PairsImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=(
            "One pair per line: person_a,person_b, each given by their id (the CSV id column) "
            f"or email address. An optional header line names those columns. Up to {MAX_ROWS} "
            f"pairs and {MAX_UPLOAD_BYTES // 1024} KiB."
        ),
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )
    kind = forms.ChoiceField(
        label="What to do with every pair in the file",
        choices=KIND_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": KIND_MISSING, "invalid_choice": KIND_MISSING},
    )
