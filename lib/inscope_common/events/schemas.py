"""One marshmallow schema per event type and version.

Events carry identifiers and the facts their consumers need to decide, never direct
identifiers (names, contact details, date of birth): those stay in the intake service's
database and are fetched over HTTP by the one service that needs them (notify), at send
time. See README, "Architecture".
"""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, validate

OUTCOMES = ("refer", "clearance", "hold", "in_scope")
URGENCIES = ("emergency", "urgent", "routine", "none")
TARGETS = ("emergency_services", "physician", "physical_therapist")


class _Data(Schema):
    intake_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    client_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class IntakeSubmittedV1(_Data):
    # The clinical answers of the intake (PAR-Q+, ACSM inputs, red flags, pain, history,
    # notes) without the physician's contact details or the consent record.
    screening = fields.Dict(required=True)
    age_years = fields.Integer(required=True, allow_none=True)
    consent = fields.Dict(
        keys=fields.String(), values=fields.Boolean(), required=True
    )  # {assessment, share_with_physician, email}: the flags, not the signed record
    has_physician_contact = fields.Boolean(required=True)
    # The staff account responsible for the client (may sign screening-only letters).
    responsible_id = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=64)
    )
    # Corrections make new versions of the same intake (intake.corrected); 1 = as submitted.
    version = fields.Integer(load_default=1, validate=validate.Range(min=1))


class IntakeCorrectedV1(IntakeSubmittedV1):
    """A new version of an intake: the client is screened again on it, and whatever was
    decided or sent on an older version is superseded. Who corrected it and why stay in
    the intake service (the reason is free text and may name the client)."""

    version = fields.Integer(required=True, validate=validate.Range(min=2))
    corrected_at = fields.String(required=True)


class PrevisitInvitedV1(_Data):
    """The front desk sent a client a pre-visit link (intake service): notify emails it.
    No client or intake exists yet, so ``intake_id`` and ``client_id`` are the link's
    id; the address is read from the intake service at send time, like every contact."""

    invitation_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    link_url = fields.String(required=True, validate=validate.Length(min=1, max=500))
    expires_at = fields.String(required=True)


class AssessmentRecordedV1(_Data):
    assessment_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class AssessmentScoredV1(_Data):
    assessment_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    assessment = fields.Dict(required=True)  # the trainer's findings (no identifiers)
    scoring = fields.Dict(required=True)
    # The staff account (referral service) of the trainer who assessed: letters and the
    # client's email are signed by them. None for assessments recorded before it was kept.
    assessed_by = fields.String(load_default=None, allow_none=True)


class SignerSchema(Schema):
    """Who signs a decision's letter and client email: the assessing trainer's staff
    profile (after an assessment); screening only, the staff member responsible for the
    client or the facility's lead (a staff account, or a name and credential from the
    settings: no account id). A staff member's name and credential, not a client
    identifier."""

    account_id = fields.String(required=True, allow_none=True)
    name = fields.String(required=True)
    credential = fields.String(load_default=None, allow_none=True)
    registration = fields.String(load_default=None, allow_none=True)
    basis = fields.String(
        required=True, validate=validate.OneOf(("assessed", "responsible", "lead"))
    )


class _Reason(Schema):
    class Meta:
        unknown = INCLUDE

    rule = fields.String(required=True)
    source = fields.String(required=True)
    facts = fields.Raw(required=True)


class ReferralDecidedV1(_Data):
    decision_id = fields.String(required=True)
    stage = fields.String(required=True, validate=validate.OneOf(("screening", "assessment")))
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    urgency = fields.String(required=True, validate=validate.OneOf(URGENCIES))
    target = fields.String(required=True, allow_none=True, validate=validate.OneOf(TARGETS))
    program_state = fields.String(required=True, allow_none=True)
    reasons = fields.List(fields.Nested(_Reason), required=True)
    flags = fields.List(fields.String(), required=True)
    program = fields.Dict(required=True, allow_none=True)
    # Every target needed (SYS-2 names one headline target), and the intensity cap.
    referrals = fields.List(fields.Dict(), load_default=list)
    intensity_cap = fields.String(load_default=None, allow_none=True)
    consent = fields.Dict(keys=fields.String(), values=fields.Boolean(), required=True)
    has_physician_contact = fields.Boolean(required=True)
    # The referral this decision opened (outcome refer/clearance), tracked until closed.
    referral = fields.Nested(lambda: ReferralRefSchema(), load_default=None, allow_none=True)
    # Who signs (SignerSchema); None: the deployment's TRAINER_NAME/TRAINER_CREDENTIAL.
    signed_by = fields.Nested(SignerSchema, load_default=None, allow_none=True)
    # Issue 8 item 5: the first decision on a corrected intake version. What was decided
    # and sent on the older version no longer stands: notify withdraws its unsent emails
    # and tells the client this update replaces the earlier one.
    intake_version = fields.Integer(load_default=1, validate=validate.Range(min=1))
    corrected = fields.Boolean(load_default=False)


REFERRAL_STATUSES = (
    "needed",
    "sent",
    "delivered",
    "viewed",
    "answered",
    "closed",
    "overdue",
)
ANSWERS = ("cleared", "cleared_with_restrictions", "not_cleared", "needs_visit")
INTENSITIES = ("light", "moderate", "vigorous")


REQUEST_KINDS = ("evaluation", "clearance", "emergency_follow_up")
MEANWHILE = (
    "no_training_emergency_care_first",
    "no_training_until_cleared",
    "moderate_intensity_only_until_cleared",
    "no_training_until_information_complete",
    "no_training_until_recovered",
    "training_continues",
)


class ClinicianRequestSchema(Schema):
    """What a referral asks of the clinician (REF-1 items 6 and 7), exactly as
    ``inscope_clinical.letters.request.build_request`` makes it and the letter words it."""

    kind = fields.String(required=True, validate=validate.OneOf(REQUEST_KINDS))
    evaluation = fields.Boolean(required=True)
    treatment = fields.Boolean(required=True)
    clearance_for_intensity = fields.String(required=True, validate=validate.OneOf(INTENSITIES))
    restrictions = fields.Boolean(required=True)
    exercise_guidelines = fields.Boolean(required=True)
    meanwhile = fields.String(required=True, validate=validate.OneOf(MEANWHILE))
    meanwhile_intensity = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(INTENSITIES)
    )
    rules = fields.List(fields.String(), required=True)
    summary = fields.String(required=True)


class ReferralRefSchema(Schema):
    referral_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    # The physician's secure answer link (signed, expiring, single-referral token).
    answer_url = fields.String(required=True, allow_none=True)
    # The same, for the letter the client carries (no consent to share, or no clinician
    # email): an answer through it is unverified until staff verify it (DEC-7).
    carried_answer_url = fields.String(load_default=None, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(REFERRAL_STATUSES))
    target = fields.String(required=True, allow_none=True, validate=validate.OneOf(TARGETS))
    urgency = fields.String(required=True, validate=validate.OneOf(URGENCIES))
    # What is asked of the clinician: evaluation, clearance for an intensity, guidelines.
    request = fields.Nested(ClinicianRequestSchema, required=True)
    # 2 and up: this letter replaces an earlier one of the same referral (a newer
    # decision asked the same clinician the same thing); the link stays the same.
    letter_version = fields.Integer(load_default=1, validate=validate.Range(min=1))


class NotificationSentV1(_Data):
    """Notify tells the referral service what became of each email."""

    delivery_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.Length(min=1, max=40))
    referral_id = fields.String(load_default=None, allow_none=True)
    recipient_role = fields.String(
        required=True, validate=validate.OneOf(("client", "physician", "trainer"))
    )
    # sent: accepted by the SMTP server; failed: permanent SMTP error; blocked: the scope
    # guard or missing consent/contact stopped it.
    status = fields.String(required=True, validate=validate.OneOf(("sent", "failed", "blocked")))
    detail = fields.String(load_default=None, allow_none=True)


class RestrictionsSchema(Schema):
    max_intensity = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(INTENSITIES)
    )
    avoid_movements = fields.List(
        fields.String(validate=validate.Length(max=200)), load_default=list
    )
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000))


class ReferralAnsweredV1(_Data):
    referral_id = fields.String(required=True)
    answer = fields.String(required=True, validate=validate.OneOf(ANSWERS))
    restrictions = fields.Nested(RestrictionsSchema, load_default=None, allow_none=True)
    answered_at = fields.String(required=True)
    answered_by = fields.String(load_default=None, allow_none=True)
    # DEC-7: the program built within a clearing answer for an assessed client (the
    # engine's program dict), attached to the client's email as the program they hold.
    program = fields.Dict(load_default=None, allow_none=True)
    # How the answer came: the clinician's own emailed link, or the letter the client
    # carried (then published only once staff verified it with the clinician).
    channel = fields.String(
        load_default="emailed_link",
        validate=validate.OneOf(("emailed_link", "client_carried_letter")),
    )
    verified_by = fields.String(load_default=None, allow_none=True)
    # DEC-7 carry-over: an answer given before the assessment, published again once the
    # scored assessment lets the program be built within it (``program`` set), so the
    # client and the trainer get the program as a fresh answer would give it.
    after_assessment = fields.Boolean(load_default=False)


class ReferralStatusChangedV1(_Data):
    """Where the client stands changed: a new decision, or a clinician's answer. Carries
    what ``inscope_clinical.journey`` needs to compute the status (the decision without
    identifiers, the answer that applies to it); consumers compute it themselves, so
    every service reads the one computation."""

    intake_version = fields.Integer(load_default=1, validate=validate.Range(min=1))
    decision_id = fields.String(required=True, allow_none=True)
    decision = fields.Dict(required=True, allow_none=True)
    answer = fields.Dict(load_default=None, allow_none=True)
    # What staff did about the decision's emergency (acknowledged, resolved with a note).
    emergency = fields.Dict(load_default=None, allow_none=True)
    status = fields.String(required=True)  # as the referral service computed it
    changed_at = fields.String(required=True)


class ReferralReminderDueV1(_Data):
    referral_id = fields.String(required=True)
    decision_id = fields.String(required=True)
    reminder_number = fields.Integer(required=True, validate=validate.Range(min=1, max=10))
    answer_url = fields.String(required=True)
    target = fields.String(required=True, allow_none=True, validate=validate.OneOf(TARGETS))
    urgency = fields.String(required=True, validate=validate.OneOf(URGENCIES))


class ReferralProgressDueV1(_Data):
    referral_id = fields.String(required=True)
    period_start = fields.String(required=True)
    period_end = fields.String(required=True)
    # What the gym knows: attendance when recorded, changes between assessments, the
    # current program phase. No diagnosis.
    attendance = fields.Dict(load_default=None, allow_none=True)
    reassessment_changes = fields.List(fields.Dict(), load_default=list)
    current_phase = fields.String(load_default=None, allow_none=True)


class ClientErasureRequestedV1(Schema):
    """An admin asked for the client's data to be erased (issue 12 item 8): each service
    erases or pseudonymises what it holds and records it in its own audit log. Carries
    who asked (an account id and name, no client data)."""

    client_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    requested_by = fields.String(required=True, validate=validate.Length(min=1, max=64))
    requested_by_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=300))


class ScreeningCopy(Schema):
    intake_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    screening = fields.Dict(required=True)


class ClientIdentityErasedV1(ClientErasureRequestedV1):
    """Intake erased the client's identity (published in that transaction): what the
    other services hold under other ids, and the screening as pseudonymised (the client's
    own words without the identifiers intake knew). Ids only, no client data."""

    previsit_link_ids = fields.List(fields.String(validate=validate.Length(max=64)),
                                    load_default=list)  # fmt: skip
    inbound_referral_ids = fields.List(fields.String(validate=validate.Length(max=64)),
                                       load_default=list)  # fmt: skip
    screenings = fields.List(fields.Nested(ScreeningCopy), load_default=list)


DATA_SCHEMAS: dict[str, type[Schema]] = {
    "client.erasure_requested.v1": ClientErasureRequestedV1,
    "client.identity_erased.v1": ClientIdentityErasedV1,
    "intake.submitted.v1": IntakeSubmittedV1,
    "intake.corrected.v1": IntakeCorrectedV1,
    "intake.previsit_invited.v1": PrevisitInvitedV1,
    "assessment.recorded.v1": AssessmentRecordedV1,
    "assessment.scored.v1": AssessmentScoredV1,
    "referral.decided.v1": ReferralDecidedV1,
    "notification.sent.v1": NotificationSentV1,
    "referral.answered.v1": ReferralAnsweredV1,
    "referral.status_changed.v1": ReferralStatusChangedV1,
    "referral.reminder_due.v1": ReferralReminderDueV1,
    "referral.progress_due.v1": ReferralProgressDueV1,
}
