"""Every figure the library writes reads cleanly: texts inside the canvas and apart, every curve
in a legend, axes named, no legend over a curve (see `_figures.assert_readable`). Small
parameters; `modelcollapse reproduce` and `modelcollapse figure4` draw with these functions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _figures import EXEMPT, assert_readable, readability_problems
from matplotlib.figure import Figure

import modelcollapse as mc
from modelcollapse import Profile, plotting, reproduce

PARADIGMS = ["Accumulate", "AccumulateSubsample", "MixReal", "Replace"]
LONG_TITLE = "model collapse profile: Gaussian(mean=<3-vector>, cov=<3x3 matrix>, samples=30)"
ATLAS_TITLES = [
    "Discrete: Discrete(weights=[0.1, 0.1, 0.1, ..., 0.1, 0.1, 0.1], samples=100)",
    "Gaussian: Gaussian(mean=<3-vector>, cov=<3x3 matrix>, samples=30)",
    "KDE: KDE(sampler=GaussianMixture(weights=(0.5, 0.5), means=(-2.0, 2.0), stds=(1.0, 1.0)), "
    "bandwidth=0.2, samples=150, test_size=200)",
]


def table(columns: list[str], seed: int = 0) -> pd.DataFrame:
    """A profile table like `Profile.table()`: every kind of cell, in a seeded order."""
    rng = np.random.default_rng(seed)
    cells = np.array([True, False, None], dtype=object)
    data = {name: list(rng.choice(cells, size=8)) for name in columns}
    return pd.DataFrame(data, index=pd.Index(range(1, 9), name="definition"), dtype=object)


@pytest.fixture(scope="module")
def small_profile() -> Profile:
    paradigms = [mc.Accumulate(), mc.AccumulateSubsample(12), mc.MixReal(0.5), mc.Replace()]
    return mc.profile(mc.LinearRegression(3, 12), paradigms, rng=0, iterations=8, replicates=20)


# the profile grid: alone for 1 to 4 paradigms, and as panels side by side


TITLES = [
    "x",
    f"model collapse profile: {mc.LinearRegression(10, 100)!r}",  # reproduce's Table 1
    LONG_TITLE,
    f"model collapse profile: {ATLAS_TITLES[2]}",
    "y" * 90,  # nowhere to break
]


@pytest.mark.parametrize("title", TITLES, ids=["short", "table1", "gaussian", "kde", "unbroken"])
@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_profile_grid_alone(n, title):
    ax = plotting.profile_grid(table(PARADIGMS[-n:], seed=n), title=title)
    assert_readable(ax.figure)
    assert ax.get_yticklabels()[0].get_text() == "1. catastrophic_risk_increase"
    cells = [t.get_text() for t in ax.texts]
    assert len(cells) == 8 * n and set(cells) <= {"yes", "no", "n.a."}
    assert ax.get_title().replace("\n", "" if title[0] == "y" else " ") == title


def test_profile_grid_of_a_real_profile(small_profile):
    frame = small_profile.table()
    ax = plotting.profile_grid(frame, title=f"model collapse profile: {small_profile.setting!r}")
    assert_readable(ax.figure)
    words = {True: "yes", False: "no", None: "n.a."}
    expected = [words[v] for name in frame.columns for v in frame[name]]
    assert [t.get_text() for t in ax.texts] == expected


def test_profile_panels_like_the_atlas():
    fig = plotting.profile_panels([table(PARADIGMS, seed=s) for s in range(3)], ATLAS_TITLES)
    assert_readable(fig)
    first, *others = fig.axes
    assert first.get_yticklabels()[0].get_text() == "1. catastrophic_risk_increase"
    assert all(ax.get_yticklabels()[0].get_text() == "1" for ax in others)
    assert {t.get_rotation() for ax in fig.axes for t in ax.get_xticklabels()} == {0.0}


@pytest.mark.parametrize(("width", "all_rows"), [(14, False), (18, False), (15, True)])
def test_profile_grid_on_given_axes(width, all_rows):
    """The ax= path: a caller's own constrained-layout figure of three panels; where the
    columns are too narrow for their labels side by side, the labels stand upright."""
    fig = Figure(figsize=(width, 4.8), layout="constrained")
    for k, ax in enumerate(fig.subplots(1, 3)):
        returned = plotting.profile_grid(
            table(PARADIGMS, seed=k), title=ATLAS_TITLES[k], ax=ax, row_labels=all_rows or k == 0
        )
        assert returned is ax
    assert_readable(fig)
    if all_rows:  # four columns in what is left of 5 inches beside the row labels
        assert {t.get_rotation() for ax in fig.axes for t in ax.get_xticklabels()} == {90.0}


def test_profile_plot(small_profile):
    assert_readable(small_profile.plot().figure)


def test_profile_grid_refuses_a_bad_table():
    with pytest.raises(ValueError, match=r"definitions 1\.\.8"):
        plotting.profile_grid(table(PARADIGMS).iloc[:5], title="x")
    with pytest.raises(TypeError, match="DataFrame"):
        plotting.profile_grid([[True]] * 8, title="x")


# the figures of `modelcollapse reproduce` and `modelcollapse figure4`


def test_figure3():
    fig, numbers = reproduce._figure3(reproduce.QUICK, np.random.SeedSequence(0))
    assert_readable(fig)
    assert numbers["excess_risk/Replace/last"] > numbers["excess_risk/Replace/first"]


def test_w2_decomposition():
    fig, _ = reproduce._w2_decomposition(reproduce.QUICK, np.random.SeedSequence(0))
    assert_readable(fig)
    (legend,) = fig.legends
    labels = [t.get_text() for t in legend.get_texts()]
    assert "covariance term: simulated median" in labels and len(labels) == 5


def test_figure4_as_reproduce_quick_draws_it():
    """The parameters of `reproduce --quick` and `modelcollapse figure4 --quick`."""
    fig = plotting.timescales(**reproduce.QUICK.fig4, rng=1)
    assert_readable(fig)
    (legend,) = fig.legends  # panel (a)'s, below it
    assert len(legend.get_texts()) == 12


def test_figure4_zipf_as_reproduce_quick_draws_it():
    assert_readable(plotting.zipf_survival(**reproduce.QUICK.zipf))


def test_figure4_small_grids():
    fig = plotting.timescales(ks=(2, 6), ds=(10, 40), replicates=20, d_fixed=100, d_entropy=30)
    assert_readable(fig)
    zipf = plotting.zipf_survival(
        atoms=200, ds=(10**4, 10**12), simulate_d=10**4, simulate_iterations=50, replicates=2
    )
    assert_readable(zipf)


def test_wrap_repr_breaks_between_arguments():
    wrapped = plotting._wrap_repr(ATLAS_TITLES[2], 50)
    assert all(len(line) <= 50 for line in wrapped.split("\n"))
    assert wrapped.replace("\n", " ") == ATLAS_TITLES[2]
    assert "stds=(1.0, 1.0))," in wrapped  # not broken inside a tuple where avoidable


# the check itself can fail


def old_table1() -> Figure:
    """Table 1 as `Profile.plot` drew it before: no layout, long row labels off the canvas."""
    fig = Figure(figsize=(1.6 + 1.4 * 2, 4.2))
    ax = fig.add_subplot()
    ax.set_yticks(np.arange(8) + 0.5, [f"{i}. {n}" for i, n in mc.definitions.NAMES.items()])
    ax.set_ylim(8, 0)
    ax.set_title(f"model collapse profile: {mc.LinearRegression(10, 100)!r}", fontsize=9)
    return fig


def test_assert_readable_catches_clipped_labels():
    with pytest.raises(AssertionError, match=r"clipped: y tick label of axes 0 .*'1\. catas"):
        assert_readable(old_table1())


def test_assert_readable_catches_overlapping_titles():
    """The atlas as it was: three long titles over panels placed side by side."""
    fig = Figure(figsize=(12, 3), layout="constrained")
    for ax, title in zip(fig.subplots(1, 3), ATLAS_TITLES, strict=True):
        ax.set_title(title, fontsize=9)
    problems = readability_problems(fig)
    assert any(
        p.startswith("overlap: title of axes 0") and "title of axes 1" in p for p in problems
    )
    with pytest.raises(AssertionError, match=r"overlap: title of axes 1 .*'Gaussian: Gaussian"):
        assert_readable(fig)


def test_assert_readable_catches_an_unlabelled_curve():
    """The W2 figure as it was: a curve drawn after the legend was made."""
    fig = Figure(layout="constrained")
    ax = fig.add_subplot()
    t = np.arange(50)
    ax.plot(t, t, label="mean term")
    ax.legend(loc="upper left")
    ax.plot(t, np.sqrt(t), ls="-.", label="covariance term (simulated median)")
    ax.set(xlabel="iteration", ylabel="term")
    with pytest.raises(AssertionError, match=r"unlabelled: a Line2D .*median"):
        assert_readable(fig)
    # an exemption names what labels the curve instead
    setattr(ax.lines[-1], EXEMPT, "the text beside it")
    assert_readable(fig)


def test_assert_readable_catches_a_legend_over_a_curve_and_unnamed_axes():
    fig = Figure(layout="constrained")
    ax = fig.add_subplot()
    x = np.linspace(0, 1, 100)
    ax.plot(x, np.full_like(x, 0.5), label="flat")
    ax.plot(x, x, label="rising")
    ax.legend(loc="center", fontsize=20)
    problems = readability_problems(fig)
    assert any(p.startswith("covered: the legend of axes 0 hides") for p in problems)
    assert "unnamed: the x axis of axes 0 has no label" in problems
    assert "unnamed: the y axis of axes 0 has no label" in problems


def test_assert_readable_catches_text_over_a_legend():
    fig = Figure(layout="constrained")
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 0], label="a line with a long label")
    ax.legend(loc="upper left")
    ax.set(xlabel="x", ylabel="y", ylim=(-1, 1))
    ax.text(0.02, 0.96, "a note", transform=ax.transAxes, va="top")
    with pytest.raises(AssertionError, match=r"legend box covers text in axes 0 'a note'"):
        assert_readable(fig)
