"""JSON answers from models that cannot be trusted to write JSON: extract, repair, validate.

The local model is not constrained token by token. Instead (generate, then validate): the prompt
asks for JSON matching the schema, the answer is primed with ``{``, and the reply is
1. cut to its first JSON value (code fences and chatter around it dropped),
2. repaired for the usual small-model slips (trailing commas, unclosed brackets or strings when
   generation stopped at ``max_tokens``),
3. validated against the JSON schema with ``jsonschema``.
A reply that still fails is retried a bounded number of times with the validation error fed back.
"""

from __future__ import annotations

import json
import re
from typing import Any

from prompts import load_prompt

_FENCE = re.compile(r"```(?:json)?\s*(.*?)(?:```|$)", re.DOTALL)
_TRAILING_COMMA = re.compile(r",\s*([}\]])")


class InvalidJSONAnswer(ValueError):
    """The answer is not JSON valid against the schema; the message says why, for the model."""

    text: str = ""
    """The answer that failed, when known."""


def schema_instruction(schema: dict[str, Any]) -> str:
    """The sentence appended to the prompt when a JSON answer is wanted."""
    return load_prompt("agent").render("json_instruction", schema=json.dumps(schema, separators=(",", ":")))


def _first_json_span(text: str) -> str:
    fenced = _FENCE.search(text)
    if fenced:
        text = fenced.group(1)
    starts = [i for i in (text.find("{"), text.find("[")) if i >= 0]
    if not starts:
        raise InvalidJSONAnswer("the answer contains no JSON object or array")
    start = min(starts)
    depth, in_string, escaped = 0, False, False
    for i in range(start, len(text)):
        ch = text[i]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
            if depth == 0:
                return text[start : i + 1]
    return text[start:]


def _close_open(text: str) -> str:
    """Close strings and brackets left open when generation stopped early."""
    stack: list[str] = []
    in_string, escaped = False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]" and stack:
            stack.pop()
    closed = text + ('"' if in_string else "")
    closed = closed.rstrip().rstrip(",")
    return closed + "".join(reversed(stack))


def parse_json_answer(text: str, schema: dict[str, Any]) -> Any:
    """Extract, repair and validate a JSON answer; raises ``InvalidJSONAnswer`` with the reason."""
    span = _first_json_span(text)
    value: Any = None
    for candidate in (span, _TRAILING_COMMA.sub(r"\1", span), _close_open(_TRAILING_COMMA.sub(r"\1", span))):
        try:
            value = json.loads(candidate)
            break
        except json.JSONDecodeError:
            continue
    else:
        raise InvalidJSONAnswer(f"the answer is not valid JSON: {span[:120]!r}")
    import jsonschema  # 0.1 s to import: only when a model's JSON answer is validated

    try:
        jsonschema.validate(value, schema)
    except jsonschema.ValidationError as exc:
        path = "/".join(str(p) for p in exc.absolute_path) or "the answer"
        raise InvalidJSONAnswer(f"{path}: {exc.message}") from None
    return value
