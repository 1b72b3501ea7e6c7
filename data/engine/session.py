"""The Spark session, started on first use (importing this module imports pyspark).

``MKT_SPARK_MASTER`` picks where the work runs: ``local[N]`` on this machine, a cluster manager URL
(``spark://``, ``yarn``, ``k8s://``), or a Spark Connect server (``sc://host:port``). The session
always computes in UTC (timestamps in the data are wall-clock times, as in DuckDB), moves data to
and from pandas through Arrow, and runs Python workers on this interpreter.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import warnings
from collections.abc import Callable
from functools import lru_cache
from typing import TypeVar

from pyspark.sql import SparkSession

from data.errors import ConfigError

T = TypeVar("T")

# pyspark 4.3 warns on every pandas conversion that pandas 3 is "not yet fully supported"; the
# conversions mkt uses (Arrow toPandas, mapInPandas on float and string columns) are tested here.
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)

JAVA_HINT = (
    "Apache Spark needs Java 17 (or 21): install it (Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`; "
    "macOS: `brew install openjdk@17`) and set JAVA_HOME, or use MKT_ENGINE=duckdb"
)


def java_version() -> int | None:
    """The major version of the ``java`` on PATH (or under JAVA_HOME), None when there is none."""
    home = os.environ.get("JAVA_HOME")
    java = os.path.join(home, "bin", "java") if home else shutil.which("java")
    if not java or not os.path.exists(java):
        return None
    try:
        done = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr + done.stdout)
    if not found:
        return None
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major


def local_cores(master: str) -> int:
    """Cores of a ``local[N]`` / ``local[*]`` master (the machine's for anything else)."""
    found = re.fullmatch(r"local\[(\d+|\*)(?:,\d+)?\]", master.strip())
    if found and found.group(1) != "*":
        return int(found.group(1))
    if master.strip() == "local":
        return 1
    return os.cpu_count() or 2


@lru_cache(maxsize=4)
def spark_session(master: str = "local[*]", partitions: int | None = None) -> SparkSession:
    """A Spark session on ``master`` (started once per process and master).

    Raises:
        ConfigError: Spark cannot start here (no Java for a local master), saying how to fix it.
    """
    builder = SparkSession.builder.appName("mkt")
    if master.startswith("sc://"):
        return builder.remote(master).getOrCreate()
    if master.startswith("local") and java_version() is None:
        raise ConfigError(f"MKT_ENGINE=spark with master {master}: no Java found. {JAVA_HINT}")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    shuffle = partitions or 2 * local_cores(master)
    conf = {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.shuffle.partitions": str(shuffle),
        "spark.default.parallelism": str(shuffle),
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.memory": os.environ.get("MKT_SPARK_DRIVER_MEMORY", "2g"),
        "spark.driver.extraJavaOptions": "-Duser.timezone=UTC",
        "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
    }
    for key, value in conf.items():
        builder = builder.config(key, value)
    try:
        session = builder.master(master).getOrCreate()
    except Exception as exc:  # py4j / JVM start-up failures come in several types
        raise ConfigError(f"Spark did not start on {master}: {exc}. {JAVA_HINT}") from exc
    session.sparkContext.setLogLevel("ERROR")
    return session


def share(session: SparkSession, value: T) -> Callable[[], T]:
    """``value`` broadcast to the executors once; call the result (on an executor) to read it.

    Spark Connect has no broadcast variables: there the value travels inside the function's closure
    (once per task), which is what a broadcast amounts to for a few parameters.
    """
    try:
        variable = session.sparkContext.broadcast(value)
    except Exception:  # Spark Connect: no SparkContext
        return lambda: value
    return lambda: variable.value
