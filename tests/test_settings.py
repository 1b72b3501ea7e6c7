"""Configuration precedence (env > config file > defaults) and clear configuration errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from data.errors import ConfigError
from data.settings import load_settings


def test_defaults(isolated_home: Path) -> None:
    settings = load_settings()
    assert settings.home == isolated_home
    assert settings.llm_base_url is None and settings.chroma_url is None


def test_config_file_then_environment(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolated_home.mkdir(parents=True)
    (isolated_home / "config.toml").write_text('currency = "EUR"\nllm_model = "from-file"\nseed = 3\n')
    assert load_settings().currency == "EUR"
    monkeypatch.setenv("MKT_LLM_MODEL", "from-env")
    settings = load_settings()
    assert settings.llm_model == "from-env"
    assert settings.seed == 3


def test_bad_values_raise_config_error(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MKT_LLM_TIMEOUT_S", "-1")
    with pytest.raises(ConfigError, match="llm_timeout_s"):
        load_settings()


def test_bad_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("currency = ")
    monkeypatch.setenv("MKT_CONFIG", str(cfg))
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings()
    monkeypatch.setenv("MKT_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings()


def test_api_key_falls_back_to_openai_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    settings = load_settings()
    assert settings.api_key == "sk-test"
    assert "sk-test" not in repr(settings)
