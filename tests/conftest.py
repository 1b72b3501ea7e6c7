"""Shared fixtures: an isolated workspace per test and one small generated dataset per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from data.synth.generate import GeneratedData, generate  # noqa: E402
from data.workspace import Workspace  # noqa: E402

if TYPE_CHECKING:
    from data.engine.source import SparkSource


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own empty workspace; no MKT_* variable leaks in from the shell."""
    for key in list(os.environ):
        if key.startswith("MKT_") or key in ("OPENAI_API_KEY",):
            monkeypatch.delenv(key, raising=False)
    home = tmp_path / "mkt-home"
    monkeypatch.setenv("MKT_HOME", str(home))
    yield home


@pytest.fixture(scope="session")
def sample_data(tmp_path_factory: pytest.TempPathFactory) -> GeneratedData:
    """3,000 generated customers (seed 11), shared read-only by the whole session."""
    return generate(tmp_path_factory.mktemp("sample"), 3000, seed=11)


@pytest.fixture(scope="session")
def large_sample(tmp_path_factory: pytest.TempPathFactory) -> GeneratedData:
    """20,000 generated customers (seed 5) for parameter-recovery tests."""
    return generate(tmp_path_factory.mktemp("large"), 20000, seed=5, file_format="parquet")


@pytest.fixture(scope="session")
def spark_master() -> str:
    """``local[2]`` when Spark can run here; otherwise the Spark tests are skipped, saying why."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        pytest.skip("pyspark is not installed: `pip install -e '.[spark]'` (make test installs it)")
    from data.engine.session import JAVA_HINT, java_version

    version = java_version()
    if version not in (17, 21):  # what pyspark 4 runs on (the Makefile's check says the same)
        pytest.skip(f"no Java 17 or 21 for Spark (found: {version or 'none'}): {JAVA_HINT}")
    return "local[2]"


@pytest.fixture(scope="session")
def spark_data(tmp_path_factory: pytest.TempPathFactory) -> GeneratedData:
    """1,500 generated customers (seed 11) as Parquet, for the DuckDB-versus-Spark equality tests."""
    return generate(tmp_path_factory.mktemp("spark"), 1500, seed=11, file_format="parquet")


@pytest.fixture(scope="session")
def spark_engines(
    spark_master: str, spark_data: GeneratedData, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Workspace, SparkSource]:
    """The same generated data in a DuckDB workspace and as a Spark source on ``local[2]``."""
    from data.engine.source import open_spark_source
    from data.loader import load_files

    workspace = Workspace(tmp_path_factory.mktemp("spark-ws") / "ws")
    load_files(workspace, dict(spark_data.tables))
    return workspace, open_spark_source(workspace, dict(spark_data.tables), master=spark_master, partitions=2)
