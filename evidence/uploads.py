"""Reading an upload without keeping more of it than the limit allows."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadhandler import FileUploadHandler


class SizeLimitHandler(FileUploadHandler):
    """First of the request's upload handlers: passes each file's data on to the usual handlers
    (memory, temporary file) until the file is over `limit` bytes, then swallows the rest.

    The rest of the request is still read, so the fields after the file (the CSRF token may be
    one) arrive and the view can say "too big" next to the field instead of failing the request;
    the disk never holds more than `limit` bytes of it. `too_big` names the fields cut short.
    """

    def __init__(self, request: Any = None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.sizes: dict[str, int] = {}
        self.too_big: set[str] = set()

    def new_file(self, field_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, *args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        self.sizes[self.field_name] = self.received
        if self.received > self.limit:
            self.too_big.add(self.field_name)
            return None  # the handlers after this one get nothing more of this file
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler makes the file
