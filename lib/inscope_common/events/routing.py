"""Who receives which event.

Fan-out is explicit: the publisher pushes one copy of the event onto each subscriber's
own durable Redis list (its Celery queue). Redis pub/sub is never used: it drops
messages when nobody is listening.
"""

from __future__ import annotations

SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    # referral screens the answers. Not the assessment service (issue 13: one Celery
    # task fewer per client): it learns of the intake from the screening's
    # referral.status_changed, which every screening publishes and which creates its
    # row, and a trainer who asks before that is told to wait, not "no intake" (it asks
    # the intake service). Until then the client is not on the trainer's list, where
    # "screening pending" offered nothing to do.
    "intake.submitted.v1": ("referral",),
    # A corrected intake is screened again; the assessment service forgets the old gate
    # at once (DEC-6 fails closed: the old decision must not allow an assessment while
    # the correction is being screened).
    "intake.corrected.v1": ("referral", "assessment"),
    # A pre-visit link for the client: notify emails it.
    "intake.previsit_invited.v1": ("notify",),
    # The assessment service's own worker scores what its web process recorded.
    "assessment.recorded.v1": ("assessment",),
    "assessment.scored.v1": ("referral",),
    "referral.decided.v1": ("notify",),
    # Notify reports each email's fate so the referral moves needed -> sent -> delivered.
    "notification.sent.v1": ("referral",),
    "referral.answered.v1": ("notify",),
    # Where the client stands (inscope_clinical.journey): the intake's confirmation page
    # follows it; the assessment service gates assessments on it (DEC-6).
    "referral.status_changed.v1": ("intake", "assessment"),
    "referral.reminder_due.v1": ("notify",),
    "referral.progress_due.v1": ("notify",),
    # An admin asked, at the staff hub, for a client's data to be erased: every service
    # erases what it holds (inscope_common.client_rights), the hub included.
    "client.erasure_requested.v1": ("intake", "assessment", "referral", "notify"),
    # Intake erased the identity: what others hold under other ids (a pre-visit link's
    # email in notify, an inbound referral) and the pseudonymised screening copy.
    "client.identity_erased.v1": ("referral", "notify"),
}


# Who publishes each event type: a consumer refuses one whose source names another
# service, whatever it is signed with (inscope_common.events.signing).
PUBLISHERS: dict[str, str] = {
    "intake.submitted.v1": "intake",
    "intake.corrected.v1": "intake",
    "intake.previsit_invited.v1": "intake",
    "client.identity_erased.v1": "intake",
    "assessment.recorded.v1": "assessment",
    "assessment.scored.v1": "assessment",
    "referral.decided.v1": "referral",
    "referral.answered.v1": "referral",
    "referral.status_changed.v1": "referral",
    "referral.reminder_due.v1": "referral",
    "referral.progress_due.v1": "referral",
    "client.erasure_requested.v1": "referral",  # the staff hub
    "notification.sent.v1": "notify",
}


def subscribers_of(event_type: str) -> tuple[str, ...]:
    return SUBSCRIPTIONS.get(event_type, ())


def consume_task_name(service: str) -> str:
    """The Celery task each service registers to receive events."""
    return f"{service}.consume_event"
