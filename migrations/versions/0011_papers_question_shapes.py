"""Papers keep each question's type and number of options: what every save is checked against

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 21:40:00
"""
from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('papers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('question_shapes', sa.Text(), nullable=True))
    # Papers drawn before this revision: derived from their frozen snapshot, as draw_papers does from now on
    # (kept here as it was on the day, so that later changes to the code do not change this migration).
    papers = sa.table('papers', sa.column('id', sa.Integer), sa.column('snapshot', sa.JSON),
                      sa.column('question_shapes', sa.Text))
    connection = op.get_bind()
    for paper_id, snapshot in connection.execute(sa.select(papers.c.id, papers.c.snapshot)).all():
        questions = (snapshot or {}).get('questions')
        if questions is None:
            continue
        shapes = [[q["type"], len(q["options"])] for q in questions]
        connection.execute(papers.update().where(papers.c.id == paper_id).values(question_shapes=json.dumps(shapes)))


def downgrade() -> None:
    with op.batch_alter_table('papers', schema=None) as batch_op:
        batch_op.drop_column('question_shapes')
