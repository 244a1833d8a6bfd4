"""Who the clients are, for other services' staff pages: a name search that answers with
client ids, and the names of one page of clients in one call. Names stay here (the
referral service keeps no identifiers); the board asks for them a page at a time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_, select

from inscope_common.runtime import Runtime
from inscope_intake.models import Client, Intake, name_key

# Above this many matches the caller is told to type more of the name.
MAX_MATCHES = 1000
# One board page of names per call, at most.
MAX_NAMES = 200
MAX_WORDS = 4
# Above every character: key >= word and key < word + TOP is "key starts with word".
TOP = "\U0010ffff"


def search_words(query: str) -> list[str]:
    """The words of a search that can match a name (at least one letter or digit)."""
    words = [w for w in name_key(query).split() if any(c.isalnum() for c in w)]
    return words[:MAX_WORDS]


def search(rt: Runtime, query: str, limit: int = MAX_MATCHES) -> tuple[list[str], bool]:
    """Client ids whose first or last name starts with every word of ``query`` (case
    and accents ignored), and whether there were more than ``limit``. Each word is an
    index range on the stored name keys, so it stays fast at 100,000 clients."""
    words = search_words(query)
    if not words:
        return [], False
    conditions = [
        or_(
            and_(Client.first_key >= word, Client.first_key < word + TOP),
            and_(Client.last_key >= word, Client.last_key < word + TOP),
        )
        for word in words
    ]
    stmt = select(Client.id).where(*conditions).order_by(Client.id).limit(limit + 1)
    with rt.session_factory() as session:
        ids = list(session.scalars(stmt))
    return ids[:limit], len(ids) > limit


def names(rt: Runtime, client_ids: list[str]) -> list[dict[str, Any]]:
    """First and last name of each known client, the language they read (their
    ``preferred_language``; None: they named none) and their physician's name from the
    latest intake (for "Waiting for Dr ..."): two queries for the whole page."""
    wanted = list(dict.fromkeys(client_ids))[:MAX_NAMES]
    if not wanted:
        return []
    with rt.session_factory() as session:
        rows = session.execute(
            select(Client.id, Client.first_name, Client.last_name, Client.preferred_language)
            .where(Client.id.in_(wanted))
        ).all()
        physicians: dict[str, str | None] = {}
        intakes = session.execute(
            select(Intake.client_id, Intake.document)
            .where(Intake.client_id.in_(wanted))
            .order_by(Intake.submitted_at)
        )
        for client_id, document in intakes:
            physicians[client_id] = ((document or {}).get("physician") or {}).get("name")
    found = {
        row.id: {
            "client_id": row.id,
            "first_name": row.first_name,
            "last_name": row.last_name,
            "language": row.preferred_language,
            "physician": physicians.get(row.id),
        }
        for row in rows
    }
    return [found[i] for i in wanted if i in found]
