"""The bench report: every figure against its goal, misses explained, plots drawn from what was measured."""

from __future__ import annotations

import json
from pathlib import Path

from bench import report
from bench.figures import figure, quantile_points
from bench.goals import goal_of


def _result(figures: list[dict[str, object]]) -> str:
    run = {"started_at": "2026-12-06T00:00:00Z", "duration_s": 1, "machine": {"cores": 2}}
    return json.dumps({**run, "figures": figures})


def test_each_figure_is_judged_against_its_goal_and_a_miss_is_listed(tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    slow = figure("case_list_p95", "ms", 250.0, "raw SQL", 10.0, "", samples=[1.0, 2.0, 300.0])
    fast = figure("alert_to_case_p99", "ms", 40.0, "nats", 1.0, "")
    proxied = figure("proxied_get_rps", "req/s", 700.0, "direct", 1000.0, "") | {
        "goal": {"op": ">=", "value": 0.6, "of": "ratio"}
    }
    batches = [figure(f"reports_import_batch_{n}", "values/s", n, "COPY", 2 * n, "") | {"batch": n} for n in (10, 100)]
    (results / "cases.json").write_text(_result([slow, fast, proxied, *batches]))
    (results / "scale.json").write_text(
        json.dumps(
            {"rows": [{"replicas": 1, "cameras": 8, "cpu_per_camera": 0.02, "efficiency": 1.0}], "failover_s": 9}
        ),
    )
    text = report.write(results, tmp_path / "REPORT.md").read_text()

    assert "**2 goals met, 1 missed**, 2 figures without a goal" in text
    assert "| cases | case_list_p95 | 250 ms | ≤ 200 ms | ❌ |" in text
    assert "| cases | alert_to_case_p99 | 40 ms | ≤ 1000 ms | ✅ |" in text
    # The figure's own goal wins over the registry's (0.7 meets ≥ 0.6, not ≥ 0.8).
    assert "| proxied_get_rps | 700 req/s | ≥ 0.6× peer | ✅ |" in text
    assert "- **case_list_p95** (250 against ≤ 200 ms)" in text
    assert "- `failover_s`: 9" in text
    absent = text.split("not run since the results were last cleared: ")[1].split(".")[0].split(", ")
    assert "gateway" in absent
    assert "cases" not in absent
    for plot in ("latency.png", "import_batches.png", "scale.png"):
        assert (tmp_path / "plots" / plot).read_bytes().startswith(b"\x89PNG"), plot
        assert f"(plots/{plot})" in text


def test_without_samples_or_batches_no_plot_is_claimed(tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    (results / "nats.json").write_text(_result([figure("nats_roundtrip_50kb_p50", "ms", 1.0, "raw", 1.0, "")]))
    text = report.write(results, tmp_path / "REPORT.md").read_text()
    assert "plots/" not in text
    assert not list((tmp_path / "plots").iterdir())
    assert goal_of({"name": "nats_roundtrip_50kb_p50"}) is None


def test_kept_samples_keep_the_shape_of_a_long_run() -> None:
    points = quantile_points([float(i) for i in range(10_001)])
    assert len(points) == 200
    assert points[0] < 100
    assert points[-1] > 9900
    assert points == sorted(points)
