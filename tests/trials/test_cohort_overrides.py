"""A cohort's parameter overrides hold in every arm, drug parameters included (the regimen's
catalog PK does not undo them): what `tmesim validate --set` and calibration rely on."""

from __future__ import annotations

from studyhelp import clinical_trial

from tmesim.trials.study import Study


def test_a_cohort_override_of_a_drug_parameter_reaches_the_arms():
    scenario = clinical_trial()
    data = scenario.model_dump(mode="json")
    plain = Study(scenario, n_threads=1)
    catalog = plain.arm_sims[0][0].parameters["anti_ctla4_kd"].value
    data["cohorts"][0]["parameters"] = {"anti_ctla4_kd": 1e9, "cd8_kill_rate": 0.5}
    study = Study(type(scenario).model_validate(data), n_threads=1)
    for arm_sim in study.arm_sims[0]:
        assert arm_sim.parameters["anti_ctla4_kd"].value == 1e9 != catalog
        assert arm_sim.parameters["cd8_kill_rate"].value == 0.5
