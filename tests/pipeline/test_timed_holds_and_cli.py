"""Timed holds released by the scheduler; rules and connections managed from the CLI."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from tests.pipeline.conftest import Clock, Pipeline
from warpware.db import Database

TIMED_HOLD = {"name": "Cool-off", "stage": "hold", "priority": 1,
              "actions": [{"type": "hold", "reason": "Fraud review window", "for_minutes": 30}]}


def test_timed_hold_releases_itself_when_due(pipeline: Pipeline, clock: Clock) -> None:
    assert pipeline.tenant.post("/partner/v1/rules", json=TIMED_HOLD).status_code == 201
    order_id = pipeline.order("TH-1")
    pipeline.run_jobs()
    order = pipeline.get(order_id)
    assert (order["status"], order["hold_reason"]) == ("hold", "Fraud review window")
    hold_until = dt.datetime.fromisoformat(str(order["hold_until"]).replace("Z", "+00:00"))
    assert abs((hold_until - clock.now).total_seconds() - 1800) < 1
    clock.advance(29 * 60)
    pipeline.run_jobs()
    assert pipeline.get(order_id)["status"] == "hold"
    clock.advance(61)
    pipeline.run_jobs()
    # Its time served, the timed rule does not hold the order again: it goes on to the warehouse.
    assert pipeline.get(order_id)["status"] == "processing"
    released = [e for e in pipeline.events(order_id) if e["type"] == "released"]
    assert [e["actor"] for e in released] == ["scheduler"]


def _cli(db: Database, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "warpware.cli", *args], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "WARPWARE_DATABASE_URL": db.url})


def test_rules_and_connections_from_the_cli(db: Database, pipeline: Pipeline, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("- name: Big orders\n  stage: hold\n  conditions: {all: [{field: order_value, op: gt, "
                     "value: 1000}]}\n  actions: [{type: hold, reason: Over 1000}]\n")
    loaded = _cli(db, "rules", "load", "--account", pipeline.tenant.account, str(rules))
    assert loaded.returncode == 0, loaded.stderr
    assert "loaded 1 rule(s)" in loaded.stderr
    names = [r["name"] for r in pipeline.tenant.get("/partner/v1/rules").json()["data"]]
    assert names == ["Big orders"]
    rules.write_text("- name: Broken\n  stage: hold\n  actions: [{type: teleport}]\n")
    broken = _cli(db, "rules", "load", "--account", pipeline.tenant.account, str(rules))
    assert broken.returncode == 2 and "Invalid rules file" in broken.stderr
    created = _cli(db, "connections", "create", "--account", pipeline.tenant.account, "--name", "CLI DC",
                   "--type", "sandbox", "--settings", '{"base_url": "http://127.0.0.1:9"}')
    assert created.returncode == 0, created.stderr
    listed = _cli(db, "connections", "list", "--account", pipeline.tenant.account)
    assert created.stdout.strip() in listed.stdout and "CLI DC" in listed.stdout
    bad = _cli(db, "connections", "create", "--account", pipeline.tenant.account, "--name", "X",
               "--type", "extensiv", "--settings", "{}")
    assert bad.returncode == 2 and "settings.customer_id" in bad.stderr
