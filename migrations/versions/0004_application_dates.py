"""application dates

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 14:49:05.135290
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('exam_applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trained_until', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('off_post_since', sa.Date(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('exam_applications', schema=None) as batch_op:
        batch_op.drop_column('off_post_since')
        batch_op.drop_column('trained_until')

