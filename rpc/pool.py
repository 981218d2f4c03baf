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


class BrokerPool(Generic[C]):
    """A thread-safe pool of blocking clients."""

    def __init__(
        self,
        factory: Callable[[], C],
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
        self._idle: list[_Idle[C]] = []
        self._open = 0
        self._created = 0
        self._replaced = 0
        self._closed = False
        self._cond = threading.Condition()

    def stats(self) -> PoolStats:
        with self._cond:
            return PoolStats(self.size, self._open, len(self._idle), self._created, self._replaced)

    def acquire(self, timeout: float | None = None) -> tuple[C, bool]:
        """A healthy client and whether it was reused; give it back with :meth:`release`."""
        deadline = time.monotonic() + (self.acquire_timeout if timeout is None else timeout)
        while True:
            with self._cond:
                while True:
                    if self._closed:
                        raise PoolError("the broker pool is closed")
                    idle: _Idle[C] | None
                    if self._idle:
                        idle = self._idle.pop()
                        break
                    if self._open < self.size:
                        self._open += 1
                        idle = None
                        break
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise PoolTimeoutError(
                            f"no broker connection free within the wait ({self.size} in use)"
                        )
                    self._cond.wait(left)
            if idle is None:
                return self._create(), False
            if time.monotonic() - idle.since < self.health_interval or self._healthy(idle.client):
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
                self._open -= 1
                self._replaced += int(replaced)
                self._cond.notify()

    def release(self, client: C) -> None:
        if client.broken or self._closed:
            self._discard(client, replaced=client.broken)
            return
        with self._cond:
            self._idle.append(_Idle(client, time.monotonic()))
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
            except BrokerConnectionError:
                if not (reused and attempt == 1):
                    raise
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
            self._closed = True
            idle, self._idle = self._idle, []
            self._cond.notify_all()
        for item in idle:
            self._discard(item.client)

    def __enter__(self) -> BrokerPool[C]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncBrokerPool(Generic[A]):
    """The same pool for asyncio clients (one event loop)."""

    def __init__(
        self,
        factory: Callable[[], Awaitable[A]],
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
        self._idle: list[_Idle[A]] = []
        self._open = 0
        self._created = 0
        self._replaced = 0
        self._closed = False
        self._cond = asyncio.Condition()

    def stats(self) -> PoolStats:
        return PoolStats(self.size, self._open, len(self._idle), self._created, self._replaced)

    async def acquire(self, timeout: float | None = None) -> tuple[A, bool]:
        limit = self.acquire_timeout if timeout is None else timeout
        try:
            async with asyncio.timeout(limit):
                while True:
                    async with self._cond:
                        await self._cond.wait_for(
                            lambda: self._closed or bool(self._idle) or self._open < self.size
                        )
                        if self._closed:
                            raise PoolError("the broker pool is closed")
                        if self._idle:
                            idle: _Idle[A] | None = self._idle.pop()
                        else:
                            self._open += 1
                            idle = None
                    if idle is None:
                        return await self._create(), False
                    fresh = time.monotonic() - idle.since < self.health_interval
                    if fresh or await self._healthy(idle.client):
                        return idle.client, True
                    await self._discard(idle.client, replaced=True)
        except TimeoutError:
            raise PoolTimeoutError(
                f"no broker connection free within the wait ({self.size} in use)"
            ) from None

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
                self._open -= 1
                self._replaced += int(replaced)
                self._cond.notify()

    async def release(self, client: A) -> None:
        if client.broken or self._closed:
            await self._discard(client, replaced=client.broken)
            return
        async with self._cond:
            self._idle.append(_Idle(client, time.monotonic()))
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
            except BrokerConnectionError:
                if not (reused and attempt == 1):
                    raise
            finally:
                await self.release(client)
        raise AssertionError("unreachable")  # pragma: no cover

    async def close(self) -> None:
        async with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._cond.notify_all()
        for item in idle:
            await self._discard(item.client)

    async def __aenter__(self) -> AsyncBrokerPool[A]:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
