"""The budgeted pool stops runaway CPU and memory in a child process, and recovers afterwards."""

from __future__ import annotations

import time
from collections.abc import Iterator

import anyio
import pytest

from rolecall.platform.budget import Budget, BudgetedPool, BudgetExceeded

SECONDS = 1.0


def spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i
    return total


def allocate(n: int) -> int:
    return len("a" * n)


def fail(message: str) -> None:
    raise ValueError(message)


@pytest.fixture(scope="module")
def pool() -> Iterator[BudgetedPool]:
    budgeted = BudgetedPool(Budget(seconds=SECONDS, memory_bytes=128 * 1024 * 1024), workers=1)
    budgeted.run_sync(spin, 1)  # a warm child: start-up is not part of a call's budget
    yield budgeted
    budgeted.close()


def test_a_call_within_budget_answers(pool: BudgetedPool) -> None:
    assert pool.run_sync(spin, 10) == 45


def test_an_endless_loop_is_stopped_at_the_time_budget(pool: BudgetedPool) -> None:
    began = time.monotonic()
    with pytest.raises(BudgetExceeded) as stopped:
        pool.run_sync(spin, 10**12)
    elapsed = time.monotonic() - began
    assert stopped.value.resource in ("time", "cpu")
    assert SECONDS <= elapsed < SECONDS + 1.0
    assert pool.run_sync(spin, 4) == 6  # a fresh child took the killed one's place


def test_a_huge_allocation_is_stopped_by_the_memory_budget(pool: BudgetedPool) -> None:
    began = time.monotonic()
    with pytest.raises(BudgetExceeded) as stopped:
        pool.run_sync(allocate, 4 * 1024**3)
    assert stopped.value.resource == "memory"
    assert time.monotonic() - began < SECONDS
    assert pool.run_sync(allocate, 1000) == 1000


def test_an_exception_of_the_call_reaches_the_caller(pool: BudgetedPool) -> None:
    with pytest.raises(ValueError, match="broken template"):
        pool.run_sync(fail, "broken template")
    assert pool.run_sync(spin, 3) == 3


async def test_the_event_loop_stays_free_while_a_call_runs(pool: BudgetedPool) -> None:
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await anyio.sleep(0.05)

    async with anyio.create_task_group() as group:
        group.start_soon(tick)
        with pytest.raises(BudgetExceeded):
            await pool.run(spin, 10**12)
        group.cancel_scope.cancel()
    assert ticks >= 10  # about SECONDS / 0.05 ticks happened while the child was spinning
