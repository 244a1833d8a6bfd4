"""What a deployment gives the assessment service's processes (see
inscope_common.deployment)."""

from inscope_common.deployment import Role, ServiceContract

CONTRACT = ServiceContract(
    service="assessment",
    port=5102,
    roles={
        "migrate": Role(),
        # Verifies staff credentials and reads client names from intake as the trainer.
        "web": Role(required=("INSCOPE_AUTH_SECRET",), calls=("intake",)),
        "worker": Role(),
        "relay": Role(),
    },
)
