"""Built-in run-sheet templates a facilitator can apply to a session.

The first follows the shape of the reference workshop in the product brief (three hours, second
of a monthly series); the texts are our own. Keys are stable: forms and the demo refer to them.
"""

from dataclasses import dataclass

from convenor.workshops.models import Segment

Kind = Segment.Kind


@dataclass(frozen=True)
class TemplateSegment:
    title: str
    kind: str
    minutes: int
    notes: str = ""
    prompts: str = ""


@dataclass(frozen=True)
class RunSheetTemplate:
    key: str
    name: str
    summary: str
    segments: tuple[TemplateSegment, ...]

    @property
    def total_minutes(self) -> int:
        return sum(segment.minutes for segment in self.segments)


COMMON_PURPOSE = RunSheetTemplate(
    key="common-purpose",
    name="Common understanding and common purpose (3 hours)",
    summary=(
        "Getting to know each other in a coffee trial, a short talk on working in complexity "
        "with a sense-making board and empathy maps in groups, then groups draft a 'good enough "
        "for now' common purpose, check it together, reflect on where to try it and each name "
        "one practical next step."
    ),
    # Every workshop activity has its segment here, so running this session from start to end
    # uses each of them. The blocks keep the reference workshop's timings: 10, 30, 50, 10, 50,
    # 25 and 5 minutes.
    segments=(
        TemplateSegment(
            "Welcome and how we work together",
            Kind.WELCOME,
            10,
            notes=(
                "Say hello, run through the afternoon and put the ground rules on screen. "
                "Remind everyone that what is said here is not attributed to anyone outside. "
                "Everyone sees the purpose agreed last time and their own commitment from then: "
                "give them a minute to say how it went."
            ),
            prompts=(
                "Look over today's plan and our ground rules. Anything you need to take part?\n"
                "If you made a commitment last time, how did it go?"
            ),
        ),
        TemplateSegment(
            "Coffee trial: meet someone new",
            Kind.COFFEE_TRIAL,
            15,
            notes=(
                "One round in pairs (a three if the numbers are odd), mixing organisations. "
                "Give a two-minute warning before the rooms close."
            ),
            prompts=(
                "Who are you, and what brought you to this work?\n"
                "What is taking up most of your attention at the moment?"
            ),
        ),
        TemplateSegment(
            "What did you notice?",
            Kind.PLENARY,
            15,
            notes=(
                "A few voices from the pairs; invite the rest to post in the stream. Note the "
                "wishes for a longer conversation so the next round can honour them."
            ),
            prompts=(
                "What struck you in your conversation?\n"
                "Is there someone you would like a longer chat with?"
            ),
        ),
        TemplateSegment(
            "Talk: working in complexity",
            Kind.TALK,
            10,
            notes=(
                "Keep it short. Introduce the four kinds of situation (clear, complicated, "
                "complex, chaotic) and why complex problems need probing and learning rather "
                "than a plan handed down."
            ),
            prompts="As you listen, think of one challenge from your own work.",
        ),
        TemplateSegment(
            "Sense-making: where do our challenges sit?",
            Kind.CYNEFIN_BOARD,
            15,
            notes=(
                "Everyone places one challenge they face on the board; the middle is fine when "
                "unsure. Anyone may suggest moving an item. Talk through the ones that look "
                "complex and what treating them as simple would cost."
            ),
            prompts=(
                "Place a challenge you face. Is it clear, complicated, complex or chaotic?\n"
                "What would you do differently if it really is complex?"
            ),
        ),
        TemplateSegment(
            "Breakouts: seeing it from their side",
            Kind.EMPATHY_MAP,
            15,
            notes=(
                "Groups of four to six, each with an invented persona, for example a parent in "
                "one of our priority neighbourhoods. Fill all four areas before drawing "
                "conclusions; the maps then stand side by side."
            ),
            prompts=(
                "What does this person see and hear around them?\n"
                "What might they think and feel, and what do they do and expect of us?"
            ),
        ),
        TemplateSegment(
            "Plenary: what the groups found",
            Kind.PLENARY,
            10,
            notes="One thing from each group; look for patterns across organisations.",
            prompts=(
                "What is resonating for you? Where is the push-back, and what might people "
                "feel they are losing?"
            ),
        ),
        TemplateSegment(
            "Break",
            Kind.BREAK,
            10,
            notes="Keep to time: the next part needs the full fifty minutes.",
            prompts="Stretch, get a drink, look away from the screen.",
        ),
        TemplateSegment(
            "Breakouts: a common purpose, good enough for now",
            Kind.COMMON_PURPOSE,
            30,
            notes=(
                "Each group drafts a shared purpose of no more than 40 words and shares it to "
                "the plenary. It does not need to be perfect, only good enough to act on for now."
            ),
            prompts=(
                "What do we want to do together?\n"
                "Why does it matter?\n"
                "What difference will it make, and for whom?"
            ),
        ),
        TemplateSegment(
            "Plenary: do we agree?",
            Kind.PLENARY,
            20,
            notes=(
                "Drafts side by side; pick or merge one. Check agreement (agree / can live with "
                "it / object with a reason) and collect how progress could be measured."
            ),
            prompts=(
                "Do we all agree? Would each of us describe it in the same way?\n"
                "How would we know we are making progress?"
            ),
        ),
        TemplateSegment(
            "Reflection: where could you try this?",
            Kind.REFLECTION,
            25,
            notes=(
                "Quiet thinking time first, each person writing down where they might try "
                "this, then pairs. Reflections stay private unless their authors share them."
            ),
            prompts=(
                "Where in your own work could you use today's ideas?\n"
                "Who else would you need to involve?"
            ),
        ),
        TemplateSegment(
            "Close: one practical thing",
            Kind.CLOSE,
            5,
            notes=(
                "Each person writes one practical thing they will do before next time (it comes "
                "back to them at the start of the next session) and answers the short feedback "
                "questions. Mention the topic of the next session."
            ),
            prompts="Name one practical thing you will do before we next meet.",
        ),
    ),
)

COFFEE_AND_SENSE_MAKING = RunSheetTemplate(
    key="coffee-and-sense-making",
    name="Coffee trial and sense-making (90 minutes)",
    summary=(
        "Two coffee-trial rounds to widen the network, then small groups place shared "
        "challenges on a sense-making board and compare notes in plenary."
    ),
    segments=(
        TemplateSegment(
            "Welcome",
            Kind.WELCOME,
            5,
            notes="Purpose of the session and the ground rules.",
            prompts="What would make this hour and a half worthwhile for you?",
        ),
        TemplateSegment(
            "Coffee trial, round one",
            Kind.COFFEE_TRIAL,
            15,
            notes="Pairs across organisations; a three if the numbers are odd.",
            prompts="What are you working on that you would like help with?",
        ),
        TemplateSegment(
            "Coffee trial, round two",
            Kind.COFFEE_TRIAL,
            15,
            notes="New partners: nobody meets the same person twice.",
            prompts="What have you learned recently that surprised you?",
        ),
        TemplateSegment(
            "Sense-making board in groups",
            Kind.CYNEFIN_BOARD,
            25,
            notes="Groups of four to six place the challenges they heard about in the rounds.",
            prompts=(
                "Which challenges came up in your conversations?\n"
                "Where does each one sit, and why do you think so?"
            ),
        ),
        TemplateSegment(
            "Plenary: patterns across the groups",
            Kind.PLENARY,
            15,
            notes="Combine the boards; look for challenges several organisations share.",
            prompts="What do you notice when the boards are side by side?",
        ),
        TemplateSegment(
            "Reflection",
            Kind.REFLECTION,
            10,
            prompts="What will you take back to your organisation?",
        ),
        TemplateSegment(
            "Close",
            Kind.CLOSE,
            5,
            prompts="One word for how you are leaving.",
        ),
    ),
)

STAKEHOLDER_MAPPING = RunSheetTemplate(
    key="stakeholder-mapping",
    name="Stakeholder and actor mapping (60 minutes)",
    summary=(
        "A short introduction, then groups map who affects and is affected by a shared "
        "challenge, and the cohort agrees who is missing from the conversation."
    ),
    segments=(
        TemplateSegment(
            "Welcome",
            Kind.WELCOME,
            5,
            notes="Recap the common purpose from last time; it frames today's map.",
        ),
        TemplateSegment(
            "Talk: why map the system?",
            Kind.TALK,
            10,
            notes=(
                "Who has influence, who has interest, who is affected but rarely asked. "
                "Suggest a simple two-by-two of influence and interest."
            ),
        ),
        TemplateSegment(
            "Breakouts: map the people and organisations",
            Kind.BREAKOUTS,
            25,
            notes="Groups of four to six, one shared challenge per group.",
            prompts=(
                "Who can make this change happen, and who could block it?\n"
                "Who is affected but not yet involved?\n"
                "Where are the strongest and weakest relationships?"
            ),
        ),
        TemplateSegment(
            "Plenary: who is missing?",
            Kind.PLENARY,
            15,
            prompts="Who should we invite into this work, and who will reach out to them?",
        ),
        TemplateSegment(
            "Close",
            Kind.CLOSE,
            5,
            prompts="One person you will contact before the next session.",
        ),
    ),
)

EMPATHY_MAP = RunSheetTemplate(
    key="empathy-map",
    name="Seeing it from their side: empathy map (75 minutes)",
    summary=(
        "Groups build an empathy map for a resident or service user the partnership wants to "
        "reach, then compare what they learned."
    ),
    segments=(
        TemplateSegment(
            "Welcome",
            Kind.WELCOME,
            5,
            prompts="Think of someone your work is meant to help.",
        ),
        TemplateSegment(
            "Coffee trial",
            Kind.COFFEE_TRIAL,
            15,
            prompts="Tell your partner about a time a service really worked for you, or didn't.",
        ),
        TemplateSegment(
            "Empathy map in groups",
            Kind.EMPATHY_MAP,
            30,
            notes=(
                "Give each group a persona: an invented person, never a real resident. "
                "Fill all four quarters before drawing conclusions."
            ),
            prompts=(
                "What do they see and hear around them?\n"
                "What might they think and feel?\n"
                "What do they actually do?"
            ),
        ),
        TemplateSegment(
            "Plenary: what surprised us",
            Kind.PLENARY,
            15,
            prompts="What did the map show that your organisation usually misses?",
        ),
        TemplateSegment(
            "Reflection and close",
            Kind.CLOSE,
            10,
            prompts="One thing you will do differently because of this person.",
        ),
    ),
)

TEMPLATES: dict[str, RunSheetTemplate] = {
    template.key: template
    for template in (COMMON_PURPOSE, COFFEE_AND_SENSE_MAKING, STAKEHOLDER_MAPPING, EMPATHY_MAP)
}
