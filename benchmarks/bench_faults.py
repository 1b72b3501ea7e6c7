"""Fault suite (issue 17): tries each fault per area and counts how many were handled.

Areas: redaction (the format table both ways, and the time for 1 MB of text), model endpoint
(each fault played by the fake OpenAI server over real HTTP), Slack HTTP server (raw sockets and
signed requests against the real Bolt app on an empty workspace), session files and churn model
files. "Handled" means the outcome a user should see: redacted or kept, a bounded error within the
deadline, the right HTTP status with the agent not run, a fresh session, a refused file.

Run: ``PYTHONPATH=. python benchmarks/bench_faults.py``. No local model is loaded.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402

from agent.llm import BackendError, CircuitBreaker, FallbackChatModel, OpenAIChatModel, RetryPolicy  # noqa: E402
from agent.pii import redact  # noqa: E402
from agent.session import Session  # noqa: E402
from data.errors import ModelAPIError, ToolError  # noqa: E402
from tests.fakes.openai_server import fake_openai_server  # noqa: E402
from tests.fakes.slack_harness import SIGNING_SECRET, new_trigger, running_bot, sign  # noqa: E402
from tests.test_pii import MUST_KEEP, MUST_REDACT  # noqa: E402
from tests.test_session import CORRUPT  # noqa: E402

MESSAGES: list[Any] = [{"role": "user", "content": "A subject line, please."}]
Row = tuple[str, int, int, str]


def redaction() -> tuple[Row, float]:
    handled = sum(secret not in redact(text) for text, secret in MUST_REDACT)
    handled += sum(redact(text) == text for text in MUST_KEEP)
    unit = "Order CU0000042 on 2026-09-30 14:29:37, call +1 555 123 4567 or mail jane.doe@example.com. "
    adversarial = [
        "a" * 1_000_000,
        "1-" * 500_000,
        ("x" * 60 + "@") * 16_000,
        unit * (1_000_000 // len(unit)),
    ]
    worst = 0.0
    for text in adversarial:
        started = time.perf_counter()
        redact(text)
        worst = max(worst, time.perf_counter() - started)
    tried = len(MUST_REDACT) + len(MUST_KEEP)
    return ("redaction", tried, handled, f"worst 1 MB: {worst:.2f} s"), worst


def endpoint() -> Row:
    faults = [
        "drip",
        "drip_headers",
        "keepalive",
        "huge",
        "control",
        "braces",
        "hang",
        "500",
        "429",
        "401",
        "malformed",
        "cut",
    ]
    handled = 0
    with fake_openai_server() as server:
        server.drip_s, server.hang_s = 0.3, 5.0
        model = OpenAIChatModel(
            base_url=server.base_url, model="m", timeout_s=1.0, deadline_s=1.5, max_answer_bytes=200_000
        )
        for fault in faults:
            server.script(fault)
            started = time.perf_counter()
            try:
                if fault in ("keepalive", "cut"):
                    list(model.stream(MESSAGES))
                else:
                    model.chat(MESSAGES)
            except BackendError:
                handled += time.perf_counter() - started < 3.0
        # the breaker: after 2 failures the endpoint is skipped and the fallback answers
        breaker = CircuitBreaker(failures=2, cooldown_s=60)
        local = OpenAIChatModel(base_url=server.base_url, model="local-stand-in")
        fallback = FallbackChatModel(
            model, local, policy=RetryPolicy(max_retries=1, backoff_s=0.01), breaker=breaker
        )
        server.script("500", "500")
        fallback.chat(MESSAGES)
        before = len(server.requests)
        result = fallback.chat(MESSAGES)
        handled += (
            breaker.is_open and len(server.requests) == before + 1 and "skipped" in result.fallback_reasons[0]
        )
    return ("model endpoint", len(faults) + 1, handled, "each a bounded error within 3 s")


def langchain_endpoint(home: Path) -> Row:
    """The endpoint path's ``ChatOpenAI`` (built from settings) inside the agent turn, same faults."""
    from agent.endpoint import EndpointPolicy, openai_chat_model
    from agent.llm.breaker import BreakerBoard
    from agent.toolbox import ToolContext
    from data.settings import load_settings
    from data.workspace import Workspace

    faults = [
        "drip",
        "drip_headers",
        "keepalive",
        "huge",
        "control",
        "braces",
        "hang",
        "500",
        "malformed",
        "cut",
    ]
    handled = 0
    context = ToolContext(settings=load_settings(home=home), workspace=Workspace(home))
    question: list[Any] = [{"role": "user", "content": "Hi"}]
    with fake_openai_server() as server:
        server.drip_s, server.hang_s = 0.3, 5.0
        settings = load_settings(
            home=home, llm_base_url=server.base_url, llm_timeout_s=1.0, llm_max_retries=0
        )
        breakers = BreakerBoard(failures=len(faults) + 2)  # the breaker is tried on its own below
        policy = EndpointPolicy(openai_chat_model(settings), [], breakers=breakers)
        for fault in faults:
            server.script(fault)
            started = time.perf_counter()
            result = policy.run(question, context)
            failed = result.stop_reason.startswith("the language model failed")
            handled += failed and time.perf_counter() - started < 3.0 and len(result.answer) < 2_000
        breaker_policy = EndpointPolicy(openai_chat_model(settings), [], breakers=BreakerBoard(failures=2))
        server.script("500", "500")
        breaker_policy.run(question, context)
        breaker_policy.run(question, context)
        before = len(server.requests)
        result = breaker_policy.run(question, context)
        handled += len(server.requests) == before and "skipped" in result.stop_reason
    return ("endpoint (agent)", len(faults) + 1, handled, "each a bounded error within 3 s")


def _raw(address: tuple[str, int], data: bytes) -> int:
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(data)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return int(reply.split(b" ", 2)[1]) if reply else 0


def slack(home: Path) -> Row:
    from agent.slack.server import Limits

    limits = Limits(max_connections=16, connection_deadline_s=1.0)
    reply = [{"tool": "final_answer", "arguments": {"answer": "Once."}}] * 5
    tried = handled = 0
    with running_bot(home, reply, limits=limits) as h:
        host, port = h.server._httpd.server_address[:2]
        address = (str(host), int(port))
        path = h.server.path

        def post(headers: str, body: bytes) -> int:
            return _raw(
                address,
                f"POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{headers}\r\n".encode() + body,
            )

        ts = str(int(time.time()))
        cases: list[tuple[str, Callable[[], int], int]] = [
            ("negative length", lambda: post("Content-Length: -1\r\n", b"x" * 100), 400),
            ("non-numeric length", lambda: post("Content-Length: ten\r\n", b"x"), 400),
            ("chunked body", lambda: post("Transfer-Encoding: chunked\r\n", b"0\r\n\r\n"), 411),
            ("oversized", lambda: post("Content-Length: 5000000\r\n", b""), 413),
            (
                "unsigned garbage",
                lambda: post("Content-Length: 5\r\nContent-Type: application/json\r\n", b"{{{{{"),
                401,
            ),
            (
                "signed garbage",
                lambda: post(
                    f"Content-Length: 5\r\nContent-Type: application/json\r\nX-Slack-Request-Timestamp: {ts}\r\n"
                    f"X-Slack-Signature: {sign('{{{{{', ts, SIGNING_SECRET)}\r\n",
                    b"{{{{{",
                ),
                400,
            ),
        ]
        for name, run, expected in cases:
            tried += 1
            got = run()
            handled += got == expected
            if got != expected:
                print(f"slack: {name} answered {got}, expected {expected}")
        # slow-loris: 60 half-open connections; the cap answers 503, the deadline cuts the rest
        loris = [socket.create_connection(address, timeout=5) for _ in range(60)]
        for sock in loris:
            sock.sendall(b"POST /slack/events HTTP/1.1\r\n")
        time.sleep(1.5)
        tried += 1
        health = _raw(address, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        handled += health == 200
        if health != 200:
            print(f"slack: /health after the slow-loris answered {health}")
        for sock in loris:
            sock.close()
        # a replayed signed slash command runs the agent once
        form = f"command=%2Fmkt&text=hi&user_id=U1&channel_id=C1&trigger_id={new_trigger()}&response_url="
        form += h.fake.response_url("bench")
        signature = sign(form, ts)
        for _ in range(3):
            h.post(form, "application/x-www-form-urlencoded", timestamp=ts, signature=signature)
        h.fake.wait_for("response_url", lambda c: "Once." in str(c.body.get("text")), timeout=60)
        time.sleep(1.0)
        tried += 1
        handled += len(h.model.calls) == 1
        if len(h.model.calls) != 1:
            print(f"slack: a replayed command made {len(h.model.calls)} model calls")
    return ("slack server", tried, handled, "status codes, cap + deadline, replay once")


def sessions(root: Path) -> Row:
    handled = 0
    for i, (raw, reason) in enumerate(CORRUPT):
        folder = root / "sessions" / f"s{i}"
        folder.mkdir(parents=True)
        (folder / "history.json").write_bytes(raw)
        session = Session.open(root, f"s{i}", resume=True)
        handled += session.messages == [] and session.notice is not None and reason in session.notice
    return ("session files", len(CORRUPT), handled, "clear notice, fresh session")


def model_files(root: Path) -> Row:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.frozen import FrozenEstimator

    from tools.churn import store

    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 4))
    y = X[:, 0] > 0
    base = CalibratedClassifierCV(FrozenEstimator(HistGradientBoostingClassifier(max_iter=3).fit(X, y))).fit(
        X, y
    )
    features = ["a", "b", "c", "d"]

    def tree(model: Any) -> Any:
        return model.calibrated_classifiers_[0].estimator.estimator._predictors[0][0]

    tampers: list[Callable[[Any], None]] = [
        lambda m: tree(m).nodes["left"].__setitem__(0, 2**31),
        lambda m: tree(m).nodes["right"].__setitem__(0, 0),
        lambda m: tree(m).nodes["feature_idx"].__setitem__(0, 40),
        lambda m: setattr(tree(m), "raw_left_cat_bitsets", np.zeros((1, 2), np.uint32)),
    ]
    handled = 0
    for i, tamper in enumerate(tampers):
        model = copy.deepcopy(base)
        tamper(model)
        path = store.save(store.SavedModel(model, features, {}), root / f"m{i}" / "churn.skops")
        try:
            store.load(path)
        except ToolError:
            handled += 1
    path = store.save(store.SavedModel(base, features, {}), root / "ok" / "churn.skops")
    signed = path.read_bytes()
    path.write_bytes(signed + b"\0")  # changed after signing
    unsigned = root / "ok" / "bare.skops"
    import skops.io as sio

    sio.dump({"model": base, "features": features, "metadata": {}}, unsigned)
    for candidate in (path, unsigned):
        try:
            store.load(candidate)
        except ToolError:
            handled += 1
    return ("model files", len(tampers) + 2, handled, "refused before any prediction")


def main() -> None:
    logging.basicConfig(level=logging.CRITICAL)  # refusals log warnings by design; the table is the output
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        first, seconds = redaction()
        rows: list[Row] = [first]
        for area in (
            endpoint,
            lambda: langchain_endpoint(root / "lc"),
            lambda: slack(root / "home"),
            lambda: sessions(root / "runs"),
            lambda: model_files(root),
        ):
            try:
                rows.append(area())
            except (ModelAPIError, ToolError, OSError) as exc:
                rows.append((getattr(area, "__name__", "area"), 0, 0, f"not run: {exc}"))
    print(f"{'area':<16} {'tried':>6} {'handled':>8}  note")
    for name, tried, handled, note in rows:
        print(f"{name:<16} {tried:>6} {handled:>8}  {note}")
    total_tried, total_handled = sum(r[1] for r in rows), sum(r[2] for r in rows)
    print(f"{'total':<16} {total_tried:>6} {total_handled:>8}")
    print(
        json.dumps(
            {"redaction_1mb_worst_s": round(seconds, 3), "tried": total_tried, "handled": total_handled}
        )
    )


if __name__ == "__main__":
    main()
