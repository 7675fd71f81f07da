"""Built-in wheel templates: the two årshjul of the seeds, as data.

- `loke-rapporteringshjul`: the LOKE årshjul of seed 003 (Göteborg 2009),
  eight steps over the follow-up year 1 May – 30 April (DOMAIN.md section 3).
- `tre-enkla-fragor`: "Tre enkla frågor i ett årshjul" of seed 000
  (Socialstyrelsen 2023, artikelnr 2023-11-8861), a knowledge follow-up of the
  LVU support asked at existing forums: a planning day, APT and the annual
  medarbetarsamtal (DOMAIN.md section 1).

A template is a starting point: a unit copies its steps into a wheel and may
change them. Labels are Swedish with an English translation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from shared.errors import InvalidArgument
from shared.events.scheduler import Recurrence, WheelStep, YearlyWindow
from shared.roles import Role


@dataclass(frozen=True)
class RecurrencePattern:
    """A recurrence without its start date, which a template cannot know."""

    rrule: str
    at: time
    deadline_days: int

    def starting(self, starts_on: date) -> Recurrence:
        return Recurrence(
            rrule=self.rrule, starts_on=starts_on, at=self.at, deadline_days=self.deadline_days
        )


@dataclass(frozen=True)
class TemplateStep:
    step_id: str
    title_sv: str
    title_en: str
    role: Role
    action_sv: str
    action_en: str
    schedule: YearlyWindow | RecurrencePattern

    def on(self, starts_on: date) -> WheelStep:
        schedule = (
            self.schedule.starting(starts_on)
            if isinstance(self.schedule, RecurrencePattern)
            else self.schedule
        )
        return WheelStep(
            step_id=self.step_id,
            title_sv=self.title_sv,
            title_en=self.title_en,
            role=self.role,
            action_sv=self.action_sv,
            action_en=self.action_en,
            schedule=schedule,
        )


@dataclass(frozen=True)
class WheelTemplate:
    template_id: str
    name_sv: str
    name_en: str
    description_sv: str
    description_en: str
    plan: tuple[TemplateStep, ...]

    def steps(self, starts_on: date) -> tuple[WheelStep, ...]:
        """The wheel's steps; recurrences start on `starts_on` (yearly windows ignore it)."""
        return tuple(step.on(starts_on) for step in self.plan)


#: The three questions of seed 000 ("Förslag på frågor som kan ställas i
#: gruppen"), as (Swedish, English). The Swedish is the seed's wording with its
#: line-break hyphens joined; question 2 ends without a question mark, as in the
#: seed. The English is DOMAIN.md section 1's translation.
QUESTIONS: tuple[tuple[str, str], ...] = (
    (
        "Har alla i arbetsgruppen tagit del av de stöd som Socialstyrelsen tagit fram som "
        "stöd för tillämpningen av LVU och som är relevanta för vår verksamhet? Om inte, "
        "hur ser vi till att det görs?",
        "Has everyone in the group taken part of the support material relevant to our "
        "operation? If not, how do we make sure it happens?",
    ),
    (
        "Har vi månaderna efter att vi tagit del av de olika delarna av Socialstyrelsens "
        "stöd haft ärenden kopplade till någon eller några av delarna av stödet (till "
        "exempel flyttningsförbud eller utreseförbud)",
        "In the months since, have we had cases linked to one or more parts of the support "
        "(for example flyttningsförbud — prohibition of removal — or utreseförbud — travel "
        "ban)?",
    ),
    (
        "Om vi haft ärenden kopplat till de olika delarna av stödet, gjorde vi i så fall på "
        "något sätt annorlunda än vi gjort tidigare? I så fall vad? Diskutera och utbyt "
        "erfarenheter!",
        "If so, did we do anything differently from before? What? Discuss and share.",
    ),
)


LOKE = WheelTemplate(
    template_id="loke-rapporteringshjul",
    name_sv="LOKE rapporteringshjul",
    name_en="LOKE reporting wheel",
    description_sv=(
        "LOKE – årshjul för uppföljningsåret 1 maj–30 april: enheternas data lämnas in, "
        "sammanställs per verksamhet och för ledningen, återkopplas till verksamheter och "
        "ledningsgrupp, kommenteras och presenteras för FL/Pol i december. Fördjupade "
        "uppföljningar görs företrädesvis vintern/våren."
    ),
    description_en=(
        "LOKE annual wheel for the follow-up year 1 May–30 April: the units' data are "
        "submitted, compiled per unit and for management, fed back to the units and the "
        "management line, commented and presented to the politicians (FL/Pol) in December. "
        "Deeper follow-ups preferably in winter/spring."
    ),
    plan=(
        TemplateStep(
            step_id="data-inlamnad",
            title_sv="Data inmatad och insänd till uppföljningsfunktionen",
            title_en="Data entered and submitted to the follow-up function",
            role=Role.UNIT_MANAGER,
            action_sv=(
                "Data för maj (föregående år) – april (innevarande år) ska vara inmatad och "
                "insänd till uppföljningsfunktionen (UFFE) senast 15/5."
            ),
            action_en=(
                "Data for May (previous year) – April (current year) must be entered and "
                "submitted to the follow-up function (UFFE) by 15 May."
            ),
            schedule=YearlyWindow(opens="05-01", deadline="05-15"),
        ),
        TemplateStep(
            step_id="sammanstallning-enhet",
            title_sv="Databearbetning och sammanställning per verksamhet",
            title_en="Processing and compilation per unit",
            role=Role.FOLLOW_UP,
            action_sv=(
                "Databearbetning och sammanställning för enskilda verksamheter. Färdig senast 31/8."
            ),
            action_en="Process the data and compile a report for each unit. Ready by 31 August.",
            schedule=YearlyWindow(opens="05-16", deadline="08-31"),
        ),
        TemplateStep(
            step_id="aterkoppling-verksamheter",
            title_sv="Återkoppling till verksamheterna",
            title_en="Feedback to the units",
            role=Role.DEVELOPMENT_LEADER,
            action_sv="September och oktober: återkoppling till verksamheter.",
            action_en="September and October: feed the results back to the units.",
            schedule=YearlyWindow(opens="09-01", deadline="10-31"),
        ),
        TemplateStep(
            step_id="aggregering-ledning",
            title_sv="Aggregering och sammanställning på ledningsnivå",
            title_en="Aggregation and compilation for management",
            role=Role.FOLLOW_UP,
            action_sv="Oktober månad: aggregering och sammanställning på ledningsnivå.",
            action_en="October: aggregate and compile the results for management.",
            schedule=YearlyWindow(opens="10-01", deadline="10-31"),
        ),
        TemplateStep(
            step_id="aterkoppling-ledningsgrupp",
            title_sv="Återkoppling till ledningsgruppslinjen",
            title_en="Feedback to the management line",
            role=Role.DEVELOPMENT_LEADER,
            action_sv="Oktober–november: återkoppling till ledningsgrupp-linje.",
            action_en="October–November: feed the results back to the management line.",
            schedule=YearlyWindow(opens="10-01", deadline="11-30"),
        ),
        TemplateStep(
            step_id="kommentarer-ifo-chef",
            title_sv="Data kommenteras och redovisas till IFO-chef",
            title_en="Data commented and reported to the IFO chief",
            role=Role.UNIT_MANAGER,
            action_sv="November–december: data kommenteras och redovisas till IFO-chef.",
            action_en="November–December: comment on the data and report it to the IFO chief.",
            schedule=YearlyWindow(opens="11-01", deadline="12-31"),
        ),
        TemplateStep(
            step_id="presentation-politiker",
            title_sv="Presentation för FL/Pol",
            title_en="Presentation to the politicians (FL/Pol)",
            role=Role.IFO_CHIEF,
            action_sv=(
                "December: presentation av uppföljningsdata och utvecklingsområden för FL/Pol."
            ),
            action_en=(
                "December: present the follow-up data and the development areas to the "
                "politicians (FL/Pol)."
            ),
            schedule=YearlyWindow(opens="12-01", deadline="12-31"),
        ),
        TemplateStep(
            step_id="fordjupade-uppfoljningar",
            title_sv="Fördjupade uppföljningar",
            title_en="Deeper follow-ups",
            role=Role.FOLLOW_UP,
            action_sv=(
                "Företrädesvis vintern/våren: fördjupade uppföljningar. Prioritering görs av "
                "styrgruppen för LOKE."
            ),
            action_en=(
                "Preferably in winter/spring: deeper follow-ups, prioritised by the LOKE "
                "steering group."
            ),
            schedule=YearlyWindow(opens="01-01", deadline="04-30"),
        ),
    ),
)


def _numbered(questions: tuple[str, ...]) -> str:
    return "\n".join(f"{number}. {text}" for number, text in enumerate(questions, start=1))


TRE_ENKLA_FRAGOR = WheelTemplate(
    template_id="tre-enkla-fragor",
    name_sv="Tre enkla frågor i ett årshjul",
    name_en="Three simple questions in an annual wheel",
    description_sv=(
        "Uppföljning av att kunskapen om tillämpningen av LVU har nått ut: enas om tre "
        "enkla frågor och om ett årshjul för när frågorna på ett återkommande sätt ska "
        "ställas i arbetsgruppen – här på planeringsdagen, på APT och vid de årliga "
        "medarbetarsamtalen – och gör en enkel dokumentation så att ni kan följa "
        "utvecklingen över tid.\n\nFörslag på frågor:\n"
        + _numbered(tuple(sv for sv, _ in QUESTIONS))
    ),
    description_en=(
        "Follow-up that knowledge of how to apply the LVU has reached staff: agree on three "
        "simple questions and on an annual wheel for when they are asked, recurrently, in "
        "the work group – here at the planning day, at APT (workplace meetings) and in the "
        "annual appraisal talks – and keep simple documentation to follow development over "
        "time.\n\nSuggested questions:\n" + _numbered(tuple(en for _, en in QUESTIONS))
    ),
    plan=(
        TemplateStep(
            step_id="planeringsdag",
            title_sv="Planeringsdag: enas om frågorna och årshjulet",
            title_en="Planning day: agree on the questions and the wheel",
            role=Role.UNIT_MANAGER,
            action_sv=(
                "Enas om tre enkla frågor och om ett årshjul, det vill säga en plan för när "
                "frågorna på ett återkommande sätt ska ställas i arbetsgruppen. Planera "
                "uppföljningen utifrån de delar av stödet för tillämpningen av LVU som är "
                "relevanta för just er, och om vissa delar är ”sällanhändelser” som bör "
                "följas upp mer sällan."
            ),
            action_en=(
                "Agree on three simple questions and on an annual wheel, that is a plan for "
                "when the questions are asked, recurrently, in the work group. Plan the "
                "follow-up around the parts of the LVU support that are relevant to your "
                "operation, and whether some parts are rare events to follow up less often."
            ),
            schedule=YearlyWindow(opens="08-15", deadline="09-15"),
        ),
        TemplateStep(
            step_id="apt",
            title_sv="APT: tre enkla frågor",
            title_en="Workplace meeting (APT): three simple questions",
            role=Role.UNIT_STAFF,
            action_sv=(
                "Ställ de tre frågorna i arbetsgruppen, diskutera och utbyt erfarenheter, och "
                "gör en enkel dokumentation så att ni kan följa utvecklingen över tid."
            ),
            action_en=(
                "Ask the three questions in the work group, discuss and share experiences, "
                "and keep simple documentation to follow development over time."
            ),
            # First Tuesday of the month; no APT in July (summer holidays).
            schedule=RecurrencePattern(
                rrule="FREQ=MONTHLY;BYDAY=1TU;BYMONTH=1,2,3,4,5,6,8,9,10,11,12",
                at=time(9, 0),
                deadline_days=14,
            ),
        ),
        TemplateStep(
            step_id="medarbetarsamtal",
            title_sv="Medarbetarsamtal: uppföljning av kunskap",
            title_en="Appraisal talks: knowledge follow-up",
            role=Role.UNIT_MANAGER,
            action_sv=(
                "Följ upp vid de årliga medarbetarsamtalen vem som har tagit del av vilka "
                "delar av stödet, och vilka medarbetare som har en högre kunskap och kan hålla "
                "i introduktion av – eller vara mentor för – nya medarbetare eller medverka "
                "vid interna utbildningsdagar."
            ),
            action_en=(
                "In the annual appraisal talks, follow up who has taken part of which parts "
                "of the support, and which staff have deeper knowledge and could introduce or "
                "mentor new staff or teach at internal training days."
            ),
            schedule=YearlyWindow(opens="10-01", deadline="11-30"),
        ),
    ),
)


TEMPLATES: dict[str, WheelTemplate] = {
    template.template_id: template for template in (LOKE, TRE_ENKLA_FRAGOR)
}


def get_template(template_id: str) -> WheelTemplate:
    """The built-in template `template_id`; `InvalidArgument` (field `template`) if unknown."""
    try:
        return TEMPLATES[template_id]
    except KeyError:
        known = ", ".join(sorted(TEMPLATES))
        raise InvalidArgument(
            f"unknown template '{template_id}'; known templates: {known}", field="template"
        ) from None
