"""Face templates of registered photos and face-check decisions

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 16:42:31.269506
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('face_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('template', sa.LargeBinary(), nullable=False),
    sa.Column('photo_sha256', sa.String(length=64), nullable=False),
    sa.Column('engine', sa.String(length=40), nullable=False),
    sa.Column('face_width', sa.Integer(), nullable=False),
    sa.Column('sharpness', sa.Double(), nullable=False),
    sa.Column('brightness', sa.Double(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_face_templates_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_face_templates')),
    sa.UniqueConstraint('person_id', name=op.f('uq_face_templates_person_id'))
    )
    op.create_table('face_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.Enum('accept', 'review', 'reject', name='face_outcome', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('distance', sa.Double(), nullable=True),
    sa.Column('accept_threshold', sa.Double(), nullable=False),
    sa.Column('review_threshold', sa.Double(), nullable=False),
    sa.Column('frames_sent', sa.Integer(), nullable=False),
    sa.Column('frames_used', sa.Integer(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('snapshot_path', sa.String(length=255), nullable=True),
    sa.Column('snapshot_sha256', sa.String(length=64), nullable=True),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('resolution', sa.Enum('confirmed', 'refused', name='review_resolution', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolution_reason', sa.String(length=200), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['candidate_id'], ['session_candidates.id'], name=op.f('fk_face_checks_candidate_id_session_candidates')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_face_checks_device_id_devices')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['staff_users.id'], name=op.f('fk_face_checks_resolved_by_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_face_checks'))
    )
    with op.batch_alter_table('face_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_face_checks_candidate_id'), ['candidate_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('face_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_face_checks_candidate_id'))

    op.drop_table('face_checks')
    op.drop_table('face_templates')
