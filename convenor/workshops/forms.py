"""Forms for session and run-sheet pages; they shape input, the action functions decide validity."""

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django import forms

from convenor.workshops.models import Segment, Session, time_zone_names
from convenor.workshops.templates_builtin import TEMPLATES

if TYPE_CHECKING:
    _SegmentModelForm = forms.ModelForm[Segment]
else:
    _SegmentModelForm = forms.ModelForm


def _zone_choices() -> list[tuple[str, str]]:
    # Region/City names only: the bare abbreviations and legacy aliases confuse more than help.
    names = sorted(
        name for name in time_zone_names() if "/" in name and not name.startswith("Etc/")
    )
    return [(name, name.replace("_", " ")) for name in [*names, "UTC"]]


class SessionForm(forms.Form):
    title = forms.CharField(label="Title or topic", max_length=200)
    description = forms.CharField(
        label="What the session is about",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Participants see this, and it goes into the calendar invitation.",
    )
    starts_on = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(
        label="Start time", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)",
        min_value=5,
        max_value=24 * 60,
        help_text="Between 5 minutes and 24 hours.",
    )
    time_zone = forms.ChoiceField(
        label="Time zone",
        initial="Europe/London",
        help_text="The date and start time are on this zone's clock.",
    )
    format = forms.ChoiceField(
        choices=Session.Format.choices, initial=Session.Format.ONLINE, widget=forms.RadioSelect
    )
    video_url_template = forms.CharField(
        label="Video-room address",
        required=False,
        max_length=500,
        help_text="For online and hybrid sessions, e.g. https://meet.example.org/cohort-{room}; "
        "{room} becomes each group's room name.",
    )
    venue = forms.CharField(
        required=False,
        max_length=300,
        help_text="For in-person and hybrid sessions.",
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["time_zone"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _zone_choices()

    @staticmethod
    def initial_for(session: Session) -> dict[str, object]:
        local = session.local_start()
        return {
            "title": session.title,
            "description": session.description,
            "starts_on": local.date(),
            "start_time": local.time(),
            "duration_minutes": session.duration_minutes,
            "time_zone": session.time_zone,
            "format": session.format,
            "video_url_template": session.video_url_template,
            "venue": session.venue,
        }


class SegmentForm(_SegmentModelForm):
    class Meta:
        model = Segment
        fields = ["title", "kind", "duration_minutes", "facilitator_notes", "prompts"]
        widgets = {
            "facilitator_notes": forms.Textarea(attrs={"rows": 4}),
            "prompts": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "duration_minutes": "Between 1 and 480 minutes.",
            "facilitator_notes": "Only facilitators see these.",
            "prompts": "Shown to participants during the segment; one question per line.",
        }


class ApplyTemplateForm(forms.Form):
    template = forms.ChoiceField(
        choices=[(t.key, t.name) for t in TEMPLATES.values()], widget=forms.RadioSelect
    )
    replace = forms.BooleanField(
        label="Replace the segments this session already has", required=False
    )


class DuplicateForm(forms.Form):
    source = forms.ChoiceField(label="Copy the run-sheet of")
    replace = forms.BooleanField(
        label="Replace the segments this session already has", required=False
    )

    def __init__(
        self, *args: object, sources: Sequence[tuple[Session, int]], **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["source"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (str(s.pk), f"{s.title} ({s.local_start():%-d %b %Y}, {count} segments)")
            for s, count in sources
        ]


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "Up"), ("down", "Down")])
