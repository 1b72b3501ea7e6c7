"""The real local model (packaged SmolLM2-135M GGUF): chat, streaming, schema-guided JSON; JSON repair."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.llm import BackendError, CallLog, LocalChatModel
from agent.llm.local_backend import packaged_model_file
from agent.llm.structured import InvalidJSONAnswer, parse_json_answer

MESSAGES = [{"role": "user", "content": "Name one benefit of trail running shoes."}]


@pytest.fixture(scope="module")
def local() -> LocalChatModel:
    model = LocalChatModel()
    model.loaded()
    return model


def test_packaged_model_is_found_without_importing_its_package() -> None:
    path = packaged_model_file()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.stat().st_size > 50_000_000


def test_greedy_chat_is_repeatable_and_streaming_says_the_same(local: LocalChatModel, tmp_path: Path) -> None:
    local.call_log = CallLog(tmp_path / "calls.jsonl")
    try:
        first = local.chat(MESSAGES, max_tokens=12)
        again = local.chat(MESSAGES, max_tokens=12)
        chunks = list(local.stream(MESSAGES, max_tokens=12))
    finally:
        local.call_log = CallLog()
    assert first.text and first.text == again.text
    assert (first.backend, first.completion_tokens) == ("local", 12) and first.prompt_tokens > 5
    streamed = chunks[-1].result
    assert streamed is not None and streamed.text == first.text
    assert len([c for c in chunks if c.text]) > 1
    assert streamed.first_token_s is not None and streamed.first_token_s < streamed.latency_s
    records = (tmp_path / "calls.jsonl").read_text().splitlines()
    assert len(records) == 3 and '"Name one benefit of trail running shoes."' in records[0]


def test_sampling_is_seeded_by_the_request_so_a_run_repeats_and_a_repeat_draws_anew(
    local: LocalChatModel,
) -> None:
    fresh = LocalChatModel()
    first = local.chat(MESSAGES, max_tokens=16, temperature=0.9)
    same = fresh.chat(MESSAGES, max_tokens=16, temperature=0.9)  # another process's first draw
    assert first.text == same.text
    seeds = [fresh.sampling_seed("req", 0.9) for _ in range(3)]
    assert len(set(seeds)) == 3 and fresh.sampling_seed("req", 0.0) is None


def test_stop_strings_end_the_answer(local: LocalChatModel) -> None:
    result = local.chat(
        [{"role": "user", "content": "List three running shoe brands, one per line."}],
        max_tokens=16,
        stop=["\n"],
    )
    assert "\n" not in result.text and result.completion_tokens < 16


def test_schema_guided_json_is_always_valid(local: LocalChatModel) -> None:
    schema = {
        "type": "object",
        "properties": {
            "channel": {"type": "string", "enum": ["email", "sms", "push"]},
            "variants": {"type": "integer"},
            "urgent": {"type": "boolean"},
        },
        "required": ["channel", "variants", "urgent"],
    }
    messages = [{"role": "user", "content": "Send 2 text messages (SMS) to at-risk runners."}]
    result = local.chat(messages, max_tokens=8, json_schema=schema)
    assert result.parsed["channel"] in ("email", "sms", "push")
    assert isinstance(result.parsed["variants"], int) and isinstance(result.parsed["urgent"], bool)
    assert result.backend == "local" and result.text.startswith("{")


def test_unsatisfiable_schema_is_a_model_error_not_bad_data(local: LocalChatModel) -> None:
    schema = {"type": "object", "properties": {"code": {"type": "string", "pattern": "^ZZZ[0-9]{9}$"}}}
    with pytest.raises(BackendError, match="no valid JSON"):
        local.chat(MESSAGES, max_tokens=4, json_schema=schema)


def test_endpoint_json_is_repaired_then_validated() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    assert parse_json_answer('Sure! ```json\n{"a": 1,}\n```', schema) == {"a": 1}
    assert parse_json_answer('{"a": 2, "b": "cut off', schema) == {"a": 2, "b": "cut off"}
    with pytest.raises(InvalidJSONAnswer, match="a: 'x' is not of type 'integer'"):
        parse_json_answer('{"a": "x"}', schema)
    with pytest.raises(InvalidJSONAnswer, match="no JSON"):
        parse_json_answer("no json here", schema)


def test_converted_gguf_cache_reloads_the_same_model_and_skips_half_written_folders(
    local: LocalChatModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    from agent.llm import gguf_cache

    loaded = local.loaded()
    folder = tmp_path / "converted"
    assert gguf_cache.save_converted(folder, loaded.model, loaded.tokenizer)
    found = gguf_cache.load_converted(folder)
    assert found is not None
    model, tokenizer = found
    ours, theirs = loaded.model.state_dict(), model.state_dict()
    assert set(ours) == set(theirs) and all(torch.equal(ours[k], theirs[k]) for k in ours)
    assert tokenizer.chat_template == loaded.tokenizer.chat_template
    text = "Take 15% off, {{first_name}}!"
    assert tokenizer(text)["input_ids"] == loaded.tokenizer(text)["input_ids"]
    assert not list(tmp_path.glob(".converted-*")), "the staging folder is renamed, not left behind"

    (folder / "converted.ok").unlink()  # as if a conversion had stopped half-way
    assert gguf_cache.load_converted(folder) is None
    monkeypatch.setenv("MKT_MODEL_CACHE", "off")
    assert gguf_cache.cache_root() is None and gguf_cache.converted_dir(packaged_model_file()) is None
    monkeypatch.setenv("MKT_MODEL_CACHE", str(tmp_path / "models"))
    named = gguf_cache.converted_dir(packaged_model_file())
    assert named is not None and named.parent == tmp_path / "models"
    assert named.name.startswith("SmolLM2-135M-Instruct.Q4_1-")
