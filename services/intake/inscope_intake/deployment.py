"""What a deployment gives the intake service's processes (see inscope_common.deployment)."""

from inscope_common.deployment import Role, ServiceContract

CONTRACT = ServiceContract(
    service="intake",
    port=5101,
    roles={
        "migrate": Role(),
        # Guards the internal contact endpoints (the public keys of the services that may
        # read them: notify and referral); verifies staff credentials (the identity
        # owner's public key); signs the clients' pre-visit links with its own secret;
        # the intake page opened from an inbound referral's link reads that referral.
        "web": Role(
            required=(
                "NOTIFY_SERVICE_PUBLIC_KEY", "REFERRAL_SERVICE_PUBLIC_KEY",
                "INSCOPE_STAFF_TOKEN_PUBLIC_KEY", "INTAKE_PREVISIT_SECRET",
            ),
            optional=("INTAKE_PUBLIC_URL", "INTAKE_PREVISIT_LINK_DAYS"),
            calls=("referral",),
        ),
        # Keeps the referral service's status for the front desk's confirmation.
        "worker": Role(),
        "relay": Role(),
    },
)
