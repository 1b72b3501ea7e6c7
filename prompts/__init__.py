"""Prompt templates shipped as package data (YAML or Markdown), loaded by name.

``load_prompt("copy_email")`` reads ``prompts/copy_email.yaml`` (or ``.yml`` / ``.md``) with
``importlib.resources``, so it works from a checkout, a wheel or a zip. Templates use Python
``str.format`` placeholders: ``{product}`` is replaced, ``{{`` and ``}}`` are literal braces. A
placeholder without a value is a ``ConfigError`` naming the prompt and the key, never a silent gap.
"""

from __future__ import annotations

import importlib.resources
import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml

from data.errors import ConfigError

_SUFFIXES = (".yaml", ".yml", ".md")
_FORMATTER = string.Formatter()


@dataclass(frozen=True)
class Prompt:
    """A loaded prompt file: its name and its fields (a Markdown file has one field, ``text``)."""

    name: str
    fields: Mapping[str, Any]

    def raw(self, key: str) -> Any:
        """A field as stored (string, list or mapping); ``ConfigError`` if absent."""
        if key not in self.fields:
            raise ConfigError(f"prompt '{self.name}' has no field '{key}'")
        return self.fields[key]

    def render(self, key: str, **values: Any) -> str:
        """The string field ``key`` with its placeholders filled from ``values``."""
        template = self.raw(key)
        if not isinstance(template, str):
            raise ConfigError(f"prompt '{self.name}': field '{key}' is not a text template")
        return render(template, values, where=f"prompt '{self.name}', field '{key}'")


def render(template: str, values: Mapping[str, Any], *, where: str = "template") -> str:
    """Fill ``{name}`` placeholders from ``values`` (``{{``/``}}`` stay literal braces)."""
    missing = [
        field
        for _, field, _, _ in _FORMATTER.parse(template)
        if field is not None and field.split(".")[0].split("[")[0] not in values
    ]
    if missing:
        raise ConfigError(f"{where}: no value for placeholder(s) {', '.join(sorted(set(missing)))}")
    try:
        return _FORMATTER.vformat(template, (), dict(values))
    except (ValueError, IndexError, KeyError, AttributeError) as exc:
        raise ConfigError(f"{where}: cannot fill the template: {exc}") from exc


@lru_cache(maxsize=64)
def load_prompt(name: str) -> Prompt:
    """Load ``prompts/<name>.yaml`` (or ``.yml`` / ``.md``) from the package."""
    root = importlib.resources.files(__name__)
    for suffix in _SUFFIXES:
        resource = root / f"{name}{suffix}"
        if not resource.is_file():
            continue
        text = resource.read_text(encoding="utf-8")
        if suffix == ".md":
            return Prompt(name=name, fields={"text": text})
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"prompt '{name}' is not valid YAML: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"prompt '{name}' must be a YAML mapping of fields")
        return Prompt(name=name, fields=data)
    known = sorted(
        p.name.rsplit(".", 1)[0] for p in root.iterdir() if p.is_file() and p.name.endswith(_SUFFIXES)
    )
    raise ConfigError(f"no prompt named '{name}' (known: {', '.join(known)})")
