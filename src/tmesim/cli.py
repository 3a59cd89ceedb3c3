"""The ``tmesim`` command line: a thin Typer layer over the Python API.

Model, preset, drug and simulation modules are imported inside the commands, so ``tmesim --help``
stays fast and a command only pays for what it uses. Errors tmesim raises on purpose
(:class:`~tmesim.errors.TmesimError`) are shown as one red message, without a traceback, and
exit with status 2 (bad input) or 1 (a run that failed); so are file-system errors and any other
failure (status 1), whose traceback only ``tmesim --debug ...`` shows.

Example:
    >>> from typer.testing import CliRunner
    >>> CliRunner().invoke(app, ["version"]).output.startswith("tmesim ")
    True
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from tmesim.errors import ConfigError, RunError, TmesimError

DEFAULT_OUTPUT = "tmesim-out"
ERROR_EXIT_CODE = 2
FAILED_RUN_EXIT_CODE = 1
_debug = {"on": False}
_claimed: list[tuple[Path, bool]] = []  # output folders this command claimed (created or not)

app = typer.Typer(
    name="tmesim",
    help=(
        "Simulate the tumor-immune system under immunotherapy: mechanistic virtual patients, "
        "cohorts and their responses to checkpoint blockade and combinations."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

Threads = Annotated[
    int | None,
    typer.Option(
        "--threads",
        "-j",
        min=1,
        help="Worker threads (default: all cores). Results do not depend on it.",
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Do not show the progress bar.")]
Overwrite = Annotated[
    bool,
    typer.Option(
        "--overwrite",
        help="Replace a tmesim run of another kind in the output folder (only its own files are "
        "removed; folders holding other files are never used).",
    ),
]
Scheduler = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        envvar="TMESIM_SCHEDULER",
        help="Run the tasks (chunks of patients, points, studies, tissues) on the Dask scheduler "
        "at ADDRESS (e.g. tcp://10.0.0.5:8786; needs the optional extra 'distributed'). "
        "Results do not depend on it.",
        metavar="ADDRESS",
    ),
]
Workers = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        help="Run the tasks on a local Dask cluster of N worker processes (needs the optional "
        "extra 'distributed'). Results do not depend on it.",
        metavar="N",
    ),
]
Resume = Annotated[
    bool,
    typer.Option(
        "--resume",
        help="Continue an interrupted run in the output folder: finished chunks are kept.",
    ),
]

P = ParamSpec("P")
R = TypeVar("R")


def _stdout() -> Console:
    # Made per call (not at import) so output goes to whatever sys.stdout is at that moment,
    # which is what test runners and redirections expect.
    return Console(highlight=False)


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


@app.callback()
def _options(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the full traceback of an unexpected error.")
    ] = False,
) -> None:
    _debug["on"] = debug


def _one_line(text: str, limit: int = 2000) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fail(message: str, code: int) -> typer.Exit:
    # soft_wrap: keep the message on one logical line so it can be grepped and copied.
    _stderr().print(Text(_one_line(message), style="red"), soft_wrap=True)
    return typer.Exit(code=code)


def _reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn every failure into a red one-line message on stderr: a TmesimError with its exit
    status (2 bad input, 1 failed run), a file-system error or any other exception with 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        _claimed.clear()
        try:
            return command(*args, **kwargs)
        except typer.Exit:
            raise
        except TmesimError as exc:
            code = getattr(exc, "exit_code", ERROR_EXIT_CODE)
            if code == ERROR_EXIT_CODE:
                _release_claims()  # bad input found late: leave no trace of the run
            raise _fail(str(exc), code) from None
        except MemoryError:
            if _debug["on"]:
                raise
            raise _fail(
                "out of memory: lower chunk_size (patients held at once) or the number of saved "
                "time points (a larger save_every_days)",
                FAILED_RUN_EXIT_CODE,
            ) from None
        except OSError as exc:
            if _debug["on"]:
                raise
            where = exc.filename or "a file of the run"
            raise _fail(
                f"{where}: {exc.strerror or exc}; check that the folder exists, is writable and "
                "that the disk has space, then run again",
                FAILED_RUN_EXIT_CODE,
            ) from None
        except Exception as exc:
            if _debug["on"]:
                raise
            raise _fail(
                f"internal error ({type(exc).__name__}: {str(exc)[:300]}); run again with "
                "`tmesim --debug ...` for the traceback and report it",
                FAILED_RUN_EXIT_CODE,
            ) from None

    return wrapper


def _claim(out_dir: Path, kind: str, overwrite: bool, *, create: bool = True) -> Path:
    from tmesim.io.outdir import claim_output

    existed = Path(out_dir).exists()
    path = claim_output(out_dir, kind, overwrite=overwrite, create=create)
    if create:
        _claimed.append((path, existed))
    return path


def _release_claims() -> None:
    """Undo the claims of a command that stopped on bad input before writing any result."""
    import contextlib

    from tmesim.io.outdir import MARK_FILE

    for path, existed in _claimed:
        with contextlib.suppress(OSError):
            if [e.name for e in path.iterdir()] == [MARK_FILE]:
                (path / MARK_FILE).unlink()
                if not existed:
                    path.rmdir()
    _claimed.clear()


def _with_output_folder(loaded: Any, out: Path | None) -> tuple[Any, Path]:
    """The output folder (--out, else the file's 'output', else the default) and the config
    with that folder recorded, so that the manifest's config matches the run."""
    out_dir = Path(out) if out is not None else Path(loaded.output or DEFAULT_OUTPUT)
    return loaded.model_copy(update={"output": str(out_dir)}), out_dir


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(v) for v in value)
    return str(value)


def _table(title: str, columns: Iterable[str], rows: Iterable[Iterable[Any]]) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        # Text, not markup: descriptions such as "[M7] ..." must print as written.
        table.add_row(*(Text(_cell(value)) for value in row))
    return table


@app.command(
    epilog=(
        "Example: tmesim simulate examples/mouse_4t1_checkpoint.yaml "
        "--set n_patients=100 --out runs/4t1"
    )
)
@_reports_errors
def simulate(
    scenario: Annotated[
        Path,
        typer.Argument(
            help="Scenario YAML file (preset, regimen, cohort size, seed, ...).",
            metavar="SCENARIO.yaml",
        ),
    ],
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            "-s",
            help=(
                "Override a scenario entry, KEY=VALUE with a dotted KEY; repeatable. E.g. "
                "--set n_patients=100 --set parameters.tumor_growth_rate=0.2 "
                "--set mechanisms.nk_missing_self=false --set solver.rtol=1e-8"
            ),
            metavar="KEY=VALUE",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help=f"Output folder (overrides the scenario's 'output'; default ./{DEFAULT_OUTPUT}).",
        ),
    ] = None,
    threads: Threads = None,
    quiet: Quiet = False,
    overwrite: Overwrite = False,
    engine: Annotated[
        str | None,
        typer.Option(
            "--engine",
            help="qsp (ODE cohort) or abm (spatial tissue); default: the scenario's 'engine'.",
            metavar="qsp|abm",
        ),
    ] = None,
    resume: Resume = False,
    scheduler: Scheduler = None,
    workers: Workers = None,
) -> None:
    """Simulate a cohort of virtual patients described by a scenario file.

    Writes patients (Parquet), trajectories (NetCDF) and a manifest, then prints a summary. With
    --engine abm: spatial tissues (cells as Parquet, fields as NetCDF, readouts, pictures).
    """
    from tmesim.config.scenario import load_scenario

    overrides = list(set_ or ())
    if engine is not None:
        overrides.insert(0, f"engine={engine}")
    loaded, out_dir = _with_output_folder(load_scenario(scenario, overrides), out)
    _claim(out_dir, "simulate", overwrite)

    if loaded.engine == "abm":
        from tmesim.engines.abm.simulation import run_spatial_scenario

        if scheduler is not None or workers is not None or resume:
            raise ConfigError(
                "--workers" if workers is not None else "--scheduler" if scheduler else "--resume",
                "set",
                "one spatial tissue is one task; run replicate tissues with `tmesim trial` "
                "(a study with engine: abm), which takes --workers and --scheduler",
            )

        spatial = run_spatial_scenario(loaded, out_dir, progress=not quiet, n_threads=threads)
        _stdout().print(spatial.summary(), soft_wrap=True, markup=False)
        return

    from tmesim.simulation import run_scenario

    result = run_scenario(
        loaded,
        out_dir=out_dir,
        progress=not quiet,
        n_threads=threads,
        resume=resume,
        scheduler=scheduler,
        workers=workers,
    )
    _stdout().print(result.summary(), soft_wrap=True, markup=False)
    n_patients = getattr(result, "n_patients", 0)
    unusable = getattr(result, "n_failed", 0) + getattr(result, "implausible", 0)
    if n_patients and unusable == n_patients:
        raise RunError(
            str(out_dir / "patients.parquet"),
            "no virtual patient finished with a plausible baseline (failed or implausible; the "
            "'status' and 'message' columns say why); loosen the solver settings (e.g. raise "
            "solver.max_steps) or check the parameters, then run again",
        )


@app.command(
    epilog=(
        "Examples: tmesim trial   (the built-in flagship study, report in ./tmesim-out) | "
        "tmesim trial examples/melanoma_nivo_ipi_trial.yaml --set cohorts.0.n=300 --out runs/cm067"
    )
)
@_reports_errors
def trial(
    scenario: Annotated[
        Path | None,
        typer.Argument(
            help="Study YAML file (cohorts, arms, follow-up, endpoints). Omit it to run the "
            "built-in flagship study (De Henau 2016: myeloid-rich vs myeloid-poor tumors, "
            "checkpoint blockade ± IPI-549, rechallenge of cured mice).",
            metavar="[SCENARIO.yaml]",
        ),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            "-s",
            help="Override a study entry, KEY=VALUE with a dotted KEY (list entries by index): "
            "--set cohorts.0.n=50 --set follow_up_days=90; repeatable.",
            metavar="KEY=VALUE",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help=f"Output folder (overrides the study's 'output'; default ./{DEFAULT_OUTPUT}).",
        ),
    ] = None,
    resume: Resume = False,
    threads: Threads = None,
    no_report: Annotated[
        bool, typer.Option("--no-report", help="Write the tables but not the HTML report.")
    ] = False,
    quiet: Quiet = False,
    overwrite: Overwrite = False,
    scheduler: Scheduler = None,
    workers: Workers = None,
) -> None:
    """Run a virtual mouse study or clinical trial and write its tables and HTML report."""
    from tmesim.config.trial import load_trial
    from tmesim.trials.scenarios import flagship_path

    loaded, out_dir = _with_output_folder(
        load_trial(scenario if scenario is not None else flagship_path(), set_ or ()), out
    )
    _claim(out_dir, "trial", overwrite)

    from tmesim.trials.runner import run_study

    result = run_study(
        loaded,
        out_dir,
        resume=resume,
        progress=not quiet,
        n_threads=threads,
        report=not no_report,
        scheduler=scheduler,
        workers=workers,
    )
    _stdout().print(result.summary(), soft_wrap=True, markup=False)
    if getattr(result, "rows", 0) and getattr(result, "failed", 0) == result.rows:
        raise RunError(
            str(out_dir / "patients.parquet"),
            "every virtual patient failed (its 'message' column says why); loosen the solver "
            "settings (e.g. raise solver.max_steps) or check the parameters, then run again",
        )
    if not quiet and loaded.engine != "abm":  # a spatial study's summary above says it all
        from tmesim.trials.summary import key_results_text

        _stdout().print(key_results_text(out_dir), soft_wrap=True, markup=False)


@app.command(
    epilog="Example: tmesim sweep examples/sweep_4t1_pd1_ipi549.yaml --out runs/sweep "
    "(keys: tmesim schema sweep)"
)
@_reports_errors
def sweep(
    sweep_file: Annotated[
        Path,
        typer.Argument(
            help="Sweep YAML file: a study template (as `tmesim trial` reads) plus axes of "
            "entries to vary, the design (grid, latin_hypercube, sobol) and the synergy arms.",
            metavar="SWEEP.yaml",
        ),
    ],
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            "-s",
            help="Override a sweep entry, KEY=VALUE with a dotted KEY: --set design.n=16, "
            "or one of the study's (inline or from its file): --set study.cohorts.0.n=20; "
            "repeatable.",
            metavar="KEY=VALUE",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help=f"Output folder (overrides the sweep's 'output'; default ./{DEFAULT_OUTPUT}).",
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Continue an interrupted sweep: finished points (and chunks) are kept.",
        ),
    ] = False,
    threads: Threads = None,
    scheduler: Scheduler = None,
    workers: Workers = None,
    no_report: Annotated[
        bool, typer.Option("--no-report", help="Write the tables but not the HTML report.")
    ] = False,
    quiet: Quiet = False,
    overwrite: Overwrite = False,
) -> None:
    """Run a study at every point of a design (same virtual patients) and map the results."""
    from tmesim.config.sweep import load_sweep

    config, template = load_sweep(sweep_file, set_ or ())
    config, out_dir = _with_output_folder(config, out)
    _claim(out_dir, "sweep", overwrite)

    from tmesim.sweeps.run import run_sweep

    result = run_sweep(
        config,
        template,
        out_dir,
        resume=resume,
        progress=not quiet,
        n_threads=threads,
        report=not no_report,
        scheduler=scheduler,
        workers=workers,
    )
    _stdout().print(result.summary(), soft_wrap=True, markup=False)


@app.command()
@_reports_errors
def report(
    run_dir: Annotated[
        Path,
        typer.Argument(
            help="Folder written by `tmesim trial` (or `tmesim sweep`: sweep.html).",
            metavar="RUN_DIR",
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Report file (default RUN_DIR/report.html)."),
    ] = None,
) -> None:
    """Re-render the HTML report of a finished run from its saved tables."""
    from tmesim.report import render_report

    if out is not None and (out.exists() or out.is_symlink()):
        raise ConfigError(
            "--out",
            str(out),
            "a file of that name exists and tmesim does not replace files it "
            "did not write; give a new file name (or leave --out out: RUN_DIR/report.html)",
        )

    if (Path(run_dir) / "sweep.json").is_file():
        from tmesim.sweeps.report import render_sweep_report

        path = render_sweep_report(run_dir, out)
    else:
        path = render_report(run_dir, out)
    _stdout().print(f"report written to {path}", soft_wrap=True, markup=False)


def _ids_whole(table: Table) -> Table:
    """Keep the first column (target ids, what --only takes) on one line each, so they can be
    copied."""
    column = table.columns[0]
    column.no_wrap = True
    column.min_width = max((len(str(c)) for c in column.cells), default=6)
    return table


@app.command(
    epilog=(
        "Examples: tmesim validate --list | tmesim validate --fast | tmesim validate --only "
        "le_2015_dmmr_orr --out runs/validation | tmesim validate --only "
        "checkmate067_orr_nivolumab --set human_melanoma:tumor_antigen_breadth=0.7 "
        "--out runs/what-if"
    )
)
@_reports_errors
def validate(
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help="Run only this target id; repeatable.", metavar="ID"),
    ] = None,
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Output folder for validation.csv and validation.html."),
    ] = Path("tmesim-validation"),
    fast: Annotated[
        bool,
        typer.Option("--fast", help="Only the fast subset, at its small group sizes."),
    ] = False,
    list_: Annotated[
        bool,
        typer.Option(
            "--list", help="List the targets (id, kind, metric, role, title); simulate nothing."
        ),
    ] = False,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help=(
                "What-if: replace a preset value, PRESET:PARAMETER=VALUE (PRESET * for every "
                "preset of the chosen targets); repeatable. The table and page name the values."
            ),
            metavar="PRESET:PARAMETER=VALUE",
        ),
    ] = None,
    sensitivity: Annotated[
        list[Path] | None,
        typer.Option(
            "--sensitivity",
            help=(
                "Folder of a finished `tmesim sensitivity` run: the page shows, per target, the "
                "parameters that carry it and their provenance; repeatable."
            ),
            metavar="DIR",
        ),
    ] = None,
    threads: Threads = None,
    quiet: Quiet = False,
    overwrite: Overwrite = False,
    scheduler: Scheduler = None,
    workers: Workers = None,
) -> None:
    """Simulate published studies (tmesim/validation/targets) and compare with their results.

    Exits with status 1 when a target fails.
    """
    from tmesim.validation import runner

    if list_:
        from tmesim.validation.targets import list_targets

        rows = list_targets(only, fast=fast)
        columns = ("Target", "Kind", "Metric", "Role", "Title")
        _stdout().print(_ids_whole(_table(f"{len(rows)} validation targets", columns, rows)))
        return
    targets = runner.load_targets(only, fast=fast)
    presets = [name for t in targets for name in t.presets()]
    parameters = runner.parse_overrides(set_ or [], presets)
    _claim(out, "validate", overwrite)
    report = runner.run_validation(
        out=out,
        fast=fast,
        threads=threads,
        progress=not quiet,
        targets=targets,
        parameters=parameters,
        sensitivity=sensitivity or (),
        scheduler=scheduler,
        workers=workers,
    )
    rows = [
        (
            r.id,
            r.published,
            r.simulated,
            f"{r.simulated_ci_low:.4g}–{r.simulated_ci_high:.4g}",
            r.units,
            "pass" if r.passed else "FAIL",
            r.role,
        )
        for r in report.table.itertuples()
    ]
    columns = ("Target", "Published", "Simulated", "95% CI", "Units", "Result", "Role")
    n_pass = int(report.table["passed"].sum())
    title = f"Validation: {n_pass} of {len(rows)} targets pass" + (
        f" (what-if: {len(set_ or [])} --set values)" if parameters else ""
    )
    _stdout().print(_ids_whole(_table(title, columns, rows)))
    _stdout().print(f"written: {report.csv} and {report.html}", soft_wrap=True, markup=False)
    if not report.passed:
        raise typer.Exit(code=1)


@app.command(
    epilog=(
        "Examples: tmesim sensitivity --target de_henau_2016_4t1_checkpoint_ipi549_cr | "
        "tmesim sensitivity --observable tumor_volume --preset mouse_4t1 --regimen "
        "'rmp1-14 200 ug biw x6' --days 30 --method sobol --samples 256"
    )
)
@_reports_errors
def sensitivity(
    target: Annotated[
        list[str] | None,
        typer.Option("--target", help="Validation target id; repeatable.", metavar="ID"),
    ] = None,
    observable: Annotated[
        str | None,
        typer.Option(
            help="A model observable, read at --days (instead of --target).", metavar="NAME"
        ),
    ] = None,
    preset: Annotated[str | None, typer.Option(help="Preset of --observable.")] = None,
    regimen: Annotated[
        str | None, typer.Option(help="Regimen of --observable (default: untreated).")
    ] = None,
    days: Annotated[float, typer.Option(help="Day --observable is read (days).")] = 60.0,
    method: Annotated[str, typer.Option(help="morris (screening) or sobol.")] = "morris",
    trajectories: Annotated[
        int | None,
        typer.Option(help="Morris trajectories (default 4 for targets, 20 for an observable)."),
    ] = None,
    samples: Annotated[
        int | None,
        typer.Option(help="Sobol base samples, a power of 2 (default 8 targets, 256 observable)."),
    ] = None,
    n_per_sample: Annotated[
        int, typer.Option(help="Targets: virtual subjects per group at each point.")
    ] = 10,
    parameter: Annotated[
        list[str] | None,
        typer.Option(
            help="Vary this parameter id or glob (cd8_*); repeatable. Default: those with a prior.",
            metavar="ID",
        ),
    ] = None,
    fold: Annotated[
        float, typer.Option(help="Range: value / fold to value × fold (odds for fractions).")
    ] = 2.0,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the design and the bootstrap.")] = 0,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path(
        "tmesim-sensitivity"
    ),
    threads: Threads = None,
    quiet: Quiet = False,
) -> None:
    """Global sensitivity (Morris or Sobol) of target metrics or an observable to preset values;
    each parameter labelled sourced, calibrated or assumed."""
    try:
        import SALib  # noqa: F401
    except ImportError:
        raise ConfigError(
            "tmesim sensitivity", "SALib", "install it: pip install salib==1.6.0"
        ) from None
    from tmesim.validation.sensitivity import plan_sensitivity, run_sensitivity

    wrong = samples if method == "morris" else trajectories
    if wrong is not None:
        option = "--samples" if method == "morris" else "--trajectories"
        raise ConfigError(
            option,
            wrong,
            f"it sets a {'sobol' if method == 'morris' else 'morris'} design; "
            "use --trajectories with --method morris, --samples with --method sobol",
        )
    size = trajectories if method == "morris" else samples
    plan = plan_sensitivity(
        targets=target,
        observable=observable,
        preset=preset,
        regimen=regimen,
        days=days,
        method=method,
        size=size,
        n_per_sample=n_per_sample,
        parameters=parameter,
        fold=fold,
        seed=seed,
    )
    _claim(out, "sensitivity", overwrite=False)
    console = _stdout()
    console.print(
        f"{len(plan.factors)} parameters; cost: {plan.cost_text()}", soft_wrap=True, markup=False
    )
    for note in plan.notes:
        console.print(f"  {note}", soft_wrap=True, markup=False)
    result = run_sensitivity(plan, out, threads=threads, progress=not quiet)
    rows = [
        (
            r.output,
            r.top_parameter,
            r.top_provenance,
            f"{r.share_assumed:.0%}",
            "yes" if r.carried_by_assumed else "",
        )
        for r in result.carried_by.itertuples()
    ]
    columns = ("Output", "Top parameter", "Provenance", "Assumed share", "Carried by assumed")
    console.print(_table(f"Sensitivity ({plan.method}, {result.seconds:.0f} s)", columns, rows))
    console.print(f"written: {result.out}", soft_wrap=True, markup=False)


@app.command(epilog="Example: tmesim calibrate calibration.yaml --out runs/calibration")
@_reports_errors
def calibrate(
    config: Annotated[
        Path,
        typer.Argument(
            help="Calibration config YAML (targets, parameters with bounds, method, seed).",
            metavar="CONFIG.yaml",
        ),
    ],
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Folder for the fitted parameters and the record."),
    ] = Path("tmesim-calibration"),
    threads: Threads = None,
) -> None:
    """Fit preset parameters to a subset of validation targets; record which were used."""
    from tmesim.validation.calibrate import calibrate as run_calibration
    from tmesim.validation.calibrate import load_config

    loaded = load_config(config)
    _claim(out, "calibrate", overwrite=False)
    result = run_calibration(loaded, out, config_name=config.name, n_threads=threads)
    rows = [(p.preset, p.id, p.previous_value, p.value, p.units) for p in result.parameters]
    columns = ("Preset", "Parameter", "Previous", "Calibrated", "Units")
    _stdout().print(_table(f"Calibration (loss {result.record.loss:.4g})", columns, rows))
    _stdout().print(
        f"written: {result.parameters_file} and {result.record_file}", soft_wrap=True, markup=False
    )


@app.command(
    epilog=(
        "Example: tmesim stratify --expression examples/stratify_expression.tsv "
        "--mutations examples/stratify_mutations.tsv --clinical examples/stratify_clinical.tsv "
        "--labels examples/stratify_labels.tsv --out runs/stratify"
    )
)
@_reports_errors
def stratify(
    expression: Annotated[
        Path,
        typer.Option(
            "--expression",
            "-e",
            help="Genes × samples table (TSV/CSV; gene symbols in column 1), any monotone scale.",
        ),
    ],
    mutations: Annotated[
        Path | None,
        typer.Option(help="Mutations / copy number: sample, gene, alteration (MAF accepted)."),
    ] = None,
    clinical: Annotated[
        Path | None,
        typer.Option(help="Clinical table: sample, cancer_type, tmb, msi, prior_therapy."),
    ] = None,
    labels: Annotated[
        Path | None,
        typer.Option(help="Response labels: sample, responder (yes/no), optional regimen."),
    ] = None,
    reference: Annotated[
        Path | None,
        typer.Option(help="Reference cohort (same scale) to rank the samples against."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path(DEFAULT_OUTPUT),
    members: Annotated[int, typer.Option(min=2, help="Virtual patients per tumor profile.")] = 24,
    seed: Annotated[int, typer.Option(min=0, help="Root seed of the ensembles.")] = 0,
    cancer_type: Annotated[
        str, typer.Option(help="Cancer type of samples without clinical data.")
    ] = "melanoma",
    regimen: Annotated[
        list[str] | None,
        typer.Option(help="Simulate only these candidates (repeatable; default: the panel)."),
    ] = None,
    threads: Threads = None,
    quiet: Quiet = False,
    overwrite: Overwrite = False,
) -> None:
    """Stratify tumor profiles: scores, resistance phenotype, personalized virtual-patient
    ensembles under candidate regimens, and a ranked recommendation per patient."""
    from tmesim.stratify import run_stratify

    _claim(out, "stratify", overwrite, create=False)  # written once the inputs are checked
    result = run_stratify(
        expression,
        out,
        mutations=mutations,
        clinical=clinical,
        labels=labels,
        reference=reference,
        settings={
            "ensemble": {"members": members, "seed": seed},
            "cancer_type": cancer_type,
            "regimens": regimen or None,
        },
        n_threads=threads,
        progress=not quiet,
    )
    _stdout().print(result.summary(), soft_wrap=True, markup=False)


@app.command()
@_reports_errors
def presets() -> None:
    """List the parameter presets: mouse tumor models and human indications."""
    from tmesim.parameters.presets import list_presets

    rows = [(p.name, p.species, p.description) for p in list_presets()]
    _stdout().print(_table("Parameter presets", ("Name", "Species", "Description"), rows))


@app.command()
@_reports_errors
def parameters(
    preset: Annotated[
        str,
        typer.Argument(help="Preset name, e.g. mouse_4t1 (see `presets`).", metavar="PRESET"),
    ],
    search: Annotated[
        str | None,
        typer.Option(
            "--search",
            "-k",
            help="Show only parameters whose id, description or source contains TEXT (any case).",
            metavar="TEXT",
        ),
    ] = None,
) -> None:
    """List a preset's parameters with value, units, source and description."""
    from tmesim.model import build_model
    from tmesim.parameters.presets import get_preset

    # Presets carry values and sources; the descriptions are declared once, in the model.
    records = list(get_preset(preset).described(build_model()))
    shown = records
    if search:
        needle = search.lower()
        shown = [
            r
            for r in records
            if any(needle in str(getattr(r, f)).lower() for f in ("id", "description", "source"))
        ]
        if not shown:
            raise ConfigError(
                "--search",
                search,
                f"no parameter of preset {preset!r} has it in its id, description or source; "
                "try a shorter word.",
                choices=[str(r.id) for r in records],
            )
    rows = [
        (
            r.id,
            r.value,
            r.units,
            r.source,
            r.description,
        )
        for r in shown
    ]
    title = f"Parameters of {preset} ({len(shown)} of {len(records)})"
    _stdout().print(_table(title, ("Id", "Value", "Units", "Source", "Description"), rows))


@app.command()
@_reports_errors
def drugs() -> None:
    """List the drugs in the catalog: target, modality, species and source."""
    from tmesim.therapies import list_drugs

    rows = [
        (
            d.id,
            d.display_name,
            d.target,
            d.modality,
            d.species,
            d.source,
        )
        for d in list_drugs()
    ]
    header = ("Id", "Name", "Target", "Modality", "Species", "Source")
    _stdout().print(_table("Drugs", header, rows))


@app.command()
@_reports_errors
def mechanisms() -> None:
    """List the model mechanisms that a scenario can switch on or off (mechanisms.NAME=false)."""
    from tmesim.model import MECHANISMS

    rows = list(MECHANISMS.items())  # the model's order groups related mechanisms
    _stdout().print(_table("Mechanisms", ("Name", "Description"), rows))


@app.command(
    epilog="Examples: tmesim schema trial | tmesim schema simulate --search solver | "
    "tmesim schema trial --json > study.schema.json"
)
@_reports_errors
def schema(
    kind: Annotated[
        str,
        typer.Argument(
            help="Which file: trial, simulate, solver, abm, target, calibrate, stratify, sweep or "
            "dose_step.",
            metavar="KIND",
        ),
    ] = "trial",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the JSON Schema instead of the key table.")
    ] = False,
    search: Annotated[
        str | None,
        typer.Option(
            "--search",
            "-k",
            help="Show only keys whose path or description contains TEXT (any case).",
            metavar="TEXT",
        ),
    ] = None,
) -> None:
    """List every key of a config file: type, bounds, default and meaning (or its JSON Schema)."""
    from tmesim.config.schema import CONFIG_KINDS, config_keys, json_schema_text

    if as_json:
        if search:
            raise ConfigError("--search", search, "--search lists keys; drop it with --json")
        typer.echo(json_schema_text(kind))
        return
    keys = config_keys(kind)
    if search:
        needle = search.lower()
        keys = [k for k in keys if needle in k.path.lower() or needle in k.description.lower()]
        if not keys:
            raise ConfigError(
                "--search", search, f"no key of a {kind} file has it; try a shorter word"
            )
    rows = [
        (k.path, k.type, k.bounds, "(required)" if k.required else k.default, k.description)
        for k in keys
    ]
    title = f"Keys of {CONFIG_KINDS[kind][2]} ({len(keys)})"
    columns = ("Key", "Type", "Bounds", "Default", "Description")
    _stdout().print(_table(title, columns, rows))


export_app = typer.Typer(
    help="Write tmesim's model (SBML) or a regimen (NONMEM table) for other tools.",
    no_args_is_help=True,
)
import_app = typer.Typer(help="Read an SBML model or a NONMEM dosing table.", no_args_is_help=True)
app.add_typer(export_app, name="export")
app.add_typer(import_app, name="import")


@export_app.command(
    "sbml",
    epilog="Example: tmesim export sbml mouse_mc38 --regimen 'anti-pd-1 200 ug biw x6 from day 7' "
    "--out mc38.xml",
)
@_reports_errors
def export_sbml_command(
    preset: Annotated[str, typer.Argument(help="Preset name (see `presets`).", metavar="PRESET")],
    out: Annotated[Path, typer.Option("--out", "-o", help="SBML file to write.")],
    regimen: Annotated[
        str | None, typer.Option("--regimen", "-r", help="Regimen text; doses become events.")
    ] = None,
    days: Annotated[
        float, typer.Option("--days", min=0.0, help="Last day of the regimen whose doses are kept.")
    ] = 365.0,
) -> None:
    """The QSP model with a preset's values as SBML Level 3 Version 2 (needs the interop extra)."""
    from tmesim.interop.sbml_export import export_sbml, write_sbml

    path = write_sbml(out, export_sbml(preset, regimen, days=days))
    _stdout().print(f"wrote {path}", markup=False)


@import_app.command(
    "sbml", epilog="Example: tmesim import sbml kuznetsov1994.xml --days 100 --out traj.csv"
)
@_reports_errors
def import_sbml_command(
    file: Annotated[Path, typer.Argument(help="SBML file (any level and version).")],
    days: Annotated[
        float, typer.Option("--days", min=0.0, help="Simulated time, in the model's time unit.")
    ] = 100.0,
    points: Annotated[int, typer.Option("--points", min=2, help="Save times.")] = 101,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="CSV of the trajectories (time, ids).")
    ] = None,
) -> None:
    """Translate an SBML model for tmesim's cohort solver and simulate it (needs the interop extra)."""
    import numpy as np
    import pandas as pd

    from tmesim.interop.sbml_import import read_sbml

    imported = read_sbml(file)
    m = imported.model
    _stdout().print(
        f"{file}: {len(m.species)} states, {len(m.parameters)} parameters, "
        f"{len(m.observables)} outputs, {len(imported.events)} timed events",
        markup=False,
    )
    if out is not None:
        t, values = imported.simulate(np.linspace(0.0, days, points))
        table = pd.DataFrame(values[0], columns=list(imported.observable_ids))
        table.insert(0, "time", t)
        table.to_csv(out, index=False)
        _stdout().print(f"wrote {out}", markup=False)


@export_app.command(
    "nonmem", epilog="Example: tmesim export nonmem 'nivolumab 240 mg q2w x3' --out doses.csv"
)
@_reports_errors
def export_nonmem_command(
    regimen: Annotated[str, typer.Argument(help="Regimen text.", metavar="REGIMEN")],
    out: Annotated[Path, typer.Option("--out", "-o", help="CSV file to write.")],
    hours: Annotated[bool, typer.Option("--hours", help="TIME and II in hours, not days.")] = False,
) -> None:
    """A regimen as a NONMEM-style dosing table (ID, TIME, AMT, EVID, CMT, RATE, II, ADDL)."""
    from tmesim.interop.nonmem import write_nonmem

    path = write_nonmem(out, regimen, time_unit="h" if hours else "day")
    _stdout().print(f"wrote {path}", markup=False)


@import_app.command("nonmem", epilog="Example: tmesim import nonmem doses.csv")
@_reports_errors
def import_nonmem_command(
    file: Annotated[Path, typer.Argument(help="NONMEM-style CSV (DRUG and UNIT columns).")],
    hours: Annotated[bool, typer.Option("--hours", help="TIME and II in hours, not days.")] = False,
) -> None:
    """Print the regimen of every ID of a NONMEM-style dosing table."""
    from tmesim.interop.nonmem import read_nonmem

    for ident, regimen in read_nonmem(file, time_unit="h" if hours else "day").items():
        _stdout().print(f"{ident}: {regimen}", markup=False)


@app.command()
def version() -> None:
    """Print the tmesim version."""
    import tmesim

    _stdout().print(f"tmesim {tmesim.__version__}", markup=False)


if __name__ == "__main__":
    app()
