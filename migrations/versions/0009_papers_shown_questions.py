"""Papers keep what the terminal shows, ready-encoded: the questions without keys, and the duration

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 19:05:00
"""
from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('papers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('questions_shown', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('duration_seconds', sa.Float(), nullable=True))
    # Papers drawn before this revision: derived from their frozen snapshot, as draw_papers does from now on
    # (kept here as it was on the day, so that later changes to the code do not change this migration).
    papers = sa.table('papers', sa.column('id', sa.Integer), sa.column('snapshot', sa.JSON),
                      sa.column('questions_shown', sa.Text), sa.column('duration_seconds', sa.Float))
    connection = op.get_bind()
    for paper_id, snapshot in connection.execute(sa.select(papers.c.id, papers.c.snapshot)).all():
        questions = (snapshot or {}).get('questions')
        if questions is None:
            continue
        shown = [{"position": q["position"], "type": q["type"], "stem": q["stem"], "options": list(q["options"]),
                  "points": q["points"]} for q in questions]
        duration = snapshot.get('blueprint', {}).get('duration_minutes')
        connection.execute(papers.update().where(papers.c.id == paper_id).values(
            questions_shown=json.dumps(shown, ensure_ascii=False),
            duration_seconds=None if duration is None else float(duration) * 60))


def downgrade() -> None:
    with op.batch_alter_table('papers', schema=None) as batch_op:
        batch_op.drop_column('duration_seconds')
        batch_op.drop_column('questions_shown')
