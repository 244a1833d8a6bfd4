"""The program a client can hold: the engine's program (``build_program``) in plain
words, one row per exercise with its phase, sets, repetitions, tempo or hold, rest,
cues and the limits it keeps to. The staff page's "Print program" and the PDF attached
to the program-ready email both render this, so the client reads the same words on
paper and by email.

Pure: standard library only. The wording names no muscle, pathology or cause (the
scope guard reads every word the client gets: SCOPE-2, SCOPE-3): exercises by name,
how to do them, and the limits as movements and intensity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .restrictions import MOVEMENT_LABELS

PHASE_TITLES = {
    "inhibit": "Release (foam roller or ball)",
    "lengthen": "Stretch",
    "activate": "Activate",
    "integrate": "Whole movements",
}
PHASE_WHY = {
    "inhibit": "Loosen up first: roll slowly and pause on tender spots.",
    "lengthen": "Then stretch gently, without pain.",
    "activate": "Then wake up the muscles that should work more, slowly and with control.",
    "integrate": "Finish with whole movements that put it together.",
}
INTENSITY_WORDS = {
    "light": "light",
    "light_to_moderate": "light to moderate",
    "moderate": "moderate",
    "vigorous": "vigorous",
}
# CEC-2 gives no rest interval. Release and stretches flow from one area to the next;
# between sets of the activation and whole-movement work the sheet uses NASM's
# stabilisation-phase convention (OPT phase 1: 0-90 s), not a rule of the rules file,
# written as a range the trainer adjusts.
REST = {
    "inhibit": "none, move on to the next area",
    "lengthen": "none, move on to the next stretch",
    "activate": "up to 90 seconds between sets",
    "integrate": "up to 90 seconds between sets",
}
# The engine's tempo wording (CEC-2), for a client.
TEMPO_WORDS = {
    "activate": "lower for 4 seconds, hold 2 seconds, then lift with control",
    "integrate": "slow and controlled",
}
HOLD_WORDS = {
    "inhibit": "30 seconds or more on each tender spot (longer if it needs to relax)",
    "lengthen": "30 seconds",
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

    def exercises(self) -> list[SheetExercise]:
        return [e for p in self.phases for e in p.exercises]

    def plain(self) -> str:
        """Every word of the sheet (what the scope guard reads)."""
        lines = [self.title, *self.intro, *self.limits]
        for phase in self.phases:
            lines += [f"{phase.order}. {phase.title}", phase.why]
            for e in phase.exercises:
                lines += [e.name, line_of(e), *e.cues, "Keeps to: " + "; ".join(e.respects)]
        lines += [*self.closing, self.progression or "", self.reassess_on or ""]
        return "\n".join(line for line in lines if line)


def line_of(e: SheetExercise) -> str:
    """One exercise's variables on one line: "Sets: 1-2 · Reps: 10-15 · ..."."""
    return (f"Sets: {e.sets} \u00b7 Reps: {e.reps} \u00b7 Tempo/hold: {e.tempo_or_hold} "
            f"\u00b7 Rest: {e.rest}")


def limits_of(program: dict[str, Any]) -> list[str]:
    """The limits the program keeps to, in words: intensity, the movements to avoid
    (the clinician's and those on file) and the movements left out because they hurt
    at the assessment."""
    limits = program.get("restrictions") or {}
    out = []
    cap = program.get("intensity_cap")
    if cap:
        out.append(f"Intensity: {INTENSITY_WORDS.get(cap, cap.replace('_', ' '))} at most.")
    clinician = limits.get("clinician") or {}
    avoid = list(dict.fromkeys([*(limits.get("avoid_movements") or []),
                                *(clinician.get("avoid_movements") or [])]))
    for tag in avoid:
        out.append(f"No {MOVEMENT_LABELS.get(tag, tag.replace('_', ' ')).lower()}.")
    for test in limits.get("avoid_loading") or []:
        out.append(f"Leaves out the {test.replace('_', ' ')} pattern (it hurt at the "
                   "assessment).")
    if clinician:
        # The clinician's own notes stay on the staff page: free text is not re-worded
        # for the client here.
        out.append("Within your clinician's limits.")
    return out


def _exercise(phase: dict[str, Any], exercise: dict[str, Any], keeps: tuple[str, ...]
              ) -> SheetExercise:
    name = phase.get("phase", "")
    variables = phase.get("variables") or {}
    hold = HOLD_WORDS.get(name) if variables.get("hold") else None
    tempo = TEMPO_WORDS.get(name) if variables.get("tempo") else None
    reps = variables.get("reps")
    return SheetExercise(
        name=str(exercise.get("name") or exercise.get("id")),
        phase=PHASE_TITLES.get(name, name),
        sets=str(variables.get("sets") or "1"),
        reps=str(reps) if reps else "one hold per side or area",
        tempo_or_hold=("hold " + hold) if hold else (tempo or "slow and controlled"),
        rest=REST.get(name, "as needed"),
        cues=tuple(str(c) for c in exercise.get("cues") or ()),
        respects=keeps,
    )


def program_sheet(program: dict[str, Any], *, client_name: str = "",
                  facility: str = "") -> ProgramSheet:
    """The sheet of ``program`` (the engine's program dict, as stored)."""
    limits = limits_of(program)
    keeps = tuple(limits) or ("No special limits.",)
    phases = []
    for phase in program.get("phases") or []:
        name = phase.get("phase", "")
        exercises = tuple(_exercise(phase, e, keeps) for e in phase.get("exercises") or [])
        phases.append(SheetPhase(int(phase.get("order") or len(phases) + 1),
                                 PHASE_TITLES.get(name, name), PHASE_WHY.get(name, ""),
                                 exercises))
    who = f" for {client_name}" if client_name else ""
    progression = (program.get("progression") or {}).get("step")
    return ProgramSheet(
        title=f"Your corrective exercise program{who}",
        intro=(
            "Do the four parts in this order every session: release, stretch, activate, "
            "then whole movements.",
            "Stop any exercise that hurts and tell your trainer.",
        ),
        limits=tuple(limits),
        phases=tuple(phases),
        closing=(
            "Questions? Ask your trainer" + (f" at {facility}" if facility else "") + ".",
            "This program is exercise coaching, not medical advice.",
        ),
        reassess_on=(f"Next movement check: {program['reassess_on']}."
                     if program.get("reassess_on") else None),
        progression={"progress": "Updated after your last movement check: more sets and "
                                 "repetitions.",
                     "regress": "Updated after your last movement check: fewer sets and "
                                "repetitions for now.",
                     }.get(progression or ""),
    )
