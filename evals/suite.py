"""Eval suites in YAML: brands, cases (fixed copy or a generator to run), expectations, tolerances.

A suite file looks like::

    name: copy_regression
    brands:
      trailhead: {name: ..., postal_address: ..., examples: [...], personalization_fields: [...]}
    defaults: {brand: trailhead, language: en, thresholds: {max_grade: 9}}
    tolerances: {readability: 1.0, brand_voice: 0.05}
    cases:
      - id: winback-email
        channel: email
        segment: at risk
        offer: {product: Ridgeback 3 trail shoe, price: 139, discount: 15%, code: RUN15}
        variants: [{subject: ..., body: ...}]      # fixed copy, or:
        generate: {generator: copy, n_variants: 3}  # copy written by a registered generator
        expect: {passed: true}                      # or {passed: false, failing: [grounding]}
"""

from __future__ import annotations

import importlib.resources
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from data.errors import ConfigError, DataValidationError
from evals.types import Channel, CheckContext, Thresholds

DEFAULT_TOLERANCES: dict[str, float] = {
    "length": 0.1,
    "tokens": 0.0,
    "grounding": 0.0,
    "compliance": 0.0,
    "spam": 0.05,
    "cta": 0.2,
    "readability": 1.0,
    "language": 0.1,
    "sentiment": 0.15,
    "brand_voice": 0.05,
    "diversity": 0.05,
    "meta_talk": 0.0,
    "instruction_echo": 0.0,
    "entities": 0.0,
    "claims": 0.0,
    "off_topic": 0.05,
    "broken_text": 0.0,
    "tone": 0.0,
    "language_match": 0.1,
    "grammar": 0.0,
}


class BrandSpec(BaseModel):
    """A brand's name, postal address, voice examples and personalization fields."""

    name: str
    postal_address: str | None = None
    examples: list[str] = Field(default_factory=list)
    personalization_fields: list[str] = Field(default_factory=lambda: ["first_name"])
    catalogue: list[str] = Field(default_factory=list, description="Product names copy may mention.")
    facts: list[str] = Field(default_factory=list, description="Claims the brand may make (awards...).")


class GenerateSpec(BaseModel):
    """Ask a registered generator (``copy`` is the copy tool) for variants."""

    generator: str = "copy"
    n_variants: int = Field(default=3, ge=1, le=20)
    options: dict[str, Any] = Field(default_factory=dict)


class Expectation(BaseModel):
    """What the case should come out as: overall verdict and metrics that must fail."""

    passed: bool = True
    failing: list[str] = Field(default_factory=list)


class Case(BaseModel):
    """One eval case: inputs, and either fixed copy variants or a generator to run."""

    id: str = Field(min_length=1)
    channel: Channel
    segment: str | None = None
    offer: dict[str, str | int | float | date] = Field(default_factory=dict)
    brand: str | None = None
    language: str | None = None
    variants: list[dict[str, str]] = Field(default_factory=list)
    generate: GenerateSpec | None = None
    expect: Expectation = Field(default_factory=Expectation)
    thresholds: dict[str, float] = Field(default_factory=dict)
    require_cta: bool = True

    @model_validator(mode="after")
    def _one_source(self) -> Case:
        if bool(self.variants) == (self.generate is not None):
            raise ValueError(f"case '{self.id}' needs exactly one of 'variants' (fixed copy) or 'generate'")
        return self


class Defaults(BaseModel):
    """Values every case inherits unless it sets its own."""

    brand: str | None = None
    language: str | None = "en"
    thresholds: dict[str, float] = Field(default_factory=dict)


class Suite(BaseModel):
    """A named set of cases with shared brands, defaults and baseline tolerances."""

    name: str
    description: str = ""
    brands: dict[str, BrandSpec] = Field(default_factory=dict)
    defaults: Defaults = Field(default_factory=Defaults)
    tolerances: dict[str, float] = Field(default_factory=dict)
    cases: list[Case] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Suite:
        ids = [c.id for c in self.cases]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate case ids: {', '.join(dupes)}")
        for case in self.cases:
            brand = case.brand or self.defaults.brand
            if brand is not None and brand not in self.brands:
                raise ValueError(f"case '{case.id}' names unknown brand '{brand}'")
            bad = set(case.thresholds) - set(Thresholds.model_fields)
            if bad:
                raise ValueError(f"case '{case.id}' has unknown thresholds: {', '.join(sorted(bad))}")
        return self

    def tolerance(self, metric: str) -> float:
        """Allowed drop of a metric's score against the baseline."""
        return self.tolerances.get(metric, DEFAULT_TOLERANCES.get(metric, 0.05))

    def context(self, case: Case) -> CheckContext:
        """The check context of one case: its offer, its brand's details, merged thresholds."""
        key = case.brand or self.defaults.brand
        brand = self.brands[key] if key else None
        thresholds = Thresholds.model_validate({**self.defaults.thresholds, **case.thresholds})
        return CheckContext(
            offer=case.offer,
            brand=brand.name if brand else None,
            postal_address=brand.postal_address if brand else None,
            brand_examples=brand.examples if brand else [],
            personalization_fields=brand.personalization_fields if brand else ["first_name"],
            catalogue=brand.catalogue if brand else [],
            brand_facts=brand.facts if brand else [],
            segment=case.segment,
            language=case.language or self.defaults.language,
            require_cta=case.require_cta,
            thresholds=thresholds,
        )


def suite_path(name_or_path: str | Path) -> Path:
    """A suite file: an existing path, or the name of a packaged suite (``copy_regression``)."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    packaged = importlib.resources.files("evals") / "suites" / f"{path.stem}.yaml"
    if packaged.is_file():
        return Path(str(packaged))
    names = sorted(p.name.removesuffix(".yaml") for p in available_suites())
    raise ConfigError(f"no suite '{name_or_path}': give a YAML file or one of: {', '.join(names) or 'none'}")


def available_suites() -> list[Path]:
    """The suites shipped with mkt."""
    root = importlib.resources.files("evals") / "suites"
    return sorted(Path(str(p)) for p in root.iterdir() if p.name.endswith(".yaml"))


def load_suite(name_or_path: str | Path) -> Suite:
    """Read and validate a suite; errors name the file and what is wrong."""
    path = suite_path(name_or_path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DataValidationError(f"not valid YAML: {exc}", file=str(path)) from None
    if not isinstance(raw, dict):
        raise DataValidationError("a suite is a mapping with 'name' and 'cases'", file=str(path))
    raw.setdefault("name", path.stem)
    try:
        return Suite.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise DataValidationError(f"{where}: {first['msg']}", file=str(path)) from None
