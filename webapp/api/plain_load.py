"""A fast path for request bodies made only of plain JSON values that the schema accepts.

marshmallow's `Schema.load` costs more than everything else a submit does in Python, most of it
in machinery (hooks, error collection, per-field dispatch) that a plain, valid body never
needs. `PlainLoader` is compiled from the schema's own fields: for each field it checks the
exact JSON type (narrower than marshmallow: no numeric strings, no booleans for numbers) and
then calls the field's own validators, so every bound and pattern stays in one place. The
result is what `Schema.load` returns, keys in the same order; any body it is not sure of (an
unknown or missing key, a value of another type, a failing validator, a field kind it does not
know) gets None, and the caller falls back to `Schema.load` with its full error messages.
tests/unit/test_plain_load.py compares the two on valid, boundary and broken bodies.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, missing

# What a compiled field check returns when the value is not plain and valid.
NOT_PLAIN = object()

FieldCheck = Callable[[Any], Any]


def _validated(field: fields.Field, value: Any) -> Any:
    for validator in field.validators:
        try:
            validator(value)
        except ValidationError:
            return NOT_PLAIN
    return value


def _exactly(kind: type, field: fields.Field) -> FieldCheck:
    """Values of exactly `kind` (no subclass: a bool is not an int here) that pass the field's
    validators."""

    def check(value: Any) -> Any:
        return _validated(field, value) if type(value) is kind else NOT_PLAIN

    return check


def _float(field: fields.Field) -> FieldCheck:
    def check(value: Any) -> Any:
        if (type(value) is float or type(value) is int) and math.isfinite(value):
            return _validated(field, float(value))
        return NOT_PLAIN

    return check


def list_of(field: fields.Field, item: Callable[[Any], Any]) -> FieldCheck:
    """A list field's check: a JSON list whose every item passes `item`, then the list's own
    validators. `item` returns NOT_PLAIN to step aside."""

    def check(value: Any) -> Any:
        if type(value) is not list:
            return NOT_PLAIN
        items = [item(one) for one in value]
        if any(one is NOT_PLAIN for one in items):
            return NOT_PLAIN
        return _validated(field, items)

    return check


def compile_field(
    field: fields.Field, special: Mapping[type, Callable[[fields.Field], FieldCheck]]
) -> FieldCheck | None:
    """The plain check of one field, or None for a field kind this loader leaves to marshmallow."""
    builders = [build for kind, build in special.items() if isinstance(field, kind)]
    if builders:
        check = builders[0](field)
    elif isinstance(field, fields.Integer) and field.strict:
        check = _exactly(int, field)
    elif isinstance(field, fields.Float):
        check = _float(field)
    elif type(field) is fields.String:
        check = _exactly(str, field)
    elif type(field) is fields.List:
        inner = compile_field(field.inner, special)
        if inner is None:
            return None
        check = list_of(field, inner)
    else:
        return None
    if field.allow_none:
        return lambda value: None if value is None else check(value)
    return check


class PlainLoader:
    """`load(raw)`: what `schema.load(raw)` returns for a plain, valid body, else None.

    `special` maps field classes to builders of their checks (for custom fields); `check` runs
    on the loaded dict and returns errors (the schema's own cross-field rules): any error means
    None, so the full load reports it.
    """

    def __init__(
        self,
        schema: Schema,
        *,
        check: Callable[[dict[str, Any]], Mapping[str, Any]],
        special: Mapping[type, Callable[[fields.Field], FieldCheck]] | None = None,
    ) -> None:
        self._check = check
        self._fields: list[tuple[str, FieldCheck | None, bool, Any]] = []
        for name, field in schema.load_fields.items():
            if field.data_key not in (None, name) or field.attribute not in (None, name):
                raise ValueError(f"{name}: renamed fields are not supported")
            self._fields.append(
                (name, compile_field(field, special or {}), field.required, field.load_default)
            )
        self._names = frozenset(name for name, *_ in self._fields)
        # Fields left to marshmallow: a body that has one gets the full load before any work.
        self._not_compiled = frozenset(name for name, check, *_ in self._fields if check is None)

    def load(self, raw: Any) -> dict[str, Any] | None:
        """The loaded body, or None when only the full schema load can say."""
        if (
            type(raw) is not dict
            or not raw.keys() <= self._names
            or not self._not_compiled.isdisjoint(raw.keys())
        ):
            return None
        data: dict[str, Any] = {}
        for name, check, required, default in self._fields:
            if name in raw:
                value = check(raw[name])  # never None here: see _not_compiled
                if value is NOT_PLAIN:
                    return None
                data[name] = value
            elif required:
                return None
            elif default is not missing:
                data[name] = default() if callable(default) else default
        if self._check(data):
            return None
        return data
