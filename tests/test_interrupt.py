"""Ctrl-C stops a long run within about a second with KeyboardInterrupt."""

import signal
import subprocess
import sys
import time

import pytest

LONG_RUNS = {
    "simulate": "mc.simulate(mc.Discrete(weights=np.ones(2000), samples=10**9), mc.Replace(), "
    "iterations=10**7, replicates=4, stride=10**6, progress=False)",
    "collapse_times": "mc.collapse_times(mc.Discrete(weights=np.ones(500), samples=10**12), "
    "replicates=8, progress=False)",
    # a million atoms: each generation is long, so checks must follow work, not generations
    "simulate_many_atoms": "mc.simulate(mc.Discrete(weights=np.ones(10**6), samples=10**12), "
    "mc.Replace(), iterations=10**6, replicates=2, stride=10**5, metrics='entropy', "
    "progress=False)",
    # the continuous settings: a 200-dimensional Gaussian (a generation is ~1.5M flops), a
    # regression, and a KDE whose pool grows under Accumulate with every metric recorded
    "gaussian": "mc.simulate(mc.Gaussian(np.zeros(200), np.eye(200), 300), mc.Replace(), "
    "iterations=10**6, replicates=4, stride=10**5, metrics='logdet', progress=False)",
    "regression": "mc.simulate(mc.LinearRegression(50, 100), mc.Accumulate(), "
    "iterations=10**7, replicates=4, stride=10**6, progress=False)",
    "sweep": "mc.sweep(mc.grid({'d': mc.Discrete(weights=np.ones(2000), samples=10**9)}, "
    "[mc.Replace()]), replicates=4, iterations=10**7, stride=10**6, progress=False)",
    "kde": "mc.simulate(mc.KDE(bandwidth=0.1, samples=2000, test_size=2000), mc.Accumulate(), "
    "iterations=10**5, replicates=2, progress=False)",
}

SCRIPT = """
import sys, time, numpy as np, modelcollapse as mc
print("started", flush=True)
try:
    {call}
except KeyboardInterrupt:
    print("interrupted", time.monotonic(), flush=True)
    sys.exit(0)
print("finished", flush=True)
sys.exit(1)
"""


@pytest.mark.parametrize("entry", sorted(LONG_RUNS))
def test_sigint_stops_a_long_run_promptly(entry):
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT.format(call=LONG_RUNS[entry])],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "started"
    time.sleep(1.5)  # well into the Rust kernel
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the run did not stop within 10 s of SIGINT")
    assert proc.returncode == 0, err
    word, when = out.split()
    assert word == "interrupted"
    assert float(when) - sent < 1.0, f"took {float(when) - sent:.2f} s to stop"
