"""Ablations: the mechanisms, not the numbers, carry the validation results.

Each test takes a shipped target's own study, switches one mechanism off and checks that the effect
the target measures goes away (or, for NK cells, that the escape it guards against gets worse). The
same virtual subjects are used with and without the switch (`matched` designs, the same seed), so the
comparison isolates the mechanism. Group sizes are small: these tests check directions and
vanishing effects, not the published values, which only the target files hold.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

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


def _log_volume(result: TrialResult, cohort: str, arm: str, day: float) -> np.ndarray:
    """log10 tumor volume per subject (ordered by patient id) on `day`, or on the last day seen for
    a mouse removed earlier at the humane endpoint."""
    b = result.burden
    b = b[(b.cohort == cohort) & (b.arm == arm) & (b.phase == "primary") & (b.day <= day)]
    last = b.sort_values("day").groupby("patient_id").tail(1).sort_values("patient_id")
    return np.log10(last.tumor_volume_mm3.to_numpy() + 1e-3)


def test_without_myeloid_suppression_ipi549_adds_nothing(tmp_path):
    """De Henau 2016: IPI-549 works by switching off the myeloid suppressive program. With that
    program ablated, adding IPI-549 to checkpoint blockade changes no mouse's tumor; with it
    intact, the same mice do better with IPI-549."""
    study = _study("de_henau_2016_4t1_checkpoint_ipi549_cr", n=10)
    study["cohorts"] = [c for c in study["cohorts"] if c["preset"] == "mouse_4t1"]
    study["follow_up_days"] = 30
    intact = _run(study, tmp_path, "intact")
    ablated_study = _study(
        "de_henau_2016_4t1_checkpoint_ipi549_cr",
        n=10,
        mechanisms={"myeloid_suppression": False},
    )
    ablated_study["cohorts"] = [c for c in ablated_study["cohorts"] if c["preset"] == "mouse_4t1"]
    ablated_study["follow_up_days"] = 30
    ablated = _run(ablated_study, tmp_path, "ablated")

    cohort = study["cohorts"][0]["name"]

    def gain(result: TrialResult) -> np.ndarray:
        return _log_volume(result, cohort, "checkpoint", 21) - _log_volume(
            result, cohort, "checkpoint + IPI-549", 21
        )

    gain_intact, gain_ablated = gain(intact), gain(ablated)
    assert np.median(gain_intact) > 0.5  # IPI-549 shrinks 4T1 tumors by > 3-fold when it can act
    # Doses restart the integrator, so step sequences differ: "nothing" is checked to 1e-3 decades.
    np.testing.assert_allclose(gain_ablated, 0.0, atol=1e-3)


def test_without_tumor_ifng_sensing_anti_ctla4_loses_most_of_its_effect(tmp_path):
    """Gao 2016: the same B16 mice, with tumor IFN-γ sensing intact and lost (the knock-down
    cohort of the target's own study). Anti-CTLA-4's benefit, the days it adds before the humane
    endpoint (follow-up as the cap for survivors), falls by more than half when the tumor cannot
    sense IFN-γ."""
    study = _study("gao_2016_ifngr1_knockdown_escapes_anti_ctla4", n=16)
    result = _run(study, tmp_path, "gao")
    p = result.patients.sort_values("patient_id")
    benefit = {}
    for cohort in (c["name"] for c in study["cohorts"]):
        days = {
            arm: p[(p.cohort == cohort) & (p.arm == arm)].endpoint_day.to_numpy()
            for arm in ("control", "anti-CTLA-4")
        }
        benefit[cohort] = float(np.mean(days["anti-CTLA-4"] - days["control"]))
    intact, lost = benefit["control shRNA"], benefit["IFNGR1 knock-down"]
    assert intact > 2.0  # anti-CTLA-4 adds days of life when the tumor senses IFN-γ
    assert lost < 0.5 * intact


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
    v_nk = _log_volume(with_nk, cohort, arm, 40)
    v_no = _log_volume(no_nk, cohort, arm, 40)
    assert np.all(v_no >= v_nk - 1e-6)  # no mouse does better without NK cells
    assert np.median(v_no - v_nk) > 0.3  # and the tumors left are > 2-fold larger
