"""`make soak` (not in CI): a webhook receiver down for 10 minutes with the default retry settings loses
nothing and gets nothing twice. Duration: CITYOPS_SOAK_NOTIFY_OUTAGE_MINUTES (default 10), then up to the
longest retry step (5 minutes) for the deliveries to drain. Figures go to
bench/results/notifications_soak.json."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bench.bench_notifications import outage_run
from bench.infra import infra

pytestmark = [pytest.mark.soak, pytest.mark.timeout(0)]  # runs for minutes on purpose
RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results" / "notifications_soak.json"


def test_ten_minute_receiver_outage_loses_nothing_with_default_retries() -> None:
    outage_s = float(os.environ.get("CITYOPS_SOAK_NOTIFY_OUTAGE_MINUTES", "10")) * 60
    with infra() as inf:
        result = outage_run(inf, outage_s=outage_s, events=300, env={}, drain_s=420)
    RESULTS.write_text(json.dumps(result, indent=2))
    assert result["lost"] == 0, result
    assert result["duplicate_deliveries"] == 0, result
    assert result["extra_delivery_ids"] == 0, result
    assert result["bad_signatures"] == 0, result
