"""PostgreSQL event store with a transactional outbox, one per service schema."""

from shared.eventstore.schema import create_eventstore_tables as create_eventstore_tables
from shared.eventstore.store import EventStore as EventStore
from shared.eventstore.store import NewEvent as NewEvent
from shared.eventstore.store import StoredStream as StoredStream
