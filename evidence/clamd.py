"""A ClamAV daemon asked over its unix socket with the INSTREAM command. No Django.

The protocol (clamd(8)): send "zINSTREAM\\0", then the content in chunks, each preceded by its
length as 4 bytes in network order, then a zero length; clamd answers one NUL-terminated line:
"stream: OK", "stream: <virus name> FOUND", or "<reason> ERROR" (e.g. "INSTREAM size limit
exceeded. ERROR" when the content is over its StreamMaxLength). Small enough to keep here
rather than depend on an unmaintained client library.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from typing import BinaryIO

CHUNK = 64 * 1024
MAX_REPLY = 4096


class ClamdUnavailable(Exception):
    """The daemon could not be asked (no socket, refused, timed out, hung up without a word)."""


@dataclass(frozen=True)
class ScanReply:
    clean: bool
    virus: str = ""  # the signature's name when a virus was found
    error: str = ""  # clamd's reason when it could not scan the content

    @property
    def infected(self) -> bool:
        return bool(self.virus)


def parse_reply(raw: bytes) -> ScanReply:
    text = raw.rstrip(b"\x00").decode("utf-8", "replace").strip()
    if text.endswith("ERROR"):
        return ScanReply(clean=False, error=text.removesuffix("ERROR").strip() or "error")
    _, _, verdict = text.partition(": ")
    if verdict == "OK":
        return ScanReply(clean=True)
    if verdict.endswith(" FOUND"):
        return ScanReply(clean=False, virus=verdict.removesuffix(" FOUND").strip() or "unknown")
    return ScanReply(clean=False, error=f"unexpected reply: {text[:100]}")


def _read_reply(sock: socket.socket) -> bytes:
    reply = b""
    while b"\x00" not in reply and len(reply) < MAX_REPLY:
        data = sock.recv(MAX_REPLY)
        if not data:
            break
        reply += data
    return reply


def instream(stream: BinaryIO, *, socket_path: str, timeout: float = 30.0) -> ScanReply:
    """Scan the content of `stream` (read from where it is to the end); raises ClamdUnavailable."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(socket_path)
            try:
                sock.sendall(b"zINSTREAM\x00")
                while chunk := stream.read(CHUNK):
                    sock.sendall(struct.pack("!I", len(chunk)) + chunk)
                sock.sendall(struct.pack("!I", 0))
            except (BrokenPipeError, ConnectionResetError):
                # clamd stops reading once a stream is over its limit, and says why.
                pass
            reply = _read_reply(sock)
    except OSError as exc:  # includes timeouts and a missing socket file
        raise ClamdUnavailable(f"the virus scanner could not be reached ({exc})") from exc
    if not reply:
        raise ClamdUnavailable("the virus scanner hung up without an answer")
    return parse_reply(reply)
