"""Plotly figures as SVG for the PDF: the Chromium lookup, kaleido's server and the SVG caches.

WeasyPrint runs no JavaScript, so the PDF gets each chart as an SVG drawn by kaleido with a
local Chromium. Without a Chromium `figure_svg` returns None and the PDF shows the chart's
data as a table instead (`manage.py check` warns, see reports/checks.py). The figures
themselves are built in reports/charts.py; nothing here knows what a chart shows.

Chromium is expensive to start (about 1.5 s), so kaleido's own sync server
(`kaleido.start_sync_server`, one warm browser in a background thread) draws every figure.
kaleido gives the per-render timeout; `_ChartExporter` adds only what its server lacks (see
there). SVGs are cached by a hash of the figure JSON, in the process and in Django's cache,
which several app processes share.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import os
import shutil
import signal
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from reports.charts import PLOTLY_JS, SVG_HEIGHT, SVG_WIDTH

logger = logging.getLogger(__name__)

SVG_TIMEOUT_S = 30.0
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0
# After the export failed twice in a row, PDFs use the table fallback for this long.
RETRY_AFTER_S = 300.0
# Bumped whenever the SVG export changes in a way the figure JSON does not show.
EXPORT_VERSION = "1"

# Debian's chromium-headless-shell first: the headless-only build draws the same charts (the
# same SVG and PNG, byte for byte but for plotly's random element ids) in ~120 MB less
# memory than the full browser (~220 MB PSS against ~340 with kaleido's one tab), which a
# Celery worker must stay under 400 MB with. The full browser is the fallback.
BROWSER_NAMES = (
    "chromium-headless-shell",
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
)

# Added to choreographer's command line: a headless Chromium as kaleido starts it holds
# 250-370 MB (PSS) in nine processes, more than a Celery worker may spend on it (issue 13:
# under 400 MB per worker, its Python included). None of these changes what a chart looks like
# (tests/reports compare the SVGs); unknown feature names are ignored, so a newer Chromium
# that renamed one only keeps that process.
CHROMIUM_FLAGS = (
    # The renderer a site-isolated browser keeps warm for the next tab, and the browser's own
    # WebUI (omnibox popup, preloaded top-chrome pages) that nobody sees when headless: each
    # is a renderer process of 15-60 MB. Left: kaleido's tab and its one renderer.
    "--disable-features=SpareRendererForSitePerProcess,PreloadTopChromeWebUI,"
    "WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup",
    # The network service and the software GPU as threads of the browser process, not two
    # processes of their own (the only network use is kaleido's local file).
    "--enable-features=NetworkServiceInProcess2",
    "--in-process-gpu",
    # No software GL either (SwiftShader, ~10 MB): no chart of the app is a WebGL trace.
    "--disable-software-rasterizer",
    # V8's young generation in 1 MB semi-spaces (16 MB by default): a chart allocates little,
    # and the renderer keeps 20 MB less.
    "--js-flags=--max-semi-space-size=1",
)

_T = TypeVar("_T")


def find_chromium() -> str | None:
    """The Chromium (or Chrome) kaleido drives: settings.CHROMIUM_PATH, else the first on PATH."""
    from django.conf import settings

    configured = getattr(settings, "CHROMIUM_PATH", "") or ""
    if configured:
        return configured if os.path.isfile(configured) and os.access(configured, os.X_OK) else None
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


class ChartExportUnavailable(RuntimeError):
    """kaleido could not draw a figure (browser missing, crashed or hung)."""


def _within(seconds: float, call: Callable[[], _T]) -> _T:
    """`call()`, or ChartExportUnavailable when it has not returned after `seconds`.

    A daemon thread, so that a call stuck for good never holds up the process at exit.
    """
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append((True, call()))
        except BaseException as error:  # handed to the caller below
            outcome.append((False, error))

    worker = threading.Thread(target=run, name="kaleido-call", daemon=True)
    worker.start()
    worker.join(seconds)
    if not outcome:
        raise ChartExportUnavailable(f"kaleido did not answer within {seconds:.0f} s")
    ok, value = outcome[0]
    if not ok:
        raise value
    result: _T = value
    return result


def _lean_chromium() -> type:
    """choreographer's Chromium launcher with CHROMIUM_FLAGS added; kaleido passes it on
    (`Kaleido(**kwargs)` goes to `choreographer.Browser(browser_cls=...)`)."""
    from choreographer.browsers.chromium import Chromium

    class LeanChromium(Chromium):
        def get_cli(self) -> list[str]:
            return [*super().get_cli(), *CHROMIUM_FLAGS]

    return LeanChromium


class _ChartExporter:
    """kaleido's sync server, with the guarantees it does not give by itself.

    kaleido (>= 1.1) keeps one browser in a thread and times out a render that hangs
    (`Kaleido(timeout=...)`). It lacks, and this adds:
    - one render at a time: its `calc_fig_sync` puts the task on a queue shared by all
      callers and takes the next result, so two threads at once could swap their SVGs;
    - a deadline for the caller: if the server thread died (a browser that would not start)
      nobody answers the queue, and `calc_fig_sync` would wait for ever;
    - a restart after a failure, one retry, then a back-off: a broken browser must not cost
      every report a minute of timeouts;
    - a new server when the old one does not stop because its thread is stuck
      (`_replace_stuck_server`): kaleido would otherwise never start another.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._path: str | None = None
        self._failed_at: float | None = None

    @property
    def running(self) -> bool:
        return self._path is not None

    def _start(self, path: str) -> None:
        import kaleido

        # kaleido reads the browser from BROWSER_PATH when no path is passed (choreographer).
        os.environ.setdefault("BROWSER_PATH", path)
        # mathjax=False: kaleido's default loads MathJax from a CDN, and the app must work
        # offline. plotly.js comes from the same vendored file the browser gets.
        kaleido.start_sync_server(
            n=1,
            timeout=SVG_TIMEOUT_S,
            mathjax=False,
            plotlyjs=str(PLOTLY_JS),
            path=path,
            browser_cls=_lean_chromium(),
            silence_warnings=True,
        )
        self._path = path

    def stop(self) -> None:
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        if self._path is None:
            return
        self._path = None
        import kaleido

        try:
            _within(STOP_TIMEOUT_S, lambda: kaleido.stop_sync_server(silence_warnings=True))
        except ChartExportUnavailable:
            logger.warning("kaleido's server did not stop within %.0f s: replaced", STOP_TIMEOUT_S)
            _replace_stuck_server()
        except Exception:  # the browser may already be gone
            logger.debug("kaleido stop failed", exc_info=True)

    def _calc(self, fig: Any, width: int, height: int, deadline: float, fmt: str = "svg") -> bytes:
        import kaleido

        opts: dict[str, Any] = {"format": fmt, "width": width, "height": height}
        if fmt == "png":
            # Twice the pixels: sharp when Word prints the picture at its full width.
            opts["scale"] = 2
        data: bytes = _within(deadline, lambda: kaleido.calc_fig_sync(fig, opts=opts))
        return data

    def render_svg(self, fig: Any, path: str, width: int, height: int) -> str:
        return self.render(fig, path, width, height, "svg").decode("utf-8")

    def render(self, fig: Any, path: str, width: int, height: int, fmt: str) -> bytes:
        with self._lock:
            if self._failed_at is not None and time.monotonic() - self._failed_at < RETRY_AFTER_S:
                raise ChartExportUnavailable("chart export failed recently; not retried yet")
            last_error: Exception | None = None
            for attempt in (1, 2):
                try:
                    deadline = SVG_TIMEOUT_S
                    if self._path != path:
                        self._stop_locked()
                        self._start(path)
                        # The first render also waits for the browser to start.
                        deadline += START_TIMEOUT_S
                    data = self._calc(fig, width, height, deadline, fmt)
                    self._failed_at = None
                    return data
                except Exception as error:
                    last_error = error
                    logger.warning("kaleido render failed (attempt %d)", attempt, exc_info=True)
                    self._stop_locked()
            self._failed_at = time.monotonic()
            raise ChartExportUnavailable("chart export failed twice") from last_error


def _replace_stuck_server() -> None:
    """Give kaleido a new server after its server did not stop, and kill the old one's browser.

    The old server's thread is stuck (a render that never ends, or a browser that never answers
    Browser.close), so `stop_sync_server` does not return and kaleido still counts the server
    as open: `start_sync_server` would do nothing and every later render would queue behind the
    stuck one, leaving the process without charts until it exits. kaleido (1.5) keeps its
    server in a module-level singleton; it gets a fresh, closed one here (test_charts.py's
    stuck-server test fails if kaleido changes that). The stuck one no longer counts as open,
    so that its exit handler does not wait for its thread either.
    """
    import kaleido
    from kaleido import _sync_server

    stuck = kaleido._global_server
    stuck._initialized = False
    _sync_server.GlobalKaleidoServer._instance = None
    kaleido._global_server = _sync_server.GlobalKaleidoServer()
    for pid in browser_wrappers():
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)


def browser_wrappers() -> list[int]:
    """The browsers kaleido started in this process: choreographer runs each Chromium under a
    small wrapper process, its child here and the leader of the browser's process group.
    Found in /proc (Linux; elsewhere none, and a stuck browser is left running)."""
    me = os.getpid()
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The fields after the command name in parentheses: state, parent pid, ...
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes() if parent == me else b""
        except (OSError, ValueError, IndexError):  # gone meanwhile, or unreadable
            continue
        if b"_unix_pipe_chromium_wrapper" in command:
            pids.append(int(stat.parent.name))
    return pids


_server = _ChartExporter()

_svg_cache: OrderedDict[str, str] = OrderedDict()
_svg_cache_lock = threading.Lock()
_SVG_CACHE_SIZE = 64


def figure_hash(fig: Any, width: int = SVG_WIDTH, height: int | None = None) -> str:
    raw = json.dumps(
        [EXPORT_VERSION, fig.to_plotly_json(), width, height],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(raw.encode()).hexdigest()


def _render_svg(fig: Any, path: str, width: int, height: int) -> str:
    """Draw a figure with the warm kaleido browser (tests count calls to this)."""
    return _server.render_svg(fig, path, width, height)


def clear_svg_cache() -> None:
    """Forget the SVGs and PNGs cached in this process (the Django cache keeps its own SVGs)."""
    with _svg_cache_lock:
        _svg_cache.clear()
        _png_cache.clear()


def figure_svg(fig: Any, *, width: int = SVG_WIDTH, use_cache: bool = True) -> str | None:
    """The figure as an SVG document, or None when no Chromium is available or it fails."""
    from assessments.caching import cache_get, cache_set

    height = int(fig.layout.height or SVG_HEIGHT)
    key = figure_hash(fig, width, height)
    cache_key = f"reports:svg:{key}"
    if use_cache:
        with _svg_cache_lock:
            svg = _svg_cache.get(key)
            if svg is not None:
                _svg_cache.move_to_end(key)
                return svg
        svg = cache_get(cache_key)
        if svg is not None:
            _remember(key, svg)
            return str(svg)
    path = find_chromium()
    if path is None:
        return None
    try:
        svg = _render_svg(fig, path, width, height)
    except Exception:
        logger.exception("Chart export to SVG failed; the PDF shows the chart's data instead")
        return None
    _remember(key, svg)
    cache_set(cache_key, svg, timeout=None)
    return svg


def _remember(key: str, svg: str) -> None:
    with _svg_cache_lock:
        _svg_cache[key] = svg
        _svg_cache.move_to_end(key)
        while len(_svg_cache) > _SVG_CACHE_SIZE:
            _svg_cache.popitem(last=False)


def figure_png(fig: Any, *, width: int = SVG_WIDTH) -> bytes | None:
    """The figure as a PNG (for the Word report: Word has no SVG without a PNG beside it),
    or None when no Chromium is available or it fails. Cached in the process only."""
    height = int(fig.layout.height or SVG_HEIGHT)
    key = "png:" + figure_hash(fig, width, height)
    with _svg_cache_lock:
        cached = _png_cache.get(key)
    if cached is not None:
        return cached
    path = find_chromium()
    if path is None:
        return None
    try:
        png = _server.render(fig, path, width, height, "png")
    except Exception:
        logger.exception("Chart export to PNG failed; the Word report shows the chart's data")
        return None
    with _svg_cache_lock:
        _png_cache[key] = png
        while len(_png_cache) > _SVG_CACHE_SIZE:
            _png_cache.popitem(last=False)
    return png


_png_cache: OrderedDict[str, bytes] = OrderedDict()


def svg_data_uri(svg: str) -> str:
    """An SVG as a data: URL for an <img> in the PDF (WeasyPrint draws it as vectors)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def stop_kaleido() -> None:
    """Close the warm browser (tests and the benchmark use it to measure a cold start)."""
    _server.stop()
