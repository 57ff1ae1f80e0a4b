"""``bench/REPORT.md`` and its plots, from what the last runs wrote to ``bench/results/``.

``make bench`` and ``make bench-scale`` regenerate it at their end; ``python -m bench.report`` does it
alone. Every figure is listed against its goal (``bench/goals.py``) and the peer measured in the same
run; a missed goal carries what limits it (``bench/limits.py``).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from bench.goals import goal_of
from bench.limits import LIMITS
from bench.plots import plot_import_batches, plot_latencies, plot_scale

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results"
REPORT = BENCH_DIR / "REPORT.md"
PLOTS = BENCH_DIR / "plots"
SCALE = "scale"


def _num(x: object) -> str:
    if isinstance(x, bool) or not isinstance(x, int | float):
        return str(x)
    if x != x or x in (float("inf"), float("-inf")):
        return "—"
    return f"{x:.4g}" if abs(x) < 1e6 else f"{x:,.0f}"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def load(results: Path = RESULTS) -> dict[str, dict[str, Any]]:
    """Every result file by benchmark name (``scale`` included), oldest run first."""
    loaded = {p.stem: json.loads(p.read_text()) for p in sorted(results.glob("*.json"))}
    return dict(sorted(loaded.items(), key=lambda kv: str(kv[1].get("started_at", ""))))


def _figure_rows(results: dict[str, dict[str, Any]]) -> tuple[list[str], list[str], dict[str, int]]:
    table = [
        "| Benchmark | Figure | Value | Goal | Met | Peer (same run) | Peer value | Ratio |",
        "|---|---|---:|---|:-:|---|---:|---:|",
    ]
    missed: list[str] = []
    counts = {"met": 0, "missed": 0, "no goal": 0}
    for bench, result in results.items():
        for fig in result.get("figures", []):
            goal = goal_of(fig)
            if goal is None:
                verdict, goal_text = "", "—"
                counts["no goal"] += 1
            else:
                ok = goal.met(fig)
                verdict, goal_text = ("✅" if ok else "❌"), goal.text(fig["unit"])
                counts["met" if ok else "missed"] += 1
                if not ok:
                    why = LIMITS.get(fig["name"], "not analysed yet: see the figure's notes")
                    missed.append(f"- **{fig['name']}** ({_num(fig[goal.of])} against {goal_text}): {why}")
            table.append(
                f"| {bench} | {_cell(fig['name'])} | {_num(fig['value'])} {_cell(fig['unit'])} | {goal_text} | "
                f"{verdict} | {_cell(fig['baseline_name'])} | {_num(fig['baseline_value'])} | {_num(fig['ratio'])} |"
            )
    return table, missed, counts


def _notes(results: dict[str, dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for bench, result in results.items():
        machine = result.get("machine", {})
        out.append(
            f"\n### {bench}\n\nRun {result.get('started_at', '?')} in {_num(result.get('duration_s', 0))} s on "
            f"{machine.get('cores', '?')} cores ({machine.get('cpu', '?')}).\n"
        )
        out += [f"- `{fig['name']}`: {_cell(fig.get('notes', ''))}" for fig in result.get("figures", [])]
    return out


def _scale_section(scale: dict[str, Any], plot: str | None) -> list[str]:
    out = ["## Province scale (`make bench-scale`)", ""]
    rows = scale.get("rows", [])
    if rows:
        keys = [k for k in ("replicas", "cameras", "cpu_per_camera", "efficiency") if k in rows[0]]
        extra = [k for k in rows[0] if k not in keys and isinstance(rows[0][k], int | float)]
        out += ["| " + " | ".join(keys + extra) + " |", "|" + "---:|" * len(keys + extra)]
        out += ["| " + " | ".join(_num(r.get(k, "")) for k in keys + extra) + " |" for r in rows]
        out.append("")
    for key in ("failover_s", "lease_ttl_s", "duplicate_frames"):
        if key in scale:
            out.append(f"- `{key}`: {_num(scale[key])}")
    for service, costs in scale.get("fit", {}).items():
        out.append(
            f"- {service}: {_num(1000 * costs['fixed_cores_per_replica'])} ms CPU/s fixed per replica, "
            f"{_num(1000 * costs['cores_per_camera'])} ms CPU/s per camera (least squares over the windows)"
        )
    if scale.get("notes"):
        out.append(f"\n{_cell(scale['notes'])}")
    if plot:
        out += ["", f"![cameras against CPU per replica count]({plot})"]
    plan = scale.get("plan", [])
    if plan:
        keys = [k for k in plan[0] if k != "derived"]
        out += ["", "### The 2,100-camera plan", "", "| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
        out += ["| " + " | ".join(_cell(_num(r.get(k, ""))) for k in keys) + " |" for r in plan]
        out += [f"- {_cell(r['scenario'])}: {_cell(r['derived'])}" for r in plan if r.get("derived")]
    return [*out, ""]


def render(results: dict[str, dict[str, Any]], plots: dict[str, str | None]) -> str:
    scale = results.get(SCALE)
    figures = {k: v for k, v in results.items() if "figures" in v}
    table, missed, counts = _figure_rows(figures)
    ran = sorted(figures)
    every = sorted(p.stem.removeprefix("bench_") for p in BENCH_DIR.glob("bench_*.py"))
    absent = [b for b in every if b not in figures]
    out = [
        "# cityops benchmark report",
        "",
        f"Generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `python -m bench.report` from "
        "`bench/results/*.json`; `make bench` and `make bench-scale` regenerate it. Each figure is a ratio "
        "against a peer measured in the same run; goals come from the issues (`bench/goals.py`).",
        "",
        f"**{counts['met']} goals met, {counts['missed']} missed**, {counts['no goal']} figures without a goal; "
        f"benchmarks in this report: {', '.join(ran) or 'none'}"
        + (f"; not run since the results were last cleared: {', '.join(absent)}." if absent else "."),
        "",
    ]
    if scale:
        out += _scale_section(scale, plots.get("scale"))
    out += ["## Every figure against its goal", "", *table, ""]
    if missed:
        out += ["## Missed goals: what limits them and what would lift them", "", *missed, ""]
    for key, title in (("latency", "Latency distributions"), ("import", "Import rate against batch size")):
        if plots.get(key):
            out += [f"## {title}", "", f"![{title.lower()}]({plots[key]})", ""]
    out += ["## Notes per benchmark", *_notes(figures), ""]
    return "\n".join(out)


def write(results_dir: Path = RESULTS, report: Path = REPORT) -> Path:
    results = load(results_dir)
    figures = [f for v in results.values() for f in v.get("figures", [])]
    plots_dir = report.parent / PLOTS.name
    plots_dir.mkdir(exist_ok=True)
    made = {
        "latency": plot_latencies(figures, plots_dir / "latency.png"),
        "import": plot_import_batches(figures, plots_dir / "import_batches.png"),
        "scale": plot_scale(results.get(SCALE, {}).get("rows", []), plots_dir / "scale.png"),
    }
    relative = {k: (p.relative_to(report.parent).as_posix() if p else None) for k, p in made.items()}
    report.write_text(render(results, relative))
    return report


if __name__ == "__main__":
    print(write(), file=sys.stdout)
