"""The command line refuses bad input with argparse's one-line error (exit status 2), never a
traceback, and says when one replicate has no standard error."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelcollapse.cli import main


def refused(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run the command, expect exit status 2, and return its one error line."""
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines[0].startswith("usage: modelcollapse")
    return lines[-1]


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["demo", "--replicates", "0"], "modelcollapse demo: error: argument --replicates: must"),
        (["demo", "--replicates", "x"], "modelcollapse demo: error: argument --replicates: must"),
        (["demo", "--replicates", "10000000"], "demo: error: argument --replicates: must"),
        (["demo", "--rng", "-1"], "modelcollapse demo: error: argument --rng: must be a non-neg"),
        (["reproduce", "--out", "x", "--seed", "-1"], "reproduce: error: argument --seed: must"),
        (["reproduce", "--out", ""], "reproduce: error: argument --out: must name a folder"),
        (["figure4", "--out", ""], "figure4: error: argument --out: must name a folder"),
        (["profile", "r.csv", "--risk", "r", "--out", ""], "argument --out: must name a folder"),
    ],
)
def test_bad_arguments_are_one_line_errors_naming_the_option(capsys, argv, line):
    assert line in refused(capsys, argv)


def test_an_out_that_is_a_file_is_refused(capsys, tmp_path):
    afile = tmp_path / "results.txt"
    afile.write_text("not a folder")
    line = refused(capsys, ["reproduce", "--out", str(afile), "--quick"])
    want = f"modelcollapse reproduce: error: argument --out: {afile} is a file, not a folder"
    assert line == want
    line = refused(capsys, ["figure4", "--out", str(afile), "--quick"])
    assert "figure4: error: argument --out:" in line and "is a file" in line
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "old.csv").write_text("")
    line = refused(capsys, ["reproduce", "--out", str(tmp_path / "full"), "--quick"])
    assert "argument --out:" in line and "not empty; pass --force" in line


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs Linux's /proc")
def test_an_out_that_cannot_be_created_is_refused(capsys):
    line = refused(capsys, ["figure4", "--out", "/proc/x", "--quick"])
    assert line.startswith("modelcollapse figure4: error: argument --out: cannot create the folder")


def test_demo_with_one_replicate_says_there_is_no_standard_error(capsys):
    assert main(["demo", "--replicates", "1", "--rng", "3"]) == 0
    out = capsys.readouterr().out
    assert "one replicate, so no standard error" in out and "nan" not in out
    assert main(["demo", "--replicates", "3", "--rng", "3"]) == 0
    assert "(SE)" in capsys.readouterr().out
