"""Checkpoints for sweeps: each finished chunk of replicates as a Parquet file, the sweep's
arguments as JSON beside them (DESIGN §6).

Nothing is pickled: what is read back is data (Parquet) and metadata (JSON), never code. Every
file is written under a temporary name and renamed into place, so a killed process leaves either
a whole file or none; a chunk file is used only if its metadata name this sweep, this chunk and
the expected shape, otherwise it is recomputed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import uuid
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

#: Bump when the files' layout changes: older directories are then refused, not misread.
FORMAT = 1
#: The JSON file that names a checkpoint directory's sweep.
MANIFEST = "sweep.json"
#: Parquet metadata key holding a chunk's identity.
KEY = b"modelcollapse"


def describe(value: Any) -> Any:
    """A JSON-able description of a setting, paradigm or label that differs whenever the value
    does: dataclasses by type and fields, arrays by dtype, shape and SHA-256 of their bytes, and
    an object that describes itself (``_describe()``, e.g. `mc.Model`: its code and data) so."""
    own = getattr(type(value), "_describe", None)
    if own is not None:
        return own(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: describe(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"type": type(value).__name__, "fields": fields}
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value)
        digest = hashlib.sha256(data.tobytes()).hexdigest()
        return {"dtype": data.dtype.str, "shape": list(data.shape), "sha256": digest}
    if isinstance(value, np.generic):
        return describe(value.item())
    if isinstance(value, (list, tuple)):
        return [describe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): describe(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return repr(value)  # exact, and NaN/inf stay valid JSON
    return {"repr": repr(value)}


def _differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The arguments in which two manifests differ, for the refusal message."""
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if key == "points" and isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            changed = [i for i, (p, q) in enumerate(zip(a, b, strict=True)) if p != q]
            out.append(f"points {changed} (setting, paradigm, labels or metrics)")
        elif key == "points":
            out.append(f"the number of points ({len(a or [])} there, {len(b or [])} here)")
        else:
            out.append(f"{key} ({json.dumps(a)} there, {json.dumps(b)} here)")
    return out


def _write_atomically(path: Path, write: Any) -> None:
    """`write(tmp)` then rename tmp to `path`: readers see a whole file or none."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class ChunkStore:
    """A checkpoint directory for one sweep, identified by its manifest."""

    def __init__(self, directory: str | os.PathLike[str], manifest: dict[str, Any]) -> None:
        self.directory = Path(directory)
        manifest = json.loads(json.dumps({"format": FORMAT, **manifest}))
        text = json.dumps(manifest, indent=1, sort_keys=True)
        self.digest = hashlib.sha256(text.encode()).hexdigest()
        if self.directory.exists() and not self.directory.is_dir():
            raise ValueError(f"checkpoint must be a directory, but {self.directory} is a file")
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / MANIFEST
        if path.exists():
            try:
                old = json.loads(path.read_text())
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
                raise ValueError(
                    f"checkpoint directory {self.directory} has an unreadable {MANIFEST} ({err}); "
                    "remove it or use another directory"
                ) from None
            if old != manifest:
                diff = "; ".join(_differences(old, manifest)) if isinstance(old, dict) else "all"
                raise ValueError(
                    f"checkpoint directory {self.directory} holds a different sweep, so its "
                    f"chunks cannot be reused. It differs in: {diff}. Use another directory, or "
                    "delete this one to start afresh"
                )
        else:
            _write_atomically(path, lambda tmp: tmp.write_text(text))
        for stale in self.directory.glob(".*.tmp"):  # left by a killed run
            stale.unlink(missing_ok=True)

    def _path(self, point: int, start: int) -> Path:
        return self.directory / f"point-{point:06d}-replicates-{start:012d}.parquet"

    def save(self, point: int, start: int, stop: int, arrays: dict[str, np.ndarray]) -> None:
        """Write one finished chunk (replicates start..stop of a point) in long form."""
        some = next(iter(arrays.values()))
        reps, recorded = some.shape
        identity = {"sweep": self.digest, "point": point, "start": start, "stop": stop}
        columns = {
            "replicate": np.repeat(np.arange(start, stop, dtype=np.int64), recorded),
            "step": np.tile(np.arange(recorded, dtype=np.int64), reps),
            **{name: values.reshape(-1) for name, values in arrays.items()},
        }
        table = pa.table(columns).replace_schema_metadata({KEY: json.dumps(identity).encode()})
        _write_atomically(self._path(point, start), lambda tmp: pq.write_table(table, tmp))

    def load(
        self,
        point: int,
        start: int,
        stop: int,
        names: Sequence[str],
        recorded: int,
        dtypes: Mapping[str, np.dtype[Any]] | None = None,
    ) -> dict[str, np.ndarray] | None:
        """A chunk written by this sweep, or None if it is missing or not valid (then it is
        recomputed, with a warning when a file was there but unusable). Columns are read back
        as float64, or as ``dtypes[name]`` (e.g. int64 collapse times, exact beyond 2**53)."""
        path = self._path(point, start)
        if not path.exists():
            return None
        identity = {"sweep": self.digest, "point": point, "start": start, "stop": stop}
        try:
            table = pq.read_table(path)
            meta = (table.schema.metadata or {}).get(KEY, b"null")
            rows = (stop - start) * recorded
            if json.loads(meta) != identity or table.num_rows != rows:
                raise ValueError("it belongs to another sweep or chunk")
            if table.column_names != ["replicate", "step", *names]:
                raise ValueError(f"its columns are {table.column_names}")
            reps = np.arange(start, stop, dtype=np.int64)
            if not np.array_equal(table["replicate"].to_numpy(), np.repeat(reps, recorded)):
                raise ValueError("its replicate column is not this chunk's")
            dtypes = dtypes or {}
            out = {}
            for name in names:
                dtype = np.dtype(dtypes.get(name, np.float64))
                column = table[name]
                stored = np.dtype(column.type.to_pandas_dtype())
                if name in dtypes and (column.null_count or stored != dtype):
                    # exact types are stored exactly; anything else is not this sweep's
                    raise ValueError(f"its column {name!r} is {column.type}, not {dtype}")
                values = column.to_numpy().astype(dtype)
                out[name] = values.reshape(stop - start, recorded)
            return out
        except (OSError, ValueError, pa.ArrowException) as err:
            warnings.warn(
                f"checkpoint chunk {path.name} is not valid ({err}); recomputing it",
                RuntimeWarning,
                stacklevel=3,
            )
            return None
