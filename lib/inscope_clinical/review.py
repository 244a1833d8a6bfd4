"""The staff review loop (DEC-2, DEC-3; client-journey.md "needs_review").

A decision flagged ``review:free_text`` or ``review:contradiction`` lists what staff
must look at: each free-text mention the engine took as a structured answer (with the
words matched) and each contradiction (both sides). Per item, staff either

- **confirm** it: the mention becomes the structured answer (the red flag, ACSM sign or
  PAR-Q+ item is set on a corrected intake version; a contradiction's NO becomes YES),
  or
- **dismiss** it with a reason.

Both are written into the intake itself (``intake.review``: who, when, why), so the
correction path re-screens the client on a new version and the engine reads them:

- a dismissed free-text mention is not graded again ("re-screen without it",
  client-journey.md; DEC-2), and is listed as dismissed;
- a dismissed contradiction changes nothing in the decision: DEC-3 takes the more
  serious answer and no rule lets a dismissal lower it; it only stops asking for review.
  To change the answer itself, staff correct the intake.
- a confirmed mention with no structured answer to set (plain pain, RF-4: a pain row
  needs side and scores the words do not give) keeps its referral and stops asking.

Pure: standard library only.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

PAIN_FLAG = "rf4.musculoskeletal_pain"
ACTIONS = ("confirm", "dismiss")
# Words in a language the screening does not read (inscope_clinical.languages): there is
# nothing to confirm, so staff dismiss them saying what they say (after correcting the
# intake where they describe a symptom). The same key as a mention of this "flag".
UNREAD = "unread_language"


def mention_key(field: str | None, flag: str | None, words: str | None) -> str:
    """A short stable id for one mention (the same words of the same field read as the
    same answer)."""
    said = " ".join((words or "").lower().split())
    raw = json.dumps(["free_text", field or "", flag or "", said])
    return "m-" + hashlib.sha256(raw.encode()).hexdigest()[:12]


def contradiction_key(answer: str) -> str:
    raw = json.dumps(["contradiction", answer])
    return "c-" + hashlib.sha256(raw.encode()).hexdigest()[:12]


# -- what the intake records --------------------------------------------------------


def settled(intake: dict[str, Any] | None) -> dict[str, str]:
    """{item key: "confirmed" | "dismissed"} from the intake's review record."""
    review = (intake or {}).get("review") or {}
    out: dict[str, str] = {}
    for entry in review.get("confirmed") or []:
        out[entry.get("key", "")] = "confirmed"
    for entry in review.get("dismissed") or []:
        out[entry.get("key", "")] = "dismissed"
    return out


def is_dismissed_mention(intake: dict[str, Any] | None, field: str, flag: str,
                         words: str) -> bool:
    items = settled(intake)  # most intakes record no review: no key to work out
    return bool(items) and items.get(mention_key(field, flag, words)) == "dismissed"


def is_confirmed_mention(intake: dict[str, Any] | None, field: str, flag: str,
                         words: str) -> bool:
    items = settled(intake)
    return bool(items) and items.get(mention_key(field, flag, words)) == "confirmed"


def is_dismissed_contradiction(intake: dict[str, Any] | None, answer: str) -> bool:
    items = settled(intake)
    return bool(items) and items.get(contradiction_key(answer)) == "dismissed"


# -- what the decision asks --------------------------------------------------------


URGENCY_ORDER = ("emergency", "urgent", "routine", "none", None)


def items(decision: dict[str, Any] | None) -> list[dict[str, Any]]:
    """What staff must confirm or dismiss, from a decision, each with a ``key``.

    Free-text mentions are grouped per overlapping words of one field ("chest pain
    right now" read as chest pain now, an ACSM sign and PAR-Q+ 2 is one item); a
    contradiction between a structured NO and those words is part of the same item
    (``contradicts``: confirming the words answers YES there too). A contradiction
    between structured answers or recorded values is an item of its own, with both
    sides (``answer`` said NO, ``against``)."""
    if not decision:
        return []
    flags = decision.get("flags") or []
    reasons = decision.get("reasons") or []
    groups: list[dict[str, Any]] = []
    if "review:free_text" in flags:
        for r in reasons:
            facts = r.get("facts") if isinstance(r.get("facts"), dict) else {}
            if r.get("rule") != "SYS-7" or facts.get("answered"):
                continue
            mentions = facts.get("mentions")
            if not mentions and facts.get("phrase") and facts.get("flags"):
                mentions = [{"field": facts.get("field"), "phrase": facts.get("phrase"),
                             "flag": f} for f in facts["flags"]]
            for m in mentions or []:
                _group(groups, m, r)
    out = [_finish(g) for g in groups]
    if "review:free_text" in flags:
        out += _unread(reasons)
    if "review:contradiction" in flags:
        seen: set[str] = set()
        for r in reasons:
            facts = r.get("facts") if isinstance(r.get("facts"), dict) else {}
            if r.get("rule") != "DEC-3":
                continue
            for row in facts.get("contradictions") or []:
                if row.get("dismissed") or not row.get("answer") or row["answer"] in seen:
                    continue
                seen.add(row["answer"])
                against = row.get("against") or []
                owner = _owner(out, against)
                if owner is not None:
                    owner["contradicts"].append(row["answer"])
                    continue
                out.append({
                    "key": contradiction_key(row["answer"]),
                    "kind": "contradiction",
                    "field": row["answer"],
                    "answer": row["answer"],
                    "answered": row.get("answered"),
                    "against": against,
                    "words": _against_words(against),
                })
    return out


def _unread(reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One item per field whose words the screening could not read (SYS-8)."""
    out = []
    for r in reasons:
        facts = r.get("facts") if isinstance(r.get("facts"), dict) else {}
        for row in (facts.get("unread_text") if r.get("rule") == "SYS-8" else None) or []:
            field, words = row.get("field") or "", row.get("phrase") or ""
            out.append({"key": mention_key(field, UNREAD, words), "kind": "unread",
                        "field": field, "words": words, "language": row.get("language"),
                        "flags": [], "mentions": [], "urgency": None, "contradicts": []})
    return out


def _group(groups: list[dict[str, Any]], m: dict[str, Any], reason: dict[str, Any]) -> None:
    field, words = m.get("field") or "", (m.get("phrase") or "").strip()
    low = words.lower()
    key = mention_key(field, m.get("flag"), words)
    for g in groups:
        if g["field"] != field:
            continue
        if any(low in w or w in low for w in g["_low"]):
            if key not in {x["key"] for x in g["mentions"]}:
                g["mentions"].append({"key": key, "field": field, "words": words,
                                      "flag": m.get("flag")})
                g["_low"].append(low)
            g["_urgency"].append(reason.get("urgency"))
            g["_whose"].append(_of_relative(reason))
            return
    groups.append({"field": field, "_low": [low], "_urgency": [reason.get("urgency")],
                   "_whose": [_of_relative(reason)],
                   "mentions": [{"key": key, "field": field, "words": words,
                                 "flag": m.get("flag")}]})


def _finish(g: dict[str, Any]) -> dict[str, Any]:
    keys = sorted(x["key"] for x in g["mentions"])
    words = max((x["words"] for x in g["mentions"]), key=len)
    urgency = min(g["_urgency"], key=lambda u: URGENCY_ORDER.index(u)
                  if u in URGENCY_ORDER else len(URGENCY_ORDER))
    return {
        "key": "g-" + hashlib.sha256(json.dumps(keys).encode()).hexdigest()[:12],
        "kind": "free_text",
        "field": g["field"],
        "words": words,
        "flags": list(dict.fromkeys(x["flag"] for x in g["mentions"] if x["flag"])),
        "mentions": g["mentions"],
        "urgency": urgency if urgency in ("emergency", "urgent", "routine") else None,
        "contradicts": [],
        # said of a relative in notes that say nothing of the writer: whose is it?
        "whose": "relative" if all(g["_whose"]) else None,
    }


def _of_relative(reason: dict[str, Any]) -> bool:
    facts = reason.get("facts") if isinstance(reason.get("facts"), dict) else {}
    return facts.get("whose") == "relative"


def _owner(groups: list[dict[str, Any]], against: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The free-text item whose words make a contradiction (every ``against`` side is
    one of its mentions), if any."""
    if not against or not all(a.get("words") and a.get("flag") for a in against):
        return None
    for g in groups:
        if g["kind"] != "free_text":
            continue
        mine = {(x["field"], x["words"], x["flag"]) for x in g["mentions"]}
        if any((a.get("field"), a.get("words"), a.get("flag")) in mine for a in against):
            return g
    return None


def _against_words(against: list[dict[str, Any]]) -> str:
    parts = []
    for a in against:
        what = a.get("words") or a.get("value") or a.get("answer") or a.get("field")
        if isinstance(what, dict):
            what = ", ".join(f"{k} {v}" for k, v in what.items())
        parts.append(f"{a.get('field') or a.get('answer') or ''}: {what}".strip(": "))
    return "; ".join(parts)


# -- what confirming and dismissing write --------------------------------------------


class ReviewProblem(ValueError):
    pass


def apply(intake: dict[str, Any], decision: dict[str, Any] | None, key: str, action: str,
          reason: str, who: dict[str, str], at: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The corrected intake document for one confirm/dismiss of item ``key``, and the
    review entry written into it. Raises ReviewProblem (no such open item, no reason to
    dismiss, unknown action)."""
    if action not in ACTIONS:
        raise ReviewProblem(f"unknown action {action!r}: confirm or dismiss")
    reason = (reason or "").strip()
    if action == "dismiss" and not reason:
        raise ReviewProblem("Say why the flag is dismissed (a reason is required).")
    found = next((i for i in items(decision) if i["key"] == key), None)
    if found is None:
        raise ReviewProblem("No such flagged item on the client's current decision.")
    doc = copy.deepcopy(intake)
    base = {
        "kind": found["kind"],
        "reason": reason or "Confirmed on review",
        "by": who.get("account_id", ""),
        "by_name": who.get("name", ""),
        "by_role": who.get("role", ""),
        "at": at,
    }
    set_paths: list[str] = []
    if found["kind"] == "unread":
        if action == "confirm":
            raise ReviewProblem("Words the screening could not read have nothing to tick: "
                                "correct the intake if they describe a symptom, then "
                                "dismiss this flag saying what they say.")
        entries = [{**base, "key": key, "field": found["field"], "flag": UNREAD,
                    "words": found["words"][:1000]}]
    elif found["kind"] == "free_text":
        if action == "confirm":
            set_paths = [f for f in found["flags"] if f != PAIN_FLAG] + found["contradicts"]
        entries = [{**base, "key": m["key"], "field": m["field"], "flag": m["flag"],
                    "words": m["words"]} for m in found["mentions"]]
    else:
        if action == "confirm":
            set_paths = [found["answer"]]
        entries = [{**base, "key": key, "field": found["answer"], "flag": found["answer"],
                    "words": found["words"][:1000]}]
    for path in set_paths:
        _set_true(doc, path)
    if set_paths:
        for e in entries:
            e["set"] = set_paths
    section = doc.setdefault("review", {})
    bucket = "confirmed" if action == "confirm" else "dismissed"
    section[bucket] = [*(section.get(bucket) or []), *entries]
    summary = {**base, "key": key, "action": action, "words": found["words"],
               "field": found["field"], "set": set_paths}
    return doc, summary


def _set_true(doc: dict[str, Any], path: str) -> None:
    """Tick the structured answer at ``path`` (red_flags.x, acsm.signs_symptoms.x,
    acsm.known_*, parq.general.gN, parq.delay.x, parq.followups.sN.x)."""
    parts = path.split(".")
    if parts[0] not in ("red_flags", "acsm", "parq") or len(parts) < 2:
        raise ReviewProblem(f"no structured answer for {path}")
    node = doc
    for part in parts[:-1]:
        nxt = node.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            node[part] = nxt
        node = nxt
    if parts[0] == "acsm" and parts[1] == "signs_symptoms" and isinstance(node, list):
        raise ReviewProblem(f"no structured answer for {path}")
    node[parts[-1]] = True
