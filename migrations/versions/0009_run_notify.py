"""PostgreSQL: every change to a run notifies channel layerstack_runs ('<id>:<version>'),
in the writer's own transaction, so each web process's LISTEN wakes its watchers at the
commit (app/runs/listen.py). Nothing on SQLite, where the local workers tell the web
process directly and the event hub polls for the rest.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

FUNCTION = """
CREATE OR REPLACE FUNCTION layerstack_run_notify() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('layerstack_runs', OLD.id::text);
        RETURN OLD;
    END IF;
    PERFORM pg_notify('layerstack_runs', NEW.id::text || ':' || NEW.version::text);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""
TRIGGERS = {
    "run_notify_change": "AFTER UPDATE ON run FOR EACH ROW "
    "WHEN (OLD.version IS DISTINCT FROM NEW.version)",
    "run_notify_insert_delete": "AFTER INSERT OR DELETE ON run FOR EACH ROW",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    for name, when in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION layerstack_run_notify()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON run")
    op.execute("DROP FUNCTION IF EXISTS layerstack_run_notify()")
