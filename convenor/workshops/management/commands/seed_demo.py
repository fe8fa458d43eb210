"""`manage.py seed_demo`: a demo programme with a facilitator, 24 people and six sessions.

Running it again resets the demo (the programme is deleted and made afresh, the facilitator's
password set again), because invite links exist in clear only when they are issued: a rerun
has to issue new ones to be able to print them. Everything is invented; so are the names.
"""

import calendar
import os
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from convenor.accounts.models import User
from convenor.programmes import actions as programme_actions
from convenor.programmes.models import Participant, Programme
from convenor.purpose import actions as purpose_actions
from convenor.purpose.models import CohortPurpose
from convenor.reflections import actions as reflection_actions
from convenor.workshops import actions
from convenor.workshops.models import Segment, Session
from convenor.workshops.templates_builtin import TEMPLATES

DEMO_EMAIL = "facilitator@demo.example.org"
DEMO_NAME = "Demo Facilitator"
DEMO_PASSWORD = "demo-convenor-password"  # noqa: S105 (printed on purpose; local demo only)
PASSWORD_ENV = "CONVENOR_DEMO_PASSWORD"  # noqa: S105 (a variable name)
PROGRAMME_NAME = "Moving More Together: partners' leadership series"
# Whose invite links are printed: one each from the NHS, a council and a sport partnership.
PRINTED_INVITES = (0, 9, 19)
VIDEO_ROOMS = "https://meet.example.org/moving-together-{room}"

# Eight invented organisations, two in each of four sectors.
ORGANISATIONS = [
    ("Northvale NHS Foundation Trust", "NHS"),
    ("Riverside Community Health NHS Trust", "NHS"),
    ("Eastmoor County Council", "Local authority"),
    ("Kingsbridge Borough Council", "Local authority"),
    ("Harbour Lane Community Trust", "Voluntary sector"),
    ("Open Doors Volunteer Network", "Voluntary sector"),
    ("Active Eastmoor Partnership", "Active partnership / sport"),
    ("Westfield Sports Foundation", "Active partnership / sport"),
]
# Three invented people per organisation, in the order of ORGANISATIONS.
PEOPLE = [
    ("Amira Haddad", "Consultant physiotherapist", "she/her"),
    ("Tom Okafor", "Public health registrar", "he/him"),
    ("Wen Li", "Service improvement lead", ""),
    ("Grace Mensah", "Community nursing manager", "she/her"),
    ("Rhys Pritchard", "Social prescribing link worker", "he/him"),
    ("Sunita Rao", "Head of partnerships", ""),
    ("Daniel Kowalski", "Leisure services officer", "he/him"),
    ("Hannah Byrne", "Public health commissioner", "she/her"),
    ("Yusuf Ali", "Planning officer", ""),
    ("Chloe Fraser", "Parks and open spaces manager", "she/her"),
    ("Marcus Bell", "Children's services lead", "he/him"),
    ("Priya Natarajan", "Housing strategy officer", "she/her"),
    ("Ellie Turner", "Chief executive", "she/her"),
    ("Kwame Asante", "Youth work coordinator", "he/him"),
    ("Isla Campbell", "Volunteer manager", ""),
    ("Joe Whitaker", "Community organiser", "he/they"),
    ("Fatima Noor", "Befriending project lead", "she/her"),
    ("Owen Hughes", "Trustee", "he/him"),
    ("Leah Goldberg", "Director", "she/her"),
    ("Sam Adeyemi", "Physical activity officer", "they/them"),
    ("Niamh Kelly", "Insight and evaluation manager", "she/her"),
    ("Ben Carter", "Club development officer", "he/him"),
    ("Zara Hussain", "Schools programme coordinator", "she/her"),
    ("Luca Romano", "Head of community sport", "he/him"),
]


@dataclass(frozen=True)
class PlannedSession:
    title: str
    description: str
    minutes: int
    format: str
    template: str | None = None
    copy_from: int | None = None  # index of an earlier session whose run-sheet to copy
    venue: str = ""


SESSIONS = [
    PlannedSession(
        "Getting to know each other",
        "Two coffee-trial rounds and a first look at the challenges we share.",
        90,
        Session.Format.ONLINE,
        template="coffee-and-sense-making",
    ),
    PlannedSession(
        "Building common understanding and common purpose",
        "Working in complexity, then a common purpose that is good enough for now.",
        180,
        Session.Format.ONLINE,
        template="common-purpose",
    ),
    PlannedSession(
        "Who else is in the system?",
        "Mapping the people and organisations around our common purpose.",
        60,
        Session.Format.HYBRID,
        template="stakeholder-mapping",
        venue="Eastmoor Civic Centre, Room 2",
    ),
    PlannedSession(
        "Seeing it from residents' side",
        "An empathy map for the people our work is meant to reach.",
        75,
        Session.Format.ONLINE,
        template="empathy-map",
    ),
    PlannedSession(
        "Rich pictures",
        "Drawing the system together; run-sheet to be planned.",
        120,
        Session.Format.IN_PERSON,
        venue="Westfield Sports Foundation clubhouse",
    ),
    PlannedSession(
        "Telling the story of our work",
        "Framing and storytelling, and a look back over the series.",
        180,
        Session.Format.ONLINE,
        copy_from=1,
    ),
]


# What some people wrote at the end of the first session (index into PEOPLE, text, shared):
# their commitments come back to them at the start of the second, to say how they went.
FIRST_SESSION_COMMITMENTS = [
    (0, "Ask two of the patients I see what stops them being active, and just listen.", True),
    (4, "Introduce one person I support to the new walking group, and go along once.", True),
    (9, "Walk the riverside park with a residents' group and note what puts people off.", True),
    (13, "Put the youth club and the leisure centre in touch before half term.", False),
    (19, "Have a coffee with the council's housing team about our walking programme.", False),
    (22, "Ask three schools what would make an active school day easier for them.", True),
]
FIRST_SESSION_TRY = [
    (0, "Our falls-prevention service, where several teams each hold part of the picture.", True),
    (9, "The park improvement plan, which needs the health partners in it from the start.", False),
]


# A first common purpose the cohort agreed at the first session (36 words of the 40 allowed),
# with how they said they would measure progress; it is shown at the second session's welcome.
FIRST_PURPOSE = (
    "Help more people in our priority neighbourhoods to be active in ways that suit them.",
    "Inactivity follows inequality, and none of us can change that on our own.",
    "Better health, and fewer people falling through the gaps between our services.",
)
FIRST_PURPOSE_ANSWERS = [(0, "agree"), (4, "agree"), (9, "live_with"), (13, "agree"), (19, "agree")]
FIRST_PURPOSE_MEASURES = [
    (9, "How many people from the priority neighbourhoods join a regular activity each quarter."),
    (22, "What residents tell us about what got in their way, asked the same way each year."),
]


def _second(weekday: int, year: int, month: int) -> date:
    first = date(year, month, 1)
    return first.replace(day=1 + (weekday - first.weekday()) % 7 + 7)


def monthly_dates(today: date, count: int, weekday: int = calendar.THURSDAY) -> list[date]:
    """Second `weekday`s of the month: last month's (the first session has run: its purpose and
    commitments come back at the second), then the next `count - 1` from today on."""
    year, month = (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
    days = [_second(weekday, year, month)]
    year, month = today.year, today.month
    while len(days) < count:
        day = _second(weekday, year, month)
        if day >= today:
            days.append(day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return days


class Command(BaseCommand):
    help = "Create (or reset) the demo programme and print how to sign in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Where the server will be reached, for the printed links.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        base = options["base_url"].rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise CommandError("--base-url must start with http:// or https://")
        password = os.environ.get(PASSWORD_ENV) or DEMO_PASSWORD
        with transaction.atomic():
            user = self._facilitator(password)
            programme, people = self._programme(user)
            sessions = self._sessions(programme, user)
            self._reflections(sessions[0], people)
            self._purpose(sessions[0], people)
            invites = [
                (person, programme_actions.issue_personal_invite(person, user).token)
                for person in (people[i] for i in PRINTED_INVITES)
            ]
        organisations = len({p.organisation for p in people})
        self.stdout.write(
            f'Demo programme "{programme.name}": {len(people)} people in {organisations} '
            f"organisations, {len(sessions)} monthly sessions "
            f"(the second built from the reference workshop template; "
            f"the common purpose agreed at the first and {len(FIRST_SESSION_COMMITMENTS)} "
            f"people's commitments from it come back at its welcome).\n"
        )
        self.stdout.write("Facilitator sign-in:")
        self.stdout.write(f"  {base}{reverse('accounts:login')}")
        self.stdout.write(f"  email:    {user.email}")
        self.stdout.write(f"  password: {password}\n")
        self.stdout.write("Participant invite links (each works once; reissue from People):")
        for person, token in invites:
            self.stdout.write(f"  {person.display_name} ({person.organisation}):")
            self.stdout.write(f"    {base}{self._invite_path(token)}")

    def _facilitator(self, password: str) -> User:
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            return User.objects.create_user(email=DEMO_EMAIL, name=DEMO_NAME, password=password)
        user.set_password(password)
        user.is_active = True
        user.save()
        return user

    def _programme(self, user: User) -> tuple[Programme, list[Participant]]:
        # Reset: the previous demo programme goes, with everything in it.
        Programme.objects.filter(name=PROGRAMME_NAME, facilitations__user=user).delete()
        programme = programme_actions.create_programme(
            user,
            name=PROGRAMME_NAME,
            description=(
                "A monthly series for partners from the NHS, local government, the voluntary "
                "sector and sport, working out together how to help more people be active. "
                "All people and organisations in this demo are invented."
            ),
        )
        people = []
        for index, (name, role, pronouns) in enumerate(PEOPLE):
            organisation, sector = ORGANISATIONS[index // 3]
            people.append(
                programme_actions.add_participant(
                    programme,
                    user,
                    display_name=name,
                    email=f"{name.split()[0].lower()}.{index + 1}@demo.example.org",
                    organisation=organisation,
                    sector=sector,
                    role=role,
                    pronouns=pronouns,
                    external_id=f"p{index + 1:02d}",
                )
            )
        return programme, people

    def _sessions(self, programme: Programme, user: User) -> list[Session]:
        made: list[Session] = []
        days = monthly_dates(timezone.localdate(), len(SESSIONS))
        for plan, day in zip(SESSIONS, days, strict=True):
            session = actions.create_session(
                programme,
                user,
                title=plan.title,
                description=plan.description,
                starts_on=day,
                start_time=time(13, 0),
                time_zone="Europe/London",
                duration_minutes=plan.minutes,
                format=plan.format,
                video_url_template="" if plan.format == Session.Format.IN_PERSON else VIDEO_ROOMS,
                venue=plan.venue,
            )
            if plan.template:
                assert TEMPLATES[plan.template].total_minutes == plan.minutes
                actions.apply_template(session, user, plan.template)
            elif plan.copy_from is not None:
                actions.duplicate_runsheet(session, user, made[plan.copy_from])
            made.append(session)
        return made

    def _reflections(self, session: Session, people: list[Participant]) -> None:
        """What people wrote at the end of the first session, as if it had run."""
        segments = {segment.kind: segment for segment in session.segments.all()}
        for kind, answers in (
            (Segment.Kind.REFLECTION, FIRST_SESSION_TRY),
            (Segment.Kind.CLOSE, FIRST_SESSION_COMMITMENTS),
        ):
            for index, text, shared in answers:
                reflection_actions.do_save_reflection(
                    session, people[index], segments[kind], text, shared
                )

    def _purpose(self, session: Session, people: list[Participant]) -> None:
        """A common purpose agreed at the first session, through the purpose app's own actions."""
        what, why, benefits = FIRST_PURPOSE
        purpose_actions.do_merge(session, what, why, benefits)
        purpose_actions.do_open_check(session)
        for index, choice in FIRST_PURPOSE_ANSWERS:
            purpose_actions.do_answer(session, people[index], choice)
        for index, text in FIRST_PURPOSE_MEASURES:
            purpose_actions.do_add_measure(session, people[index], text)
        purpose_actions.do_close_check(session, agreed=True)
        # Agreed as that session ended (the actions stamp the time they ran, today).
        ended = session.starts_at + timedelta(minutes=session.duration_minutes)
        CohortPurpose.objects.filter(session=session).update(agreed_at=ended)

    def _invite_path(self, token: str) -> str:
        try:
            return reverse("programmes:invite_redeem", args=[token])
        except NoReverseMatch:
            # The invite pages are not in this build; the token is what a link would carry.
            return f" (no invite page yet; token {token})"
