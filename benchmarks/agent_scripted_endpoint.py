"""The agent eval on the endpoint path, with a scripted model behind a real OpenAI-compatible endpoint.

Starts the fake Chat Completions server (``tests/fakes/openai_server.py``, real HTTP, native
``tool_calls``) answering with ``tests.fakes.scripted_endpoint.ScriptedEndpoint``: mkt's own
understanding rules (and, unless ``--no-classifier``, the staged policy's intent classifier) read
the last user message and choose the tools and arguments; the answer relays the tool results. The
settings then point at it (``MKT_LLM_BASE_URL``, ``MKT_LLM_MODEL``, a dummy ``MKT_LLM_API_KEY``),
so the agent eval runs as ``mkt eval agent --backend endpoint`` does: ``create_agent`` with the
middleware for the questions, the campaign planner and the copy writer over the same endpoint.
It never reads the eval's labels. Its tool choices are mkt's rules, so this measures the endpoint
path's plumbing (schemas, tool calls, results, approvals, the reply), not a model's understanding.

Run by hand in a prepared workspace (``mkt data generate``, ``mkt knowledge ingest``, ``mkt churn
train``), one eval at a time::

    cd /work/evalws-endpoint && PYTHONPATH=/path/to/repo HF_HUB_OFFLINE=1 python \\
        /path/to/repo/benchmarks/agent_scripted_endpoint.py --requests v5 --split dev \\
        --markdown runs/scripted_dev.md --json runs/scripted_dev.json

Prints one line per request as it finishes, then the per-kind and per-intent tables (the
harness's own Markdown), and writes them to ``--markdown``; ``--json`` keeps the full report, and
``--calls`` every request body the server received (JSON lines), for reading what was sent.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from agent.agent_eval import RequestOutcome, intent_table, markdown_table  # noqa: E402
from agent.agent_eval import run as run_agent_eval  # noqa: E402
from agent.assistant import build_intent_classifier  # noqa: E402
from data.settings import load_settings  # noqa: E402
from data.workspace import Workspace  # noqa: E402
from evals.agent_requests import load_requests, select  # noqa: E402
from tests.fakes.openai_server import fake_openai_server  # noqa: E402
from tests.fakes.scripted_endpoint import ScriptedEndpoint  # noqa: E402

MODEL = "scripted-mkt-rules"


def _show(outcome: RequestOutcome) -> None:
    missing = [f.fact for f in outcome.facts if not f.found]
    detail = "; ".join(
        [*(["missing tools " + ", ".join(outcome.missing)] if outcome.missing else []),
         *(["forbidden " + ", ".join(outcome.forbidden)] if outcome.forbidden else []),
         *(["missing " + ", ".join(missing)] if missing else []),
         *([f"error {outcome.error}"] if outcome.error else [])]
    )  # fmt: skip
    mark = "pass" if outcome.passed else "FAIL"
    print(f"{mark} {outcome.id} [{outcome.intent}] ({outcome.seconds:.1f} s, {outcome.stop_reason}) {detail}")
    sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", default="v5", help="request set: v2..v5, v1 or a YAML file")
    parser.add_argument("--split", default="dev", choices=["dev", "test", "all"])
    parser.add_argument("--limit", type=int, default=None, help="only the first N requests")
    parser.add_argument("--only", default=None, help="only requests of this kind or intent")
    parser.add_argument("--copy-variants", type=int, default=0)
    parser.add_argument("--max-seconds", type=float, default=30.0)
    parser.add_argument("--no-classifier", action="store_true", help="the rules alone, no intent classifier")
    parser.add_argument("--markdown", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--calls", type=Path, default=None, help="write every request body received here")
    args = parser.parse_args(argv)

    chosen = select(load_requests(args.requests), args.split)
    requests = [r for r in chosen if args.only is None or args.only in (r.kind, r.intent)][: args.limit]
    base = load_settings()
    # the eval runs each request in a folder of its own: the script's workspace must not be relative
    base = base.model_copy(update={"home": base.home.resolve()})
    workspace = Workspace.from_settings(base)
    guess = None if args.no_classifier else build_intent_classifier(base, workspace)
    script = ScriptedEndpoint(base, workspace, guess=guess)
    started = time.monotonic()
    with fake_openai_server() as server:
        server.respond_with(script)
        os.environ.update(
            MKT_LLM_BASE_URL=server.base_url, MKT_LLM_MODEL=MODEL, MKT_LLM_API_KEY="sk-scripted"
        )
        settings = load_settings()  # as users get it: the endpoint from the environment
        report = run_agent_eval(
            settings,
            workspace,
            requests,
            backends=["endpoint"],
            copy_variants=args.copy_variants,
            max_seconds=args.max_seconds,
            on_result=_show,
        )
        received = list(server.requests)
    report.requests, report.split = args.requests, args.split
    tables = markdown_table(report) + "\n\n" + intent_table(report)
    print(tables)
    print(f"{len(requests)} requests, {len(received)} model requests, {time.monotonic() - started:.0f} s")
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(tables + "\n", encoding="utf-8")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    if args.calls:
        args.calls.parent.mkdir(parents=True, exist_ok=True)
        args.calls.write_text("".join(json.dumps(b) + "\n" for b in received), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
