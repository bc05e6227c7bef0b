"""Logged runs: read_runs, profile_runs and `modelcollapse profile`. A simulated run read back from
its own tidy frame gives the same verdicts; bad frames get errors naming the column; Definition 3
does not call a flat or bounded risk diverging."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

import modelcollapse as mc
from modelcollapse import definitions as d
from modelcollapse.cli import main

SETTINGS = {
    "discrete": mc.Discrete(weights=[0.4, 0.3, 0.2, 0.05, 0.05], samples=30),
    "gaussian": mc.Gaussian(np.zeros(2), np.eye(2), 12),
    "regression": mc.LinearRegression(2, 10),
    "regression-estimated": mc.LinearRegression(2, 10, noise_model="estimated"),
    "kde": mc.KDE(bandwidth=0.3, samples=40, test_size=40),
}
PARADIGMS = [mc.Replace(), mc.Accumulate(), mc.AccumulateSubsample(15), mc.MixReal(0.5)]
ONE_RUN = [
    d.catastrophic_risk_increase,
    d.any_risk_increase,
    lambda run: d.diverging_risk(run, theory=False),
    d.collapsing_variance,
    d.lost_modes,
    d.lost_tails,
    d.hallucinated_data,
    lambda run: d.hallucinated_data(run, level_set=True),
]


def _same(a: d.Verdict, b: d.Verdict) -> None:
    assert (a.definition, a.collapsed, a.first_iteration) == (
        b.definition,
        b.collapsed,
        b.first_iteration,
    )
    assert a.statistic == b.statistic or (a.statistic is None and b.statistic is None)
    assert a.ci == b.ci
    assert a.evidence == b.evidence


@pytest.mark.parametrize("paradigm", PARADIGMS, ids=lambda p: type(p).__name__)
@pytest.mark.parametrize("name", SETTINGS)
def test_simulated_and_read_back_runs_give_the_same_verdicts(name, paradigm):
    setting = SETTINGS[name]
    needs = setting.roles().needs()  # the Gaussian's tail integrals are not recorded by default
    run = mc.simulate(setting, paradigm, iterations=12, replicates=30, rng=5, metrics=needs)
    logged = mc.read_runs(run.to_pandas(), roles=run.roles)
    assert list(logged) == ["run"]
    for definition in ONE_RUN:
        _same(definition(run), definition(logged["run"]))
    # Definition 5: runs at three sizes, as a mapping and as one frame with a size column
    resize = setting.roles().resize
    if not isinstance(resize, mc.roles.Resize):
        return
    sizes = [setting.samples, 2 * setting.samples, 4 * setting.samples]
    by_size = {
        n: mc.simulate(resize.build(n), paradigm, iterations=8, replicates=30, rng=n, metrics=needs)
        for n in sizes
    }
    frame = pd.concat([r.to_pandas().assign(n=n) for n, r in by_size.items()])
    read = mc.read_runs(frame, roles=run.roles, size="n")["run"]
    assert sorted(read.by_size) == sizes
    _same(d.scaling_law_change(by_size), d.scaling_law_change(read))


def llm_log(seeds: int = 8, generations: int = 10, rng: int = 0) -> pd.DataFrame:
    """Shaped like an LLM experiment's log: seed, generation (0 = trained on real data), test
    loss and a diversity measure, under two paradigms."""
    gen = np.random.default_rng(rng)
    rows = []
    for paradigm, slope in (("replace", 0.08), ("accumulate", 0.0)):
        for seed in range(seeds):
            for g in range(generations):
                loss = 2.0 + slope * g + (0.3 / (g + 1) if paradigm == "accumulate" else 0)
                rows.append(
                    {
                        "paradigm": paradigm,
                        "seed": seed,
                        "generation": g,
                        "test_loss": loss + gen.normal(0, 0.01),
                        "distinct_2": 0.8 * (0.7**g if paradigm == "replace" else 1.0)
                        + gen.normal(0, 0.002),
                    }
                )
    return pd.DataFrame(rows)


#: How the LLM log's columns map onto runs.
LLM_COLUMNS = {
    "roles": {"risk": "test_loss", "diversity": "distinct_2"},
    "replicate": "seed",
    "iteration": "generation",
    "paradigm": "paradigm",
}


def test_an_llm_log_profiles_with_both_paradigms(tmp_path):
    log = llm_log().assign(generation=lambda f: f.generation + 1)  # generation 0 = iteration 1
    runs = mc.read_runs(log, **LLM_COLUMNS)
    assert list(runs) == ["replace", "accumulate"]
    table = mc.profile_runs(runs).table()
    assert list(table["replace"][:4]) == [False, True, True, True]
    assert list(table["accumulate"][:4]) == [False, False, False, False]
    assert table.loc[5:8].isna().all().all()
    details = mc.profile_runs(runs).details()
    assert details.loc[details.collapsed.isna(), "evidence"].str.startswith("not applicable").all()
    # the same from CSV and Parquet files
    for suffix in ("csv", "parquet"):
        path = tmp_path / f"runs.{suffix}"
        log.to_csv(path, index=False) if suffix == "csv" else log.to_parquet(path)
        again = mc.read_runs(path, **LLM_COLUMNS)
        pd.testing.assert_frame_equal(mc.profile_runs(again).table(), table)


def test_the_profile_command_prints_and_writes_the_profile(tmp_path, capsys):
    path = tmp_path / "runs.csv"
    llm_log().assign(generation=lambda f: f.generation + 1).to_csv(path, index=False)
    out = tmp_path / "out"
    args = ["profile", str(path), "--risk", "test_loss", "--diversity", "distinct_2"]
    args += ["--paradigm", "paradigm", "--replicate", "seed", "--iteration", "generation"]
    assert main([*args, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "3. diverging_risk" in printed and "replace" in printed and "accumulate" in printed
    assert {p.name for p in out.iterdir()} == {"table.csv", "details.csv", "profile.png"}
    table = pd.read_csv(out / "table.csv", index_col=0)
    assert list(table.columns) == ["replace", "accumulate"]
    with pytest.raises(SystemExit) as exit_info:
        main([*args[:3], "test_los", *args[4:]])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "no column 'test_los'" in err and "test_loss" in err  # names it, lists the columns


def frame(risk: np.ndarray, **extra: np.ndarray) -> pd.DataFrame:
    """A (replicates, iterations 1..T) risk as a tidy frame."""
    reps, steps = risk.shape
    index = pd.MultiIndex.from_product([range(reps), range(1, steps + 1)], names=["rep", "it"])
    data = {"risk": risk.ravel(), **{k: v.ravel() for k, v in extra.items()}}
    return pd.DataFrame(data, index=index).reset_index()


def read(f: pd.DataFrame, **roles: str) -> mc.LoggedRun:
    return mc.read_runs(f, roles={"risk": "risk", **roles}, replicate="rep", iteration="it")["run"]


def test_definition_3_does_not_call_flat_noise_diverging():
    """200 frames whose risk is flat plus noise: the false-positive rate stays at about the
    level (5%); 4.5 binomial standard errors above it is the bound."""
    gen = np.random.default_rng(11)
    yes = sum(
        bool(d.diverging_risk(read(frame(1.0 + gen.normal(0, 0.1, (20, 32))))).collapsed)
        for _ in range(200)
    )
    assert yes <= 200 * 0.05 + 4.5 * np.sqrt(200 * 0.05 * 0.95), yes


def test_definition_3_on_falling_bounded_and_growing_risks():
    gen = np.random.default_rng(12)
    t = np.arange(1, 65)
    noise = gen.normal(0, 0.01, (30, t.size))
    falling = read(frame(1.0 + 1.0 / t + noise))
    bounded = read(frame(1.0 - 2.0**-t + noise))
    logarithmic = read(frame(np.log(t) + noise))
    linear = read(frame(0.1 * t + noise))
    assert d.diverging_risk(falling).collapsed is False
    assert d.diverging_risk(bounded).collapsed is False
    assert d.diverging_risk(logarithmic).collapsed is True
    assert d.diverging_risk(linear).collapsed is True


def test_a_definition_without_enough_iterations_answers_none_and_the_others_answer():
    short = read(frame(np.random.default_rng(0).normal(1, 0.1, (10, 2))))
    v = d.diverging_risk(short)
    assert v.collapsed is None and "must be distinct recorded iterations" in v.evidence
    assert d.any_risk_increase(short).collapsed is not None
    table = mc.profile_runs({"run": short}).table()
    assert table.loc[3, "run"] is None and table.loc[2, "run"] is not None
    v5 = d.scaling_law_change(short)  # one training size: not applicable, saying what would do
    assert v5.collapsed is None and "single training size" in v5.evidence


def test_definition_5_reads_the_size_column():
    gen = np.random.default_rng(3)
    parts = []
    for n in (100, 200, 400, 800):
        risk = 10.0 / n * np.ones((40, 8)) * (1 + gen.normal(0, 0.05, (40, 8)))
        parts.append(frame(risk).assign(n=n))
        changed = risk.copy()
        changed[:, 2:] *= 3.0
        parts[-1] = parts[-1].assign(changed=changed.ravel())
    log = pd.concat(parts)
    same = mc.read_runs(log, roles={"risk": "risk"}, replicate="rep", iteration="it", size="n")
    grown = mc.read_runs(log, roles={"risk": "changed"}, replicate="rep", iteration="it", size="n")
    v = d.scaling_law_change(same["run"])
    assert v.collapsed is False and "floor taken as 0" in v.evidence
    assert d.scaling_law_change(grown["run"]).collapsed is True
    assert mc.profile_runs(grown).table().loc[5, "run"] is True
    assert same["run"].size == 800  # the other definitions read the largest size


BASE = frame(np.random.default_rng(1).normal(1, 0.1, (3, 4)), div=np.ones((3, 4)))


@pytest.mark.parametrize(
    ("change", "kwargs", "error", "match"),
    [
        (
            None,
            {"roles": {"risk": "loss"}},
            ValueError,
            r"roles\['risk'\]: no column 'loss'.*rep, it, risk, div",
        ),
        (
            None,
            {"roles": {"risk": "risk"}, "replicate": "seed"},
            ValueError,
            "replicate: no column 'seed'.*its columns",
        ),
        (None, {"roles": {"risk": "risk", "entropy": "div"}}, ValueError, "unknown role 'entropy'"),
        (None, {"roles": ["risk"]}, TypeError, "roles must map role names"),
        (None, {"roles": {"diversity": "div"}}, ValueError, "must name the risk"),
        (None, {"roles": {"risk": "risk", "tail_mass": "div"}}, ValueError, "give real_tail_mass"),
        (
            None,
            {"roles": {"risk": "risk", "real_tail_mass": 0.1}},
            ValueError,
            "real_tail_mass is given without tail_mass",
        ),
        (
            lambda f: pd.concat([f, f.iloc[:2]]),
            {},
            ValueError,
            r"2 rows repeat the \(rep, it\) of an earlier row.*rep=0, it=1",
        ),
        (
            lambda f: f.assign(risk=f.risk.astype(object).where(f.it != 3, "n/a")),
            {},
            ValueError,
            "column 'risk' must hold numbers, got 'n/a' in 3 row",
        ),
        (lambda f: f[f.rep == 0], {}, ValueError, "at least 2 replicates"),
        (
            lambda f: f.drop(index=[5]),
            {},
            ValueError,
            r"1 \(replicate, iteration\) row\(s\) are missing, e.g. rep=1, it=2",
        ),
        (
            lambda f: f.assign(risk=f.risk.where(f.it != 2)),
            {},
            ValueError,
            "3 missing \\(NaN\\) value\\(s\\), at rep=0, it=2",
        ),
        (
            lambda f: f.assign(risk=f.risk.where(f.it != 4, np.inf)),
            {},
            ValueError,
            "infinite in 3 row",
        ),
        (
            lambda f: f[f.it != 1],
            {},
            ValueError,
            "iteration 1 \\(the model trained on real data only\\)",
        ),
        (lambda f: f.assign(it=f.it - 1.5), {}, ValueError, "non-negative integers"),
        (lambda f: f.iloc[:0], {}, ValueError, "no rows"),
    ],
)
def test_bad_frames_get_errors_that_name_the_column(change, kwargs, error, match):
    f = BASE if change is None else change(BASE)
    kw = {"roles": {"risk": "risk"}, "replicate": "rep", "iteration": "it"} | kwargs
    with pytest.raises(error, match=match):
        mc.read_runs(f, **kw)


def test_bad_sources(tmp_path):
    with pytest.raises(ValueError, match=r"\.csv or \.parquet"):
        mc.read_runs(tmp_path / "runs.json", roles={"risk": "risk"})
    with pytest.raises(FileNotFoundError, match="no such file"):
        mc.read_runs(tmp_path / "runs.csv", roles={"risk": "risk"})
    with pytest.raises(TypeError, match="source must be a pandas DataFrame"):
        mc.read_runs(42, roles={"risk": "risk"})
    with pytest.raises(TypeError, match=r"run must be a mc\.Run"):
        d.any_risk_increase(BASE)


def test_every_mapped_role_reaches_its_definition():
    gen = np.random.default_rng(4)
    t = np.arange(1, 33) * np.ones((20, 1))
    noise = gen.normal(0, 0.01, t.shape)
    log = frame(
        1.0 + noise,
        tail=0.1 * np.exp(-t / 4) + 0.001 * np.abs(noise),  # the tails empty out
        modes=np.where(t > 8, 3.0, 5.0),  # two of five modes lost after generation 8
        weakest=np.full(t.shape, 0.9) + noise,  # or, as a mass, kept
        outside=0.02 * t / 32 + np.abs(noise),  # mass outside the real support grows
        beyond=0.001 * (1 + t) + 0.001 * np.abs(noise),  # and beyond the real level set
    )
    roles = {
        "tail_mass": "tail",
        "real_tail_mass": 0.1,
        "mode_count": "modes",
        "real_modes": 5,
        "hallucinated_mass": "outside",
        "level_set_mass": "beyond",
        "real_level_set_mass": 0.001,
    }
    run = read(log, **roles)
    assert d.lost_tails(run).collapsed is True
    v = d.lost_modes(run)
    assert v.collapsed is True and v.statistic == 2.0 and v.first_iteration == 9
    assert v.evidence.startswith("5 real modes")
    assert d.hallucinated_data(run).collapsed is True
    assert d.hallucinated_data(run, level_set=True).collapsed is True
    kept = read(log, mode_mass="weakest")
    assert d.lost_modes(kept).collapsed is False
    assert d.lost_tails(kept).collapsed is None  # not logged: not applicable, with the reason
    assert "no tail mass is declared" in d.lost_tails(kept).evidence
