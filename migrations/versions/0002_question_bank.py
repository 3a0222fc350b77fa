"""question bank

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 14:03:06.842884
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


ROLES_BEFORE = ("system_admin", "institution_staff", "exam_admin", "proctor", "examiner", "cert_officer",
                "regulator")
ROLES_AFTER = ROLES_BEFORE + ("bank_admin",)


def _role_check(roles: tuple[str, ...]) -> None:
    """Replace the CHECK constraint of staff_users.role (SQLite: by recreating the table)."""
    with op.batch_alter_table("staff_users", recreate="always") as batch_op:
        batch_op.drop_constraint(op.f("ck_staff_users_role"), type_="check")
        batch_op.create_check_constraint("role", sa.column("role").in_(roles))


def upgrade() -> None:
    _role_check(ROLES_AFTER)
    op.create_table('bank_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operation_item_code', sa.String(length=8), nullable=False),
    sa.Column('scope', sa.Enum('national', 'provincial', name='bank_scope', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('province_code', sa.String(length=2), nullable=True),
    sa.Column('use', sa.Enum('exam', 'practice', name='bank_use', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('exposure_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['operation_item_code'], ['operation_items.code'], name=op.f('fk_bank_items_operation_item_code_operation_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_items'))
    )
    with op.batch_alter_table('bank_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_items_operation_item_code'), ['operation_item_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_bank_items_use'), ['use'], unique=False)

    op.create_table('blueprints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operation_item_code', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['operation_item_code'], ['operation_items.code'], name=op.f('fk_blueprints_operation_item_code_operation_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blueprints')),
    sa.UniqueConstraint('operation_item_code', 'name', name=op.f('uq_blueprints_operation_item_code_name'))
    )
    with op.batch_alter_table('blueprints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_blueprints_operation_item_code'), ['operation_item_code'], unique=False)

    op.create_table('item_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'in_review', 'active', 'retired', name='item_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('type', sa.Enum('judge', 'single', 'multi', name='item_type', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('stem', sa.Text(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('answer', sa.JSON(), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('knowledge_point', sa.String(length=40), nullable=False),
    sa.Column('cognitive_level', sa.Enum('understand', 'master', 'proficient', name='cognitive_level', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('difficulty', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('content_key', sa.String(length=64), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.Column('review_note', sa.String(length=500), nullable=True),
    sa.CheckConstraint('difficulty BETWEEN 1 AND 5', name=op.f('ck_item_versions_difficulty_range')),
    sa.ForeignKeyConstraint(['author_id'], ['staff_users.id'], name=op.f('fk_item_versions_author_id_staff_users')),
    sa.ForeignKeyConstraint(['item_id'], ['bank_items.id'], name=op.f('fk_item_versions_item_id_bank_items')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['staff_users.id'], name=op.f('fk_item_versions_reviewer_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_versions')),
    sa.UniqueConstraint('item_id', 'number', name=op.f('uq_item_versions_item_id_number'))
    )
    with op.batch_alter_table('item_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_versions_content_key'), ['content_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_versions_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_versions_status'), ['status'], unique=False)

    op.create_table('papers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('blueprint_id', sa.Integer(), nullable=False),
    sa.Column('operation_item_code', sa.String(length=8), nullable=False),
    sa.Column('seed', sa.BigInteger(), nullable=False),
    sa.Column('question_count', sa.Integer(), nullable=False),
    sa.Column('total_points', sa.Float(), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['blueprint_id'], ['blueprints.id'], name=op.f('fk_papers_blueprint_id_blueprints')),
    sa.ForeignKeyConstraint(['operation_item_code'], ['operation_items.code'], name=op.f('fk_papers_operation_item_code_operation_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_papers'))
    )
    with op.batch_alter_table('papers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_papers_blueprint_id'), ['blueprint_id'], unique=False)

    op.create_table('scored_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('paper_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('item_version_id', sa.Integer(), nullable=False),
    sa.Column('chosen', sa.JSON(), nullable=False),
    sa.Column('correct', sa.Boolean(), nullable=False),
    sa.Column('points', sa.Float(), nullable=False),
    sa.Column('scored_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['bank_items.id'], name=op.f('fk_scored_responses_item_id_bank_items')),
    sa.ForeignKeyConstraint(['item_version_id'], ['item_versions.id'], name=op.f('fk_scored_responses_item_version_id_item_versions')),
    sa.ForeignKeyConstraint(['paper_id'], ['papers.id'], name=op.f('fk_scored_responses_paper_id_papers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scored_responses')),
    sa.UniqueConstraint('paper_id', 'position', name=op.f('uq_scored_responses_paper_id_position'))
    )
    with op.batch_alter_table('scored_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scored_responses_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scored_responses_paper_id'), ['paper_id'], unique=False)



def downgrade() -> None:
    holders = op.get_bind().execute(sa.text("SELECT count(*) FROM staff_users WHERE role = 'bank_admin'")).scalar()
    if holders:
        raise RuntimeError(f"{holders} staff accounts have the bank_admin role, which this downgrade removes: "
                           "change their role first")
    with op.batch_alter_table('scored_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scored_responses_paper_id'))
        batch_op.drop_index(batch_op.f('ix_scored_responses_item_id'))

    op.drop_table('scored_responses')
    with op.batch_alter_table('papers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_papers_blueprint_id'))

    op.drop_table('papers')
    with op.batch_alter_table('item_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_versions_status'))
        batch_op.drop_index(batch_op.f('ix_item_versions_item_id'))
        batch_op.drop_index(batch_op.f('ix_item_versions_content_key'))

    op.drop_table('item_versions')
    with op.batch_alter_table('blueprints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_blueprints_operation_item_code'))

    op.drop_table('blueprints')
    with op.batch_alter_table('bank_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bank_items_use'))
        batch_op.drop_index(batch_op.f('ix_bank_items_operation_item_code'))

    op.drop_table('bank_items')
    _role_check(ROLES_BEFORE)
