"""The broker's error tree.  Messages never carry access/verify codes, passwords or PHI.

One root, :class:`BrokerError`, with a branch per way a broker call can fail:

- :class:`BrokerConnectionError` (also a :class:`ConnectionError`): no connection, or the server
  closed it (possibly in the middle of a message).
- :class:`ProtocolError`: the bytes did not follow XWB framing; ``offset`` says where, counted in
  bytes from the start of the response (or request) being parsed.
- :class:`BrokerTimeoutError` (also a :class:`TimeoutError`): the call did not finish in time.
- :class:`SignOnError` (VistA's refusal text, and which cipher table was used) and its
  :class:`LockedOutError`; :class:`ContextError` for XWB CREATE CONTEXT refusals.
- :class:`RPCError` and its three wire forms: the security packet
  (:class:`RPCSecurityError`), the application error packet (:class:`RPCApplicationError`) and
  an M error trapped by the broker's ETRAP (:class:`RPCMError`).

VistA's own text is kept on the exception (``text``) because it is what an operator needs;
VistA's sign-on texts never echo the codes that were sent, and we never add them.
"""

from __future__ import annotations

from parsers.errors import BridgeError


class BrokerError(BridgeError):
    """Root of every RPC Broker error."""


class BrokerConnectionError(BrokerError, ConnectionError):
    """The TCP connection could not be made, or was closed or reset by the server."""


class BrokerTimeoutError(BrokerError, TimeoutError):
    """A connect, call or wait did not finish within its timeout."""


class ProtocolError(BrokerError, ValueError):
    """Bytes that break XWB framing.  ``offset`` is the byte position where the fault was seen."""

    def __init__(self, message: str, *, offset: int | None = None) -> None:
        self.message = message
        self.offset = offset
        where = f" at byte {offset}" if offset is not None else ""
        super().__init__(f"XWB protocol error{where}: {message}")


class CipherError(BrokerError, ValueError):
    """A cipher table that XUSRB1 could not use (wrong row count, rows not permutations...)."""


class SignOnError(BrokerError):
    """VistA refused the sign-on.  ``text`` is VistA's own message; ``cipher_table`` names the
    Kernel cipher table the codes were encrypted with, because a wrong table looks exactly like
    wrong codes to the server (XUSRB1 DECRYP yields garbage)."""

    def __init__(self, text: str, *, cipher_table: str | None = None) -> None:
        self.text = text
        self.cipher_table = cipher_table
        hint = (
            f" (codes were encrypted with cipher table {cipher_table!r}; if the codes are right, "
            "the server may use another XUSRB1 table)"
            if cipher_table
            else ""
        )
        super().__init__(f"VistA refused the sign-on: {text or 'no reason given'}{hint}")


class LockedOutError(SignOnError):
    """Too many invalid sign-on attempts: VistA locked this device/IP (XUS3)."""


class VerifyCodeExpiredError(SignOnError):
    """The codes were right, but VistA requires a new verify code before sign-on (XUS CVC)."""


class ContextError(BrokerError):
    """XWB CREATE CONTEXT refused the application context (option) ``context``."""

    def __init__(self, text: str, *, context: str) -> None:
        self.text = text
        self.context = context
        super().__init__(f"VistA refused context {context!r}: {text}")


class RPCError(BrokerError):
    """An RPC ended in an error that VistA sent back; ``rpc`` names it, ``text`` is VistA's."""

    kind = "error"

    def __init__(self, text: str, *, rpc: str | None = None) -> None:
        self.text = text
        self.rpc = rpc
        name = f" {rpc!r}" if rpc else ""
        super().__init__(f"RPC{name} failed ({self.kind}): {self.summary()}")

    def summary(self) -> str:
        """The part of ``text`` that is safe and useful in a message (its first line)."""
        return self.text.split("\r\n", 1)[0].split("\n", 1)[0]


class RPCSecurityError(RPCError):
    """The response's security packet was not empty: unknown RPC, not signed on, not allowed in
    this context (XWBPRS RPC, XWBSEC CHKPRMIT; sent by SNDERR^XWBRW)."""

    kind = "security packet"


class RPCApplicationError(RPCError):
    """The response's application error packet (``XWBERROR``) was not empty."""

    kind = "application error packet"


class RPCMError(RPCError):
    """An M error inside the RPC, trapped by ETRAP^XWBTCPM and sent as ``$C(24)`` text.

    The message shows only the ``M  ERROR=`` line: the ``LAST REF=`` line names a global
    reference whose subscripts may hold patient data; it stays in ``text``."""

    kind = "M error"


class FileManDBSError(RPCError):
    """A FileMan DBS RPC (DDR*) answered with FileMan's error list (``[BEGIN_diERRORS]``) or the
    bare ``[ERROR]`` marker.  ``codes`` holds the DIALOG numbers (e.g. 601, 299)."""

    kind = "FileMan error"

    def __init__(self, text: str, *, rpc: str | None = None, codes: tuple[int, ...] = ()) -> None:
        self.codes = codes
        super().__init__(text, rpc=rpc)


class PoolError(BrokerError):
    """The connection pool was closed, or could not provide a connection."""


class PoolTimeoutError(PoolError, BrokerTimeoutError):
    """No pooled connection became free within the bounded wait."""
