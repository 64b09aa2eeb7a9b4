from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import ClassVar

import pytest

import steinresil as sr
from steinresil.testing import FakeClock


class WithRetryAfter(Exception):
    def __init__(self, retry_after: object) -> None:
        super().__init__()
        self.retry_after = retry_after


class Response:
    def __init__(self, status: int, headers: object, *, attribute: str = "status_code") -> None:
        setattr(self, attribute, status)
        self.headers = headers


class HTTPStatusError(Exception):
    """Shaped like httpx.HTTPStatusError and requests.HTTPError: ``.response``."""

    def __init__(self, response: object) -> None:
        super().__init__()
        self.response = response


class ClientResponseError(Exception):
    """Shaped like aiohttp.ClientResponseError: ``.status`` and ``.headers`` on itself."""

    def __init__(self, status: int, headers: dict[str, str]) -> None:
        super().__init__()
        self.status = status
        self.headers = headers


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, 3.0),
        (2.5, 2.5),
        (timedelta(minutes=1), 60.0),
        (-4, 0.0),
        (math.inf, math.inf),
        ("7", 7.0),
        (b"8", 8.0),
        (math.nan, None),
        (True, None),
        (None, None),
        ("soon", None),
        (object(), None),
    ],
)
def test_retry_after_attribute(value: object, expected: float | None) -> None:
    assert sr.retry_after_from(WithRetryAfter(value)) == expected


def test_library_errors_carry_their_wait() -> None:
    assert sr.retry_after_from(sr.CircuitOpenError("db", 12.5)) == 12.5
    assert sr.retry_after_from(sr.RateLimitExceededError("api", 0.25)) == 0.25
    assert sr.retry_after_from(sr.BulkheadFullError("pool", 3)) is None
    assert sr.retry_after_from(ValueError("plain")) is None


@pytest.mark.parametrize("status", [429, 503])
def test_http_response_retry_after(status: int) -> None:
    error = HTTPStatusError(Response(status, {"Retry-After": "120"}))
    assert sr.retry_after_from(error) == 120.0
    lower = HTTPStatusError(Response(status, {"retry-after": "3"}))
    assert sr.retry_after_from(lower) == 3.0


@pytest.mark.parametrize(
    "error",
    [
        HTTPStatusError(Response(500, {"Retry-After": "5"})),
        HTTPStatusError(Response(429, {})),
        HTTPStatusError(Response(429, None)),
        HTTPStatusError(Response(429, {"Retry-After": "tomorrow"})),
        HTTPStatusError(None),  # requests: an HTTPError without a response
    ],
)
def test_http_responses_that_do_not_say(error: Exception) -> None:
    assert sr.retry_after_from(error) is None


def test_other_http_client_shapes() -> None:
    assert sr.retry_after_from(ClientResponseError(429, {"Retry-After": "4"})) == 4.0
    status_attr = Response(503, {"Retry-After": "6"}, attribute="status")
    assert sr.retry_after_from(HTTPStatusError(status_attr)) == 6.0


def test_http_date() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert later.endswith("GMT")
    assert sr.parse_retry_after(later, now=now.timestamp()) == 90.0
    earlier = format_datetime(now - timedelta(seconds=90), usegmt=True)
    assert sr.parse_retry_after(earlier, now=now.timestamp()) == 0.0
    assert sr.parse_retry_after("Thu, 01 Jan 2026 12:00:30 -0000", now=now.timestamp()) == 30.0


def test_http_date_against_the_wall_clock() -> None:
    soon = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    wait = sr.parse_retry_after(soon)
    assert wait is not None
    assert 3500 < wait <= 3600


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("0", 0.0),
        (" 15 ", 15.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        ("", None),
        ("   ", None),
        ("inf", None),
        ("nan", None),
        ("Mon, 99 Foo 2026 99:99:99 GMT", None),
        ("\u00b2", None),
    ],
)
def test_parse_retry_after(header: str, expected: float | None) -> None:
    assert sr.parse_retry_after(header) == expected


class ClassLevelWait(Exception):
    retry_after = 5


class PropertyWait(Exception):
    @property
    def retry_after(self) -> float:
        return 1.5


def test_class_level_waits_are_found() -> None:
    assert sr.retry_after_from(ClassLevelWait()) == 5.0
    assert sr.retry_after_from(PropertyWait()) == 1.5


def test_many_exception_classes_made_on_the_fly() -> None:
    for n in range(1500):
        plain = type(f"Plain{n}", (Exception,), {})
        saying = type(f"Saying{n}", (Exception,), {"retry_after": float(n)})
        assert sr.retry_after_from(plain()) is None
        assert sr.retry_after_from(saying()) == float(n)


def test_policy_waits_for_an_http_date(clock: FakeClock) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    errors = [HTTPStatusError(Response(503, {"Retry-After": when}))]

    def fn() -> str:
        if errors:
            raise errors.pop()
        return "ok"

    assert sr.RetryPolicy(max_delay=60, clock=clock).call(fn) == "ok"
    assert 28 < clock.sleeps[0] <= 30


@pytest.mark.parametrize(
    ("header", "expected"), [(2, 2.0), (1.5, 1.5), (b"3", 3.0), (True, None), (None, None)]
)
def test_a_retry_after_header_that_is_not_a_string(header: object, expected: float | None) -> None:
    class Response:
        status_code = 429
        headers: ClassVar[dict[str, object]] = {"Retry-After": header}

    class HTTPError(Exception):
        response = Response()

    assert sr.retry_after_from(HTTPError()) == expected


def test_a_retry_honours_an_int_retry_after_header() -> None:
    clock = FakeClock()

    class Response:
        status_code = 503
        headers: ClassVar[dict[str, object]] = {"Retry-After": 2}

    class Unavailable(Exception):
        response = Response()

    attempts = iter([Unavailable(), None])

    def flaky() -> str:
        error = next(attempts)
        if error is not None:
            raise error
        return "ok"

    assert sr.RetryPolicy(max_retries=1, clock=clock).call(flaky) == "ok"
    assert clock.sleeps == [2.0]
