"""What a deployment gives the notify service's processes (see inscope_common.deployment)."""

from inscope_common.deployment import Role, ServiceContract

CONTRACT = ServiceContract(
    service="notify",
    port=5104,
    roles={
        "migrate": Role(),
        "web": Role(required=("INSCOPE_STAFF_TOKEN_PUBLIC_KEY",)),
        # Sends the mail: reads contact details from intake at send time; the letters'
        # sender, facility and emergency number have demo defaults only.
        "worker": Role(
            required=(
                "NOTIFY_SERVICE_KEY",
                "SMTP_URL",
                "FACILITY_ADDRESS",
                "FACILITY_PHONE",
                "FACILITY_EMAIL",
                "TRAINER_NAME",
                "TRAINER_CREDENTIAL",
                "STAFF_EMAIL",
                "EMERGENCY_NUMBER",
            ),
            optional=("MAIL_FROM", "FACILITY_NAME", "URGENT_WITHIN_DAYS"),
            calls=("intake",),
        ),
        "relay": Role(),
    },
)
