"""A fake ClamAV daemon on a temporary unix socket, speaking clamd's INSTREAM protocol.

It reads "zINSTREAM\\0", then length-prefixed chunks up to a zero length, and answers as clamd
does: "stream: Eicar-Test-Signature FOUND" when the content holds the EICAR test string,
"INSTREAM size limit exceeded. ERROR" past `max_stream` bytes, else "stream: OK".
"""

from __future__ import annotations

import socket
import struct
import threading
from pathlib import Path

from tests.evidence.samples import EICAR


class FakeClamd:
    def __init__(self, path: Path, *, max_stream: int = 25 * 1024 * 1024) -> None:
        self.path = path
        self.max_stream = max_stream
        self.scanned: list[bytes] = []
        self.commands: list[bytes] = []
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(path))
        self._server.listen(8)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _read_exact(self, conn: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            part = conn.recv(n - len(data))
            if not part:
                raise ConnectionError("client hung up")
            data += part
        return data

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            with conn:
                try:
                    self._answer(conn)
                except (ConnectionError, OSError):
                    continue

    def _answer(self, conn: socket.socket) -> None:
        command = b""
        while not command.endswith(b"\x00"):
            command += self._read_exact(conn, 1)
        self.commands.append(command)
        content = b""
        while True:
            (length,) = struct.unpack("!I", self._read_exact(conn, 4))
            if length == 0:
                break
            content += self._read_exact(conn, length)
            if len(content) > self.max_stream:
                conn.sendall(b"INSTREAM size limit exceeded. ERROR\x00")
                return
        self.scanned.append(content)
        if EICAR in content:
            conn.sendall(b"stream: Eicar-Test-Signature FOUND\x00")
        else:
            conn.sendall(b"stream: OK\x00")

    def close(self) -> None:
        self._server.close()
