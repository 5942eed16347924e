"""The JSON score report (the schema lives in grader/report.schema.json)."""

from grader.report import Report, dumps


def render(report: Report) -> str:
    return dumps(report)
