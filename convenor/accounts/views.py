"""Sign in, sign out and password reset, on Django's auth views with our forms and templates."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse_lazy

from convenor.accounts.forms import LoginForm
from convenor.accounts.models import normalise_email
from convenor.accounts.throttle import Throttle, client_ip

# Reset emails are a way to make us send mail to anyone: bound them per sender and recipient.
RESET_PER_ADDRESS = Throttle("password-reset-address", 10, 60 * 60)
RESET_PER_EMAIL = Throttle("password-reset-email", 3, 60 * 60)


class ThrottledPasswordResetView(auth_views.PasswordResetView):
    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        if RESET_PER_ADDRESS.hit(client_ip(self.request)) > RESET_PER_ADDRESS.limit:
            form.add_error(None, "Too many reset requests from here. Try again in an hour.")
            return self.form_invalid(form)
        if RESET_PER_EMAIL.hit(normalise_email(form.cleaned_data["email"])) > (
            RESET_PER_EMAIL.limit
        ):
            # Same page as a sent email, so the limit reveals nothing about the account.
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


login = auth_views.LoginView.as_view(
    form_class=LoginForm,
    template_name="accounts/login.html",
    redirect_authenticated_user=True,
)
logout = auth_views.LogoutView.as_view()
password_reset = ThrottledPasswordResetView.as_view(
    template_name="accounts/password_reset_form.html",
    email_template_name="accounts/password_reset_email.txt",
    subject_template_name="accounts/password_reset_subject.txt",
    success_url=reverse_lazy("accounts:password_reset_done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="accounts/password_reset_done.html"
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="accounts/password_reset_confirm.html",
    success_url=reverse_lazy("accounts:password_reset_complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/password_reset_complete.html"
)
password_change = auth_views.PasswordChangeView.as_view(
    template_name="accounts/password_change_form.html",
    success_url=reverse_lazy("accounts:password_change_done"),
)
password_change_done = auth_views.PasswordChangeDoneView.as_view(
    template_name="accounts/password_change_done.html"
)
