"""`modelcollapse reproduce --quick` end to end in a temporary directory."""

from __future__ import annotations

import struct
import subprocess
import sys

import pandas as pd
import pytest

FIGURES = ["figure3", "figure4", "figure4_zipf", "table1", "w2_decomposition", "atlas"]


def png_size(path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def test_reproduce_quick_writes_everything(tmp_path):
    out = tmp_path / "results"
    cmd = [sys.executable, "-m", "modelcollapse.cli", "reproduce", "--out", str(out), "--quick"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    for stem in FIGURES:
        width, height = png_size(out / f"{stem}.png")
        assert width >= 400 and height >= 300, (stem, width, height)
        assert (out / f"{stem}.svg").stat().st_size > 1000
    table = pd.read_csv(out / "table1.csv", index_col="definition")
    assert list(table.index) == list(range(1, 9))
    assert list(table.columns) == ["Accumulate", "Replace"]
    report = (out / "report.md").read_text()
    for link in [*(f"{s}.png" for s in FIGURES if s != "table1"), "table1.csv", "atlas.csv"]:
        assert link in report, link
    assert "All sixteen cells agree with the paper." in report
    assert (out / "table1.md").read_text().count("\n") == 10
    atlas = pd.read_csv(out / "atlas.csv")
    assert set(atlas.setting) == {"Discrete", "Gaussian", "KDE"} and len(atlas) == 24
    # a second run refuses to overwrite, and is identical with --force and the same seed
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode != 0 and "not empty" in again.stderr
    first = (out / "table1_details.csv").read_text()
    forced = subprocess.run([*cmd, "--force"], capture_output=True, text=True, timeout=300,
                            check=False)  # fmt: skip
    assert forced.returncode == 0, forced.stderr
    assert (out / "table1_details.csv").read_text() == first


@pytest.mark.parametrize("bad", [["--out"], ["--quick"]])
def test_reproduce_needs_an_output_directory(bad):
    done = subprocess.run([sys.executable, "-m", "modelcollapse.cli", "reproduce", *bad],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 2
