"""Sign-in form with a per (email, address) failure throttle."""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from convenor.accounts.models import normalise_email
from convenor.accounts.throttle import Throttle, client_ip


def login_throttle() -> Throttle:
    return Throttle("login", settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_FAILURE_WINDOW_SECONDS)


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def clean(self) -> dict[str, Any]:
        email = normalise_email(str(self.data.get("username", "")))
        address = client_ip(self.request) if self.request is not None else "unknown"
        throttle = login_throttle()
        if throttle.is_blocked(email, address):
            minutes = max(1, settings.LOGIN_FAILURE_WINDOW_SECONDS // 60)
            raise ValidationError(
                "Too many failed sign-in attempts for this email address. "
                f"Wait {minutes} minutes and try again, or reset your password.",
                code="throttled",
            )
        if self.cleaned_data.get("username"):
            self.cleaned_data["username"] = email
        try:
            cleaned = super().clean()
        except ValidationError:
            throttle.hit(email, address)
            raise
        throttle.reset(email, address)
        return cleaned
