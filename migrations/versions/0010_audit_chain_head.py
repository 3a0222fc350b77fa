"""PostgreSQL: audit_chain_head(key) takes the chain's lock and reads its last hash in one round trip

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 19:12:00
"""
from __future__ import annotations

from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # VOLATILE: the SELECT runs with a snapshot taken after the lock is granted, so it sees the event the
        # previous holder committed (one statement doing both would read with a snapshot from before the wait).
        op.execute("""
            CREATE FUNCTION audit_chain_head(lock_key bigint) RETURNS text LANGUAGE plpgsql VOLATILE AS $$
            BEGIN
                PERFORM pg_advisory_xact_lock(lock_key);
                RETURN (SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1);
            END $$""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_chain_head(bigint)")
