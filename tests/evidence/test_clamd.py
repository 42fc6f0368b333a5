"""The ClamAV INSTREAM client against a fake daemon on a temporary unix socket."""

from __future__ import annotations

import io
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from evidence import clamd
from tests.evidence.fake_clamd import FakeClamd
from tests.evidence.samples import EICAR, PDF


@pytest.fixture
def daemon() -> Iterator[FakeClamd]:
    # A short path: unix socket paths are limited to about 100 bytes.
    with tempfile.TemporaryDirectory(prefix="clamd-") as folder:
        fake = FakeClamd(Path(folder) / "clamd.sock", max_stream=200_000)
        yield fake
        fake.close()


def test_a_clean_file_is_clean_and_sent_whole_in_chunks(daemon):
    content = PDF * 200  # several 64 KB chunks
    reply = clamd.instream(io.BytesIO(content), socket_path=str(daemon.path), timeout=5)
    assert reply == clamd.ScanReply(clean=True)
    assert daemon.commands == [b"zINSTREAM\x00"]
    assert daemon.scanned == [content]


def test_a_virus_is_named(daemon):
    reply = clamd.instream(io.BytesIO(EICAR), socket_path=str(daemon.path), timeout=5)
    assert reply.infected
    assert reply.virus == "Eicar-Test-Signature"


def test_a_stream_over_the_daemons_limit_is_an_error_not_a_verdict(daemon):
    reply = clamd.instream(io.BytesIO(b"x" * 400_000), socket_path=str(daemon.path), timeout=5)
    assert not reply.clean
    assert not reply.infected
    assert reply.error == "INSTREAM size limit exceeded."


def test_no_daemon_is_unavailable(tmp_path):
    with pytest.raises(clamd.ClamdUnavailable, match="could not be reached"):
        clamd.instream(io.BytesIO(b"x"), socket_path=str(tmp_path / "none.sock"), timeout=1)


def test_a_daemon_that_hangs_up_is_unavailable():
    with tempfile.TemporaryDirectory(prefix="clamd-") as folder:
        path = str(Path(folder) / "mute.sock")
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(path)
        server.listen(1)

        def hang_up() -> None:
            conn, _ = server.accept()
            conn.recv(10)
            conn.close()

        threading.Thread(target=hang_up, daemon=True).start()
        with pytest.raises(clamd.ClamdUnavailable):
            clamd.instream(io.BytesIO(b"x" * 10), socket_path=path, timeout=2)
        server.close()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"stream: OK\x00", clamd.ScanReply(clean=True)),
        (
            b"stream: Win.Test.EICAR_HDB-1 FOUND\x00",
            clamd.ScanReply(False, virus="Win.Test.EICAR_HDB-1"),
        ),
        (
            b"INSTREAM size limit exceeded. ERROR\x00",
            clamd.ScanReply(False, error="INSTREAM size limit exceeded."),
        ),
        (b"what?", clamd.ScanReply(False, error="unexpected reply: what?")),
    ],
)
def test_replies_are_read_as_clamd_writes_them(raw, expected):
    assert clamd.parse_reply(raw) == expected
