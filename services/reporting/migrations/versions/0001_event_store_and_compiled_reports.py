"""Event store, outbox, compiled reports, managers' comments and what the triggers keep.

Revision ID: 0001
Revises:

Schema `reporting` is the service's own, durable state. The read models
(`reporting_<projection>`) are separate schemas that a rebuild replaces and
`arshjul up` drops after a broker restart; nothing here is rebuilt from them.
"""

from alembic import op

from shared.eventstore import create_eventstore_tables

revision = "0001"
down_revision = None


def upgrade(schema: str) -> None:
    create_eventstore_tables(op.execute, schema)
    # Every compiled version, written in the same transaction as its
    # ReportCompiled and never updated. `municipality` is the municipality a
    # unit or municipality scope lies in (NULL for a region and the nation).
    op.execute(
        f"""CREATE TABLE {schema}.compiled_reports (
            scope            text NOT NULL,
            municipality     text,
            year             integer NOT NULL,
            report_version   integer NOT NULL CHECK (report_version >= 1),
            inputs_checksum  text NOT NULL,
            figures_checksum text NOT NULL,
            input_count      integer NOT NULL,
            report           jsonb NOT NULL,
            event_id         uuid NOT NULL UNIQUE,
            UNIQUE NULLS NOT DISTINCT (scope, municipality, year, report_version)
        )"""
    )
    op.execute(f"CREATE INDEX compiled_reports_year ON {schema}.compiled_reports (year)")
    # A compiled version is immutable: refuse any UPDATE at the database too.
    op.execute(
        f"""CREATE FUNCTION {schema}.compiled_reports_immutable() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'a compiled report is never changed: compile a new version';
            END $$"""
    )
    op.execute(
        f"""CREATE TRIGGER compiled_reports_immutable BEFORE UPDATE ON {schema}.compiled_reports
            FOR EACH ROW EXECUTE FUNCTION {schema}.compiled_reports_immutable()"""
    )
    # The unit managers' comments, written with their ManagerCommentRecorded.
    op.execute(
        f"""CREATE TABLE {schema}.comments (
            event_id          uuid PRIMARY KEY,
            tenant            text NOT NULL,
            unit              text NOT NULL,
            year              integer NOT NULL,
            stream_id         text NOT NULL,
            stream_version    integer NOT NULL,
            recorded_on       date NOT NULL,
            comment           text NOT NULL,
            development_areas jsonb NOT NULL,
            recorded_by       text NOT NULL,
            UNIQUE (stream_id, stream_version)
        )"""
    )
    op.execute(f"CREATE INDEX comments_scope ON {schema}.comments (tenant, year, unit)")
    # The LOKE wheels seen on scheduler.events (their WheelStepDue trigger
    # compiles), and the latest WheelStepDue instant (the reporting service's
    # date on the simulated clock, which lives in the scheduler's database).
    op.execute(
        f"""CREATE TABLE {schema}.loke_wheels (
            wheel_id text PRIMARY KEY,
            tenant   text NOT NULL,
            unit     text NOT NULL
        )"""
    )
    op.execute(
        f"""CREATE TABLE {schema}.scheduler_time (
            id     boolean PRIMARY KEY DEFAULT true CHECK (id),
            latest timestamptz NOT NULL
        )"""
    )
