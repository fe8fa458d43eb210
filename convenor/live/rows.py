"""Many rows written with one statement.

For the live paths that write hundreds of rows at once (a round's groups, a batch of notes
saves), Django's `bulk_create` and `bulk_update` cost far more time in Python than the
database takes: a model instance per row, and one statement with a parameter per field per
row (`bulk_update` adds a CASE expression per field over every row). Here each value is
prepared by its model field, exactly as the ORM would, and the statement is built only from
the model's own (backend-quoted) names and column types: every value is a parameter.

On PostgreSQL the rows travel as one array per column, unpacked by `unnest` (as Django's own
`bulk_create` does there): one statement, one round trip, whatever the number of rows. Run
once per row (`executemany`), psycopg waits for the server between rows, and each wait gives
up the interpreter lock, which a busy event loop may not hand back for a while: with another
thread keeping the interpreter busy, a notes batch's statements of 60-125 rows each took
41-100 ms that way and 13-31 ms as one statement (measured in a script). Elsewhere (SQLite,
in the process) rows are run with `executemany`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model


def _fields(model: type[Model], names: Sequence[str]) -> list[Field[Any, Any]]:
    fields = [model._meta.get_field(name) for name in names]
    assert all(isinstance(field, Field) and field.concrete for field in fields)
    return fields  # type: ignore[return-value]


def _prepared(
    fields: Sequence[Field[Any, Any]],
    rows: Iterable[Sequence[Any]],
    connection: BaseDatabaseWrapper,
) -> list[list[Any]]:
    """Each row's values as the ORM would send them."""
    return [
        [
            field.get_db_prep_save(value, connection)
            for field, value in zip(fields, row, strict=True)
        ]
        for row in rows
    ]


def _unnest(fields: Sequence[Field[Any, Any]], connection: BaseDatabaseWrapper) -> str:
    """`unnest` of one array parameter per field, each cast to the field's column type (a type
    name from Django's own mapping, never from data)."""
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
    return f"unnest({arrays})"


def _by_column(params: list[list[Any]], width: int) -> list[list[Any]]:
    return [[row[index] for row in params] for index in range(width)]


def insert_rows(model: type[Model], names: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert one row per item of `rows`, its values in the order of the field `names`."""
    connection = connections[router.db_for_write(model)]
    fields = _fields(model, names)
    params = _prepared(fields, rows, connection)
    if not params:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(str(field.column)) for field in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT * FROM {_unnest(fields, connection)}",  # noqa: S608
                _by_column(params, len(fields)),
            )
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", params)  # noqa: S608


def update_rows(
    model: type[Model], names: Sequence[str], rows: Iterable[tuple[Any, Sequence[Any]]]
) -> None:
    """Set the fields `names` of each row given as (primary key, values in that order); each
    primary key at most once."""
    connection = connections[router.db_for_write(model)]
    key = model._meta.pk
    assert isinstance(key, Field)
    fields = [*_fields(model, names), key]  # the key last, as in each row's values
    params = _prepared(fields, ((*values, pk) for pk, values in rows), connection)
    if not params:
        return
    if len({row[-1] for row in params}) != len(params):
        raise ValueError("Each row may be updated only once per call.")
    quote = connection.ops.quote_name
    table, where = quote(model._meta.db_table), quote(str(key.column))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            aliases = [f"v{index}" for index in range(len(fields))]
            sets = ", ".join(
                f"{quote(str(field.column))} = v.{alias}"
                for field, alias in zip(fields[:-1], aliases, strict=False)
            )
            cursor.execute(
                f"UPDATE {table} SET {sets} FROM {_unnest(fields, connection)} "  # noqa: S608
                f"AS v({', '.join(aliases)}) WHERE {table}.{where} = v.{aliases[-1]}",
                _by_column(params, len(fields)),
            )
        else:
            sets = ", ".join(f"{quote(str(field.column))} = %s" for field in fields[:-1])
            cursor.executemany(f"UPDATE {table} SET {sets} WHERE {where} = %s", params)  # noqa: S608
