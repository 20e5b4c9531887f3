"""The notify function spaces its sends so that all of them together stay under SES's rate."""

from __future__ import annotations

from chalicelib.notify.mailer import SendPacer


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_sends_in_a_burst_are_spaced_by_concurrency_over_rate() -> None:
    fake = FakeTime()
    pacer = SendPacer(SendPacer.for_rate(emails_per_second=1, concurrency=2).interval, fake.clock, fake.sleep)

    for _ in range(4):
        pacer.wait()

    assert fake.slept == [2.0, 2.0, 2.0]
    assert fake.now == 106.0


def test_a_send_after_a_quiet_spell_waits_for_nothing() -> None:
    fake = FakeTime()
    pacer = SendPacer(0.5, fake.clock, fake.sleep)
    pacer.wait()
    fake.now += 10

    pacer.wait()

    assert fake.slept == []


def test_fourteen_a_second_with_four_functions_is_one_send_every_0_29_s_each() -> None:
    assert round(SendPacer.for_rate(emails_per_second=14, concurrency=4).interval, 2) == 0.29
