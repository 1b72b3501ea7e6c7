"""Cold `mkt ask --json` timings: first event, reply, exit, for questions that need no language model.

Usage: .venv/bin/python benchmarks/bench_ask.py [--workspace DIR] [--repeats 3]

Targets (issue 14): the first event in < 1 s; a question that needs no language model answered in
< 3 s. Every request is a fresh process, as a user's shell runs it. Without ``--workspace`` the
bench builds one in a temporary folder (5,000 synthetic customers, seed 7, the sample knowledge,
a trained churn model). Same-run references: a bare ``python -c pass`` (the interpreter's own
start) and ``mkt --help`` (importing the CLI). Prints the load average: timings under load are
not comparable.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REQUESTS = {
    "summary": "how many customers do we have?",
    "unknown id": "what is the CLV of customer CU00042?",
    "one-customer CLV": "what is the CLV of customer CU0000042?",
    "knowledge": "what is our returns policy?",
    "churn risk": "who is about to leave?",
}
MKT = [str(Path(sys.executable).with_name("mkt"))]


def _env() -> dict[str, str]:
    root = str(Path(__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": root, "HF_HUB_OFFLINE": "1"}


def _prepare(workspace: Path) -> None:
    for args in (
        ["data", "generate", "--customers", "5000", "--seed", "7"],
        ["knowledge", "ingest", ".mkt/sample/knowledge"],
        ["churn", "train"],
    ):
        subprocess.run(MKT + args, cwd=workspace, env=_env(), check=True, capture_output=True)


def _time_ask(workspace: Path, question: str) -> tuple[float, float, float, str]:
    """Seconds to the first event, to the reply event and to exit; the reply's first words."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        MKT + ["ask", "--json", question],
        cwd=workspace,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    first = reply = float("nan")
    text = ""
    for line in proc.stdout:
        now = time.perf_counter() - start
        if first != first:
            first = now
        event = json.loads(line)
        if event.get("event") == "reply":
            reply, text = now, str(event.get("text", ""))
    proc.wait()
    return first, reply, time.perf_counter() - start, text


def _time_command(workspace: Path, command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=workspace, env=_env(), check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workspace", type=Path, help="an existing workspace (default: build one)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        workspace = args.workspace or Path(tmp)
        if args.workspace is None:
            _prepare(workspace)
        load = os.getloadavg()[0]
        python = min(_time_command(workspace, [sys.executable, "-c", "pass"]) for _ in range(args.repeats))
        cli = min(_time_command(workspace, MKT + ["--help"]) for _ in range(args.repeats))
        print(f"load average (1 min) at start: {load:.2f}\n")
        print("| request | first event, s | reply, s | exit, s | reply starts |")
        print("|---|---:|---:|---:|---|")
        for name, question in REQUESTS.items():
            runs = [_time_ask(workspace, question) for _ in range(args.repeats)]
            first, reply, end = (min(run[i] for run in runs) for i in range(3))
            print(f"| {name} | {first:.2f} | {reply:.2f} | {end:.2f} | {runs[-1][3][:60]!r} |")
        print(f"| ref: python -c pass | | | {python:.2f} | |")
        print(f"| ref: mkt --help | | | {cli:.2f} | |")
        print(f"\nload average (1 min) at end: {os.getloadavg()[0]:.2f}; best of {args.repeats}")


if __name__ == "__main__":
    main()
