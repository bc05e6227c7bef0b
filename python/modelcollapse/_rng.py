"""The `rng` argument (SPEC 7) turned into the 256-bit root key of a run.

Replicate r of a run draws from Xoshiro256++ seeded by ChaCha8 keyed by this root with stream r
(see `src/engine/rng.rs`), so a replicate's numbers depend only on (key, r): not on threads,
chunks or the order of work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

#: What every entry point accepts as `rng`: whatever ``numpy.random.default_rng`` accepts.
RNGLike = (
    None
    | int
    | np.integer
    | Sequence[int]
    | npt.NDArray[np.integer]
    | np.random.SeedSequence
    | np.random.BitGenerator
    | np.random.Generator
)

#: What `rng` may be, for the messages.
ACCEPTED = (
    "None, a non-negative int, a sequence of non-negative ints, a numpy.random.SeedSequence, "
    "BitGenerator or Generator"
)


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


def _entropy(rng: Any) -> list[Any] | None:
    """A sequence (or array) of non-negative ints as the list of them (nested for an array of
    several dimensions, as numpy takes it); None if `rng` is no sequence at all."""
    if isinstance(rng, np.ndarray):
        if rng.ndim == 0:
            return None
        if rng.dtype.kind not in "iu":
            raise TypeError(f"rng given as an array must hold integers, got dtype {rng.dtype}")
        values: list[Any] = rng.tolist()
        flat = rng.ravel().tolist()
    elif isinstance(rng, Sequence) and not isinstance(rng, (str, bytes, bytearray)):
        values = flat = list(rng)
    else:
        return None
    for value in flat:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise TypeError(
                f"rng given as a sequence must hold non-negative ints, got {value!r} in {rng!r}"
            )
        if value < 0:
            raise ValueError(f"rng must hold non-negative integer seeds, got {value} in {rng!r}")
    return [int(v) for v in values] if values is flat else values


def _sequence(rng: RNGLike) -> tuple[np.random.SeedSequence, str]:
    """Every `rng` but a Generator or BitGenerator, checked, as a SeedSequence and how it was
    given."""
    if isinstance(rng, (bool, np.bool_)):
        raise TypeError(f"rng must be {ACCEPTED}, not a bool")
    if rng is None:
        seq = np.random.SeedSequence()
        return seq, f"SeedSequence(entropy={seq.entropy})"
    if isinstance(rng, (int, np.integer)):
        if rng < 0:
            raise ValueError(f"rng must be a non-negative integer seed, got {rng}")
        return np.random.SeedSequence(int(rng)), str(int(rng))
    if isinstance(rng, np.random.SeedSequence):
        return rng, f"SeedSequence(entropy={rng.entropy}, spawn_key={tuple(rng.spawn_key)})"
    entropy = _entropy(rng)
    if entropy is not None:
        return np.random.SeedSequence(entropy), str(entropy)
    raise TypeError(f"rng must be {ACCEPTED}, got {type(rng).__name__}")


def _as_generator(rng: RNGLike) -> np.random.Generator | None:
    """A Generator, or a BitGenerator wrapped as one (it advances); None for other seeds."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, np.random.BitGenerator):
        return np.random.Generator(rng)
    return None


def root_key(rng: RNGLike) -> RootKey:
    """Derive the root key from any seed ``numpy.random.default_rng`` accepts (bools aside).
    None draws fresh OS entropy and records it, so a run can be repeated with
    ``rng=numpy.random.SeedSequence(entropy)``; an int or a sequence of ints seeds a
    SeedSequence, as numpy does; a Generator or BitGenerator is advanced by four draws."""
    generator = _as_generator(rng)
    if generator is not None:
        words = tuple(_generator_words(generator))
        what = type(rng).__name__
        return RootKey(words=words, seed=f"drawn from a numpy {what}")  # type: ignore[arg-type]
    seq, seed = _sequence(rng)
    state = seq.generate_state(4, np.uint64)
    return RootKey(words=tuple(int(w) for w in state), seed=seed)  # type: ignore[arg-type]


def seed_sequence(rng: RNGLike) -> np.random.SeedSequence:
    """The `rng` argument as a SeedSequence to spawn from (sweeps spawn one per point). None draws
    fresh OS entropy; a Generator or BitGenerator is advanced by four draws, which become the
    entropy."""
    generator = _as_generator(rng)
    if generator is not None:
        return np.random.SeedSequence(_generator_words(generator))
    return _sequence(rng)[0]
