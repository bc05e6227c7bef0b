"""What a checkpoint records of an mc.Model: the same in every process and session for the same
code and data (a restarted notebook, a moved script), different when the code, a helper, a
global, a bound object or the data change."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.stats as st
from _models import gaussian_model

import modelcollapse as mc
from modelcollapse.models._identity import NoIdentityError, identity

FIT = "def fit(data, rng):\n    return helper(data.mean())\n"
HELPER = "SCALE = {scale}\ndef helper(x):\n    return x * SCALE\n"


def _load(source: str, filename: str) -> dict:
    namespace: dict = {"__name__": "__main__"}
    exec(compile(source, filename, "exec"), namespace)
    return namespace


def _id(value) -> str:
    return json.dumps(identity(value, what="fit"), sort_keys=True)


def test_a_function_is_known_by_what_it_does_not_where_it_was_written():
    a = _load(HELPER.format(scale=1) + FIT, "/tmp/ipykernel_111/1.py")
    b = _load("\n\n" + HELPER.format(scale=1) + "\n" + FIT, "/tmp/ipykernel_222/9.py")
    assert _id(a["fit"]) == _id(b["fit"])


def test_a_changed_helper_global_or_bound_object_changes_the_identity():
    one = _load(HELPER.format(scale=1) + FIT, "f.py")
    two = _load(HELPER.format(scale=2) + FIT, "f.py")
    assert _id(one["fit"]) != _id(two["fit"])

    class Scaled:
        def __init__(self, k):
            self.k = k

        def fit(self, data, rng):
            return data.mean() * self.k

    assert _id(Scaled(1).fit) != _id(Scaled(2).fit)
    assert _id(Scaled(1).fit) == _id(Scaled(1).fit)


def test_recursive_functions_and_objects_with_default_reprs_have_an_identity():
    def fib(n):
        return n if n < 2 else fib(n - 1) + fib(n - 2)

    assert "again" in _id(fib)
    assert "0x" not in _id(st.norm(0, 1))
    assert _id(st.norm(0, 1)) != _id(st.norm(0, 2))


def test_what_cannot_be_pickled_has_no_identity():
    import threading

    lock = threading.Lock()
    with pytest.raises(NoIdentityError, match="checkpoint: truth cannot be identified"):
        identity(lock, what="truth")


SCRIPT = """
import json, sys
sys.path.insert(0, "tests")
import numpy as np, scipy.stats as st, modelcollapse as mc
from modelcollapse._checkpoint import describe
from sklearn.neighbors import KernelDensity
from _models import gaussian_model

def fit(data, rng):
    return st.norm(data.mean(), data.std(ddof=1))

def sample(m, n, rng):
    return m.rvs(size=n, random_state=rng)

model = mc.Model(fit, sample, real=lambda rng: rng.normal(size=20), samples=20,
                 metrics={"var": lambda m, c: float(m.var())}, roles={"risk": "var"},
                 truth=st.norm(0, 1))
d = mc.sklearn.Density(KernelDensity(bandwidth=0.2), np.arange(5.0), 5, test=np.ones(3))
print(json.dumps([describe(gaussian_model()), describe(d), describe(model)]))
"""


def test_the_identity_is_the_same_in_another_process(tmp_path: Path):
    root = Path(__file__).resolve().parent.parent
    outputs = []
    for i in range(2):  # the same script in two places, run twice
        script = tmp_path / f"copy{i}" / "run.py"
        script.parent.mkdir()
        script.write_text(("\n" * i) + SCRIPT)
        done = subprocess.run(
            [sys.executable, str(script)], cwd=root, capture_output=True, text=True, check=True
        )
        outputs.append(json.loads(done.stdout))
    assert outputs[0] == outputs[1]
    assert "0x" not in json.dumps(outputs[0])


def test_a_sweep_resumes_in_another_process(tmp_path: Path):
    """A checkpoint written by one process is read back by another (not recomputed)."""
    root = Path(__file__).resolve().parent.parent
    code = (
        "import sys; sys.path.insert(0, 'tests'); import modelcollapse as mc;"
        "from _models import gaussian_model;"
        f"mc.sweep([(gaussian_model(), mc.Replace())], replicates=6, iterations=3, rng=1, "
        f"chunk=2, workers=1, checkpoint={str(tmp_path)!r})"
    )
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True, capture_output=True)
    chunks = sorted(tmp_path.glob("*.parquet"))
    stamps = [p.stat().st_mtime_ns for p in chunks]
    resumed = mc.sweep(
        [(gaussian_model(), mc.Replace())],
        replicates=6,
        iterations=3,
        rng=1,
        chunk=2,
        workers=1,
        checkpoint=tmp_path,
    )
    assert [p.stat().st_mtime_ns for p in chunks] == stamps  # read, not rewritten
    fresh = mc.sweep(
        [(gaussian_model(), mc.Replace())], replicates=6, iterations=3, rng=1, workers=1
    )
    assert np.array_equal(resumed["var"].values, fresh["var"].values)
