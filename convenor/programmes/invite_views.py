"""The way in for participants (personal links, open registration) and facilitators' link pages.

A GET on a link only shows a confirmation: mail scanners and link previews fetch URLs, and must
not use up a single-use link. Only a POST redeems, and it redirects to a URL without the token.

Expired, revoked, tampered and unknown links all get the same "not valid" page with status 404,
so a visitor learns nothing about which it was; a used personal link says so (its owner most
likely clicked it before) and how to get a new one.

Failed POSTs (invalid or used links) count towards a per-address throttle; successful ones do
not, because a room of people on one venue network redeem their own links at the same time.
Registrations count towards a second, wider throttle, which bounds what a leaked open link can
create.
"""

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from convenor.accounts.models import User
from convenor.accounts.throttle import Throttle, client_ip
from convenor.programmes import actions
from convenor.programmes.access import (
    get_invite_for_facilitator,
    get_programme_for_facilitator,
    participant_login,
    session_participant,
)
from convenor.programmes.invites import find_invite
from convenor.programmes.models import Invite
from convenor.programmes.people_forms import RegistrationForm, ValidDaysForm

THROTTLE_WINDOW_SECONDS = 10 * 60
FAILURE_THROTTLE = Throttle("invite-failures", 20, THROTTLE_WINDOW_SECONDS)
REGISTRATION_THROTTLE = Throttle("registrations", 100, THROTTLE_WINDOW_SECONDS)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def invite_url(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("programmes:invite_redeem", args=[token]))


def register_url(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("programmes:register", args=[token]))


def _too_many(request: HttpRequest) -> HttpResponse:
    minutes = THROTTLE_WINDOW_SECONDS // 60
    message = (
        f"Too many attempts to use links from your network. Wait {minutes} minutes and try "
        "again; if it keeps happening, ask your facilitator."
    )
    return render(request, "429.html", {"message": message}, status=429)


def _invalid(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        FAILURE_THROTTLE.hit(client_ip(request))
    return render(request, "programmes/invites/invalid.html", status=404)


def _used(request: HttpRequest, invite: Invite) -> HttpResponse:
    if request.method == "POST":
        FAILURE_THROTTLE.hit(client_ip(request))
    context = {"programme": invite.programme}
    # 410 Gone: the link existed and is finished with.
    return render(request, "programmes/invites/used.html", context, status=410)


def _usable(invite: Invite | None, *, personal: bool) -> bool:
    """The link exists, is of the expected kind and its programme is open."""
    if invite is None or invite.programme.is_archived:
        return False
    return invite.is_open != personal


@never_cache
def invite_redeem(request: HttpRequest, token: str) -> HttpResponse:
    """A personal link: GET asks "join as <name>?", POST signs this browser in as them."""
    if request.method == "POST" and FAILURE_THROTTLE.is_blocked(client_ip(request)):
        return _too_many(request)
    invite = find_invite(token)
    if invite is None or not _usable(invite, personal=True) or invite.participant is None:
        return _invalid(request)
    programme = invite.programme
    current = session_participant(request, programme.pk)
    if current is not None and current.pk == invite.participant.pk:
        # Already in as this person (a second click, a back button): nothing to do.
        return redirect("programmes:participant_home", programme.pk)
    status = invite.status()
    if status == "used":
        return _used(request, invite)
    if status != "active":
        return _invalid(request)
    if request.method != "POST":
        context = {"programme": programme, "person": invite.participant}
        return render(request, "programmes/invites/confirm.html", context)
    try:
        person = actions.redeem_personal_invite(invite)
    except actions.InviteNotUsable as refused:
        return _used(request, invite) if refused.status == "used" else _invalid(request)
    except ValidationError:
        return _invalid(request)
    participant_login(request, person)
    return redirect("programmes:participant_home", programme.pk)


@never_cache
def register(request: HttpRequest, token: str) -> HttpResponse:
    """A programme's open registration link: a short form, then this browser is the new person."""
    if request.method == "POST" and (
        FAILURE_THROTTLE.is_blocked(client_ip(request))
        or REGISTRATION_THROTTLE.is_blocked(client_ip(request))
    ):
        return _too_many(request)
    invite = find_invite(token)
    if invite is None or not _usable(invite, personal=False) or invite.status() != "active":
        return _invalid(request)
    programme = invite.programme
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = actions.register_with_open_invite(invite, **form.cleaned_data)
        except actions.InviteNotUsable:
            return _invalid(request)
        except ValidationError as error:
            # E.g. an email someone in the programme has: counted as a failure, so the link
            # cannot be used to try address after address.
            FAILURE_THROTTLE.hit(client_ip(request))
            form.add_error(None, error)
        else:
            REGISTRATION_THROTTLE.hit(client_ip(request))
            participant_login(request, person)
            return redirect("programmes:participant_home", programme.pk)
    context = {
        "programme": programme,
        "form": form,
        "current": session_participant(request, programme.pk),
    }
    return render(
        request, "programmes/invites/register.html", context, status=400 if form.errors else 200
    )


@never_cache
def registration(request: HttpRequest, programme_id: UUID) -> HttpResponse:
    """The open registration link: its state, and a new one (shown once; it replaces the old)."""
    membership = get_programme_for_facilitator(
        request, programme_id, for_write=request.method == "POST"
    )
    programme = membership.programme
    form = ValidDaysForm(request.POST or None)
    context = {"membership": membership, "programme": programme, "nav_active": "registration"}
    if request.method == "POST" and form.is_valid():
        try:
            issued = actions.create_open_invite(
                programme, _user(request), valid_days=form.cleaned_data["valid_days"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            context |= {"invite": issued.invite, "url": register_url(request, issued.token)}
            return render(request, "programmes/invites/link_created.html", context)
    current = programme.invites.filter(participant__isnull=True).first()
    context |= {"form": form, "current": current, "state": current.status() if current else ""}
    return render(
        request,
        "programmes/invites/registration.html",
        context,
        status=400 if form.errors else 200,
    )


def invite_revoke(request: HttpRequest, programme_id: UUID, invite_id: UUID) -> HttpResponse:
    """Withdraw a personal or open registration link (after a confirmation)."""
    membership, invite = get_invite_for_facilitator(
        request, programme_id, invite_id, for_write=True
    )
    programme = membership.programme
    back = (
        redirect("programmes:registration", programme.pk)
        if invite.is_open
        else redirect("programmes:person_link", programme.pk, invite.participant_id)
    )
    if request.method == "POST":
        actions.revoke_invite(invite, _user(request))
        messages.success(request, "The link was withdrawn; it no longer works.")
        return back
    context = {
        "membership": membership,
        "programme": programme,
        "invite": invite,
        "back_url": back.url,
        "nav_active": "registration" if invite.is_open else "people",
    }
    return render(request, "programmes/invites/revoke_confirm.html", context)
