"""Figure 4 and its command line, drawn small."""

import numpy as np

import modelcollapse as mc
from modelcollapse import plotting
from modelcollapse.cli import main


def test_timescales_draws_three_labelled_panels(tmp_path):
    fig = plotting.timescales(ks=(2, 6), ds=(10, 40), replicates=20, d_fixed=100, d_entropy=30)
    axes = fig.get_axes()
    assert len(axes) >= 3
    for ax in axes[:3]:
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    # panel (a)'s legend sits below it, as a figure legend; (b) and (c) have their own
    assert len(fig.legends) == 1 and all(ax.get_legend() is not None for ax in axes[1:3])
    assert axes[0].get_xscale() == "log" and axes[0].get_yscale() == "log"
    png, svg = plotting.save(fig, tmp_path / "f4")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert svg.read_text().lstrip().startswith("<?xml")


def test_zipf_survival_diffusion_and_simulation(tmp_path):
    fig = plotting.zipf_survival(
        atoms=200, ds=(10**4, 10**12), simulate_d=10**4, simulate_iterations=50, replicates=2
    )
    ax_support, ax_cdf = fig.get_axes()[:2]
    labels = [line.get_label() for line in ax_support.get_lines()]
    assert any("simulation" in label for label in labels)
    assert sum("diffusion" in label for label in labels) == 2
    # P(total collapse by t) rises from 0 to nearly 1 on each curve
    for line in ax_cdf.get_lines():
        y = np.asarray(line.get_ydata())
        if y.size > 10:
            assert y[0] < 1e-6 and y[-1] > 0.9
    # every drawn support curve falls from 200 atoms towards one
    for line in ax_support.get_lines():
        y = np.asarray(line.get_ydata())
        if y.size > 10:
            assert y[0] <= 200 and y.min() >= 1 - 1e-9


def test_cli_figure4_writes_png_and_svg(tmp_path, capsys):
    assert main(["figure4", "--out", str(tmp_path), "--quick"]) == 0
    for name in ("figure4", "figure4_zipf"):
        for ext in ("png", "svg"):
            assert (tmp_path / f"{name}.{ext}").stat().st_size > 1000
    out = capsys.readouterr().out
    assert "E[T]" in out and "D ln K" in out
    e60 = mc.theory.expected_collapse_time(mc.Discrete(weights=np.ones(60), samples=1000))
    assert f"{e60:8.1f}" in out
