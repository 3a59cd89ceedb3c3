"""The validation page: every target's published interval drawn, the accepted region of its rule,
clean citations, target ids on the page. Rendered from hand-made simulated values (no study is
simulated here)."""

from __future__ import annotations

import math
import re

import pytest

from tmesim.trials.statistics import proportion_ci
from tmesim.validation.acceptance import judge
from tmesim.validation.metrics import MetricValue
from tmesim.validation.page import (
    accepted_region,
    published_bounds,
    render_page,
    target_figure,
)
from tmesim.validation.record import load_record
from tmesim.validation.runner import validation_table
from tmesim.validation.targets import load_targets

TARGETS = load_targets()
BY_ID = {t.id: t for t in TARGETS}
# Internal notes that belong in citation_notes or published.notes, not in the reference.
INTERNAL = re.compile(r"\[[^\]]*\]|seeds/|LITERATURE\.md")


def _value(target, offset: float = 0.0) -> MetricValue:
    """A simulated value near the published one (or on the expected side of no effect)."""
    p, a = target.published, target.acceptance
    if p.value is not None:
        center = p.value
    else:
        step = a.min_size + 0.1
        center = a.no_effect + (step if a.sign == "positive" else -step)
    v = (center + offset) / target.scale
    return MetricValue(v, v - 0.05 * abs(v) - 1e-3, v + 0.05 * abs(v) + 1e-3, 50, detail="test")


def _published_row_segments(fig) -> list[tuple[float, float]]:
    ax = fig.axes[0]
    return [
        (float(min(line.get_xdata())), float(max(line.get_xdata())))
        for line in ax.get_lines()
        if len(line.get_xdata()) == 2 and list(line.get_ydata()) == [1, 1]
    ]


@pytest.mark.parametrize("target", TARGETS, ids=[t.id for t in TARGETS])
def test_every_target_with_an_uncertainty_has_its_published_interval_drawn(target):
    interval = published_bounds(target)
    p = target.published
    if p.ci is None and p.range is None and p.events is None:
        assert interval is None
        return
    assert interval is not None and interval.low <= interval.high
    value = _value(target)
    fig = target_figure(target, value, judge(target, value))
    segments = _published_row_segments(fig)
    assert any(
        math.isclose(a, interval.low, abs_tol=1e-9) and math.isclose(b, interval.high, abs_tol=1e-9)
        for a, b in segments
    ), (segments, interval)


def test_k_of_n_is_drawn_as_the_interval_the_rule_uses_not_a_point():
    target = BY_ID["de_henau_2016_4t1_checkpoint_ipi549_cr"]
    p = target.published
    interval = published_bounds(target)
    low, high = proportion_ci(p.events, p.n, method="wilson")
    assert interval is not None and interval.from_counts
    assert (interval.low, interval.high) == pytest.approx((100 * low, 100 * high))
    assert interval.high - interval.low > 30  # 8 of 10 is far from a point


@pytest.mark.parametrize(
    "target",
    [t for t in TARGETS if t.acceptance.rule == "consistent"],
    ids=lambda t: t.id,
)
def test_consistent_rule_accepts_the_published_value_and_rejects_far_values(target):
    """With a narrow simulated interval, the published estimate itself passes and a value far
    outside the published interval fails: the drawn interval is the one the rule reads."""
    interval = published_bounds(target)
    assert interval is not None
    s = target.scale
    centre = target.published.value
    assert centre is not None

    def at(x: float) -> MetricValue:
        v = x / s
        return MetricValue(v, v - 1e-6 * abs(v) - 1e-9, v + 1e-6 * abs(v) + 1e-9, 10_000)

    assert judge(target, at(centre)).passed
    width = interval.high - interval.low
    outside = interval.high + width if interval.high + width > 0 else interval.high * 4
    if target.metric.type in {"median_survival", "hazard_ratio", "observable_ratio"}:
        outside = interval.high * 4
    assert not judge(target, at(outside)).passed


def test_direction_only_targets_draw_their_accepted_region():
    for target in (t for t in TARGETS if t.published.value is None):
        a = target.acceptance
        low, high = accepted_region(target)
        far = math.inf if a.max_size is None else a.max_size
        if a.sign == "positive":
            assert (low, high) == (a.no_effect + a.min_size, a.no_effect + far)
        else:
            assert (low, high) == (a.no_effect - far, a.no_effect - a.min_size)
        value = _value(target)
        fig = target_figure(target, value, judge(target, value))
        # the expected region, shaded on the published row
        assert any(
            c.get_paths() and c.get_paths()[0].vertices[:, 1].max() > 1.0
            for c in fig.axes[0].collections
        )


def test_citations_are_clean_references():
    """Notes such as "[r]", "[secondary; ...]" or "(seeds/000: ...)" live in citation_notes or
    published.notes, where they are shown as notes."""
    dirty = {t.id: t.citation for t in TARGETS if INTERNAL.search(t.citation)}
    assert not dirty, dirty


def test_page_shows_every_target_id_with_a_clean_citation():
    rows = []
    for i, target in enumerate(TARGETS):
        value = _value(target, offset=0.0 if i % 3 else 1000.0)  # some fail
        rows.append((target, value, judge(target, value), 0.1, 50))
    record = load_record()
    table = validation_table(rows, record)
    html = render_page(table, rows, record)
    for target in TARGETS:
        assert f'id="{target.id}"' in html  # the card, linked from the summary
        assert f'href="#{target.id}"' in html
        # the id is shown whole (breaks only as optional <wbr> after underscores)
        assert target.id.replace("_", "_<wbr>") in html
    for target in TARGETS:
        if target.citation_notes:
            assert target.citation_notes.split("(")[0].strip() in html
    assert int(table["passed"].sum()) < len(table)  # the fails are shown as such
    assert html.count('class="card fail"') == int((~table["passed"]).sum())


def _sensitivity_run(folder, output: str, assumed_top: bool):
    """A finished `tmesim sensitivity` run's two tables, written by the module's own functions."""
    import pandas as pd

    from tmesim.validation.sensitivity.run import CSV_FILE, FLAGS_FILE, carried_by

    provenances = ["assumed", "calibrated", "sourced"] if assumed_top else ["sourced"] * 3
    table = pd.DataFrame(
        {
            "output": output,
            "parameter": ["k_a", "k_b", "k_c"],
            "provenance": provenances,
            "index": "mu_star",
            "value": [30.0, 10.0, 1.0],
            "rank": [1, 2, 3],
        }
    )
    folder.mkdir()
    table.to_csv(folder / CSV_FILE, index=False)
    carried_by(table, "morris").to_csv(folder / FLAGS_FILE, index=False)
    return folder


def test_page_shows_what_carries_each_target_from_sensitivity_runs(tmp_path):
    from tmesim.errors import ConfigError
    from tmesim.validation.sensitivity.run import read_carrying

    flagged, plain = TARGETS[0].id, TARGETS[1].id
    carrying = read_carrying(
        [
            _sensitivity_run(tmp_path / "a", flagged, assumed_top=True),
            _sensitivity_run(tmp_path / "b", plain, assumed_top=False),
        ],
        top=2,
    )
    assert carrying[flagged].startswith("k_a (assumed, mu_star 30); k_b (calibrated")
    assert "k_c" not in carrying[flagged]  # only the top two
    assert "carried mostly by assumed values" in carrying[flagged]
    assert "carried mostly" not in carrying[plain]
    rows = [(t, _value(t), judge(t, _value(t)), 0.1, 50) for t in TARGETS[:3]]
    record = load_record()
    html = render_page(validation_table(rows, record), rows, record, carrying=carrying)
    assert html.count("Carried by") == 2
    with pytest.raises(ConfigError, match="tmesim sensitivity"):
        read_carrying([tmp_path / "missing"])
