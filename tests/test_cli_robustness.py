"""Bad input, hostile output paths and runs that fail, end to end through the command line.

Each test reproduces a way tmesim used to lose or mix a user's data, crash with a traceback, run
away with the machine or accept nonsense, and checks what happens now: a run that succeeds with
valid outputs, or one red line on stderr with exit status 2 (bad input) or 1 (a failed run), no
traceback, and nothing written outside the output folder.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import tmesim.errors
from tmesim.cli import app
from tmesim.io.manifest import read_manifest, verify_manifest
from tmesim.io.outdir import MARK_FILE

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
MOUSE = "preset: mouse_4t1\nn_patients: 2\nduration_days: 5\nchunk_size: 2\n"
MOUSE_STUDY = """title: t
cohorts: [{name: a, preset: mouse_4t1, n: 2}]
arms: [{name: control}, {name: pd1, regimen: "anti-pd-1 200 ug biw x2"}]
follow_up_days: 10
chunk_size: 1
"""
HUMAN_TRIAL = """title: h
cohorts: [{name: m, preset: human_melanoma, n: 2}]
arms: [{name: nivo, regimen: "nivolumab 3 mg/kg q2w x2"}]
follow_up_days: 30
"""


def run(*args: str):
    """Invoke the CLI in-process; return (exit code, stdout, stderr)."""
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def clean_error(result, code: int = 2) -> str:
    """Assert a one-line message on stderr, the given exit status and no traceback."""
    exit_code, stdout, stderr = result
    assert exit_code == code, (exit_code, stdout, stderr)
    assert "Traceback" not in stdout + stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def user_folder(root: Path) -> Path:
    """A folder of a user's own files, named as tmesim names its outputs."""
    folder = root / "mine"
    for name in (
        "report.html",
        "manifest.json",
        "study.json",
        "patients.parquet",
        "parts/notes.txt",
        "patients/part-00000.parquet",
        "validation.csv",
        "stratification.csv",
    ):
        write(folder / name, f"the user's {name}")
    return folder


@pytest.fixture
def inputs(tmp_path) -> dict[str, Path]:
    return {
        "mouse": write(tmp_path / "in" / "mouse.yaml", MOUSE),
        "study": write(tmp_path / "in" / "study.yaml", MOUSE_STUDY),
        "human": write(tmp_path / "in" / "human.yaml", HUMAN_TRIAL),
    }


def command(kind: str, inputs: dict[str, Path], out: Path) -> list[str]:
    """A quick valid run of each command into `out`."""
    return {
        "simulate": ["simulate", inputs["mouse"], "--out", out, "-q"],
        "trial": ["trial", inputs["study"], "--out", out, "-q", "--no-report"],
        "stratify": [
            "stratify",
            "--expression",
            EXAMPLES / "stratify_expression.tsv",
            "--members",
            "2",
            "--regimen",
            "anti-PD-1",
            "--out",
            out,
            "-q",
            "-j",
            "1",
        ],
        "validate": ["validate", "--only", "antibody_half_life_nivolumab", "--out", out, "-q"],
        "sensitivity": [
            "sensitivity",
            "--observable",
            "tumor_volume",
            "--preset",
            "mouse_4t1",
            "--days",
            "5",
            "--parameter",
            "tumor_growth_rate",
            "--trajectories",
            "2",
            "--out",
            out,
            "-q",
            "-j",
            "1",
        ],
    }[kind]


# --- 1. results never mix across runs -------------------------------------------------------


def test_two_scenarios_in_one_folder_never_mix(tmp_path, inputs):
    out = tmp_path / "X"
    a = write(tmp_path / "A.yaml", "preset: mouse_4t1\nn_patients: 4\nduration_days: 3\n")
    b = write(tmp_path / "B.yaml", "preset: mouse_b16f10\nn_patients: 2\nduration_days: 3\n")
    assert run("simulate", a, "--set", "chunk_size=2", "--out", out, "-q")[0] == 0
    assert run("simulate", b, "--set", "chunk_size=2", "--out", out, "-q")[0] == 0
    patients = pd.read_parquet(out / "patients.parquet")
    assert len(patients) == 2
    assert read_manifest(out)["config"]["preset"] == "mouse_b16f10"
    assert verify_manifest(out) == []
    assert sorted(p.name for p in (out / "patients").iterdir()) == ["part-00000.parquet"]


def test_a_chunk_of_another_configuration_is_refused(tmp_path):
    import numpy as np
    import xarray as xr

    from tmesim.errors import RunError
    from tmesim.io.results import ResultWriter

    patients = pd.DataFrame({"patient_id": [0], "status": ["success"]})
    traj = xr.Dataset(
        {"v": (("patient", "time"), np.ones((1, 2)), {"units": "1"})},
        coords={"patient": [0], "time": [0.0, 1.0]},
    )
    ResultWriter(tmp_path, config_hash="a").write_chunk(0, patients, traj)
    writer = ResultWriter(tmp_path, config_hash="b")
    writer.write_chunk(1, patients.assign(patient_id=[1]), traj.assign_coords(patient=[1]))
    with pytest.raises(RunError, match="another configuration"):
        writer.finalize()


# --- 2. a user's files are never deleted ----------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "overwrite"),
    [
        *((k, o) for k in ("simulate", "trial", "stratify", "validate") for o in (False, True)),
        ("sensitivity", False),  # no --overwrite: it only ever replaces its own runs
    ],
)
def test_a_folder_of_user_files_survives_every_command(tmp_path, inputs, kind, overwrite):
    folder = user_folder(tmp_path)
    before = tree(folder)
    args = command(kind, inputs, folder) + (["--overwrite"] if overwrite else [])
    message = clean_error(run(*args))
    assert message.startswith("--out: ") and "did not write" in message
    assert tree(folder) == before


def test_out_empty_string_and_symlinks_are_refused(tmp_path, inputs, monkeypatch):
    folder = user_folder(tmp_path)
    before = tree(folder)
    monkeypatch.chdir(folder)
    clean_error(run("trial", inputs["study"], "--out", "", "-q"))
    clean_error(run("simulate", inputs["mouse"], "--out", "", "-q"))
    link = tmp_path / "link"
    link.symlink_to(folder)
    assert "symbolic link" in clean_error(run("trial", inputs["study"], "--out", link, "-q"))
    assert tree(folder) == before


def test_a_run_of_another_kind_is_replaced_only_with_overwrite(tmp_path, inputs):
    out = tmp_path / "run"
    assert run(*command("simulate", inputs, out))[0] == 0
    message = clean_error(run(*command("trial", inputs, out)))
    assert "--overwrite" in message
    assert (out / "patients.parquet").exists()
    assert run(*command("trial", inputs, out), "--overwrite")[0] == 0
    assert not (out / "trajectories").exists()
    assert verify_manifest(out) == []


# --- 3. no unbounded work ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "override", "field"),
    [
        ("mouse", "regimen=nivolumab 3 mg/kg q3w x1000000000", "count"),
        ("study", "save_every_days=1e-300", "save_every_days"),
        ("mouse", "save_every_days=1e-300", "save_every_days"),
        ("mouse", "duration_days=1e300", "duration_days"),
        ("study", "chunk_size=100000 cohorts.0.n=100000 save_every_days=0.01", "chunk_size"),
        ("mouse", "chunk_size=100000 n_patients=100000 save_every_days=0.01", "chunk_size"),
    ],
)
def test_work_is_bounded_by_the_schema(tmp_path, inputs, kind, override, field):
    name = "simulate" if kind == "mouse" else "trial"
    sets = [a for o in override.split(" ") if "=" in o for a in ("--set", o)]
    if " x" in override:
        sets = ["--set", override]
    message = clean_error(run(name, inputs[kind], *sets, "--out", tmp_path / "o", "-q"))
    assert field in message.split(":")[0]
    assert not (tmp_path / "o").exists()


def test_many_unknown_keys_are_reported_briefly(tmp_path, monkeypatch):
    calls = []
    original = tmesim.errors.did_you_mean

    def counting(name, choices):
        calls.append(name)
        return original(name, choices)

    monkeypatch.setattr(tmesim.errors, "did_you_mean", counting)
    keys = "".join(f"k{i}: 1\n" for i in range(40_000))
    path = write(tmp_path / "s.yaml", "preset: mouse_4t1\n" + keys)
    message = clean_error(run("simulate", path, "--out", tmp_path / "o"))
    assert "39996 more problems not shown" in message
    assert len(calls) <= 8  # a few suggestions, not one comparison per key and per choice
    assert not (tmp_path / "o").exists()


def test_a_huge_value_is_not_echoed(tmp_path):
    path = write(tmp_path / "s.yaml", "preset: " + "x" * 5_000_000 + "\n")
    message = clean_error(run("simulate", path, "--out", tmp_path / "o"))
    assert len(message) < 2000


# --- 4. tracebacks on ordinary bad input ----------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "preset: mouse_4t1\nseed: 1\x00\n",
        "preset: mouse_4t1\nseed: \x1b[31m\n",
        "preset: mouse_4t1\nregimen: " + "[" * 50_000 + "]" * 50_000 + "\n",
        "preset: mouse_4t1\nseed: " + "9" * 5000 + "\n",
        "preset: mouse_4t1\nparameters: {tumor_growth_rate: " + "1" * 5000 + "}\n",
    ],
    ids=["nul", "escape", "deep-list", "5000-digits", "5000-digit-parameter"],
)
def test_malformed_yaml_is_one_line(tmp_path, text):
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    clean_error(run("simulate", path, "--out", tmp_path / "o"))
    clean_error(run("trial", path, "--out", tmp_path / "o"))
    assert not (tmp_path / "o").exists()


def test_unwritable_outputs_are_one_line(tmp_path, inputs):
    a_file = write(tmp_path / "file", "data")
    for out in (a_file, a_file / "sub", "/proc/tmesim", "/proc/self/status/x"):
        for kind in ("simulate", "trial"):
            message = clean_error(run(*command(kind, inputs, out)))
            assert message.startswith("--out: ")
    assert a_file.read_text() == "data"


@pytest.mark.parametrize(
    "override",
    [
        "cohorts.0.plausibility={tumor_volume: [.nan, 100]}",
        "cohorts.0.plausibility={tumor_volume: [500, 10]}",
    ],
)
def test_plausibility_bounds_are_checked(tmp_path, inputs, override):
    message = clean_error(
        run("trial", inputs["study"], "--set", override, "--out", tmp_path / "o", "-q")
    )
    assert "plausibility" in message


def test_abm_start_before_the_timeline_is_an_input_error(tmp_path):
    message = clean_error(
        run(
            "simulate",
            EXAMPLES / "abm_4t1_myeloid_rich.yaml",
            "--set",
            "abm.start_day=-3000",
            "--set",
            "duration_days=1",
            "--out",
            tmp_path / "o",
            "-q",
        )
    )
    assert message.startswith("abm.start_day")


def test_an_all_failed_mouse_study_exits_1_with_tables_and_report(tmp_path, inputs):
    out = tmp_path / "o"
    message = clean_error(
        run("trial", inputs["study"], "--set", "solver.max_steps=1", "--out", out, "-q"), code=1
    )
    assert "solver.max_steps" in message
    patients = pd.read_parquet(out / "patients.parquet")
    assert (patients["status"] != "success").all()
    assert (out / "report.html").exists()


def test_stratify_rejects_an_impossible_tmb(tmp_path):
    clinical = pd.read_csv(EXAMPLES / "stratify_clinical.tsv", sep="\t", dtype=str)
    for tmb in ("1e308", "inf", "-1"):
        clinical.loc[0, "tmb"] = tmb
        path = tmp_path / "c.tsv"
        clinical.to_csv(path, sep="\t", index=False)
        message = clean_error(
            run(
                "stratify",
                "--expression",
                EXAMPLES / "stratify_expression.tsv",
                "--clinical",
                path,
                "--out",
                tmp_path / "o",
            )
        )
        assert ".tmb" in message
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("damage", ["truncate", "delete", "foreign"])
def test_resume_recomputes_a_damaged_part(tmp_path, inputs, damage):
    reference, out = tmp_path / "ref", tmp_path / "run"
    assert run("trial", inputs["study"], "--out", reference, "-q", "--no-report")[0] == 0
    assert run("trial", inputs["study"], "--out", out, "-q", "--no-report")[0] == 0
    part = sorted((out / "parts" / "patients").glob("*.parquet"))[0]
    if damage == "truncate":
        part.write_bytes(part.read_bytes()[:100])
    elif damage == "delete":
        part.unlink()
    else:
        other = tmp_path / "other"
        assert run("trial", inputs["study"], "--set", "seed=5", "--out", other, "-q")[0] == 0
        shutil.copy(sorted((other / "parts" / "patients").glob("*.parquet"))[0], part)
    code, stdout, stderr = run(
        "trial", inputs["study"], "--out", out, "-q", "--no-report", "--resume"
    )
    assert code == 0, stderr
    for table in ("patients", "burden", "visits"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(out / f"{table}.parquet"),
            pd.read_parquet(reference / f"{table}.parquet"),
        )


# --- 5. nonsense is refused -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "override", "field"),
    [
        ("mouse", "n_patients=yes", "n_patients"),
        ("mouse", "duration_days=true", "duration_days"),
        ("mouse", "duration_days=1:30", "duration_days"),
        ("mouse", "seed=0o17", "seed"),
        ("mouse", "regimen=anti-pd-1 1e-300 mg/kg", "amount"),
        ("mouse", "regimen=anti-pd-1 1e30 mg/kg", "amount"),
        ("mouse", "regimen=anti-pd-1 200 ug from day 1e300", "start_day"),
        ("mouse", "parameters.clone_0_ifng_sensing=2", "clone_0_ifng_sensing"),
        ("mouse", "parameters.myeloid_kill_inhibition_max=5", "myeloid_kill_inhibition_max"),
        ("mouse", "parameters.tumor_growth_rate=-0.1", "tumor_growth_rate"),
        ("mouse", "parameters.tumor_growth_rate=true", "tumor_growth_rate"),
        ("mouse", "solver.rtol=.nan", "solver.rtol"),
        ("study", "cohorts.0.n=yes", "cohorts[0].n"),
        ("study", "follow_up_days=.nan", "follow_up_days"),
        ("study", "palpable_mm3=2000", "palpable_mm3"),
        ("study", "rechallenge={cells: 1e-300}", "rechallenge.cells"),
        ("study", "cohorts.0.start_volume_mm3=1e-300", "start_volume_mm3"),
        ("study", "cohorts.0.parameters.ipi549_emax=5", "ipi549_emax"),
        ("study", "cohorts.0.start_volume_mm3=2000", "start_volume_mm3"),
        ("study", "arms.0.regimen=anti-pd-1 1e30 mg/kg", "amount"),
        ("human", "rechallenge={cells: 100000}", "rechallenge"),
        ("human", "response.confirmation_days=.nan", "response.confirmation_days"),
    ],
)
def test_nonsense_is_an_input_error(tmp_path, inputs, kind, override, field):
    name = "simulate" if kind == "mouse" else "trial"
    message = clean_error(run(name, inputs[kind], "--set", override, "--out", tmp_path / "o"))
    assert field in message.split(":")[0] or field in message
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("table", "change", "words"),
    [
        (
            "expression",
            lambda df: df.rename(columns={"gene": "gene"}).assign(gene=[""] + list(df["gene"][1:])),
            "gene symbol",
        ),
        (
            "mutations",
            lambda df: df.assign(Tumor_Sample_Barcode=["NOT_A_SAMPLE"] + list(df.iloc[1:, 0])),
            "not columns",
        ),
        ("mutations", lambda df: df.assign(Hugo_Symbol=[""] + list(df.iloc[1:, 1])), "gene name"),
        ("clinical", lambda df: df.assign(sample=[""] + list(df["sample"][1:])), "sample name"),
    ],
)
def test_stratify_rejects_blank_and_unknown_names(tmp_path, table, change, words):
    frame = pd.read_csv(
        EXAMPLES / f"stratify_{table}.tsv", sep="\t", dtype=str, keep_default_na=False
    )
    path = tmp_path / f"{table}.tsv"
    change(frame).to_csv(path, sep="\t", index=False)
    files = {"expression": EXAMPLES / "stratify_expression.tsv", table: path}
    args = ["stratify", "--out", tmp_path / "o"]
    for name, file in files.items():
        args += [f"--{name}", file]
    assert words in clean_error(run(*args))


# --- 6. impossible patients are never a success -------------------------------------------


def test_baselines_beyond_lethal_are_implausible_not_success(tmp_path):
    scenario = write(
        tmp_path / "h.yaml", "preset: human_melanoma\nn_patients: 4\nduration_days: 10\n"
    )
    out = tmp_path / "o"
    message = clean_error(
        run("simulate", scenario, "--set", "parameters.tumor_growth_rate=0.05", "--out", out, "-q"),
        code=1,
    )
    assert "plausible baseline" in message
    patients = pd.read_parquet(out / "patients.parquet")
    assert (patients["status"] == "implausible").all()
    assert (patients["attempts"] > 1).all()
    assert not patients["tumor_eradicated"].any()


def test_debug_shows_the_traceback(tmp_path, monkeypatch):
    import tmesim.simulation

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    scenario = write(tmp_path / "s.yaml", MOUSE)
    monkeypatch.setattr(tmesim.simulation, "run_scenario", broken)
    message = clean_error(run("simulate", scenario, "--out", tmp_path / "o", "-q"), code=1)
    assert "internal error (RuntimeError: boom)" in message and "--debug" in message
    result = CliRunner().invoke(
        app, ["--debug", "simulate", str(scenario), "--out", str(tmp_path / "p")]
    )
    assert isinstance(result.exception, RuntimeError)
    assert sys.exc_info()[0] is None


def test_a_full_disk_is_one_line_and_exit_1(tmp_path, inputs, monkeypatch):
    import errno

    import tmesim.io.atomic

    fsync = tmesim.io.atomic._fsync_file

    def full(path):
        if MARK_FILE in path.name:  # the folder is claimed; the disk fills during the run
            return fsync(path)
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(tmesim.io.atomic, "_fsync_file", full)
    message = clean_error(run(*command("simulate", inputs, tmp_path / "o")), code=1)
    assert "No space left on device" in message and "disk has space" in message


def test_a_stratify_run_stopped_halfway_can_run_again_into_its_folder(
    tmp_path, inputs, monkeypatch
):
    """A stratify run that stops after its first table has marked the folder as its own, so the
    same command runs again into it (instead of refusing files tmesim did not record)."""
    import tmesim.stratify.pipeline as pipeline

    out = tmp_path / "strat"
    original = pipeline._csv
    written: list[Path] = []

    def stop_after_first(path, *args, **kwargs):
        if written:
            raise KeyboardInterrupt
        original(path, *args, **kwargs)
        written.append(path)

    monkeypatch.setattr(pipeline, "_csv", stop_after_first)
    stopped = run(*command("stratify", inputs, out))
    assert stopped[0] != 0
    assert written and written[0].exists() and (out / MARK_FILE).exists()
    monkeypatch.setattr(pipeline, "_csv", original)
    assert run(*command("stratify", inputs, out))[0] == 0
    assert (out / "manifest.json").exists()
