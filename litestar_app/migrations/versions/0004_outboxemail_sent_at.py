"""users_outboxemail.sent_at: when the delivery job handed the e-mail to the transport

Mirrors the Django migration users/0003_outboxemail_sent_at (nullable timestamp).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 19:10:00

"""

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users_outboxemail") as batch:
        batch.add_column(sa.Column("sent_at", DateTimeUTC(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users_outboxemail") as batch:
        batch.drop_column("sent_at")
