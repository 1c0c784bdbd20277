"""A one-line progress display for long runs: counts, rate and time left, on a terminal only."""

from __future__ import annotations

import sys
import time


class Progress:
    """Call with the number of items just finished; prints to stderr only when it is a terminal."""

    def __init__(self, total: int, label: str = "", stream=None, enabled: bool | None = None):
        self.total, self.label = total, label
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.done = 0
        self.started = time.monotonic()
        self._last = 0.0

    def __call__(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if self.enabled and (now - self._last > 0.2 or self.done >= self.total):
            self._last = now
            elapsed = max(now - self.started, 1e-6)
            rate = self.done / elapsed
            left = (self.total - self.done) / rate if rate else 0
            width = 30
            filled = int(width * self.done / self.total) if self.total else width
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total}  {rate:,.0f}/s  "
                              f"剩余 {int(left // 60)}:{int(left % 60):02d} ")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled and self._last:
            self.stream.write("\n")
            self.stream.flush()
