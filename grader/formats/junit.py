"""JUnit XML for CI systems: one testsuite per exercise, one testcase per check."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from grader.report import CheckResult, ExerciseResult, Report, Status

PROBLEMS = {
    Status.FAILED: "failure",
    Status.NOT_ATTEMPTED: "failure",
    Status.TIMEOUT: "failure",
    Status.ERROR: "error",
}


# Characters XML 1.0 cannot hold at all, not even escaped; a strict parser rejects them.
NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    return NOT_XML.sub("\ufffd", text)


def testcase(check: CheckResult) -> ET.Element:
    family, _, name = check.id.rpartition(".")
    case = ET.Element("testcase", classname=family, name=name, time=f"{check.duration_s:.3f}")
    properties = ET.SubElement(case, "properties")
    ET.SubElement(properties, "property", name="score", value=f"{check.score:g}")
    ET.SubElement(properties, "property", name="max_score", value=f"{check.max_score:g}")
    if check.status is Status.SKIPPED:
        ET.SubElement(case, "skipped", message=xml_text(check.message))
    elif check.status in PROBLEMS:
        message = xml_text(check.message)
        problem = ET.SubElement(
            case, PROBLEMS[check.status], message=message, type=check.status.value
        )
        problem.text = message
    if check.output:
        ET.SubElement(case, "system-out").text = xml_text(check.output)
    return case


def testsuite(exercise: ExerciseResult) -> ET.Element:
    counts = {kind: 0 for kind in ("failure", "error")}
    for check in exercise.checks:
        if check.status in PROBLEMS:
            counts[PROBLEMS[check.status]] += 1
    skipped = sum(c.status is Status.SKIPPED for c in exercise.checks)
    suite = ET.Element(
        "testsuite",
        name=exercise.name,
        tests=str(len(exercise.checks)),
        failures=str(counts["failure"]),
        errors=str(counts["error"]),
        skipped=str(skipped),
        time=f"{exercise.duration_s:.3f}",
    )
    suite.extend(testcase(c) for c in exercise.checks)
    return suite


def render(report: Report) -> str:
    root = ET.Element(
        "testsuites", name=f"grade {report.submission}", time=f"{report.duration_s:.3f}"
    )
    root.extend(testsuite(e) for e in report.exercises)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
