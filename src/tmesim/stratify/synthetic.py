"""Synthetic cohorts with a known truth, generated from the model itself.

Virtual tumors are drawn from a human preset with each resistance mechanism switched on or off at
random — myeloid suppression (myeloid output, TAM ceiling and MDSC recruitment raised or lowered),
IFN-γ pathway loss (every clone insensitive), MHC-I loss (B2M loss: MHC-I at 5%) — and grown
untreated to treatment start. Their expression profiles are then written from the simulated cell
populations by a forward model, a documented assumption:

- each gene's expression (TPM-like) is a basal level plus, for every cell state that carries it, a
  loading times that state's abundance (its fraction of the lesion's cells relative to its median
  fraction in the cohort, so a state at its typical abundance adds the loading; :data:`LOADINGS`): CD8/cytolytic genes
  from effector CD8 (and NK) cells, exhaustion genes from exhausted CD8 cells, TAM / TREM2⁺ / MDSC
  genes from those states, IFN-γ-response genes from tumor cells in proportion to the IFN-γ
  response of sensing cells (zero after IFN-γ pathway loss), MHC-I genes from the tumor's MHC-I
  level, IFNG from effector T and NK cells;
- log-normal noise (sd 0.3) on every value; background (housekeeping) genes carry noise only.

Genotypes follow the truth: an IFN-γ-loss tumor carries one qualifying alteration (JAK1/JAK2/
IFNGR1/IFNGR2/IRF1 loss or SOCS1 amplification), an MHC-loss tumor a B2M loss-of-function, and every
tumor some passenger changes that the calls must ignore (missense, one-copy losses). TMB follows the
patient's antigen breadth through the mapping's exponent.

The known best regimen of a tumor is found by simulating its true parameters under every
candidate (:func:`truth_outcomes`): the fewest-agent regimen that makes it respond (deepest
shrinkage among those, then panel order), or the deepest shrinkage if none does.

:func:`evaluate_recommendations` scores recommendations against that truth. An exact match with
the known best is too strict a yardstick on its own: the truth is one deterministic tumor, the
prediction a probability over the ensemble its profile allows, and several regimens often make the
true tumor respond completely (ties at -100%). The criterion (:data:`MATCH_CRITERION`): the
recommendation makes the true tumor respond whenever some regimen does, with no more agents than
the known best; when none does, its true best change is within 10 points of the deepest. Both
counts are reported (:func:`evaluation_summary`), with the exact-or-tied count and how often the
known best lies within the ensemble's 95% interval of the top probability.

Run ``python -m tmesim.stratify.synthetic --out examples --n 16 --seed 7`` to write the example
cohort (expression, mutations, clinical, labels and truth tables).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tmesim.cohorts.baseline import Baseline, grow_to_start
from tmesim.io.atomic import atomic_write
from tmesim.model.builder import Model
from tmesim.parameters.parameter_set import ParameterSet
from tmesim.parameters.presets import get_preset
from tmesim.simulation import simulate
from tmesim.stratify.ensembles import EnsembleSettings, PatientEnsemble, simulate_candidate
from tmesim.stratify.mapping import MEDIAN_TMB, tmb_exponent
from tmesim.stratify.panel import PANEL, Candidate, candidate, n_agents
from tmesim.stratify.recommend import least_sufficient

MYELOID_HIGH = {
    "tumor_myeloid_factor": 4.0,
    "tam_capacity_density": 3.0,
    "mdsc_recruitment_rate": 3.0,
    "ccl2_secretion_tumor_cell": 2.0,
}
"""Factors on the preset's medians for a myeloid-suppressed tumor (their inverses for a
myeloid-poor one); assumed: a several-fold contrast, as between 4T1-like and B16-F10-like tumors."""

CELL_STATES = (
    "tumor",
    "cd8_effector",
    "cd8_exhausted",
    "nk",
    "treg",
    "monocyte",
    "tam_m1",
    "tam_m2",
    "tam_trem2",
    "mdsc",
    "dc",
    "ifng_response",
    "mhc1",
)

LOADINGS: Mapping[str, Mapping[str, float]] = {
    # T and NK cells
    "CD8A": {"cd8_effector": 60, "cd8_exhausted": 60},
    "GZMA": {"cd8_effector": 80, "cd8_exhausted": 20, "nk": 80},
    "PRF1": {"cd8_effector": 60, "cd8_exhausted": 16, "nk": 60},
    "NKG7": {"cd8_effector": 80, "cd8_exhausted": 40, "nk": 100},
    "CCL5": {"cd8_effector": 100, "cd8_exhausted": 60, "nk": 60},
    "CD27": {"cd8_effector": 30, "cd8_exhausted": 30, "treg": 20},
    "CXCR6": {"cd8_effector": 20, "cd8_exhausted": 30},
    "IFNG": {"cd8_effector": 16, "nk": 10},
    "PDCD1": {"cd8_effector": 6, "cd8_exhausted": 50},
    "HAVCR2": {"cd8_exhausted": 50, "tam_m2": 2},
    "LAG3": {"cd8_effector": 4, "cd8_exhausted": 50},
    "TIGIT": {"cd8_effector": 4, "cd8_exhausted": 50, "treg": 40},
    "ENTPD1": {"cd8_exhausted": 40, "treg": 20},
    "TOX": {"cd8_exhausted": 40},
    "CXCL13": {"cd8_exhausted": 50},
    # IFN-γ response of sensing tumor cells, and of M1 macrophages and DCs
    "STAT1": {"ifng_response": 8, "tam_m1": 20},
    "IDO1": {"ifng_response": 6, "dc": 40},
    "CXCL9": {"ifng_response": 6, "tam_m1": 100, "dc": 40},
    "CXCL10": {"ifng_response": 6, "tam_m1": 80},
    "PSMB10": {"ifng_response": 4, "tam_m1": 10},
    "HLA-E": {"ifng_response": 6, "mhc1": 2},
    "CD274": {"ifng_response": 3, "tam_m1": 10},
    "HLA-DRA": {"ifng_response": 4, "tam_m1": 160, "dc": 160, "tam_m2": 40},
    "HLA-DRB1": {"ifng_response": 3, "tam_m1": 120, "dc": 120, "tam_m2": 30},
    "HLA-DQA1": {"ifng_response": 1, "tam_m1": 40, "dc": 60},
    "CMKLR1": {"tam_m1": 30, "dc": 30},
    "PDCD1LG2": {"tam_m1": 10, "dc": 10, "ifng_response": 1},
    "CD276": {"tumor": 1},
    # MHC-I machinery (tumor MHC-I level, relative to normal)
    "HLA-A": {"mhc1": 8},
    "HLA-B": {"mhc1": 8},
    "HLA-C": {"mhc1": 6},
    "B2M": {"mhc1": 16},
    "TAP1": {"mhc1": 1},
    "TAP2": {"mhc1": 1},
    "TAPBP": {"mhc1": 2},
    # myeloid states
    "CD68": {"tam_m1": 60, "tam_m2": 60, "tam_trem2": 60, "monocyte": 10},
    "CD163": {"tam_m2": 60, "tam_trem2": 30},
    "CD84": {"tam_m2": 30, "tam_trem2": 16, "monocyte": 6},
    "MS4A4A": {"tam_m2": 40, "tam_trem2": 16},
    "TREM2": {"tam_trem2": 60, "tam_m2": 4},
    "APOE": {"tam_trem2": 160, "tam_m2": 10},
    "C1QB": {"tam_trem2": 120, "tam_m2": 30},
    "C1QC": {"tam_trem2": 120, "tam_m2": 30},
    "VSIG4": {"tam_trem2": 40, "tam_m2": 6},
    "S100A8": {"monocyte": 120, "mdsc": 160},
    "S100A9": {"monocyte": 120, "mdsc": 160},
    "VCAN": {"monocyte": 60},
    "FCN1": {"monocyte": 60},
    "LYZ": {"monocyte": 120, "tam_m1": 20, "mdsc": 20},
    "CXCR2": {"mdsc": 40},
    "FCGR3B": {"mdsc": 60},
    "CSF3R": {"mdsc": 50},
    "ARG1": {"mdsc": 30},
    "OLR1": {"mdsc": 20, "monocyte": 4},
}
"""Forward model: expression (TPM) a cell state adds at its cohort-median abundance (assumed; the
relative sizes follow which cell type expresses each gene most, e.g. APOE and C1Q highest in
TREM2⁺ macrophages, S100A8/9 in monocytes and neutrophils)."""

BACKGROUND_GENES = (
    "ACTB",
    "GAPDH",
    "RPLP0",
    "PGK1",
    "TBP",
    "HPRT1",
    "GUSB",
    "PPIA",
    "B2M-AS1",
    "YWHAZ",
    "SDHA",
    "UBC",
    "HMBS",
    "TFRC",
    "POLR2A",
    "MKI67",
    "TOP2A",
    "PMEL",
    "MLANA",
    "TYR",
    "SOX10",
    "MITF",
    "KRT8",
    "EPCAM",
    "VIM",
    "COL1A1",
    "PTPRC",
    "ALB",
    "EEF1A1",
    "RPS18",
)
BASAL_TPM = 2.0
NOISE_LOG_SD = 0.3

IFNG_LOSS_ALTERATIONS = (
    ("JAK1", "Frame_Shift_Del"),
    ("JAK2", "HOMDEL"),
    ("IFNGR1", "Nonsense_Mutation"),
    ("IFNGR2", "HOMDEL"),
    ("IRF1", "Splice_Site"),
    ("SOCS1", "AMP"),
)
MHC_LOSS_ALTERATIONS = (("B2M", "Frame_Shift_Ins"), ("B2M", "Nonsense_Mutation"))
PASSENGERS = (
    ("TTN", "Missense_Mutation"),
    ("MUC16", "Missense_Mutation"),
    ("BRAF", "Missense_Mutation"),
    ("NRAS", "Missense_Mutation"),
    ("JAK1", "Missense_Mutation"),
    ("IFNGR1", "HETLOSS"),
    ("B2M", "Silent"),
    ("DNAH5", "Nonsense_Mutation"),
)


@dataclass(frozen=True)
class SyntheticCohort:
    """Profiles with a known truth: what the stratifier reads, and what it should find."""

    expression: pd.DataFrame
    mutations: pd.DataFrame
    clinical: pd.DataFrame
    truth: pd.DataFrame
    """sample, myeloid_high, ifng_loss, mhc_loss, preset"""
    ensembles: list[PatientEnsemble]
    """each tumor's true parameters and state at treatment start (one member)"""


def _truth_parameters(base: ParameterSet, myeloid: bool, ifng_loss: bool, mhc_loss: bool):
    values: dict[str, float] = {
        pid: base[pid].value * (f if myeloid else 1.0 / f) for pid, f in MYELOID_HIGH.items()
    }
    if ifng_loss:
        values.update({f"clone_{k}_ifng_sensing": 0.0 for k in range(4)})
    if mhc_loss:
        values.update({f"clone_{k}_mhc1": 0.05 for k in (0, 1, 3)})
    return base.updated(values, source="synthetic truth")


def _state_fractions(model: Model, P: np.ndarray, Y: np.ndarray) -> pd.DataFrame:
    """Fraction of the lesion's cells in each state (and the tumor's IFN-γ response, MHC-I)."""
    obs = simulate(model, P, Y, np.array([0.0]), None).observables[:, 0, :]

    def o(name: str) -> np.ndarray:
        return obs[:, model.observable_ids.index(name)]

    def y(name: str) -> np.ndarray:
        return Y[:, model.species_index(name)]

    cells = o("lesion_cell_volume") * P[:, model.parameter_index("tumor_cell_density")]
    ec50 = P[:, model.parameter_index("ifng_tumor_ec50")]
    sensing = P[:, model.parameter_index("clone_0_ifng_sensing")]
    tumor = o("tumor_cells") / cells
    out = {
        "tumor": tumor,
        "cd8_effector": y("cd8_effector_tumor") / cells,
        "cd8_exhausted": y("cd8_exhausted_tumor") / cells,
        "nk": y("nk_tumor") / cells,
        "treg": y("treg_tumor") / cells,
        "monocyte": y("monocyte_tumor") / cells,
        "tam_m1": y("tam_m1") / cells,
        "tam_m2": y("tam_m2") / cells,
        "tam_trem2": y("tam_trem2") / cells,
        "mdsc": y("mdsc_tumor") / cells,
        "dc": y("dc_tumor") / cells,
        "ifng_response": tumor * sensing * o("ifng") / (o("ifng") + ec50),
        "mhc1": tumor * o("tumor_mhc1"),
    }
    return pd.DataFrame(out)


def expression_from_states(states: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Genes × samples TPM-like matrix from cell-state fractions (see module docstring)."""
    genes = [*LOADINGS, *BACKGROUND_GENES]
    n = len(states)
    mean = np.full((len(genes), n), BASAL_TPM)
    reference = states.median().where(states.median() > 0, states.mean()).replace(0.0, 1.0)
    for i, g in enumerate(LOADINGS):
        for state, w in LOADINGS[g].items():
            mean[i] += w * states[state].to_numpy() / reference[state]
    background = np.exp(rng.uniform(np.log(10.0), np.log(1000.0), len(BACKGROUND_GENES)))
    mean[len(LOADINGS) :] = background[:, None]
    values = mean * np.exp(NOISE_LOG_SD * rng.standard_normal(mean.shape))
    return pd.DataFrame(values, index=pd.Index(genes, name="gene"), columns=states.index)


def rescale(expression: pd.DataFrame, scale: str) -> pd.DataFrame:
    """The same matrix in another monotone scale: "tpm", "log2" (log2(TPM + 1)), "rank"
    (within-cohort rank of each gene) or "counts" (TPM times a library-size factor)."""
    if scale == "tpm":
        return expression
    if scale == "log2":
        return np.log2(expression + 1.0)
    if scale == "rank":
        return expression.rank(axis=1)
    if scale == "counts":
        return expression * 37.5
    raise ValueError(f"unknown scale {scale!r}")


def make_synthetic_cohort(
    n: int,
    seed: int,
    *,
    preset: str = "human_melanoma",
    model: Model | None = None,
    p_myeloid: float = 0.4,
    p_ifng_loss: float = 0.2,
    p_mhc_loss: float = 0.15,
    n_threads: int | None = None,
) -> SyntheticCohort:
    """`n` synthetic tumors (fewer if some never reach their start size) with known truth."""
    from tmesim.model import build_model

    model = model or build_model()
    rng = np.random.default_rng(seed)
    flags = pd.DataFrame(
        {
            "myeloid_high": rng.random(n) < p_myeloid,
            "ifng_loss": rng.random(n) < p_ifng_loss,
            "mhc_loss": rng.random(n) < p_mhc_loss,
        }
    )
    base = get_preset(preset)
    P = np.full((n, len(model.parameters)), np.nan)
    Y = np.full((n, len(model.species)), np.nan)
    ok = np.zeros(n, dtype=bool)
    params: dict[int, ParameterSet] = {}
    for key, group in flags.groupby(list(flags.columns)):
        truth = _truth_parameters(base, *(bool(k) for k in key))
        ids = group.index.to_numpy(dtype=np.int64)
        b = grow_to_start(truth, model, ids, seed, n_threads=n_threads, cache=False)
        P[ids], Y[ids], ok[ids] = b.P, b.Y, b.plausible
        for i in ids:
            params[int(i)] = truth
    keep = np.flatnonzero(ok)
    names = [f"SYN{i:03d}" for i in keep]
    states = _state_fractions(model, P[keep], Y[keep])
    states.index = names
    expression = expression_from_states(states, rng)
    truth = flags.iloc[keep].set_index(pd.Index(names, name="sample"))
    truth["preset"] = preset
    for col in ("mdsc", "tam_m2", "tam_trem2", "cd8_effector", "cd8_exhausted"):
        truth[f"fraction_{col}"] = states[col].to_numpy()
    breadth = P[keep, model.parameter_index("tumor_antigen_breadth")]
    tmb = MEDIAN_TMB[preset][0] * (breadth / base["tumor_antigen_breadth"].value) ** (
        1.0 / tmb_exponent()
    )
    clinical = pd.DataFrame(
        {
            "sample": names,
            "cancer_type": preset.removeprefix("human_"),
            "tmb": np.round(tmb, 1),
            "msi": "MSS",
            "prior_therapy": "none",
        }
    )
    mutations = _mutations(truth, rng)
    ensembles = [
        PatientEnsemble(
            name,
            preset,
            params[int(i)],
            Baseline(
                np.array([0]),
                P[i : i + 1],
                Y[i : i + 1],
                pd.DataFrame({"patient_id": [0], "plausible": [True]}),
            ),
        )
        for name, i in zip(names, keep, strict=True)
    ]
    return SyntheticCohort(expression, mutations, clinical, truth, ensembles)


def _mutations(truth: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for sample, t in truth.iterrows():
        if t["ifng_loss"]:
            rows.append((sample, *IFNG_LOSS_ALTERATIONS[rng.integers(len(IFNG_LOSS_ALTERATIONS))]))
        if t["mhc_loss"]:
            rows.append((sample, *MHC_LOSS_ALTERATIONS[rng.integers(len(MHC_LOSS_ALTERATIONS))]))
        for k in rng.choice(len(PASSENGERS), size=rng.integers(1, 4), replace=False):
            rows.append((sample, *PASSENGERS[k]))
    return pd.DataFrame(
        rows, columns=["Tumor_Sample_Barcode", "Hugo_Symbol", "Variant_Classification"]
    )


def truth_outcomes(
    cohort: SyntheticCohort,
    candidates: Sequence[Candidate] = PANEL,
    settings: EnsembleSettings | None = None,
    model: Model | None = None,
    n_threads: int | None = None,
) -> pd.DataFrame:
    """Each tumor's true parameters under every candidate: best response and best % change."""
    from tmesim.model import build_model

    model = model or build_model()
    settings = settings or EnsembleSettings()
    frames = [
        simulate_candidate(cohort.ensembles, c, model, settings, n_threads=n_threads)
        for c in candidates
    ]
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True).drop(columns=["member"])


def known_best(outcomes: pd.DataFrame) -> pd.Series:
    """Per sample: the fewest-agent regimen that makes the true tumor respond (deepest shrinkage
    among those, then panel order), else the regimen with the deepest shrinkage; the same rule
    (:func:`~tmesim.stratify.recommend.least_sufficient`) that names each virtual patient's best."""
    return least_sufficient(outcomes).rename("known_best")


NO_RESPONSE_TOLERANCE = 10.0
"""Percentage points of best change within which a recommendation counts as the deepest
shrinkage when no regimen makes the true tumor respond (assumed: below RECIST's 30-point PR
threshold and the 20-point PD threshold, so such a difference does not change the reading)."""

MATCH_CRITERION = (
    "The recommendation is right when it makes the true tumor respond whenever some regimen "
    "does (CR or PR of its true parameters) with no more agents than the known best, or, when "
    "no regimen does, when its true best change is within "
    f"{NO_RESPONSE_TOLERANCE:g} percentage points of the deepest."
)
"""What `evaluate_recommendations` counts as a correct recommendation (column `right`)."""


def evaluate_recommendations(
    recommended: pd.Series, predictions: pd.DataFrame, outcomes: pd.DataFrame
) -> pd.DataFrame:
    """Per sample: recommended vs known best by the truth (`outcomes` of `truth_outcomes`).

    Columns: recommended, known_best, exact (the same regimen), tied (the recommendation is one
    of the fewest-agent regimens with the known best's response and change), any_response,
    recommended_responds, recommended_agents, known_best_agents, right (:data:`MATCH_CRITERION`),
    best_within_ci (the known best's 95% interval of predicted probability reaches the top
    regimen's probability: the ensemble cannot tell them apart) and the probabilities.
    """
    best = known_best(outcomes)
    truth = outcomes.set_index(["sample", "regimen"])
    pred = predictions.set_index(["sample", "regimen"])
    rows = []
    for sample, rec in recommended.items():
        kb = best[sample]
        g = truth.loc[sample]
        any_response = bool(g["responder"].any())
        rec_responds = bool(g.loc[rec, "responder"])
        deepest = float(g["best_percent_change"].min())
        rec_change = float(g.loc[rec, "best_percent_change"])
        if any_response:
            right = rec_responds and n_agents(rec) <= n_agents(kb)
        else:
            right = rec_change <= deepest + NO_RESPONSE_TOLERANCE
        same = (g["responder"] == g.loc[kb, "responder"]) & (
            g["best_percent_change"] == g.loc[kb, "best_percent_change"]
        )
        tied = bool(same[rec]) and n_agents(rec) == n_agents(kb)
        p = pred.loc[sample]
        top = float(p["probability"].max())
        rows.append(
            {
                "sample": sample,
                "recommended": rec,
                "known_best": kb,
                "exact": rec == kb,
                "tied": tied,
                "any_response": any_response,
                "recommended_responds": rec_responds,
                "recommended_agents": n_agents(rec),
                "known_best_agents": n_agents(kb),
                "right": bool(right),
                "best_within_ci": bool(p.loc[kb, "ci_high"] >= top),
                "p_recommended": float(p.loc[rec, "probability"]),
                "p_known_best": float(p.loc[kb, "probability"]),
                "p_top": top,
                "true_change_recommended": rec_change,
                "true_change_deepest": deepest,
            }
        )
    return pd.DataFrame(rows).set_index("sample")


def evaluation_summary(evaluation: pd.DataFrame) -> dict[str, int]:
    """Counts of an `evaluate_recommendations` table: tumors, exact matches, ties, right by
    :data:`MATCH_CRITERION`, known best within the ensemble's uncertainty, and responders."""
    e = evaluation
    return {
        "tumors": len(e),
        "exact": int(e["exact"].sum()),
        "exact_or_tied": int((e["exact"] | e["tied"]).sum()),
        "right": int(e["right"].sum()),
        "known_best_within_ci": int(e["best_within_ci"].sum()),
        "any_response": int(e["any_response"].sum()),
        "recommended_responds": int(e["recommended_responds"].sum()),
    }


def write_example(
    out_dir: Path,
    n: int = 16,
    seed: int = 7,
    *,
    prefix: str = "stratify_",
    received: Sequence[str] = ("anti-PD-1", "anti-CTLA-4", "anti-PD-1 + anti-CTLA-4"),
) -> dict[str, Path]:
    """Write a small synthetic cohort (expression, mutations, clinical, labels, truth) as TSVs.

    Labels: each tumor receives one of `received` (from the seed) and is a responder when its
    true parameters respond to it.
    """
    cohort = make_synthetic_cohort(n, seed)
    outcomes = truth_outcomes(cohort, [candidate(r) for r in received])
    rng = np.random.default_rng(seed + 1)
    given = {s: received[rng.integers(len(received))] for s in cohort.truth.index}
    resp = outcomes.set_index(["sample", "regimen"])["responder"]
    labels = pd.DataFrame(
        {
            "sample": list(given),
            "responder": ["yes" if resp[(s, r)] else "no" for s, r in given.items()],
            "regimen": list(given.values()),
        }
    )
    out_dir = Path(out_dir)
    expr = cohort.expression.map(lambda v: float(f"{v:.5g}"))
    files = {
        "expression": (expr, True),
        "mutations": (cohort.mutations, False),
        "clinical": (cohort.clinical, False),
        "labels": (labels, False),
        "truth": (cohort.truth.reset_index(), False),
    }
    paths = {}
    for name, (frame, index) in files.items():
        path = out_dir / f"{prefix}{name}.tsv"
        atomic_write(path, lambda tmp, f=frame, i=index: f.to_csv(tmp, sep="\t", index=i))
        paths[name] = path
    return paths


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Write a synthetic stratification cohort.")
    ap.add_argument("--out", type=Path, default=Path("examples"))
    ap.add_argument("--prefix", default="stratify_")
    ap.add_argument("--n", type=int, default=16)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    for name, path in write_example(args.out, args.n, args.seed, prefix=args.prefix).items():
        print(f"{name}: {path}")


if __name__ == "__main__":
    main()
