"""A researcher's own model in Python: `Model` (fit and sample callables, metrics and roles),
run by the same `mc.simulate`, `mc.sweep` and `mc.profile` as the built-in settings.

- ``_model.py``: the `Model` setting (its arguments, roles, pickling and checkpoint identity);
- ``_loop.py``: the replicate loop, the paradigms over rows, and the per-replicate streams;
- ``_workers.py``: where replicates run (this process, worker processes, or an executor);
- ``_rows.py``: checks on the rows and numbers a model hands back, and `ModelError`.
"""

from __future__ import annotations

from ._loop import Context
from ._model import Model
from ._rows import ModelError

__all__ = ["Context", "Model", "ModelError"]
