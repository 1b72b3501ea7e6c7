"""Schema-guided JSON decoding for the local model: code writes the structure, the model the values.

A 135M model cannot be trusted to write JSON, let alone JSON that matches a schema, so the local
backend does not ask it to. Walking the JSON schema, code emits every brace, key, comma and quote
itself and asks the model only for the values, each continued from the JSON written so far:

- ``enum`` / ``const`` / ``boolean``: the option the model finds most likely (summed token
  log-probabilities of each option after the prefix), so the answer is always one of them;
- ``string``: greedy text up to the closing quote (escaped by code);
- ``integer`` / ``number``: greedy text cut to the first number it contains;
- ``array``: items one by one; after each, the model picks ``,`` or ``]`` (bounded by
  ``maxItems``, default 5);
- ``object``: every property, in schema order (nested objects recurse).
The result is then validated with ``jsonschema`` (string lengths, patterns and ranges are not
enforced while decoding, so they can still fail there).
"""

from __future__ import annotations

import json
import re
from typing import Any

from agent.llm.structured import InvalidJSONAnswer

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


class GuidedDecoder:
    """Fills a JSON schema's values with a local causal LM, continuing from ``prompt``."""

    def __init__(self, model: Any, tokenizer: Any, prompt: str, *, max_value_tokens: int = 32) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.prompt = prompt
        self.max_value_tokens = max_value_tokens
        self.written: list[str] = []
        self.tokens = 0

    @property
    def text(self) -> str:
        """The JSON written so far."""
        return "".join(self.written)

    def _ids(self, text: str) -> Any:
        return self.tokenizer(text, return_tensors="pt", add_special_tokens=False)["input_ids"]

    def _continue(self, stop: list[str], max_new: int) -> str:
        import torch

        ids = self._ids(self.prompt + self.text)
        with torch.inference_mode():
            out = self.model.generate(
                input_ids=ids,
                attention_mask=torch.ones_like(ids),
                max_new_tokens=max_new,
                do_sample=False,
                temperature=None,
                top_p=None,
                top_k=None,
                stop_strings=stop,
                tokenizer=self.tokenizer,
                pad_token_id=self.tokenizer.pad_token_id,
            )
        new = out[0, ids.shape[1] :]
        self.tokens += int(new.shape[0])
        text: str = self.tokenizer.decode(new, skip_special_tokens=True)
        for marker in stop:
            text = text.split(marker, 1)[0]
        return text

    def _choose(self, options: list[str]) -> str:
        """The option with the highest summed token log-probability after the JSON written so far.

        The prefix runs once; its key/value cache (minus its last token, which an option such as
        ``"name"`` often merges with) is reused for every option, so each costs only its own tokens.
        """
        import copy

        import torch

        prefix_ids = self._ids(self.prompt + self.text)
        start = prefix_ids.shape[1] - 1
        with torch.inference_mode():
            base = self.model(input_ids=prefix_ids[:, :start], use_cache=True)
        best, best_score = options[0], float("-inf")
        for option in options:
            ids = self._ids(self.prompt + self.text + option)
            with torch.inference_mode():
                if ids.shape[1] > start and torch.equal(ids[0, :start], prefix_ids[0, :start]):
                    tail = ids[:, start:]
                    cache = copy.deepcopy(base.cache)
                    out = self.model(input_ids=tail, cache=cache, use_cache=True)
                    logits = torch.cat([base.logits[0, -1:], out.logits[0, :-1]])
                else:  # the tokenizer re-split the prefix: score this option from scratch
                    tail = ids[:, start:]
                    logits = self.model(input_ids=ids).logits[0, start - 1 : -1]
            if tail.shape[1] == 0:
                continue
            logprobs = torch.log_softmax(logits.float(), dim=-1)
            score = float(logprobs[torch.arange(tail.shape[1]), tail[0]].sum())
            if score > best_score:
                best, best_score = option, score
        return best

    def value(self, schema: dict[str, Any]) -> Any:
        """Write one value of ``schema`` and return it decoded."""
        options = schema.get("enum") or ([schema["const"]] if "const" in schema else None)
        if options:
            choice = self._choose([json.dumps(o) for o in options])
            self.written.append(choice)
            return json.loads(choice)
        kind = schema.get("type", "object" if "properties" in schema else "string")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "string")
        if kind == "object":
            return self._object(schema)
        if kind == "array":
            return self._array(schema)
        if kind == "boolean":
            choice = self._choose(["true", "false"])
            self.written.append(choice)
            return choice == "true"
        if kind in ("integer", "number"):
            return self._number(kind)
        if kind == "null":
            self.written.append("null")
            return None
        return self._string()

    def _object(self, schema: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        self.written.append("{")
        for i, (name, sub) in enumerate(schema.get("properties", {}).items()):
            self.written.append((", " if i else "") + json.dumps(name) + ": ")
            result[name] = self.value(sub)
        self.written.append("}")
        return result

    def _array(self, schema: dict[str, Any]) -> list[Any]:
        items: list[Any] = []
        limit = int(schema.get("maxItems", 5))
        least = int(schema.get("minItems", 1))
        self.written.append("[")
        while len(items) < limit:
            if items:
                if len(items) >= least and self._choose([", ", "]"]) == "]":
                    break
                self.written.append(", ")
            items.append(self.value(schema.get("items", {})))
        self.written.append("]")
        return items

    def _number(self, kind: str) -> int | float:
        found = _NUMBER.search(self._continue([",", "}", "\n"], 8))
        if found is None:
            raise InvalidJSONAnswer(f"the model gave no {kind} after {self.text[-40:]!r}")
        number: int | float = int(float(found.group(0))) if kind == "integer" else float(found.group(0))
        self.written.append(json.dumps(number))
        return number

    def _string(self) -> str:
        self.written.append('"')
        raw = self._continue(['"', "\n"], self.max_value_tokens)
        value = " ".join(raw.split())
        self.written.append(json.dumps(value)[1:])
        return value
