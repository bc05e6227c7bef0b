"""Progress for long kernel calls: the kernel reports a count about ten times a second, and a tqdm
bar appears once a run has taken longer than a couple of seconds (or at once with progress=True)."""

from __future__ import annotations

import time

from tqdm.auto import tqdm

#: Seconds a run must take before progress=None shows a bar.
AUTO_DELAY = 2.0


class Progress:
    """A callable for the kernel's progress count; use as a context manager."""

    def __init__(self, mode: bool | None, total: int, unit: str, desc: str) -> None:
        self.mode = mode
        self.total = total
        self.unit = unit
        self.desc = desc
        self.start = time.monotonic()
        self.bar: tqdm | None = None

    def __call__(self, done: int) -> None:
        if self.mode is False:
            return
        if self.bar is None:
            if self.mode is None and time.monotonic() - self.start < AUTO_DELAY:
                return
            self.bar = tqdm(total=self.total, unit=self.unit, desc=self.desc, leave=False)
        self.bar.update(done - self.bar.n)

    @property
    def callback(self) -> Progress | None:
        """What to hand the kernel: nothing at all when progress is off."""
        return None if self.mode is False else self

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()
