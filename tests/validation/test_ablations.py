"""Ablations: the mechanisms, not the numbers, carry the validation results.

Each test takes a shipped target's own study, switches a mechanism off through the model's declared
switch (`tmesim.model.MECHANISMS`, a cohort's `mechanisms`) and measures, on the full model, what
the mechanism carries: a difference between the intact and the ablated model on the same virtual
subjects (`matched` designs, the same seed), never a quantity that the switch sets to zero by
construction. Group sizes are small: these tests check how large effects are and what carries them,
not the published values, which only the target files hold.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from tmesim.config.trial import trial_from_dict
from tmesim.trials.trial import Trial, TrialResult
from tmesim.validation.targets import load_targets


def _study(target_id: str, n: int, **cohort_changes: Any) -> dict[str, Any]:
    """The target's study at `n` subjects per cohort; `cohort_changes` merge into every cohort."""
    (target,) = load_targets([target_id])
    assert target.study is not None
    study = copy.deepcopy(target.study)
    study.pop("rechallenge", None)
    for cohort in study["cohorts"]:
        cohort["n"] = n
        for key, value in cohort_changes.items():
            cohort[key] = {**cohort.get(key, {}), **value}
    return study


def _run(study: dict[str, Any], tmp_path, name: str) -> TrialResult:
    return Trial(trial_from_dict(study)).run(tmp_path / name, report=False)


def _log_volume(
    result: TrialResult, cohort: str, arm: str, day: float, column: str = "tumor_volume_mm3"
) -> np.ndarray:
    """log10 tumor volume per subject (ordered by patient id) on `day`, or on the last day seen for
    a mouse removed earlier at the humane endpoint."""
    b = result.burden
    b = b[(b.cohort == cohort) & (b.arm == arm) & (b.phase == "primary") & (b.day <= day)]
    last = b.sort_values("day").groupby("patient_id").tail(1).sort_values("patient_id")
    return np.log10(last[column].to_numpy(dtype=float) + 1e-3)


DE_HENAU = "de_henau_2016_4t1_checkpoint_ipi549_cr"
CHECKPOINT, WITH_IPI549 = "checkpoint", "checkpoint + IPI-549"


def _de_henau_log_volumes(
    tmp_path, name: str, **cohort_changes: Any
) -> dict[tuple[str, str], np.ndarray]:
    """log10 volume on day 21 of each mouse of 4T1 (myeloid-rich) and B16-F10 (myeloid-poor)
    under checkpoint blockade with and without IPI-549, by (cohort, arm)."""
    study = _study(DE_HENAU, n=10, **cohort_changes)
    study["cohorts"] = [c for c in study["cohorts"] if c["preset"] in ("mouse_4t1", "mouse_b16f10")]
    study["arms"] = [a for a in study["arms"] if a["name"] in (CHECKPOINT, WITH_IPI549)]
    study["follow_up_days"] = 30
    result = _run(study, tmp_path, name)
    return {
        (c["name"], arm): _log_volume(result, c["name"], arm, 21)
        for c in study["cohorts"]
        for arm in (CHECKPOINT, WITH_IPI549)
    }


def test_ipi549_gain_is_large_in_4t1_small_in_b16f10_and_carried_by_myeloid_suppression(tmp_path):
    """De Henau 2016: IPI-549 works by switching off the PI3Kγ-driven suppressive program of
    myeloid cells, so it helps myeloid-rich tumors and hardly myeloid-poor ones. Measured on the
    intact model (gain: log10 volume under checkpoint blockade minus under checkpoint blockade +
    IPI-549, per mouse, day 21), and on the same mice with myeloid suppression switched off:

    - in 4T1, IPI-549 shrinks tumors by more than 3-fold (median gain > 0.5 decades);
    - that gain is carried by myeloid suppression: removing the mechanism gives the same mice,
      under checkpoint blockade alone, about what IPI-549 gives them (medians within 25%, and
      IPI-549 mice within 0.3 decades of the ablated ones) — IPI-549 acts through the pathway,
      removes most of it, and adds little beside it;
    - in B16-F10, whose myeloid suppression is weak (removing it gains < 0.1 decades), IPI-549
      gains less than 0.2 decades, under a fifth of its 4T1 gain.

    Caught, for instance: IPI-549 too weak or without exposure (small 4T1 gain, short of the
    ablation), IPI-549 acting beside the pathway (gain beyond the ablation's), myeloid suppression
    too weak in 4T1 or too strong in B16-F10.
    """
    intact = _de_henau_log_volumes(tmp_path, "intact")
    ablated = _de_henau_log_volumes(tmp_path, "ablated", mechanisms={"myeloid_suppression": False})

    def ipi549_gain(cohort: str) -> np.ndarray:
        return intact[cohort, CHECKPOINT] - intact[cohort, WITH_IPI549]

    def ablation_gain(cohort: str) -> np.ndarray:
        return intact[cohort, CHECKPOINT] - ablated[cohort, CHECKPOINT]

    gain_4t1 = float(np.median(ipi549_gain("4T1")))
    assert gain_4t1 > 0.5
    assert float(np.median(ablation_gain("4T1"))) == pytest.approx(gain_4t1, rel=0.25)
    # on each mouse, IPI-549 in the intact model ends where checkpoint alone ends without
    # myeloid suppression
    residual = intact["4T1", WITH_IPI549] - ablated["4T1", CHECKPOINT]
    assert float(np.median(np.abs(residual))) < 0.3
    gain_b16 = float(np.median(ipi549_gain("B16-F10")))
    assert float(np.median(ablation_gain("B16-F10"))) < 0.1
    assert gain_b16 < 0.2 and gain_b16 < gain_4t1 / 5


def test_anti_ctla4_benefit_is_carried_by_tumor_ifng_sensing(tmp_path):
    """Gao 2016: anti-CTLA-4 needs the tumor to sense IFN-γ. Benefit: the days anti-CTLA-4 adds
    before the humane endpoint (follow-up as the cap for survivors), mean over the same B16 mice.
    Measured on the target's own study (control shRNA and IFNGR1 knock-down cohorts), and on the
    control cohort with IFN-γ's direct action on tumor cells (growth arrest and killing) switched
    off, then with IFN-γ-induced PD-L1 switched off:

    - with the pathway intact, anti-CTLA-4 adds more than 2 days;
    - the knock-down tumors, and the same tumors without IFN-γ's direct action, keep less than
      half of it: the benefit runs through IFN-γ acting on the tumor;
    - without IFN-γ-induced PD-L1 the benefit grows: induced PD-L1 is adaptive resistance that
      brakes the response (the killing it brakes is what anti-CTLA-4 adds).
    """
    study = _study("gao_2016_ifngr1_knockdown_escapes_anti_ctla4", n=16)
    control = study["cohorts"][0]["name"]

    def benefit(name: str, mechanisms: dict[str, bool] | None = None) -> dict[str, float]:
        changed = copy.deepcopy(study)
        if mechanisms:
            changed["cohorts"][0]["mechanisms"] = {
                **changed["cohorts"][0].get("mechanisms", {}),
                **mechanisms,
            }
        p = _run(changed, tmp_path, name).patients.sort_values("patient_id")
        out = {}
        for cohort in (c["name"] for c in changed["cohorts"]):
            days = {
                arm: p[(p.cohort == cohort) & (p.arm == arm)].endpoint_day.to_numpy()
                for arm in ("control", "anti-CTLA-4")
            }
            out[cohort] = float(np.mean(days["anti-CTLA-4"] - days["control"]))
        return out

    intact = benefit("intact")
    knock_down = intact[study["cohorts"][1]["name"]]
    without_direct = benefit("no_direct", {"ifng_direct": False})[control]
    without_pdl1 = benefit("no_pdl1", {"ifng_pdl1": False})[control]
    assert intact[control] > 2.0
    assert knock_down < 0.5 * intact[control]
    assert without_direct < 0.5 * intact[control]
    assert without_pdl1 > intact[control] + 1.0


def test_without_nk_cells_mhc1_loss_escape_gets_worse(tmp_path):
    """Tumors that lose MHC-I escape CD8 T cells; NK cells kill them by missing-self. In the
    Mestrallet quadruple-blockade study, give the MMR-deficient tumors an MHC-I-low variant (B2M
    loss, emerging at a set rate per division) and remove NK killing: no mouse does better, and the
    tumors left are larger."""
    variant = {"clone_2_mhc1": 0.05, "clone_2_emergence_rate": 1e-4}
    base = _study("mestrallet_mmr_deficient_quadruple_clearance", n=16, parameters=variant)
    base["cohorts"] = base["cohorts"][:1]
    base["follow_up_days"] = 40
    with_nk = _run(base, tmp_path, "with_nk")
    no_nk_study = copy.deepcopy(base)
    no_nk_study["cohorts"][0]["mechanisms"] = {
        **no_nk_study["cohorts"][0].get("mechanisms", {}),
        "nk_missing_self": False,
    }
    no_nk = _run(no_nk_study, tmp_path, "no_nk")

    cohort = base["cohorts"][0]["name"]
    arm = "quadruple"
    # the tumor left: its living cells (the measured volume also holds the scar of killed cells)
    v_nk = _log_volume(with_nk, cohort, arm, 40, "lesion_cell_volume")
    v_no = _log_volume(no_nk, cohort, arm, 40, "lesion_cell_volume")
    assert np.all(v_no >= v_nk - 1e-6)  # no mouse does better without NK cells
    assert np.median(v_no - v_nk) > 0.3  # and the tumors left are > 2-fold larger
