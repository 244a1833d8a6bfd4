"""The assessment service's schema migrations (Alembic; see inscope_common.migrations)."""
