"""What a deployment gives the referral service's processes (see
inscope_common.deployment)."""

from inscope_common.deployment import Role, ServiceContract

# The physician's answer links: the web checks them, the worker writes them.
ANSWER_LINKS = ("REFERRAL_TOKEN_SECRET", "REFERRAL_PUBLIC_URL")

CONTRACT = ServiceContract(
    service="referral",
    port=5103,
    roles={
        "migrate": Role(),
        # The identity owner: signs staff in and alone signs their tokens (the private
        # key); reads names from intake as the signed-in person, the contact details on
        # the answer page with its own service key, deliveries from notify.
        "web": Role(
            required=(
                *ANSWER_LINKS, "INSCOPE_STAFF_TOKEN_PUBLIC_KEY",
                "INSCOPE_STAFF_TOKEN_PRIVATE_KEY", "REFERRAL_SERVICE_KEY",
            ),
            optional=(
                "REFERRAL_TOKEN_MAX_AGE_DAYS", "FACILITY_NAME", "URGENT_WITHIN_DAYS",
                "INSCOPE_ADMIN_TOTP", "REFERRAL_STATUS_WAITERS",
            ),
            calls=("intake", "assessment", "notify"),
        ),
        "worker": Role(
            required=ANSWER_LINKS,
            optional=(
                "REFERRAL_REMINDER_DAYS",
                "REFERRAL_MAX_REMINDERS",
                "REFERRAL_PROGRESS_WEEKS",
                "FACILITY_SCREENING_SIGNER",
                "FACILITY_LEAD_EMAIL",
                "FACILITY_LEAD_NAME",
                "FACILITY_LEAD_CREDENTIAL",
                "FACILITY_LEAD_REGISTRATION",
            ),
        ),
        "relay": Role(),
        "beat": Role(optional=("REFERRAL_SWEEP_INTERVAL",)),
    },
)
