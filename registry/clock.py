"""The one clock of the catalogue: what "today" is for hiding ended runs and marking stale offers.

Why a clock object: which runs are past depends on the day, and tests must fix the day.
The app holds a :class:`Clock` in ``app.state.clock`` (the API falls back to
:data:`SYSTEM_CLOCK` when none is set); tests put ``Clock(date(2026, 3, 1))`` there or call
:meth:`Clock.set`.
"""

from __future__ import annotations

from datetime import date

__all__ = ["SYSTEM_CLOCK", "Clock"]


class Clock:
    """Today's date: the system's, or a fixed day once :meth:`set`."""

    def __init__(self, fixed: date | None = None) -> None:
        self._fixed = fixed

    def set(self, day: date | None) -> None:
        """Fix today to ``day`` (None: follow the system clock again)."""
        self._fixed = day

    def today(self) -> date:
        return self._fixed if self._fixed is not None else date.today()


#: the clock of the process when the app sets none
SYSTEM_CLOCK = Clock()
