"""The database connection as django-tenants makes it: one that knows the school whose schema
it is in. django-stubs types ``django.db.connection`` as a plain ``BaseDatabaseWrapper``; these
say what ours is, so the type checker sees the schema calls. Also the length limit of a text
column, typed (``_meta.get_field`` may return any kind of field)."""

from typing import Any, Protocol, cast

from django.db import DEFAULT_DB_ALIAS, connections, models


class SchemaAwareConnection(Protocol):
    schema_name: str
    include_public_schema: bool
    tenant: Any

    def set_schema(self, schema_name: str, include_public: bool = True) -> None: ...

    def set_schema_to_public(self) -> None: ...

    def set_tenant(self, tenant: Any, include_public: bool = True) -> None: ...


def tenant_connection(alias: str = DEFAULT_DB_ALIAS) -> SchemaAwareConnection:
    """This thread's connection of ``alias`` (the same object as ``django.db.connection``)."""
    return cast(SchemaAwareConnection, connections[alias])


def current_schema() -> str:
    """The schema this thread's queries run in: a school's, or "public"."""
    return tenant_connection().schema_name


def max_length(model: type[models.Model], field_name: str) -> int:
    """The ``max_length`` of one of ``model``'s text fields (CharField and its kind)."""
    field = model._meta.get_field(field_name)
    if not isinstance(field, models.CharField) or field.max_length is None:
        raise TypeError(f"{model.__name__}.{field_name} is not a text field with a max_length")
    return field.max_length
