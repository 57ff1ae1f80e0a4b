"""`make bench`: run every ``bench/bench_*.py``, write ``bench/results/<name>.json``, then ``bench/REPORT.md``.

Each module exposes ``run() -> list[dict]``; every figure carries the baseline measured in the same
run and the ratio, so results stay comparable across machines.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
import time
from pathlib import Path

from bench import report

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results"
REQUIRED = {"name", "unit", "value", "baseline_name", "baseline_value", "ratio"}


def machine() -> dict[str, object]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def main(selected: list[str]) -> int:
    RESULTS.mkdir(exist_ok=True)
    modules = sorted(p.stem for p in BENCH_DIR.glob("bench_*.py"))
    if selected:
        modules = [m for m in modules if any(s in m for s in selected)]
    failed = 0
    for name in modules:
        print(f"== {name}", flush=True)
        started = time.time()
        try:
            figures = importlib.import_module(f"bench.{name}").run()
        except Exception as exc:
            failed += 1
            print(f"   FAILED: {type(exc).__name__}: {exc}", flush=True)
            continue
        for fig in figures:
            missing = REQUIRED - fig.keys()
            if missing:
                raise ValueError(f"{name}: figure {fig.get('name')} lacks {sorted(missing)}")
            print(
                f"   {fig['name']}: {fig['value']:.4g} {fig['unit']}  vs {fig['baseline_name']}: "
                f"{fig['baseline_value']:.4g}  ratio {fig['ratio']:.3f}",
                flush=True,
            )
        out = {
            "benchmark": name,
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            "duration_s": round(time.time() - started, 2),
            "machine": machine(),
            "figures": figures,
        }
        (RESULTS / f"{name.removeprefix('bench_')}.json").write_text(json.dumps(out, indent=2))
    print(f"report: {report.write()}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
