"""The breaker checked against a reference model small enough to be obviously right."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import steinresil as sr
from steinresil.testing import FakeClock


class Boom(Exception):
    pass


class Ignored(Exception):
    pass


@dataclass
class Model:
    """The seed document's consecutive-mode breaker, written the obvious way."""

    failure_threshold: int
    success_threshold: int
    reset_timeout: float
    state: str = "closed"
    failures: int = 0
    successes: int = 0
    opened_at: float = 0.0

    def admits(self, now: float) -> bool:
        if self.state == "open" and now >= self.opened_at + self.reset_timeout:
            self.state, self.successes = "half_open", 0
        return self.state != "open"

    def outcome(self, kind: str, now: float) -> None:
        if kind == "ignored":
            return
        if self.state == "half_open":
            if kind == "failure":
                self.state, self.opened_at = "open", now
            else:
                self.successes += 1
                if self.successes >= self.success_threshold:
                    self.state, self.failures = "closed", 0
        elif kind == "failure":
            self.failures += 1
            if self.failures >= self.failure_threshold:
                self.state, self.opened_at, self.failures = "open", now, 0
        else:
            self.failures = 0


class BreakerMachine(RuleBasedStateMachine):
    @initialize(
        failure_threshold=st.integers(1, 4),
        success_threshold=st.integers(1, 3),
        reset_timeout=st.sampled_from([0.5, 1.0, 5.0, 30.0]),
    )
    def setup(self, failure_threshold: int, success_threshold: int, reset_timeout: float) -> None:
        self.clock = FakeClock()
        self.cb = sr.CircuitBreaker(
            "model",
            failure_threshold,
            success_threshold,
            reset_timeout,
            ignore=Ignored,
            clock=self.clock,
        )
        self.model = Model(failure_threshold, success_threshold, reset_timeout)
        self.rejected = 0

    def _call(self, kind: str) -> None:
        def work() -> str:
            if kind == "failure":
                raise Boom
            if kind == "ignored":
                raise Ignored
            return "ok"

        now = self.clock.monotonic()
        admitted = self.model.admits(now)
        try:
            assert self.cb.call(work) == "ok"
        except sr.CircuitOpenError as exc:
            assert not admitted
            assert exc.retry_after == pytest.approx(
                self.model.opened_at + self.model.reset_timeout - now
            )
            self.rejected += 1
            return
        except (Boom, Ignored):
            pass
        assert admitted
        self.model.outcome(kind, now)

    @rule(kind=st.sampled_from(["success", "failure", "ignored"]))
    def call(self, kind: str) -> None:
        self._call(kind)

    @rule(seconds=st.sampled_from([0.1, 0.5, 1.0, 4.9, 5.0, 30.0]))
    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @invariant()
    def same_state(self) -> None:
        self.model.admits(self.clock.monotonic())
        assert self.cb.state.value == self.model.state
        assert self.cb.metrics.rejected_calls == self.rejected


BreakerMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
test_breaker_matches_model = BreakerMachine.TestCase
