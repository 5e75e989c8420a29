"""The audit entries of ordinary reads, written in batches off the request path.

Reading a case that is not restricted is audited like everything else, but its entry need not cost
the request a write transaction (on SQLite the one writer's lock, on PostgreSQL the audit chain's
lock): the entry is taken with the time of the read and written, chained in order, within
``CMMS_AUDIT_READ_FLUSH_MS`` by one writer per process, many entries per transaction. Restricted
cases, downloads and every change are still written in the request's own transaction. A process
killed outright loses at most the last interval's ordinary read entries (never a change, never a
restricted read); a clean shutdown writes them. ``CMMS_AUDIT_READ_FLUSH_MS=0`` writes every read's
entry in its request, as before."""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from api.audit.service import Origin, Pending, append
from api.db import unit_of_work, utcnow

log = logging.getLogger(__name__)

#: a batch is written as soon as this many entries wait, without waiting for the interval
BATCH = 500


class ReadLog:
    def __init__(self, interval_ms: int) -> None:
        self.interval = interval_ms / 1000
        self._lock = threading.Lock()
        self._flushing = threading.Lock()  # one batch at a time, so the chain keeps their order
        self._items: list[tuple[Origin, Pending, datetime]] = []
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, origin: Origin, entry: Pending) -> None:
        with self._lock:
            self._items.append((origin, entry, utcnow()))
            waiting = len(self._items)
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name="cmms-read-audit", daemon=True)
                self._thread.start()
        if waiting >= BATCH:
            self._wake.set()

    def pending(self) -> int:
        with self._lock:
            return len(self._items)

    def flush(self) -> int:
        """Write every waiting entry now (in one transaction); the number written. On failure the
        entries go back to the head of the queue for the next attempt."""
        with self._flushing:
            with self._lock:
                items, self._items = self._items, []
            if not items:
                return 0
            try:
                with unit_of_work() as session:
                    append(session, items)
            except BaseException:
                with self._lock:
                    self._items[:0] = items
                raise
            return len(items)

    def close(self) -> None:
        """Stop the writer and write what waits (a clean shutdown loses nothing)."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=30)
        self.flush()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:
                log.exception("writing read audit entries failed; retrying")
                self._stop.wait(1)


_log: ReadLog | None = None
_log_guard = threading.Lock()


def read_log() -> ReadLog | None:
    """This process's log of ordinary reads, or None when reads are written in their request."""
    global _log
    from api.config import get_settings

    interval = get_settings().audit_read_flush_ms
    if interval <= 0:
        return None
    with _log_guard:
        if _log is not None and _log.interval != interval / 1000:  # the settings changed (tests)
            _log.close()
            _log = None
        if _log is None:
            _log = ReadLog(interval)
        return _log


def shutdown() -> None:
    """Write what waits (the app's shutdown; tests)."""
    with _log_guard:
        current = _log
    if current is not None:
        current.close()
