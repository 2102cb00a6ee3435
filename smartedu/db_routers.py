"""Report reads on a read replica, when one is configured (``DATABASE_REPLICA_URL``).

Only code that asks for it reads from the replica: a report wraps its queries in
``reports_from_replica()``, because a replica lags the primary by a moment and most pages must
see what the user just wrote (a submitted attempt, a published quiz). Everything else, and
every write, goes to the primary. With no replica configured the scope changes nothing.

The replica's connection follows the primary's school: before each routed read it is switched
to the schema the primary connection is on, so a report never reads another school's rows.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections

from smartedu.db import tenant_connection

REPLICA = "replica"

_reading_reports: ContextVar[bool] = ContextVar("reading_reports", default=False)


@contextmanager
def reports_from_replica() -> Iterator[None]:
    """Reads inside this block go to the replica (writes still go to the primary). Also a
    decorator."""
    token = _reading_reports.set(True)
    try:
        yield
    finally:
        _reading_reports.reset(token)


def replica_configured() -> bool:
    return REPLICA in connections.settings


def _replica_follows_primary() -> None:
    primary, replica = tenant_connection(DEFAULT_DB_ALIAS), tenant_connection(REPLICA)
    if (
        replica.schema_name != primary.schema_name
        or replica.include_public_schema != primary.include_public_schema
    ):
        replica.set_tenant(primary.tenant, include_public=primary.include_public_schema)


class ReportReplicaRouter:
    """Sends reads inside ``reports_from_replica()`` to the replica; pins every write to the
    primary (a row read from the replica and saved must not be written back there); never
    migrates the replica (it copies the primary's schemas)."""

    def db_for_read(self, model, **hints):
        if _reading_reports.get() and replica_configured():
            _replica_follows_primary()
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same rows: a row read from either may point at the other's.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db, app_label, **hints):
        return False if db == REPLICA else None
