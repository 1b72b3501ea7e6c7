"""Session files: a corrupt or hand-edited history gives a clear message and a fresh session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.session import Session

GOOD = {
    "id": "s1",
    "turns": 1,
    "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
}

CORRUPT: list[tuple[bytes, str]] = [
    (b'{"id": "s1", "turns": 1, "messages": [{"role": "user", "cont', "not valid JSON"),
    (b"", "not valid JSON"),
    (b"\xff\xfe\x00garbage", "not UTF-8"),
    (b"[1, 2, 3]", "not a JSON object"),
    (b'{"messages": "hi"}', "'messages' is not a list"),
    (b'{"messages": [], "turns": "three"}', "'turns'"),
    (b'{"messages": [], "turns": -1}', "'turns'"),
    (b'{"messages": [["user", "hi"]]}', "message 1 is not"),
    (b'{"messages": [{"role": "user"}]}', "message 1 is not"),
    (b'{"messages": [{"role": "tool", "content": "x"}]}', "role 'tool'"),
    (b'{"messages": [{"role": "user", "content": 42}]}', "not text"),
    (b'{"messages": [{"role": "user", "content": "a", "extra": 1}]}', "message 1 is not"),
]


def _write(runs: Path, raw: bytes) -> Path:
    folder = runs / "sessions" / "s1"
    folder.mkdir(parents=True)
    (folder / "history.json").write_bytes(raw)
    return folder


def test_a_good_history_resumes(tmp_path: Path) -> None:
    _write(tmp_path, json.dumps(GOOD).encode())
    session = Session.open(tmp_path, "s1", resume=True)
    assert session.turns == 1 and [m["content"] for m in session.messages] == ["hi", "hello"]
    assert session.notice is None


@pytest.mark.parametrize(("raw", "reason"), CORRUPT)
def test_a_corrupt_history_gives_a_clear_message_and_a_fresh_session(
    tmp_path: Path, raw: bytes, reason: str
) -> None:
    folder = _write(tmp_path, raw)
    session = Session.open(tmp_path, "s1", resume=True)
    assert session.messages == [] and session.turns == 0
    assert session.notice is not None and reason in session.notice and "fresh conversation" in session.notice
    kept = list(folder.glob("history.corrupt-*.json"))
    assert len(kept) == 1 and kept[0].read_bytes() == raw  # kept for inspection, not lost
    session.add("user", "again")
    session.save()
    reopened = Session.open(tmp_path, "s1", resume=True)  # the next open is clean
    assert reopened.notice is None and reopened.messages == [{"role": "user", "content": "again"}]
