"""Appending a run to bench/RESULTS.md: the command, the commit, the load before and after, the machine."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def append_run(
    *, section: str, intro: str, title: str, table: str, load_before: tuple[float, ...], threads: str
) -> None:
    """Add `### <now> — <title>` with `table` under `section` (created with `intro` when missing)."""
    load_after = os.getloadavg()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        cwd=RESULTS.parent,
        check=False,
    ).stdout.strip()
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = RESULTS.read_text(encoding="utf-8")
    if section not in text:
        text = text.rstrip("\n") + f"\n\n{section}\n\n{intro}\n"
    command = " ".join([f"bench/{Path(sys.argv[0]).name}", *sys.argv[1:]])
    text = text.rstrip("\n") + (
        f"\n\n### {now} — {title}\n\n"
        f"Command: `.venv/bin/python {command}`  \n"
        f"Code: {commit}  \n"
        f"Load average before the run: {' '.join(f'{v:.2f}' for v in load_before)}; "
        f"after: {' '.join(f'{v:.2f}' for v in load_after)}  \n"
        f"Machine: `nproc` {os.cpu_count()}, `uname -m` {platform.machine()}, "
        f"Python {platform.python_version()}, {threads}\n\n{table}\n"
    )
    RESULTS.write_text(text, encoding="utf-8")
