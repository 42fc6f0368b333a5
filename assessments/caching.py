"""Django's cache used only as a cache: when it fails, the app works on without it.

It holds rendered PDFs, chart SVGs and the password-reset counters. A full disk under the file
cache or an unreachable Redis server (CACHE_URL) must not turn a report download or a password
reset into a 500: a failed read is a miss, a failed write is skipped, and both are logged.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache

logger = logging.getLogger(__name__)


def cache_get(key: str) -> Any:
    """The value under `key`, or None when there is none or the cache cannot be read."""
    try:
        return cache.get(key)
    except Exception:  # any backend: OSError for files, redis' ConnectionError, ...
        logger.warning("Cache read failed for %s; working without it", key, exc_info=True)
        return None


def cache_set(key: str, value: Any, timeout: int | None) -> None:
    """Keep `value` under `key` for `timeout` seconds (None: no expiry), if the cache works."""
    try:
        cache.set(key, value, timeout=timeout)
    except Exception:
        logger.warning("Cache write failed for %s; not kept", key, exc_info=True)


def cache_count(key: str, timeout: int) -> int | None:
    """Add one to the counter under `key`, started for `timeout` seconds; its new value.

    None when the cache cannot be used, so the caller decides whether that means yes or no.
    """
    try:
        cache.add(key, 0, timeout=timeout)
        try:
            return int(cache.incr(key))
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=timeout)
            return 1
    except Exception:
        logger.warning("Cache counter failed for %s", key, exc_info=True)
        return None
