"""Pools of signed-on broker connections (blocking and asyncio), kept apart from the protocol.

A pool knows nothing of bytes: it gets connections from a factory (typically "open, sign on,
create context") and needs only three things from them: ``keep_alive()`` (XWB IM HERE),
``close()`` and a ``broken`` flag, which the clients set after a timeout, a protocol error or a
dropped connection.

- At most ``size`` connections, created on demand; waiting for one is bounded
  (``acquire_timeout``, then :class:`PoolTimeoutError`).
- A connection idle for longer than ``health_interval`` is checked with XWB IM HERE before it
  is handed out; one that fails the check is closed and replaced (reconnect after a drop).
- A broken connection is closed when it comes back, never reused; its slot is freed.
- :meth:`BrokerPool.call` retries once, on a new connection, when a *reused* connection turns
  out to have been dropped by the server (the call then cannot have reached VistA's RPC).
- ``close()`` closes every connection; nothing leaks (the tests count file descriptors).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from rpc.errors import BrokerConnectionError, BrokerError, PoolError, PoolTimeoutError


class PooledClient(Protocol):
    broken: bool

    def keep_alive(self) -> None: ...

    def close(self) -> None: ...


class AsyncPooledClient(Protocol):
    broken: bool

    async def keep_alive(self) -> None: ...

    async def close(self) -> None: ...


C = TypeVar("C", bound=PooledClient)
A = TypeVar("A", bound=AsyncPooledClient)
R = TypeVar("R")


@dataclass
class _Idle(Generic[R]):
    client: R
    since: float


@dataclass(frozen=True)
class PoolStats:
    size: int
    open: int
    idle: int
    created: int
    replaced: int


K = TypeVar("K")
F = TypeVar("F")


class _PoolCore(Generic[K, F]):
    """What both pools decide the same way: the slots, when an idle connection needs a health
    check, and what a returned or retried connection means.  The faces hold the lock (a
    thread or an asyncio condition) around the calls marked so, and do the I/O."""

    def __init__(
        self,
        factory: F,
        size: int = 4,
        *,
        acquire_timeout: float = 10.0,
        health_interval: float = 30.0,
    ) -> None:
        if size < 1:
            raise PoolError("a pool needs at least one connection")
        self._factory = factory
        self.size = size
        self.acquire_timeout = acquire_timeout
        self.health_interval = health_interval
        self._idle: list[_Idle[K]] = []
        self._open = 0
        self._created = 0
        self._replaced = 0
        self._closed = False

    def _stats(self) -> PoolStats:
        return PoolStats(self.size, self._open, len(self._idle), self._created, self._replaced)

    def _can_take(self) -> bool:
        """Whether :meth:`_take` answers now (lock held)."""
        return self._closed or bool(self._idle) or self._open < self.size

    def _take(self) -> _Idle[K] | None:
        """An idle connection, or None for a slot reserved for a new one (lock held, after
        :meth:`_can_take`); a closed pool refuses."""
        if self._closed:
            raise PoolError("the broker pool is closed")
        if self._idle:
            return self._idle.pop()
        self._open += 1
        return None

    def _busy_error(self) -> PoolTimeoutError:
        return PoolTimeoutError(f"no broker connection free within the wait ({self.size} in use)")

    def _fresh(self, idle: _Idle[K]) -> bool:
        """Idle for less than ``health_interval``: handed out without XWB IM HERE."""
        return time.monotonic() - idle.since < self.health_interval

    def _freed(self, replaced: bool) -> None:
        """A connection's slot is free again (lock held)."""
        self._open -= 1
        self._replaced += int(replaced)

    def _park(self, client: K) -> None:
        """A healthy connection back in the idle list (lock held)."""
        self._idle.append(_Idle(client, time.monotonic()))

    def _drain(self) -> list[_Idle[K]]:
        """Close the pool: the idle connections, for the face to close (lock held)."""
        self._closed = True
        idle, self._idle = self._idle, []
        return idle


def _retry(exc: BrokerConnectionError, reused: bool, attempt: int) -> None:
    """A dropped connection is retried once, and only when it was reused (a fresh one that
    fails did reach the server, or the server is gone): anything else re-raises."""
    if not (reused and attempt == 1):
        raise exc


class BrokerPool(_PoolCore[C, Callable[[], C]]):
    """A thread-safe pool of blocking clients."""

    def __init__(
        self,
        factory: Callable[[], C],
        size: int = 4,
        *,
        acquire_timeout: float = 10.0,
        health_interval: float = 30.0,
    ) -> None:
        super().__init__(
            factory, size, acquire_timeout=acquire_timeout, health_interval=health_interval
        )
        self._cond = threading.Condition()

    def stats(self) -> PoolStats:
        with self._cond:
            return self._stats()

    def acquire(self, timeout: float | None = None) -> tuple[C, bool]:
        """A healthy client and whether it was reused; give it back with :meth:`release`."""
        deadline = time.monotonic() + (self.acquire_timeout if timeout is None else timeout)
        while True:
            with self._cond:
                while not self._can_take():
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise self._busy_error()
                    self._cond.wait(left)
                idle = self._take()
            if idle is None:
                return self._create(), False
            if self._fresh(idle) or self._healthy(idle.client):
                return idle.client, True
            self._discard(idle.client, replaced=True)

    def _create(self) -> C:
        try:
            client = self._factory()
        except BaseException:
            with self._cond:
                self._open -= 1
                self._cond.notify()
            raise
        with self._cond:
            self._created += 1
        return client

    def _healthy(self, client: C) -> bool:
        try:
            client.keep_alive()
        except BrokerError:
            return False
        return not client.broken

    def _discard(self, client: C, *, replaced: bool = False) -> None:
        try:
            client.close()
        except BrokerError:
            pass
        finally:
            with self._cond:
                self._freed(replaced)
                self._cond.notify()

    def release(self, client: C) -> None:
        if client.broken or self._closed:
            self._discard(client, replaced=client.broken)
            return
        with self._cond:
            self._park(client)
            self._cond.notify()

    @contextmanager
    def connection(self, timeout: float | None = None) -> Iterator[C]:
        client, _reused = self.acquire(timeout)
        try:
            yield client
        finally:
            self.release(client)

    def run(self, work: Callable[[C], R], timeout: float | None = None) -> R:
        """``work(client)`` on a pooled client; retried once on a fresh connection when a
        reused one was dropped by the server."""
        for attempt in (1, 2):
            client, reused = self.acquire(timeout)
            try:
                return work(client)
            except BrokerConnectionError as exc:
                _retry(exc, reused, attempt)
            finally:
                self.release(client)
        raise AssertionError("unreachable")  # pragma: no cover

    def check(self) -> int:
        """XWB IM HERE on every idle connection now; returns how many were replaced."""
        with self._cond:
            idle, self._idle = self._idle, []
        before = self._replaced
        for item in idle:
            if self._healthy(item.client):
                self.release(item.client)
            else:
                self._discard(item.client, replaced=True)
        return self._replaced - before

    def close(self) -> None:
        with self._cond:
            idle = self._drain()
            self._cond.notify_all()
        for item in idle:
            self._discard(item.client)

    def __enter__(self) -> BrokerPool[C]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncBrokerPool(_PoolCore[A, Callable[[], Awaitable[A]]]):
    """The same pool for asyncio clients (one event loop)."""

    def __init__(
        self,
        factory: Callable[[], Awaitable[A]],
        size: int = 4,
        *,
        acquire_timeout: float = 10.0,
        health_interval: float = 30.0,
    ) -> None:
        super().__init__(
            factory, size, acquire_timeout=acquire_timeout, health_interval=health_interval
        )
        self._cond = asyncio.Condition()

    def stats(self) -> PoolStats:
        return self._stats()

    async def acquire(self, timeout: float | None = None) -> tuple[A, bool]:
        limit = self.acquire_timeout if timeout is None else timeout
        try:
            async with asyncio.timeout(limit):
                while True:
                    async with self._cond:
                        await self._cond.wait_for(self._can_take)
                        idle = self._take()
                    if idle is None:
                        return await self._create(), False
                    if self._fresh(idle) or await self._healthy(idle.client):
                        return idle.client, True
                    await self._discard(idle.client, replaced=True)
        except TimeoutError:
            raise self._busy_error() from None

    async def _create(self) -> A:
        try:
            client = await self._factory()
        except BaseException:
            async with self._cond:
                self._open -= 1
                self._cond.notify()
            raise
        self._created += 1
        return client

    async def _healthy(self, client: A) -> bool:
        try:
            await client.keep_alive()
        except BrokerError:
            return False
        return not client.broken

    async def _discard(self, client: A, *, replaced: bool = False) -> None:
        try:
            await client.close()
        except BrokerError:
            pass
        finally:
            async with self._cond:
                self._freed(replaced)
                self._cond.notify()

    async def release(self, client: A) -> None:
        if client.broken or self._closed:
            await self._discard(client, replaced=client.broken)
            return
        async with self._cond:
            self._park(client)
            self._cond.notify()

    @asynccontextmanager
    async def connection(self, timeout: float | None = None) -> AsyncIterator[A]:
        client, _reused = await self.acquire(timeout)
        try:
            yield client
        finally:
            await self.release(client)

    async def run(self, work: Callable[[A], Awaitable[R]], timeout: float | None = None) -> R:
        for attempt in (1, 2):
            client, reused = await self.acquire(timeout)
            try:
                return await work(client)
            except BrokerConnectionError as exc:
                _retry(exc, reused, attempt)
            finally:
                await self.release(client)
        raise AssertionError("unreachable")  # pragma: no cover

    async def close(self) -> None:
        async with self._cond:
            idle = self._drain()
            self._cond.notify_all()
        for item in idle:
            await self._discard(item.client)

    async def __aenter__(self) -> AsyncBrokerPool[A]:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
