"""board needs review column issue 10 item 8

The board's "Needs review" filter (DEC-2 / DEC-3 flags staff confirm or dismiss), on
an index like the other filters; existing rows are filled from their latest decision's
flags.

Revision ID: a26ce10d926b
Revises: 9bb0cdeef21c
Create Date: 2026-12-03 23:19:01.779787
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a26ce10d926b"
down_revision = "9bb0cdeef21c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("client_cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("needs_review", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index(
            "ix_client_cases_board_review_order",
            ["needs_review", "board_rank", "waiting_since", "client_id"],
            unique=False,
        )
    op.get_bind().execute(
        sa.text(
            "UPDATE client_cases SET needs_review = :yes WHERE decision_id IN "
            "(SELECT id FROM decisions WHERE CAST(flags AS TEXT) LIKE :pattern)"
        ),
        {"yes": True, "pattern": '%"review:%'},
    )


def downgrade() -> None:
    with op.batch_alter_table("client_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_client_cases_board_review_order")
        batch_op.drop_column("needs_review")
