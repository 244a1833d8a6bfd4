"""The program a client can hold: the engine's program (``build_program``) in plain
words, one row per exercise with its phase, sets, repetitions, tempo or hold, rest,
cues and the limits it keeps to. The staff page's "Print program" and the PDF attached
to the program-ready email both render this, so the client reads the same words on
paper and by email.

Pure: standard library only. The wording names no muscle, pathology or cause (the
scope guard reads every word the client gets: SCOPE-2, SCOPE-3): exercises by name,
how to do them, and the limits as movements and intensity.

Every word is marked (``N_``) for the notify service's client catalog: ``program_sheet``
writes the sheet in the language of the ``gettext`` it is given (the client's), the
exercises' names and cues looked up by their library id (``library.client_words``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from .letters.vocabulary import N_, TESTS
from .library import client_words
from .restrictions import MOVEMENT_LABELS

Gettext = Callable[[str], str]

PHASE_TITLES = {
    "inhibit": N_("Release (foam roller or ball)"),
    "lengthen": N_("Stretch"),
    "activate": N_("Activate"),
    "integrate": N_("Whole movements"),
}
PHASE_WHY = {
    "inhibit": N_("Loosen up first: roll slowly and pause on tender spots."),
    "lengthen": N_("Then stretch gently, without pain."),
    "activate": N_("Then wake up the muscles that should work more, slowly and with control."),
    "integrate": N_("Finish with whole movements that put it together."),
}
INTENSITY_WORDS = {
    "light": N_("light"),
    "light_to_moderate": N_("light to moderate"),
    "moderate": N_("moderate"),
    "vigorous": N_("vigorous"),
}
# CEC-2 gives no rest interval. Release and stretches flow from one area to the next;
# between sets of the activation and whole-movement work the sheet uses NASM's
# stabilisation-phase convention (OPT phase 1: 0-90 s), not a rule of the rules file,
# written as a range the trainer adjusts.
REST = {
    "inhibit": N_("none, move on to the next area"),
    "lengthen": N_("none, move on to the next stretch"),
    "activate": N_("up to 90 seconds between sets"),
    "integrate": N_("up to 90 seconds between sets"),
}
# The engine's tempo wording (CEC-2), for a client.
TEMPO_WORDS = {
    "activate": N_("lower for 4 seconds, hold 2 seconds, then lift with control"),
    "integrate": N_("slow and controlled"),
}
# The engine's technique of each phase (CEC-2), as the program-ready email names it.
TECHNIQUE = {
    "inhibit": N_("self-myofascial rolling"),
    "lengthen": N_("static stretch"),
    "activate": N_("isolated strengthening"),
    "integrate": N_("integrated dynamic movement"),
}
HOLD_WORDS = {
    "inhibit": N_("30 seconds or more on each tender spot (longer if it needs to relax)"),
    "lengthen": N_("30 seconds"),
}


# The sheet's own headings and labels (what the PDF and the print page put around it).
LABELS = {
    "limits": N_("Limits this program keeps to"),
    "how": N_("How: {cues}."),
    "keeps_to": N_("Keeps to: {limits}"),
    "line": N_("Sets: {sets} \u00b7 Reps: {reps} \u00b7 Tempo/hold: {tempo_or_hold} \u00b7 "
               "Rest: {rest}"),
    "page": N_("page {page}"),
}


@dataclass(frozen=True)
class SheetExercise:
    name: str
    phase: str  # the phase's title
    sets: str
    reps: str
    tempo_or_hold: str
    rest: str
    cues: tuple[str, ...]
    respects: tuple[str, ...]
    line: str = ""  # the variables on one line, in the sheet's language (line_of)


@dataclass(frozen=True)
class SheetPhase:
    order: int
    title: str
    why: str
    exercises: tuple[SheetExercise, ...]


@dataclass(frozen=True)
class ProgramSheet:
    title: str
    intro: tuple[str, ...]
    limits: tuple[str, ...]  # the limits the whole program keeps to
    phases: tuple[SheetPhase, ...]
    closing: tuple[str, ...]
    reassess_on: str | None = None
    progression: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # LABELS in the sheet's language.
    labels: dict[str, str] = field(default_factory=lambda: dict(LABELS))

    def exercises(self) -> list[SheetExercise]:
        return [e for p in self.phases for e in p.exercises]

    def plain(self) -> str:
        """Every word of the sheet (what the scope guard reads)."""
        lines = [self.title, *self.intro, *self.limits]
        for phase in self.phases:
            lines += [f"{phase.order}. {phase.title}", phase.why]
            for e in phase.exercises:
                lines += [e.name, line_of(e), *e.cues,
                          self.labels["keeps_to"].format(limits="; ".join(e.respects))]
        lines += [*self.closing, self.progression or "", self.reassess_on or ""]
        return "\n".join(line for line in lines if line)


def line_of(e: SheetExercise) -> str:
    """One exercise's variables on one line: "Sets: 1-2 · Reps: 10-15 · ..."."""
    return e.line or _line(e, str)


def _line(e: SheetExercise, _: Gettext) -> str:
    return _(LABELS["line"]).format(sets=e.sets, reps=e.reps, tempo_or_hold=e.tempo_or_hold,
                                    rest=e.rest)


def limits_of(program: dict[str, Any], _: Gettext = str) -> list[str]:
    """The limits the program keeps to, in words: intensity, the movements to avoid
    (the clinician's and those on file) and the movements left out because they hurt
    at the assessment."""
    limits = program.get("restrictions") or {}
    out = []
    cap = program.get("intensity_cap")
    if cap:
        words = _(INTENSITY_WORDS[cap]) if cap in INTENSITY_WORDS else cap.replace("_", " ")
        out.append(_(N_("Intensity: {intensity} at most.")).format(intensity=words))
    clinician = limits.get("clinician") or {}
    avoid = list(dict.fromkeys([*(limits.get("avoid_movements") or []),
                                *(clinician.get("avoid_movements") or [])]))
    for tag in avoid:
        movement = _(MOVEMENT_LABELS[tag]) if tag in MOVEMENT_LABELS else tag.replace("_", " ")
        out.append(_(N_("No {movement}.")).format(movement=movement.lower()))
    for test in limits.get("avoid_loading") or []:
        out.append(_(N_("Leaves out the {test} pattern (it hurt at the assessment)."))
                   .format(test=_(TESTS[test]) if test in TESTS else test.replace("_", " ")))
    if clinician:
        # The clinician's own notes stay on the staff page: free text is not re-worded
        # for the client here.
        out.append(_(N_("Within your clinician's limits.")))
    return out


def _exercise(phase: dict[str, Any], exercise: dict[str, Any], keeps: tuple[str, ...],
              _: Gettext) -> SheetExercise:
    name = phase.get("phase", "")
    variables = phase.get("variables") or {}
    hold = HOLD_WORDS.get(name) if variables.get("hold") else None
    tempo = TEMPO_WORDS.get(name) if variables.get("tempo") else None
    reps = variables.get("reps")
    exercise_name, cues = client_words(exercise, _)
    sheet = SheetExercise(
        name=exercise_name,
        phase=_(PHASE_TITLES[name]) if name in PHASE_TITLES else name,
        sets=str(variables.get("sets") or "1"),
        reps=str(reps) if reps else _(N_("one hold per side or area")),
        tempo_or_hold=(_(N_("hold {time}")).format(time=_(hold)) if hold
                       else _(tempo or N_("slow and controlled"))),
        rest=_(REST.get(name, N_("as needed"))),
        cues=cues,
        respects=keeps,
    )
    return _with_line(sheet, _)


def _with_line(e: SheetExercise, _: Gettext) -> SheetExercise:
    return replace(e, line=_line(e, _))


def program_sheet(program: dict[str, Any], *, client_name: str = "",
                  facility: str = "", gettext: Gettext = str,
                  date_text: Callable[[str], str] = str) -> ProgramSheet:
    """The sheet of ``program`` (the engine's program dict, as stored), in the language
    of ``gettext`` (default: the English source). ``date_text`` writes the stored ISO
    date of the next movement check in the facility's format (``Locale.date``; this
    package stays pure, so the caller brings it), as the email beside the sheet does."""
    _ = gettext
    limits = limits_of(program, _)
    keeps = tuple(limits) or (_(N_("No special limits.")),)
    phases = []
    for phase in program.get("phases") or []:
        name = phase.get("phase", "")
        exercises = tuple(_exercise(phase, e, keeps, _) for e in phase.get("exercises") or [])
        phases.append(SheetPhase(int(phase.get("order") or len(phases) + 1),
                                 _(PHASE_TITLES[name]) if name in PHASE_TITLES else name,
                                 _(PHASE_WHY[name]) if name in PHASE_WHY else "",
                                 exercises))
    progression = (program.get("progression") or {}).get("step")
    return ProgramSheet(
        title=(_(N_("Your corrective exercise program for {name}")).format(name=client_name)
               if client_name else _(N_("Your corrective exercise program"))),
        intro=(
            _(N_("Do the four parts in this order every session: release, stretch, activate, "
                 "then whole movements.")),
            _(N_("Stop any exercise that hurts and tell your trainer.")),
        ),
        limits=tuple(limits),
        phases=tuple(phases),
        closing=(
            _(N_("Questions? Ask your trainer at {facility}.")).format(facility=facility)
            if facility else _(N_("Questions? Ask your trainer.")),
            _(N_("This program is exercise coaching, not medical advice.")),
        ),
        reassess_on=(_(N_("Next movement check: {date}.")).format(
                         date=date_text(program["reassess_on"]))
                     if program.get("reassess_on") else None),
        progression=_(PROGRESSION[progression]) if progression in PROGRESSION else None,
        labels={key: _(text) for key, text in LABELS.items()},
    )


PROGRESSION = {
    "progress": N_("Updated after your last movement check: more sets and repetitions."),
    "regress": N_("Updated after your last movement check: fewer sets and repetitions for "
                  "now."),
}
