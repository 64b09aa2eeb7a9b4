from __future__ import annotations

import pytest

from steinresil.testing import FakeClock


# Every async test runs twice: on asyncio and on trio (the anyio pytest plugin).
@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
