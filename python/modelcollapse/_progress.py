"""Progress for long kernel calls and sweeps: the kernel reports a count about ten times a second
(a sweep after each chunk), and `Progress` turns the counts into what suits the place the output
goes to.

- ``progress=None`` (the default) in a terminal or a notebook: a tqdm bar once a run has taken
  longer than `AUTO_DELAY` seconds.
- ``progress=None`` anywhere else (stderr redirected to a file or pipe: batch jobs, CI logs): no
  carriage-return redraws, but a plain newline-terminated line on stderr at most every
  `LINE_INTERVAL` seconds, e.g. ``modelcollapse simulate: 4,500/10,000 replicates (45%), 31 s
  elapsed, about 38 s left``, and one closing line if any was written. Runs shorter than
  `LINE_INTERVAL` write nothing.
- ``progress=True``: a tqdm bar at once, wherever stderr goes (the user asked for it).
- ``progress=False``: nothing, and the kernel is not even called back.
"""

from __future__ import annotations

import sys
import time

from tqdm.auto import tqdm
from tqdm.autonotebook import tqdm as chosen_tqdm
from tqdm.std import tqdm as plain_tqdm

#: Seconds a run must take before progress=None shows a bar (terminals and notebooks).
AUTO_DELAY = 2.0

#: Seconds between plain progress lines when stderr is not a terminal (progress=None).
LINE_INTERVAL = 30.0


def _interactive() -> bool:
    """Whether a redrawn bar suits stderr: a terminal, or a notebook (where tqdm.auto draws a
    widget even though the kernel's stderr is not a tty)."""
    if chosen_tqdm is not plain_tqdm:  # tqdm found a notebook kernel
        return True
    isatty = getattr(sys.stderr, "isatty", None)
    try:
        return bool(isatty is not None and isatty())
    except (OSError, ValueError):  # a closed or detached stream
        return False


def _duration(seconds: float) -> str:
    """'31 s', '12 min 05 s', '2 h 03 min'."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


class Progress:
    """A callable for the kernel's progress count; use as a context manager."""

    def __init__(self, mode: bool | None, total: int, unit: str, desc: str) -> None:
        self.mode = mode
        self.total = total
        self.unit = unit
        self.desc = desc
        self.start = time.monotonic()
        self.bar: tqdm | None = None
        # progress=None off a terminal: plain lines instead of a bar
        self.lines = mode is None and not _interactive()
        self.last_line: float | None = None
        self.done = 0

    def __call__(self, done: int) -> None:
        if self.mode is False:
            return
        self.done = done
        now = time.monotonic()
        if self.lines:
            if now - (self.start if self.last_line is None else self.last_line) >= LINE_INTERVAL:
                self._line(now)
            return
        if self.bar is None:
            if self.mode is None and now - self.start < AUTO_DELAY:
                return
            self.bar = tqdm(total=self.total, unit=self.unit, desc=self.desc, leave=False)
        self.bar.update(done - self.bar.n)

    def _line(self, now: float, end: str = "") -> None:
        """One plain progress line on stderr (newline-terminated, no carriage return)."""
        elapsed = now - self.start
        share = self.done / self.total if self.total else 1.0
        text = (
            f"modelcollapse {self.desc}: {self.done:,}/{self.total:,} {self.unit}s "
            f"({share:.0%}), {_duration(elapsed)} elapsed"
        )
        if end:
            text += f", {end}"
        elif 0 < self.done < self.total:
            text += f", about {_duration(elapsed * (self.total - self.done) / self.done)} left"
        self.last_line = now
        if sys.stderr is None:  # pythonw: nowhere to write
            return
        try:
            print(text, file=sys.stderr, flush=True)
        except (OSError, ValueError):  # a closed pipe must not stop the run
            self.lines = False
            self.mode = False

    @property
    def callback(self) -> Progress | None:
        """What to hand the kernel: nothing at all when progress is off."""
        return None if self.mode is False else self

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()
        if self.lines and self.last_line is not None:  # a log that said "45%" says how it ended
            self._line(time.monotonic(), "stopped" if exc_type is not None else "done")
