"""Under a memory cap (here an address-space limit, as `ulimit -v` sets) a run that cannot fit is
refused up front, and one the up-front check lets through but the kernel cannot allocate raises
MemoryError: the process never aborts."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import resource, sys
    cap = 4 * 2**30
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    import modelcollapse as mc
    simulate_module = sys.modules["modelcollapse.simulate"]
    print("limit", simulate_module._memory_limit())
    setting = mc.Discrete(weights=[0.5, 0.5], samples=10)
    kw = dict(iterations=1000, metrics="entropy", rng=0, threads=1, progress=False)
    try:  # 3 GiB of results: more than half the cap
        mc.simulate(setting, mc.Replace(), replicates=400_000, **kw)
    except ValueError as err:
        print("refused:", err)
    simulate_module._memory_limit = lambda: 2**50  # let it through: the kernel must fail softly
    try:  # 6.4 GiB of results
        mc.simulate(setting, mc.Replace(), replicates=800_000, **kw)
    except MemoryError as err:
        print("memory error:", err)
    print("alive")
    """
)


@pytest.mark.skipif(sys.platform != "linux", reason="address-space limits as Linux sets them")
def test_a_memory_cap_gives_clear_errors_not_an_abort():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"limit {2 * 2**30}"  # half the 4 GiB cap, less than the machine's
    assert lines[1].startswith("refused: the result would take 3.0 GiB")
    assert lines[2].startswith("memory error: cannot allocate 6406400000 bytes for the results")
    assert "ulimit -v" in lines[2] and lines[3] == "alive"
