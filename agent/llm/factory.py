"""Building the configured chat model: the endpoint with the local model as fallback, or the local model."""

from __future__ import annotations

from agent.llm.calllog import NULL_LOG, CallLog
from agent.llm.fallback import FallbackChatModel, RetryPolicy
from agent.llm.local_backend import LocalChatModel
from agent.llm.openai_backend import OpenAIChatModel
from data.settings import Settings
from tools.chat_model import ChatModel


def build_local_model(settings: Settings, *, call_log: CallLog = NULL_LOG) -> LocalChatModel:
    """The local model the settings name (packaged by default), on ``local_threads`` CPU threads."""
    return LocalChatModel(settings.local_model, threads=settings.local_threads, call_log=call_log)


def build_chat_model(settings: Settings, *, call_log: CallLog = NULL_LOG) -> ChatModel:
    """The configured model: endpoint with local fallback, or the local model alone."""
    local = build_local_model(settings, call_log=call_log)
    if not settings.llm_base_url:
        return local
    endpoint = OpenAIChatModel(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=settings.api_key,
        timeout_s=settings.llm_timeout_s,
        call_log=call_log,
    )
    return FallbackChatModel(endpoint, local, policy=RetryPolicy(max_retries=settings.llm_max_retries))
