"""Configuration in one place: environment variables ``MKT_*`` > config file > defaults.

The config file is TOML, found at ``$MKT_CONFIG`` or ``<MKT_HOME>/config.toml``.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from data.engine import Engine
from data.errors import ConfigError
from data.sensitive import DEFAULT_SENSITIVE


class Settings(BaseSettings):
    """All of mkt's settings; every field can be set as ``MKT_<FIELD>`` or in the config file."""

    model_config = SettingsConfigDict(env_prefix="MKT_", extra="ignore")

    home: Path = Field(default=Path(".mkt"), description="Workspace folder.")
    currency: str = Field(default="USD", description="Currency of transaction amounts.")
    seed: int = Field(default=7, description="Default random seed for models and sampling.")
    missing_values: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="CSV cell texts read as missing besides the empty cell (e.g. NA,N/A); default none.",
    )
    busy_wait_s: float = Field(
        default=10.0, ge=0, description="How long to wait for a workspace another process is loading."
    )
    sensitive: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_SENSITIVE),
        description="Sensitive customer attributes (words of column names, e.g. gender,age,senior): "
        "never model features unless a command opts in; audiences report their make-up on them.",
    )

    # Analytics engine.
    engine: Engine = Field(
        default="duckdb",
        description="Engine of the customer analytics: embedded DuckDB, or Apache Spark (pyspark, `.[spark]`).",
    )
    spark_master: str = Field(
        default="local[*]",
        description="Spark master: local[N], a cluster URL (spark://, yarn, k8s://) or Spark Connect sc://.",
    )
    spark_partitions: int | None = Field(
        default=None, ge=1, description="Spark shuffle partitions (default: 2 x the master's cores)."
    )
    # Campaign economics.
    margin: float | None = Field(
        default=None,
        gt=0.0,
        le=1.0,
        description="Gross margin as a share of revenue; unset: returns are revenue (and the brief says so).",
    )
    conversion_window_days: int = Field(
        default=14, ge=1, le=365, description="Days after a send in which a purchase counts as a conversion."
    )
    control_fraction: float | None = Field(
        default=None,
        gt=0.0,
        lt=1.0,
        description="Holdout share of a campaign audience; unset: 10%, more when needed to detect the lift.",
    )
    campaign_fixed_cost: float = Field(
        default=0.0, ge=0.0, description="Fixed cost of a campaign (creative, tooling), added to send costs."
    )

    # Language models.
    llm_base_url: str | None = Field(default=None, description="OpenAI-compatible endpoint base URL.")
    llm_model: str = Field(default="gpt-4o-mini", description="Model name at the endpoint.")
    llm_api_key: SecretStr | None = Field(default=None, description="API key (else OPENAI_API_KEY).")
    llm_timeout_s: float = Field(default=30.0, gt=0)
    llm_max_retries: int = Field(default=2, ge=0, le=10)
    llm_fallback_model: str | None = Field(
        default=None, description="Second endpoint model, used when the first fails (endpoint path)."
    )
    llm_fallback_base_url: str | None = Field(
        default=None, description="Endpoint of the fallback model (else llm_base_url)."
    )
    local_model: str | None = Field(
        default=None, description="Local model: path or hub id; default is the packaged model."
    )
    local_model_max_new_tokens: int = Field(default=256, gt=0)
    local_threads: int | None = Field(
        default=1,
        ge=1,
        description="CPU threads of the local model (1 is fastest for the 135M model on a shared machine).",
    )

    # Knowledge base.
    chroma_url: str | None = Field(default=None, description="Chroma server URL (else embedded store).")
    embedding_model: str | None = Field(
        default=None, description="sentence-transformers model path or id; default is the packaged one."
    )
    embedding_base_url: str | None = Field(default=None, description="OpenAI-compatible embeddings API.")
    embedding_api_model: str = Field(default="text-embedding-3-small")

    # Slack.
    slack_allowed_channels: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Channel ids, user-group ids (S...) or 'dm' allowed to use the bot; empty: all.",
    )
    slack_api_url: str | None = Field(default=None, description="Slack Web API base URL (tests: a fake).")
    slack_workers: int = Field(default=4, ge=1, le=64, description="Agent turns run at once by the bot.")
    slack_approval_timeout_s: float = Field(default=600.0, gt=0, description="Unanswered approval: rejected.")
    slack_approvers: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="User ids (U...) or user-group ids (S...) who may approve anyone's side effect.",
    )

    @field_validator("slack_allowed_channels", "slack_approvers", "missing_values", mode="before")
    @classmethod
    def _split_list(cls, value: Any) -> Any:
        """Accept a JSON list or a comma-separated string (``C1,C2``)."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("sensitive", mode="before")
    @classmethod
    def _split_sensitive(cls, value: Any) -> Any:
        """A comma-separated string (``gender,age``) or a list, added to the default list."""
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return value or list(DEFAULT_SENSITIVE)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Order of precedence: explicit arguments, environment, config file, defaults."""
        file_values = _read_config_file()
        return (init_settings, env_settings, InitSettingsSource(settings_cls, file_values))

    @property
    def api_key(self) -> str | None:
        """The endpoint API key: ``MKT_LLM_API_KEY`` or ``OPENAI_API_KEY``."""
        if self.llm_api_key is not None:
            return self.llm_api_key.get_secret_value()
        return os.environ.get("OPENAI_API_KEY")


def config_file_path() -> Path:
    """Where the config file is looked for."""
    explicit = os.environ.get("MKT_CONFIG")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("MKT_HOME", ".mkt")) / "config.toml"


def _read_config_file() -> dict[str, Any]:
    path = config_file_path()
    if not path.exists():
        if os.environ.get("MKT_CONFIG"):
            raise ConfigError(f"config file {path} (from MKT_CONFIG) does not exist")
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc


def load_settings(**overrides: Any) -> Settings:
    """Build the settings, turning validation problems into a ``ConfigError``."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"setting '{field}' (MKT_{field.upper()}): {first['msg']}") from exc
