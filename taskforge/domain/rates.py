"""Sliding-window request counting, as pure arithmetic.

Counters are kept per fixed window (e.g. one per minute); the rate over the last
window-long span is estimated from the current window's count plus the previous one's,
weighted by how much of it still overlaps the span (the approximation Cloudflare
describes: within a few percent of an exact sliding log, at two integers per key).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    """One key's counts: ``current`` (this window, the request just counted included),
    ``previous`` (the window before), and ``elapsed`` seconds into this window."""

    current: int
    previous: int
    elapsed: float
    length: float

    @property
    def estimate(self) -> float:
        overlap = max(0.0, 1.0 - self.elapsed / self.length)
        return self.previous * overlap + self.current

    def over(self, limit: int) -> bool:
        return self.estimate > limit

    def retry_after(self, limit: int) -> int:
        """Whole seconds until the estimate, with no further requests, is within
        ``limit`` again (at least 1)."""
        if not self.over(limit):
            return 0
        if self.current > limit:
            # the next window must start, then enough of this one slide out of the span
            wait = (self.length - self.elapsed) + self.length * (1 - limit / self.current)
        else:
            # the previous window's share shrinks until the estimate fits
            wait = self.length * (1 - (limit - self.current) / self.previous) - self.elapsed
        return max(1, math.ceil(wait))
