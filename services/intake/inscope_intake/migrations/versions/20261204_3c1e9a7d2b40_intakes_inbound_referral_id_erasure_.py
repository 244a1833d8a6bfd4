"""intakes.inbound_referral_id (erasure reaches the inbound referral, issue 12)

Revision ID: 3c1e9a7d2b40
Revises: 2e13ef48a973
Create Date: 2026-12-04 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "3c1e9a7d2b40"
down_revision = "2e13ef48a973"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("intakes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("inbound_referral_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("intakes", schema=None) as batch_op:
        batch_op.drop_column("inbound_referral_id")
