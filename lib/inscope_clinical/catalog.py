"""The rule IDs of /shared/domain/clinical-rules.md: source key and confidence tag."""

from __future__ import annotations

from typing import NamedTuple


class Rule(NamedTuple):
    source: str
    tag: str
    title: str


RULES: dict[str, Rule] = {
    "PARQ-0": Rule("PARQ", "D", "store the PAR-Q+ version with every submission"),
    "PARQ-2": Rule("PARQ", "C", "all general answers NO: cleared"),
    "PARQ-3": Rule("PARQ", "C", "delay conditions"),
    "PARQ-4": Rule("PARQ", "C", "general YES: complete the follow-up questions"),
    "PARQ-5": Rule("PARQ", "C", "general YES, all follow-ups NO: ready"),
    "PARQ-6": Rule("PARQ", "D", "follow-up YES: further information needed"),
    "PARQ-7": Rule("PARQ", "C", "declaration and 12-month validity"),
    "PARQ-8": Rule("PARQ", "D", "completeness"),
    "ACSM-3": Rule("ACSM", "C", "preparticipation screening decision table"),
    "RF-2": Rule("NHS-RF", "C", "spinal red flags"),
    "RF-3": Rule("CG95", "C", "non-spinal red flags"),
    "RF-4": Rule("SYS", "D", "routine physical-therapy referral"),
    "PAIN-5": Rule("NASM7", "D", "pain in screening contexts, DOMS"),
    "PAIN-6": Rule("SYS", "D", "system pain thresholds"),
    "SCOPE-4": Rule("ACE", "C", "clients discharged from physical therapy"),
    "FMS-2": Rule("FMS", "C", "scoring scale"),
    "FMS-4": Rule("FMS", "C", "bilateral scoring and asymmetry"),
    "FMS-5": Rule("FMS", "C", "clearing tests"),
    "FMS-6": Rule("FMS", "C", "composite score"),
    "FMS-7": Rule("KIESEL", "D", "total <= 14 is a priority flag only"),
    "FMS-8": Rule("FMS", "C", "pain (score 0) -> clinician"),
    "OHSA-3": Rule("NASM7", "D", "compensation interpretation"),
    "OHSA-T1": Rule("NASM4", "C", "compensation -> probable imbalance (CES table)"),
    "OHSA-T2": Rule("NASM7", "C", "compensation -> probable imbalance (CPT7 table)"),
    "POST-1": Rule("JANDA", "C", "upper crossed syndrome"),
    "POST-2": Rule("JANDA", "C", "lower crossed syndrome"),
    "POST-3": Rule("NASM7", "C", "static distortion patterns"),
    "POST-4": Rule("KENDALL", "P", "sagittal posture types"),
    "POST-5": Rule("KENDALL", "P", "forward head / craniovertebral angle"),
    "CEC-1": Rule("CES", "C", "corrective exercise continuum"),
    "CEC-2": Rule("CES", "P", "acute variables"),
    "SCOPE-3": Rule("SYS", "D", "language rules"),
    "SYS-1": Rule("SYS", "D", "evaluation order"),
    "SYS-2": Rule("SYS", "D", "combination"),
    "SYS-3": Rule("SYS", "D", "targets"),
    "SYS-4": Rule("SYS", "D", "PAR-Q+ and ACSM disagree: the more conservative wins"),
    "SYS-5": Rule("SYS", "D", "program only without an outstanding referral"),
    "SYS-6": Rule("SYS", "D", "movement findings never refer by themselves"),
    "SYS-7": Rule("SYS", "D", "free text safety net"),
    "SYS-8": Rule("SYS", "D", "missing data"),
    # Section 11 product decisions (2026-11-30): each settles a point left open above.
    "DEC-1": Rule("SYS", "D", "pregnancy is a clearance; a named clinician opens a referral"),
    "DEC-3": Rule("SYS", "D", "contradicting structured answers: the more serious wins"),
    "DEC-4": Rule("SYS", "D", "non-musculoskeletal pain regions take the physician path"),
    "DEC-5": Rule("SYS", "D", "guidelines from any clinician; structured pain covers its text"),
    "DEC-6": Rule("SYS", "D", "the movement assessment is a fitness appraisal"),
    "DEC-8": Rule("SYS", "D", "single-leg squat and pushing/pulling assessments"),
    "DEC-9": Rule("SYS", "D", "a written clearance on file"),
    "DEC-10": Rule("SYS", "D", "recorded values decide their PAR-Q+ items"),
}
