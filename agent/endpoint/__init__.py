"""The endpoint path: a turn on any LangChain chat model with native tool calling.

``EndpointPolicy(model, tools).run(conversation, context, on_event)`` answers one turn with
``langchain.agents.create_agent`` and middleware (limits, approval, PII redaction, fallback);
``openai_chat_model(settings)`` builds the ``ChatOpenAI`` the settings describe;
``LangChainBackend(model)`` gives the same model to the steps that use mkt's ``ChatModel``
(campaign planner, copy writer).
"""

from agent.endpoint.chat_backend import LangChainBackend
from agent.endpoint.models import backend_name, fallback_chat_models, openai_chat_model
from agent.endpoint.policy import EndpointPolicy
from agent.endpoint.tools import Ledger, to_langchain

__all__ = [
    "EndpointPolicy",
    "LangChainBackend",
    "Ledger",
    "backend_name",
    "fallback_chat_models",
    "openai_chat_model",
    "to_langchain",
]
