"""One broker connection: MAIN^XWBTCPM's loop as an asyncio protocol (no task per read).

Bytes go into the sans-IO :class:`RequestReader`; each complete request is answered at once
when VistA would answer at once, or after VistA's pause (CLRBUF's drain, ^%ZTER's ``H 1``, an
RPC's own ``H n``) through one timer.  A single timer also enforces the waits: the idle wait
before a request, and the deadline for finishing a request once it has begun.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from parsers.collation import encode_m
from rpc.simulator.handler import CallResult, ListParam, Literal, MError, Param, RpcEntry, Session
from rpc.simulator.mliteral import GETV, is_plain_name, literal_value, undefined
from rpc.simulator.reader import Abort, Bye, Call, Connect, Event, Reference, RequestReader
from rpc.wire import ReturnType, encode_data, encode_m_error, encode_response

if TYPE_CHECKING:
    from rpc.simulator.server import BrokerServer

log = logging.getLogger("rpc.simulator")

_CONNECT, _MAIN, _BUSY, _DRAIN, _CLOSED = range(5)
ACCEPT = encode_response(b"accept")
REJECT = encode_response(b"reject")
BYE_REPLY = encode_response(b"#BYE#")


class BrokerConnection(asyncio.Protocol):
    """MAIN^XWBTCPM for one client, driven by data_received and one timer."""

    def __init__(self, server: BrokerServer) -> None:
        self.server = server
        self.handler = server.handler
        self.timings = server.config.timings
        limits = server.config.limits
        self.requests = RequestReader(max_field=limits.max_field, max_request=limits.max_request)
        self.session = Session(peer="")
        self.transport: asyncio.Transport | None = None
        self.phase = _CONNECT
        self.opened = False
        self._timer: asyncio.TimerHandle | None = None
        self._when = 0.0
        self._action: Callable[[], None] = self._timed_out
        self._deadline: float | None = None
        self._pending: bytes | None = None
        self._drain_stop = 0.0
        self._paused = False

    # -- asyncio.Protocol ------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.session.peer = str(peer[0]) if isinstance(peer, tuple) else ""
        self.server.connection_opened(self)
        self._arm(self.timings.connect)

    def data_received(self, data: bytes) -> None:
        if self.phase == _CLOSED:
            return
        self.requests.feed(data)
        if self.phase == _DRAIN:
            self._drain_step()
        elif self.phase == _BUSY:
            self._limit_buffer()
        else:
            self._pump()

    def eof_received(self) -> bool | None:
        self.close()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.phase = _CLOSED
        self._cancel_timer()
        if self.opened:
            self.opened = False
            try:
                self.handler.close_session(self.session)
            except Exception:
                log.warning("closing a broker session failed", exc_info=True)
        self.server.connection_closed(self)

    def pause_writing(self) -> None:  # the client does not read: stop reading its requests
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.transport is not None:
            self.transport.resume_reading()

    # -- the loop ----------------------------------------------------------------------------
    def close(self) -> None:
        if self.phase != _CLOSED:
            self.phase = _CLOSED
            self._cancel_timer()
            if self.transport is not None:
                self.transport.close()

    def _pump(self) -> None:
        """Answer every complete request; then wait (idle or request deadline)."""
        while self.phase in (_CONNECT, _MAIN):
            event = self.requests.next_event()
            if event is None:
                self._wait()
                return
            self._deadline = None
            self._handle(event)

    def _wait(self) -> None:
        if self.requests.in_request or self.requests.buffered():
            loop = asyncio.get_running_loop()
            if self._deadline is None:
                self._deadline = loop.time() + self.timings.read
            self._arm(self._deadline - loop.time())
        elif self.phase == _CONNECT:
            self._arm(self.timings.connect)
        else:
            idle = self.session.idle_timeout
            if idle is None:
                idle = self.timings.idle if self.session.duz > 0 else self.timings.signon_idle
            self._arm(idle)

    def _handle(self, event: Event) -> None:
        if self.phase == _CONNECT:
            self._connect(event)
        elif isinstance(event, Bye):
            self._write(BYE_REPLY)
            self.close()
        elif isinstance(event, Call):
            self._answer(event)
        elif isinstance(event, Abort):
            log.info("broker connection closed: %s", event.reason)
            self.close()
        # Ignored: MAIN logs "Bad Header" and reads the next 5 bytes

    def _connect(self, event: Event) -> None:
        """NEW^XWBTCPM: "accept" a TCPConnect; "reject" anything else or when full."""
        if not isinstance(event, Connect):
            self.close()
            return
        full = self.server.active > self.server.config.limits.max_connections
        if event.command != "TCPConnect" or full:
            self._write(REJECT)
            self.close()
            return
        self.session.connect_params = event.params
        if not self._guard(lambda: self.handler.open_session(self.session)):
            return
        self.opened = True
        self.phase = _MAIN
        self._write(ACCEPT)

    # -- CALLP^XWBPRS --------------------------------------------------------------------------
    def _answer(self, call: Call) -> None:
        if call.rpc == "XUS SET SHARED":  # CALLP sets XWBSHARE and quits: an empty reply
            self._reply(call, encode_response())
            return
        security = call.failure or ""
        entry: RpcEntry | None = None
        if call.failure is None:
            if not call.rpc:
                security = "No RPC sent"
            else:
                checked = self._check(call.rpc)
                if checked is None:
                    return
                entry, security = checked
        if entry is None or security:
            reply = encode_response(security=encode_m(security))
            if call.command == "#BYE#":
                self._reply(call, reply)
            else:
                self._start_drain(b"" if call.no_reply else reply)
            return
        try:
            if call.error is not None:
                raise call.error
            params = [self._resolve(p) for p in call.params]
            result = self.handler.call(self.session, entry, params)
        except MError as exc:
            self._later(call, self.timings.trap_hang, encode_m_error(encode_m(exc.wire_text())))
            return
        except Exception as exc:  # a bug in a handler: VistA's trap shape, never a traceback
            log.warning("RPC handler %s^%s failed: %s", entry.tag, entry.routine, type(exc))
            log.debug("handler failure", exc_info=True)
            reply = encode_m_error(encode_m(internal_error(entry, exc).wire_text()))
            self._later(call, self.timings.trap_hang, reply)
            return
        reply = frame(entry, result)
        if result.hang > 0:
            self._later(call, result.hang, reply)
        else:
            self._reply(call, reply)

    def _check(self, name: str) -> tuple[RpcEntry | None, str] | None:
        """$$RPC^XWBPRS then CHKPRMIT^XWBSEC: (entry, security text), None if closed."""
        try:  # as _guard, without a closure per call (this runs for every request)
            entry = self.handler.lookup_rpc(name)
            if entry is None:
                return None, f"Remote Procedure '{name}' doesn't exist on the server."
            if entry.inactive in ("1", "2"):
                return None, f"Remote Procedure '{name}' cannot be run at this time."
            return entry, self.handler.check_permission(self.session, name)
        except Exception:
            log.warning("broker handler failed outside an RPC", exc_info=True)
            self.close()
            return None

    def _resolve(self, param: Literal | ListParam | Reference) -> Param:
        """GETV^XWBPRS without evaluation: "$$..." is "", a literal is its value, a plain name
        is looked up in the session's fixed set; anything else is refused as undefined."""
        if not isinstance(param, Reference):
            return param
        text = param.text
        if text.startswith("$$"):
            return Literal("")
        value = literal_value(text)
        if value is not None:
            return Literal(value)
        local = self.session.vars.get("locals")
        if is_plain_name(text) and isinstance(local, dict) and text in local:
            return Literal(str(local[text]))
        raise undefined(GETV, text if is_plain_name(text) else "(expression)")

    # -- replies and pauses ---------------------------------------------------------------------
    def _reply(self, call: Call, data: bytes) -> None:
        if not call.no_reply:  # MAIN: I '$G(XWBPRT) D SND^XWBRW
            self._write(data)

    def _write(self, data: bytes) -> None:
        if self.transport is not None and self.phase != _CLOSED and data:
            self.transport.write(data)

    def _later(self, call: Call, seconds: float, data: bytes) -> None:
        """Answer after ``seconds`` (VistA's H n); requests meanwhile wait in the buffer."""
        if seconds <= 0:
            self._reply(call, data)
            return
        self.phase = _BUSY
        self._pending = b"" if call.no_reply else data
        self._arm(seconds, self._resume)

    def _resume(self) -> None:
        if self.phase == _CLOSED:
            return
        self._write(self._pending or b"")
        self._pending = None
        self.phase = _MAIN
        if self._paused and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
        self._pump()

    def _start_drain(self, reply: bytes) -> None:
        """CLRBUF^XWBPRS: read until an EOT or ``drain`` seconds of silence, then SND."""
        self.phase = _DRAIN
        self._pending = reply
        loop = asyncio.get_running_loop()
        self._drain_stop = loop.time() + max(self.timings.read, self.timings.drain)
        self._drain_step()

    def _drain_step(self) -> None:
        if self.requests.drain():
            self._resume()
            return
        loop = asyncio.get_running_loop()
        wait = min(self.timings.drain, self._drain_stop - loop.time())
        if wait <= 0:
            self._resume()
        else:
            self._arm(wait, self._resume)

    def _limit_buffer(self) -> None:
        limits = self.server.config.limits
        if self.requests.buffered() > limits.max_field + 65536 and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()

    # -- timer -----------------------------------------------------------------------------------
    def _arm(self, seconds: float, action: Callable[[], None] | None = None) -> None:
        """Run ``action`` (default: close for a timeout) in ``seconds``.  One timer serves the
        connection: moving the deadline later only records it (the timer, when it fires
        early, sleeps again), so a busy connection does not touch the loop's heap per call."""
        loop = asyncio.get_running_loop()
        when = loop.time() + max(seconds, 0.0)
        self._when, self._action = when, action or self._timed_out
        if self._timer is None or self._timer.when() > when:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = loop.call_at(when, self._fire)

    def _fire(self) -> None:
        self._timer = None
        loop = asyncio.get_running_loop()
        if loop.time() < self._when - 0.001:  # the deadline moved on: sleep until it
            self._timer = loop.call_at(self._when, self._fire)
            return
        self._action()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _timed_out(self) -> None:
        """MAIN's read timed out (idle, or a request that never completed): close."""
        self._timer = None
        self.close()

    def _guard(self, fn: Callable[[], object]) -> bool:
        """Run a handler step outside an RPC; a failure there closes the connection."""
        try:
            fn()
        except Exception:
            log.warning("broker handler failed outside an RPC", exc_info=True)
            self.close()
            return False
        return True


def frame(entry: RpcEntry, result: CallResult) -> bytes:
    """SND^XWBRW: packets, then the data as the RPC's return type (or RTRNFMT's override)."""
    rtype = result.return_type or entry.return_type
    value = result.value
    if rtype == ReturnType.ARRAY and type(value) is list:
        # SNDDATA: each node then CR LF.  UTF-8 (with surrogateescape) encodes each character
        # on its own, so encoding the joined text once gives the same bytes as line by line.
        data = encode_m("\r\n".join(value) + "\r\n") if value else b""
        return encode_response(
            data, security=encode_m(result.security), error=encode_m(result.error)
        )
    if isinstance(value, str):
        scalar = rtype in (ReturnType.SINGLE_VALUE, ReturnType.GLOBAL_INSTANCE)
        lines = [encode_m(value)] if value or scalar else []
    else:
        lines = [encode_m(v) for v in value]
        if rtype in (ReturnType.SINGLE_VALUE, ReturnType.GLOBAL_INSTANCE):
            lines = lines[:1]
    data = encode_data(rtype, lines, wrap=entry.word_wrap)
    return encode_response(data, security=encode_m(result.security), error=encode_m(result.error))


def internal_error(entry: RpcEntry, exc: Exception) -> MError:
    """A Python failure inside a handler, shaped like the trap's text (no traceback, no data)."""
    return MError(
        f"{entry.tag}^{entry.routine}",
        f" Simulator handler failed ({type(exc).__name__})",
        "150379999",
        "%SIM-E-HANDLER",
    )
