"""clients.preferred_language and previsit_links.language (issue 15 item 6): the
language a client reads their emails and pre-visit page in

Revision ID: 3c1e9a7d5b21
Revises: efc8f54b90ba
Create Date: 2026-12-04 11:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "3c1e9a7d5b21"
down_revision = "efc8f54b90ba"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("preferred_language", sa.String(length=16), nullable=True))
    with op.batch_alter_table("previsit_links", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=16), server_default="en", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("previsit_links", schema=None) as batch_op:
        batch_op.drop_column("language")
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("preferred_language")
