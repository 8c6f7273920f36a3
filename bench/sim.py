"""A discrete-event simulator with a simulated clock, and tasks that may wait on it.

Events are (time, sequence, callback) on a heap; nothing steps through idle time. A task is ordinary,
blocking Python code (an invocation of the real handler) run in a thread of its own, but only ever one
thread runs at a time: when the task calls `sim.sleep(seconds)` (a fake API call's latency) it hands
control back to the event loop, which resumes it at `now + seconds`. So two invocations in flight
interleave call by call, in simulated time, deterministically, and can race as they would in AWS.

Work a task does at once in threads of its own (the reconciler's listings) goes through `Sim.all`: each
job becomes a task of its own, started in order, and the caller waits, in simulated time, for the last.
A thread the simulator does not run must not call `sleep` (it would race the event loop): it raises.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


class SimClock:
    """Stands in for the `time` module where the handler reads the clock (`.time()` only)."""

    def __init__(self, sim: Sim, epoch: float) -> None:
        self._sim = sim
        self._epoch = epoch

    def time(self) -> float:
        return self._epoch + self._sim.now


class Worker:
    """A thread that runs one task after another (threads are reused: a run starts ~10^5 invocations)."""

    def __init__(self, sim: Sim) -> None:
        self.sim = sim
        self.turn = threading.Semaphore(0)
        self.task: Task | None = None
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while True:
            self.turn.acquire()
            task = self.task
            if task is None:  # shut down
                return
            try:
                task.result = task.body()
            except BaseException as exc:  # noqa: BLE001 - handed to the event loop, which decides
                task.error = exc
            task.done = True
            self.task = None
            self.sim._idle.append(self)
            self.sim._loop_turn.release()


class Task:
    def __init__(self, sim: Sim, body: Callable[[], Any], on_done: Callable[[Task], None]) -> None:
        self.sim = sim
        self.body = body
        self.on_done = on_done
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = False
        self.started_at = 0.0
        self.worker: Worker | None = None

    def start(self) -> None:
        self.started_at = self.sim.now
        self.worker = self.sim._idle.pop() if self.sim._idle else Worker(self.sim)
        self.worker.task = self
        self.resume()

    def resume(self) -> None:
        """Event-loop side: let the task run until it sleeps or ends."""
        assert self.worker is not None
        self.sim._current = self
        self.worker.turn.release()
        self.sim._loop_turn.acquire()
        self.sim._current = None
        if self.done:
            self.on_done(self)

    def wait(self) -> None:
        """Task side: hand control back to the event loop until resumed."""
        assert self.worker is not None
        self.sim._loop_turn.release()
        self.worker.turn.acquire()


class Sim:
    def __init__(self) -> None:
        self.now = 0.0
        self._heap: list[tuple[float, int, Callable[[], None], bool]] = []
        self._foreground = 0
        self._seq = itertools.count()
        self._loop_turn = threading.Semaphore(0)
        self._current: Task | None = None
        self._idle: list[Worker] = []
        self.events_run = 0

    def at(self, when: float, callback: Callable[[], None], background: bool = False) -> None:
        """Run callback at `when`. Background events (progress lines, watchers) do not keep the run going."""
        heapq.heappush(self._heap, (max(when, self.now), next(self._seq), callback, background))
        if not background:
            self._foreground += 1

    def every(self, interval: float, callback: Callable[[], None]) -> None:
        """Run callback now and every `interval` seconds while there is other work."""

        def tick() -> None:
            callback()
            if self._foreground:
                self.at(self.now + interval, tick, background=True)

        self.at(self.now, tick, background=True)

    def busy(self) -> bool:
        return self._foreground > 0

    def spawn(self, body: Callable[[], Any], on_done: Callable[[Task], None]) -> Task:
        task = Task(self, body, on_done)
        self.at(self.now, task.start)
        return task

    def sleep(self, seconds: float) -> None:
        """Inside a task: let simulated time pass. Outside (event callbacks): a no-op, calls are instant."""
        task = self._current
        if task is None or seconds <= 0:
            return
        if task.worker is None or threading.current_thread() is not task.worker.thread:
            raise RuntimeError(
                "Sim.sleep called from a thread the simulator does not run: run concurrent work through Sim.all"
            )
        wake = self.now + seconds
        if not self._heap or self._heap[0][0] > wake:
            # Nothing else happens before the task wakes: let the clock jump, no hand-over needed.
            self.now = wake
            return
        self.at(wake, task.resume)
        task.wait()

    def all(self, jobs: Sequence[Callable[[], T]]) -> list[T]:
        """Inside a task: run the jobs as tasks of their own, at once in simulated time, and return their
        answers in order once the last has ended (the first error, if any, is raised then). Outside a task
        (calls are instant): one after the other."""
        parent = self._current
        if parent is None:
            return [job() for job in jobs]
        if not jobs:
            return []
        children: list[Task] = []
        left = len(jobs)

        def on_done(_: Task) -> None:
            nonlocal left
            left -= 1
            if left == 0:
                self.at(self.now, parent.resume)

        for job in jobs:
            children.append(self.spawn(job, on_done))
        parent.wait()
        for child in children:
            if child.error is not None:
                raise child.error
        return [child.result for child in children]

    def close(self) -> None:
        """End the idle worker threads."""
        while self._idle:
            self._idle.pop().turn.release()

    def run(self, until: Callable[[], bool] | None = None) -> None:
        while self._heap:
            when, _, callback, background = heapq.heappop(self._heap)
            if not background:
                self._foreground -= 1
            self.now = when
            self.events_run += 1
            callback()
            if until is not None and until():
                return
