"""Many rows written with one statement run once per row (`executemany`).

For the live paths that write hundreds of rows at once (a round's groups, a batch of notes
saves), Django's `bulk_create` and `bulk_update` cost far more time in Python than the
database takes: a model instance per row, and one statement with a parameter per field per
row (`bulk_update` adds a CASE expression per field over every row). Here each value is
prepared by its model field, exactly as the ORM would, and the statement is built only from
the model's own (backend-quoted) names: every value is a parameter.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connections, router
from django.db.models import Field, Model


def _fields(model: type[Model], names: Sequence[str]) -> list[Field[Any, Any]]:
    fields = [model._meta.get_field(name) for name in names]
    assert all(isinstance(field, Field) and field.concrete for field in fields)
    return fields  # type: ignore[return-value]


def insert_rows(model: type[Model], names: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert one row per item of `rows`, its values in the order of the field `names`."""
    connection = connections[router.db_for_write(model)]
    fields = _fields(model, names)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    params = [
        [
            field.get_db_prep_save(value, connection)
            for field, value in zip(fields, row, strict=True)
        ]
        for row in rows
    ]
    if params:
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)


def update_rows(
    model: type[Model], names: Sequence[str], rows: Iterable[tuple[Any, Sequence[Any]]]
) -> None:
    """Set the fields `names` of each row given as (primary key, values in that order)."""
    connection = connections[router.db_for_write(model)]
    fields = _fields(model, names)
    key = model._meta.pk
    assert key is not None
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(str(field.column))} = %s" for field in fields)
    table, where = quote(model._meta.db_table), quote(str(key.column))
    sql = f"UPDATE {table} SET {sets} WHERE {where} = %s"  # noqa: S608
    params = [
        [
            field.get_db_prep_save(value, connection)
            for field, value in zip(fields, values, strict=True)
        ]
        + [key.get_db_prep_value(pk, connection)]
        for pk, values in rows
    ]
    if params:
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)
