"""What every InScope service shares: event contracts, configuration, the Celery app
factory, the transactional outbox, idempotent consumers and dead letters.

This package never imports a service (an import-linter contract enforces it)."""
