"""Field types that say in the OpenAPI exactly what the server accepts.

pydantic's lax mode accepts more than the JSON Schema it publishes (``"5"`` and ``false``
for an int, a number for a datetime); schemathesis reports each such gap as a
"schema-violating request accepted". These types close the gaps, and keep every value
storable on both SQLite and PostgreSQL (no NUL characters, no out-of-range numbers).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, StringConstraints

__all__ = [
    "CENTS",
    "DB_INT_MAX",
    "NO_NUL",
    "Day",
    "Id",
    "RecordId",
    "Timestamp",
    "WholeNumber",
    "as_utc",
    "money",
    "text",
]

DB_INT_MAX = 2**31 - 1
"""The largest id a 32-bit ``INTEGER`` column holds (PostgreSQL's ``integer``)."""

CENTS = Decimal("0.01")

NO_NUL = r"^[^\x00]*$"
"""A pattern for text without NUL, which PostgreSQL cannot store or compare."""


def text(max_length: int, *, min_length: int = 0) -> StringConstraints:
    """``Annotated[str, text(100)]``: at most ``max_length`` characters, no NUL.

    The string is stored as given: SQL-looking input is text like any other.
    """
    return StringConstraints(min_length=min_length, max_length=max_length, pattern=NO_NUL)


def _whole_number(value: object) -> object:
    # JSON Schema's "integer" includes 25.0 but not true or "25": accept exactly that.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a JSON number")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError("must be a whole number")
    return int(value)


WholeNumber = Annotated[int, BeforeValidator(_whole_number)]
"""An int from JSON without lax coercion; bounds go in ``Field(ge=, le=)`` as the default."""

RecordId = Annotated[int, Field(ge=1, le=DB_INT_MAX), BeforeValidator(_whole_number)]
"""A record's id in a body. The bounds come before the validator: after it, an optional
field's bounds would leak into the OpenAPI as non-standard ``ge``/``le`` keys."""


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC (naive values, as SQLite returns them, are taken as UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _utc_in_range(value: datetime) -> datetime:
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range") from None
    if not 1900 <= utc.year <= 2999:
        raise ValueError("must be between the years 1900 and 2999")
    return utc


_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _text_only(value: object) -> object:
    # pydantic takes a number, or a string of digits, as a Unix time; the schema says
    # "an ISO 8601 string", so only that is accepted.
    if isinstance(value, datetime | date):
        return value
    if not isinstance(value, str):
        raise ValueError("must be a string")
    if not _ISO_DATE.match(value):
        raise ValueError("must be an ISO 8601 date (YYYY-MM-DD...)")
    return value


Timestamp = Annotated[AwareDatetime, BeforeValidator(_text_only), AfterValidator(_utc_in_range)]
"""An RFC 3339 date-time with an offset, converted to UTC."""


def _day_in_range(value: date) -> date:
    if not 1900 <= value.year <= 2999:
        raise ValueError("must be between the years 1900 and 2999")
    return value


Day = Annotated[date, BeforeValidator(_text_only), AfterValidator(_day_in_range)]
"""An ISO date (``2026-03-01``), not a number."""

Id = Annotated[int, Path(ge=1, le=DB_INT_MAX, description="The record's id.")]
"""A record id in the path: a positive 32-bit integer (larger ones are 422, not a 500)."""


def money(value: Decimal) -> str:
    """Money in JSON: a string with two decimals, rounded half up (``"1234.50"``)."""
    return str(value.quantize(CENTS, rounding=ROUND_HALF_UP))
