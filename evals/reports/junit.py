"""JUnit XML: one testsuite per eval suite, one testcase per case (failure text = the reasons)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from evals.baseline import Regression
from evals.runner import SuiteResult


def junit_xml(result: SuiteResult, regressions: Sequence[Regression] = ()) -> str:
    """The run as a JUnit XML document; baseline regressions fail their case too."""
    by_case: dict[str, list[Regression]] = {}
    for r in regressions:
        by_case.setdefault(r.case, []).append(r)
    counts = result.counts()
    failures = sum(
        1 for c in result.cases if c.status == "failed" or (c.id in by_case and c.status == "passed")
    )
    root = ET.Element("testsuites")
    suite = ET.SubElement(
        root,
        "testsuite",
        name=f"mkt.eval.{result.suite}",
        tests=str(len(result.cases)),
        failures=str(failures),
        errors=str(counts["error"]),
        skipped=str(counts["skipped"]),
        time=f"{result.seconds:.3f}",
        timestamp=result.started,
    )
    for case in result.cases:
        tc = ET.SubElement(suite, "testcase", classname=f"{result.suite}.{case.channel}", name=case.id)
        tc.set("time", f"{case.seconds:.3f}")
        if case.status == "skipped":
            ET.SubElement(tc, "skipped", message=case.reason)
        elif case.status == "error":
            ET.SubElement(tc, "error", message=case.reason)
        elif case.status == "failed":
            ET.SubElement(tc, "failure", message=case.reason[:500]).text = case.reason
        elif case.id in by_case:
            text = "; ".join(r.describe() for r in by_case[case.id])
            ET.SubElement(tc, "failure", message="score below baseline", type="regression").text = text
        lines = [f"{m} = {v:g}" for m, v in sorted(case.scores.items())]
        ET.SubElement(tc, "system-out").text = "\n".join(lines)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(result: SuiteResult, path: Path, regressions: Sequence[Regression] = ()) -> None:
    """Write the JUnit XML report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(junit_xml(result, list(regressions)), encoding="utf-8")
