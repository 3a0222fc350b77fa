"""training applications sessions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 14:29:14.636978
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reapplication_bans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('until', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_reapplication_bans_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reapplication_bans'))
    )
    with op.batch_alter_table('reapplication_bans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reapplication_bans_person_id'), ['person_id'], unique=False)

    op.create_table('staff_affiliations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['organisations.id'], name=op.f('fk_staff_affiliations_institution_id_organisations')),
    sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], name=op.f('fk_staff_affiliations_user_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_affiliations')),
    sa.UniqueConstraint('user_id', 'institution_id', name=op.f('uq_staff_affiliations_user_id_institution_id'))
    )
    with op.batch_alter_table('staff_affiliations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_affiliations_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_affiliations_user_id'), ['user_id'], unique=False)

    op.create_table('training_classes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('operation_item_code', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('theory_hours', sa.Integer(), nullable=False),
    sa.Column('practical_hours', sa.Integer(), nullable=False),
    sa.Column('teachers', sa.String(length=200), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_training_classes_dates_in_order')),
    sa.ForeignKeyConstraint(['institution_id'], ['organisations.id'], name=op.f('fk_training_classes_institution_id_organisations')),
    sa.ForeignKeyConstraint(['operation_item_code'], ['operation_items.code'], name=op.f('fk_training_classes_operation_item_code_operation_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_classes')),
    sa.UniqueConstraint('institution_id', 'name', name=op.f('uq_training_classes_institution_id_name'))
    )
    with op.batch_alter_table('training_classes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_classes_institution_id'), ['institution_id'], unique=False)

    op.create_table('enrolments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('enrolled_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['class_id'], ['training_classes.id'], name=op.f('fk_enrolments_class_id_training_classes')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_enrolments_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrolments')),
    sa.UniqueConstraint('class_id', 'person_id', name=op.f('uq_enrolments_class_id_person_id'))
    )
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrolments_class_id'), ['class_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enrolments_person_id'), ['person_id'], unique=False)

    op.create_table('exam_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('operation_item_code', sa.String(length=8), nullable=False),
    sa.Column('kind', sa.Enum('initial', 'makeup', 'review', 'practical_retest', name='application_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('part', sa.Enum('theory', 'practical', name='exam_part', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('training_class_id', sa.Integer(), nullable=True),
    sa.Column('external_certificate', sa.String(length=100), nullable=True),
    sa.Column('external_hours', sa.Integer(), nullable=True),
    sa.Column('health_declared', sa.Boolean(), nullable=False),
    sa.Column('filed_on', sa.Date(), nullable=False),
    sa.Column('exam_deadline', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('refused', 'eligible', 'scheduled', 'withdrawn', name='application_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('gate', sa.JSON(), nullable=False),
    sa.Column('rule_set', sa.String(length=30), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['organisations.id'], name=op.f('fk_exam_applications_institution_id_organisations')),
    sa.ForeignKeyConstraint(['operation_item_code'], ['operation_items.code'], name=op.f('fk_exam_applications_operation_item_code_operation_items')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_exam_applications_person_id_persons')),
    sa.ForeignKeyConstraint(['training_class_id'], ['training_classes.id'], name=op.f('fk_exam_applications_training_class_id_training_classes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exam_applications'))
    )
    with op.batch_alter_table('exam_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exam_applications_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exam_applications_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exam_applications_status'), ['status'], unique=False)

    op.create_table('exam_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('part', sa.Enum('theory', 'practical', name='session_part', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('operation_item_code', sa.String(length=8), nullable=False),
    sa.Column('blueprint_id', sa.Integer(), nullable=True),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('open', 'closed', name='session_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['blueprint_id'], ['blueprints.id'], name=op.f('fk_exam_sessions_blueprint_id_blueprints')),
    sa.ForeignKeyConstraint(['centre_id'], ['organisations.id'], name=op.f('fk_exam_sessions_centre_id_organisations')),
    sa.ForeignKeyConstraint(['operation_item_code'], ['operation_items.code'], name=op.f('fk_exam_sessions_operation_item_code_operation_items')),
    sa.ForeignKeyConstraint(['room_id'], ['exam_rooms.id'], name=op.f('fk_exam_sessions_room_id_exam_rooms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exam_sessions'))
    )
    with op.batch_alter_table('exam_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exam_sessions_centre_id'), ['centre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exam_sessions_room_id'), ['room_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exam_sessions_starts_at'), ['starts_at'], unique=False)

    op.create_table('lessons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('starts_at', sa.Time(), nullable=False),
    sa.Column('ends_at', sa.Time(), nullable=False),
    sa.Column('kind', sa.Enum('theory', 'practical', name='lesson_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('class_hours', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=100), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_lessons_times_in_order')),
    sa.ForeignKeyConstraint(['class_id'], ['training_classes.id'], name=op.f('fk_lessons_class_id_training_classes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lessons'))
    )
    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lessons_class_id'), ['class_id'], unique=False)

    op.create_table('attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.Enum('face', 'id_card', 'manual', name='attendance_method', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("method <> 'manual' OR reason IS NOT NULL", name=op.f('ck_attendance_manual_needs_reason')),
    sa.ForeignKeyConstraint(['enrolment_id'], ['enrolments.id'], name=op.f('fk_attendance_enrolment_id_enrolments')),
    sa.ForeignKeyConstraint(['lesson_id'], ['lessons.id'], name=op.f('fk_attendance_lesson_id_lessons')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_users.id'], name=op.f('fk_attendance_recorded_by_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance')),
    sa.UniqueConstraint('lesson_id', 'enrolment_id', name=op.f('uq_attendance_lesson_id_enrolment_id'))
    )
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_enrolment_id'), ['enrolment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendance_lesson_id'), ['lesson_id'], unique=False)

    op.create_table('exam_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('operation_item_code', sa.String(length=8), nullable=False),
    sa.Column('part', sa.Enum('theory', 'practical', name='result_part', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('taken_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['exam_applications.id'], name=op.f('fk_exam_results_application_id_exam_applications')),
    sa.ForeignKeyConstraint(['operation_item_code'], ['operation_items.code'], name=op.f('fk_exam_results_operation_item_code_operation_items')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_exam_results_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exam_results'))
    )
    with op.batch_alter_table('exam_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exam_results_person_id'), ['person_id'], unique=False)

    op.create_table('session_candidates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('seat_id', sa.Integer(), nullable=True),
    sa.Column('station_id', sa.Integer(), nullable=True),
    sa.Column('ticket_number', sa.String(length=20), nullable=False),
    sa.Column('paper_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['exam_applications.id'], name=op.f('fk_session_candidates_application_id_exam_applications')),
    sa.ForeignKeyConstraint(['paper_id'], ['papers.id'], name=op.f('fk_session_candidates_paper_id_papers')),
    sa.ForeignKeyConstraint(['seat_id'], ['seats.id'], name=op.f('fk_session_candidates_seat_id_seats')),
    sa.ForeignKeyConstraint(['session_id'], ['exam_sessions.id'], name=op.f('fk_session_candidates_session_id_exam_sessions')),
    sa.ForeignKeyConstraint(['station_id'], ['stations.id'], name=op.f('fk_session_candidates_station_id_stations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_candidates')),
    sa.UniqueConstraint('application_id', name=op.f('uq_session_candidates_application_id')),
    sa.UniqueConstraint('session_id', 'seat_id', name=op.f('uq_session_candidates_session_id_seat_id')),
    sa.UniqueConstraint('session_id', 'station_id', name=op.f('uq_session_candidates_session_id_station_id')),
    sa.UniqueConstraint('ticket_number', name=op.f('uq_session_candidates_ticket_number'))
    )
    with op.batch_alter_table('session_candidates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_candidates_session_id'), ['session_id'], unique=False)

    op.create_table('session_staff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('duty', sa.Enum('proctor', 'examiner', name='duty', native_enum=False, create_constraint=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['exam_sessions.id'], name=op.f('fk_session_staff_session_id_exam_sessions')),
    sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], name=op.f('fk_session_staff_user_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_staff')),
    sa.UniqueConstraint('session_id', 'user_id', name=op.f('uq_session_staff_session_id_user_id'))
    )
    with op.batch_alter_table('session_staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_staff_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_staff_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('seats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('terminal_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_seats_terminal_id'), ['terminal_id'])
        batch_op.create_foreign_key(batch_op.f('fk_seats_terminal_id_devices'), 'devices', ['terminal_id'], ['id'])

    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('simulator_address', sa.String(length=20), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.drop_column('simulator_address')

    with op.batch_alter_table('seats', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_seats_terminal_id_devices'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_seats_terminal_id'), type_='unique')
        batch_op.drop_column('terminal_id')

    with op.batch_alter_table('session_staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_staff_user_id'))
        batch_op.drop_index(batch_op.f('ix_session_staff_session_id'))

    op.drop_table('session_staff')
    with op.batch_alter_table('session_candidates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_candidates_session_id'))

    op.drop_table('session_candidates')
    with op.batch_alter_table('exam_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exam_results_person_id'))

    op.drop_table('exam_results')
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_lesson_id'))
        batch_op.drop_index(batch_op.f('ix_attendance_enrolment_id'))

    op.drop_table('attendance')
    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lessons_class_id'))

    op.drop_table('lessons')
    with op.batch_alter_table('exam_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exam_sessions_starts_at'))
        batch_op.drop_index(batch_op.f('ix_exam_sessions_room_id'))
        batch_op.drop_index(batch_op.f('ix_exam_sessions_centre_id'))

    op.drop_table('exam_sessions')
    with op.batch_alter_table('exam_applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exam_applications_status'))
        batch_op.drop_index(batch_op.f('ix_exam_applications_person_id'))
        batch_op.drop_index(batch_op.f('ix_exam_applications_institution_id'))

    op.drop_table('exam_applications')
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrolments_person_id'))
        batch_op.drop_index(batch_op.f('ix_enrolments_class_id'))

    op.drop_table('enrolments')
    with op.batch_alter_table('training_classes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_classes_institution_id'))

    op.drop_table('training_classes')
    with op.batch_alter_table('staff_affiliations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_affiliations_user_id'))
        batch_op.drop_index(batch_op.f('ix_staff_affiliations_institution_id'))

    op.drop_table('staff_affiliations')
    with op.batch_alter_table('reapplication_bans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reapplication_bans_person_id'))

    op.drop_table('reapplication_bans')
