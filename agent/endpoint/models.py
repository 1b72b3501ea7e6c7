"""The endpoint path's chat models: LangChain ``ChatOpenAI`` built from settings, and their names.

Any LangChain ``BaseChatModel`` with native tool calling can run a turn; these helpers only build
the OpenAI-compatible one the settings describe (``llm_base_url``, ``llm_model``, the API key) and
its optional fallback (``llm_fallback_model``, at ``llm_fallback_base_url`` or the same endpoint).
The SDK retries connection errors, timeouts, 429 and 5xx ``llm_max_retries`` times (honouring
``Retry-After``) before the fallback middleware hands the call to the next model. Every request is
bounded (``agent.endpoint.transport``): a total deadline of twice the read timeout (or the turn's
budget if sooner), at most ``MAX_ANSWER_BYTES`` read, and ``MAX_TOKENS`` asked for.
"""

from __future__ import annotations

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from agent.endpoint.transport import bounded_client
from data.errors import ConfigError
from data.settings import Settings

MAX_TOKENS = 2048
MAX_ANSWER_BYTES = 256 * 1024


def openai_chat_model(
    settings: Settings, *, model: str | None = None, base_url: str | None = None
) -> ChatOpenAI:
    """``ChatOpenAI`` for the configured endpoint (``model``/``base_url`` override the settings)."""
    url = base_url or settings.llm_base_url
    if not url:
        raise ConfigError("no endpoint configured: set MKT_LLM_BASE_URL (or llm_base_url in config.toml)")
    return ChatOpenAI(
        model=model or settings.llm_model,
        base_url=url,
        api_key=SecretStr(settings.api_key or "not-needed"),  # local servers need no key; the SDK wants one
        timeout=settings.llm_timeout_s,
        max_retries=settings.llm_max_retries,
        max_completion_tokens=MAX_TOKENS,
        stream_usage=True,
        http_client=bounded_client(
            timeout_s=settings.llm_timeout_s,
            deadline_s=2 * settings.llm_timeout_s,
            max_bytes=MAX_ANSWER_BYTES,
        ),
    )


def fallback_chat_models(settings: Settings) -> list[BaseChatModel]:
    """The fallback the settings name (``llm_fallback_model``), or none."""
    if not settings.llm_fallback_model:
        return []
    return [
        openai_chat_model(
            settings, model=settings.llm_fallback_model, base_url=settings.llm_fallback_base_url
        )
    ]


def backend_name(model: BaseChatModel) -> str:
    """``provider:model`` as the reply and the trace show it, e.g. ``openai:gpt-4o-mini``."""
    provider = model._llm_type.removesuffix("-chat")
    name = getattr(model, "model_name", None) or getattr(model, "model", None)
    return f"{provider}:{name}" if isinstance(name, str) and name else provider
