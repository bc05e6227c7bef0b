"""What a sweep's checkpoint records of a researcher's model: an identity that is the same in
every process and session for the same code and data, and differs when either changes.

- A function: its module and name, a digest of its code (bytecode, constants, names; not the
  file name or line numbers, so a restarted notebook or a moved script still resumes), its
  defaults, its closure, and the globals it reads (followed into the helpers of its own module;
  a library's functions, classes and modules are identified by name).
- A bound method: its function and its object. A ``functools.partial``: its function and
  arguments. Containers: their items.
- An array: dtype, shape and a digest of its bytes. Numbers, strings, None: themselves.
- An object: its class (a class of the user's own module with its methods' code) and its
  attributes; a random stream by its type only (its state moves, and a library's global one is
  seeded afresh in every process).
- Anything else: its type and a digest of its pickled bytes (cloudpickle); what cannot be
  pickled has no identity, and the checkpoint is refused with the part named.
"""

from __future__ import annotations

import hashlib
import types
from typing import Any

import numpy as np

from .._checkpoint import describe

#: Random streams: their state changes as they are used (and a library's global one is seeded
#: afresh in every process), so they are identified by type.
RANDOM = (
    np.random.RandomState,
    np.random.Generator,
    np.random.BitGenerator,
    np.random.SeedSequence,
)


class NoIdentityError(TypeError):
    """A part of a model has no identity that would hold in another process."""


def identity(value: Any, *, what: str) -> Any:
    """The JSON-able identity of `value` (`what` names it in an error)."""
    try:
        return _identity(value, set(), None)
    except NoIdentityError as exc:
        raise NoIdentityError(
            f"checkpoint: {what} cannot be identified across processes ({exc}); make it "
            "picklable, or run the sweep without checkpoint="
        ) from None


def _name(value: Any) -> str:
    module = getattr(value, "__module__", None) or "?"
    name = getattr(value, "__qualname__", None) or getattr(value, "__name__", None)
    return f"{module}.{name or type(value).__qualname__}"


def _code(code: types.CodeType) -> str:
    """A digest of what a code object does, not of where it was written."""
    digest = hashlib.sha256()
    for part in (code.co_code, code.co_names, code.co_varnames, code.co_freevars):
        digest.update(repr(part).encode())
    for const in code.co_consts:
        digest.update((_code(const) if isinstance(const, types.CodeType) else repr(const)).encode())
    return digest.hexdigest()[:20]


def _global_names(code: types.CodeType) -> list[str]:
    names = list(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names += _global_names(const)
    return names


def _function(fn: types.FunctionType, seen: set[int], home: str | None) -> dict[str, Any]:
    home = fn.__module__ if home is None else home
    cells = []
    for cell in fn.__closure__ or ():
        try:
            cells.append(_identity(cell.cell_contents, seen, home))
        except ValueError:  # an empty cell
            cells.append(None)
    found = {}
    for name in sorted(set(_global_names(fn.__code__))):
        if name in fn.__globals__:
            found[name] = _identity(fn.__globals__[name], seen, home)
    return {
        "function": _name(fn),
        "code": _code(fn.__code__),
        "defaults": _identity(fn.__defaults__, seen, home),
        "kwdefaults": _identity(fn.__kwdefaults__, seen, home),
        "closure": cells,
        "globals": found,
    }


def _identity(value: Any, seen: set[int], home: str | None) -> Any:
    if value is None or isinstance(value, (bool, int, float, str, np.generic)):
        return describe(value)
    if isinstance(value, np.ndarray):
        return describe(value)
    if isinstance(value, types.ModuleType):
        return {"module": value.__name__}
    if id(value) in seen:
        return {"again": _name(value)}  # a cycle, e.g. a function that calls itself
    seen.add(id(value))
    if isinstance(value, types.FunctionType):
        if home is not None and value.__module__ != home:
            return {"function": _name(value)}  # a library's (or another module's) function
        return _function(value, seen, home)
    if isinstance(value, types.MethodType):
        return {
            "method": _identity(value.__func__, seen, home),
            "of": _identity(value.__self__, seen, home),
        }
    if isinstance(value, type):
        if home is not None and value.__module__ in (home, "__main__"):  # the user's own class
            methods = {
                k: _identity(v, seen, home)
                for k, v in sorted(vars(value).items())
                if isinstance(v, types.FunctionType)
            }
            return {"class": _name(value), "methods": methods}
        return {"named": _name(value)}
    if isinstance(value, (types.BuiltinFunctionType, np.ufunc)):
        return {"named": _name(value)}
    if isinstance(value, RANDOM):
        return {"random": _name(type(value))}  # a stream's state is not what the model is
    if isinstance(value, (list, tuple)):
        return [_identity(v, seen, home) for v in value]
    if isinstance(value, dict):
        return {str(k): _identity(v, seen, home) for k, v in value.items()}
    func = getattr(value, "func", None)
    if func is not None and hasattr(value, "args") and hasattr(value, "keywords"):
        return {
            "partial": _identity(func, seen, home),
            "args": [_identity(a, seen, home) for a in value.args],
            "keywords": {k: _identity(v, seen, home) for k, v in value.keywords.items()},
        }
    state = getattr(value, "__dict__", None)
    if isinstance(state, dict):  # an object: its class and its attributes
        return {"object": _identity(type(value), seen, home), "state": _identity(state, seen, home)}
    return _pickled(value)


def _pickled(value: Any) -> dict[str, str]:
    import cloudpickle

    try:
        data = cloudpickle.dumps(value)
    except Exception as exc:
        raise NoIdentityError(f"a {type(value).__qualname__} cannot be pickled: {exc}") from None
    return {"type": _name(type(value)), "sha256": hashlib.sha256(data).hexdigest()}
