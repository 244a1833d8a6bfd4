"""What a deployment gives the assessment service's processes (see
inscope_common.deployment)."""

from inscope_common.deployment import Role, ServiceContract

CONTRACT = ServiceContract(
    service="assessment",
    port=5102,
    roles={
        "migrate": Role(),
        # Verifies staff credentials (the identity owner's public key) and reads client
        # names from intake with the trainer's own credential.
        "web": Role(required=("INSCOPE_STAFF_TOKEN_PUBLIC_KEY",), calls=("intake",)),
        "worker": Role(),
        "relay": Role(),
    },
)
