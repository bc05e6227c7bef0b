"""The `rng` argument (SPEC 7) turned into the 256-bit root key of a run.

Replicate r of a run draws from ChaCha8 keyed by this root with stream r (see `src/rng.rs`), so a
replicate's numbers depend only on (key, r): not on threads, chunks or the order of work.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: What every entry point accepts as `rng`.
RNGLike = None | int | np.integer | np.random.SeedSequence | np.random.Generator


@dataclass(frozen=True)
class RootKey:
    """The root key as four 64-bit words, and how it was obtained (recorded in results)."""

    words: tuple[int, int, int, int]
    seed: str

    @property
    def hex(self) -> str:
        """The key as 64 hexadecimal digits."""
        return "".join(f"{w:016x}" for w in self.words)


def _generator_words(rng: np.random.Generator) -> list[int]:
    """Four 64-bit words drawn from a Generator (which advances)."""
    drawn = rng.integers(0, np.iinfo(np.uint64).max, size=4, dtype=np.uint64, endpoint=True)
    return [int(w) for w in drawn]


def _sequence(rng: RNGLike) -> tuple[np.random.SeedSequence, str]:
    """Every `rng` but a Generator, checked, as a SeedSequence and how it was given."""
    if isinstance(rng, (bool, np.bool_)):
        raise TypeError("rng must be None, an int, a numpy SeedSequence or Generator, not a bool")
    if rng is None:
        seq = np.random.SeedSequence()
        return seq, f"SeedSequence(entropy={seq.entropy})"
    if isinstance(rng, (int, np.integer)):
        if rng < 0:
            raise ValueError(f"rng must be a non-negative integer seed, got {rng}")
        return np.random.SeedSequence(int(rng)), str(int(rng))
    if isinstance(rng, np.random.SeedSequence):
        return rng, f"SeedSequence(entropy={rng.entropy}, spawn_key={tuple(rng.spawn_key)})"
    raise TypeError(
        "rng must be None, an int, a numpy.random.SeedSequence or a numpy.random.Generator, "
        f"got {type(rng).__name__}"
    )


def root_key(rng: RNGLike) -> RootKey:
    """Derive the root key. None draws fresh OS entropy and records it, so a run can be repeated
    with ``rng=numpy.random.SeedSequence(entropy)``; a Generator is advanced by four draws."""
    if isinstance(rng, np.random.Generator):
        words = tuple(_generator_words(rng))
        return RootKey(words=words, seed="drawn from a numpy Generator")  # type: ignore[arg-type]
    seq, seed = _sequence(rng)
    state = seq.generate_state(4, np.uint64)
    return RootKey(words=tuple(int(w) for w in state), seed=seed)  # type: ignore[arg-type]


def seed_sequence(rng: RNGLike) -> np.random.SeedSequence:
    """The `rng` argument as a SeedSequence to spawn from (sweeps spawn one per point). None draws
    fresh OS entropy; a Generator is advanced by four draws, which become the entropy."""
    if isinstance(rng, np.random.Generator):
        return np.random.SeedSequence(_generator_words(rng))
    return _sequence(rng)[0]
