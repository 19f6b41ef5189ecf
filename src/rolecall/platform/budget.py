"""A hard CPU, time and memory budget for untrusted computations, such as organisations' templates.

A Jinja sandbox keeps a template away from Python's internals, but it cannot stop a template that
loops a billion times or builds a gigabyte string, and a Python thread cannot be killed. So work
that runs code written by an organisation goes to a :class:`BudgetedPool`: a few long-lived child
processes, each a fresh interpreter started with :mod:`subprocess`, that take one call at a time
over a pair of pipes. Every call runs under three limits:

* **wall-clock time**: the parent waits at most ``seconds`` for the answer, then kills the child
  with ``SIGKILL`` and starts a new one for the next call;
* **CPU time**: before each call the child lowers its own ``RLIMIT_CPU`` to the CPU it has used so
  far plus the budget (rounded up to a whole second, the unit of the limit), so even a child whose
  parent has gone away is stopped by the kernel;
* **memory**: the child's address space (``RLIMIT_AS``) is capped at what it had after start-up
  plus ``memory_bytes``; an allocation beyond that raises ``MemoryError`` inside the call, which is
  answered as an exceeded budget, and the child is replaced because its state can no longer be
  trusted.

The parent side is blocking (it waits on a pipe); :meth:`BudgetedPool.run` runs it in a worker
thread with anyio, so the event loop keeps answering other requests while a call is under way. The
callable and its arguments must be picklable: pass a module-level function (the child imports its
module) and plain data.
"""

from __future__ import annotations

import contextlib
import functools
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Final, TypeVar

import anyio
import structlog

_log = structlog.get_logger("rolecall.budget")

T = TypeVar("T")

_START_TIMEOUT: Final = 60.0  # a cold interpreter that imports the renderers; not part of the budget


class BudgetExceeded(Exception):
    """The call used more time, CPU or memory than its budget and was stopped."""

    def __init__(self, resource: str, message: str) -> None:
        self.resource = resource
        super().__init__(message)


@dataclass(frozen=True)
class Budget:
    """What one call may use: wall-clock seconds (CPU time is capped at the same figure) and memory."""

    seconds: float
    memory_bytes: int


def _address_space() -> int | None:
    """The process's current virtual size in bytes, from /proc (Linux); ``None`` elsewhere."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _child_main(
    conn_in: Connection, conn_out: Connection, memory_bytes: int, preload: tuple[str, ...]
) -> None:
    """The loop of one child: import what calls will need, cap memory, then answer calls until EOF."""
    import importlib
    import resource

    for module in preload:
        importlib.import_module(module)
    size = _address_space()
    if size is not None:
        limit = size + memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    conn_out.send(("ready", os.getpid()))
    _, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
    while True:
        try:
            fn, args, seconds = conn_in.recv()
        except (EOFError, OSError):
            return
        usage = resource.getrusage(resource.RUSAGE_SELF)
        soft = int(usage.ru_utime + usage.ru_stime + seconds) + 1
        if cpu_hard != resource.RLIM_INFINITY:
            soft = min(soft, cpu_hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, cpu_hard))
        try:
            answer: tuple[str, Any] = ("ok", fn(*args))
        except MemoryError:
            answer = ("memory", None)
        except Exception as exc:
            answer = ("error", exc)
        try:
            conn_out.send(answer)
        except MemoryError:
            conn_out.send(("memory", None))
        except Exception as exc:  # an unpicklable result or exception: say what it was
            conn_out.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))


def _child_entry() -> None:
    """``python -c`` entry of a child: its pipes' descriptors and settings come as arguments."""
    read_fd, write_fd, memory_bytes = (int(value) for value in sys.argv[1:4])
    preload = tuple(name for name in sys.argv[4:] if name)
    _child_main(
        Connection(read_fd, writable=False), Connection(write_fd, readable=False), memory_bytes, preload
    )


class _Child:
    def __init__(self, process: subprocess.Popen[bytes], conn_in: Connection, conn_out: Connection) -> None:
        self.process = process
        self.conn_in = conn_in  # answers from the child
        self.conn_out = conn_out  # calls to the child

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.alive():
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        self.conn_in.close()
        self.conn_out.close()


class BudgetedPool:
    """Long-lived child processes that run calls under a :class:`Budget` (see the module docstring).

    At most ``workers`` calls run at once; further callers wait for a free child. Waiting is not
    charged to the budget, only the call itself.
    """

    def __init__(self, budget: Budget, *, workers: int = 2, preload: tuple[str, ...] = ()) -> None:
        self.budget = budget
        self._preload = preload
        self._slots = threading.BoundedSemaphore(workers)
        self._idle: list[_Child] = []
        self._lock = threading.Lock()

    def _start(self) -> _Child:
        # A fresh interpreter started with subprocess rather than multiprocessing's "spawn", which
        # would import the parent's __main__ module again (uvicorn's, a script's) in every child.
        call_read, call_write = os.pipe()
        answer_read, answer_write = os.pipe()
        command = [
            sys.executable,
            "-c",
            "from rolecall.platform.budget import _child_entry; _child_entry()",
            str(call_read),
            str(answer_write),
            str(self.budget.memory_bytes),
            *self._preload,
        ]
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in sys.path if path)}
        try:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
                command,
                pass_fds=(call_read, answer_write),
                stdin=subprocess.DEVNULL,
                env=environment,
                close_fds=True,
            )
        finally:
            os.close(call_read)
            os.close(answer_write)
        started = _Child(
            process, Connection(answer_read, writable=False), Connection(call_write, readable=False)
        )
        if not started.conn_in.poll(_START_TIMEOUT):
            started.kill()
            raise RuntimeError("the budgeted worker process did not start")
        started.conn_in.recv()
        return started

    def _checkout(self) -> _Child:
        with self._lock:
            while self._idle:
                child = self._idle.pop()
                if child.alive():
                    return child
                child.kill()
        return self._start()

    def _checkin(self, child: _Child) -> None:
        with self._lock:
            self._idle.append(child)

    def run_sync(self, fn: Callable[..., T], *args: Any) -> T:
        """Call ``fn(*args)`` in a child under the budget; blocks. Raises :class:`BudgetExceeded`."""
        seconds = self.budget.seconds
        with self._slots:
            child = self._checkout()
            began = time.monotonic()
            healthy = False
            try:
                child.conn_out.send((fn, args, seconds))
                if not child.conn_in.poll(seconds):
                    raise BudgetExceeded("time", f"stopped after {seconds:g} s, the time budget")
                try:
                    status, value = child.conn_in.recv()
                except (EOFError, OSError) as exc:  # killed by RLIMIT_CPU, or the kernel's OOM killer
                    message = f"stopped after using {seconds:g} s of CPU, the budget"
                    raise BudgetExceeded("cpu", message) from exc
                if status == "memory":
                    megabytes = self.budget.memory_bytes // (1024 * 1024)
                    raise BudgetExceeded("memory", f"stopped after using more than {megabytes} MiB of memory")
                healthy = True
            finally:
                if healthy:
                    self._checkin(child)
                else:
                    child.kill()
                    _log.warning("budget_exceeded", elapsed=round(time.monotonic() - began, 3))
        if status == "error":
            raise value
        result: T = value
        return result

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """:meth:`run_sync` in a worker thread, so the event loop stays free while the call runs."""
        return await anyio.to_thread.run_sync(functools.partial(self.run_sync, fn, *args))

    def close(self) -> None:
        """Stop the idle children (busy ones stop when their call ends or its budget runs out)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for child in idle:
            child.kill()
