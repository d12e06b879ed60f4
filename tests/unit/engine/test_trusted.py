"""Reports the engine builds without re-validation are the same as fully validated ones."""

from __future__ import annotations

from cebridge.domain.engine import evaluate
from cebridge.domain.report import ComplianceReport
from tests.unit.engine.factories import done, lic, pack, version


def test_trusted_report_equals_a_validated_one() -> None:
    v = version(caps=[{"id": "self", "title": "Self", "match": {"formats": ["self_study"]}, "max_hours": 1,
                       "source": ["s"]}])
    cs = [done("a", 3, categories=["ethics"]), done("b", 2, format="self_study", title="B"),
          done("late", 1, on="2026-01-01", title="L")]
    report = evaluate(lic(), cs, pack(v))
    again = ComplianceReport.model_validate(report.model_dump())
    assert again == report
    assert again.model_dump_json() == report.model_dump_json()
    models = [report, report.total, *report.requirements, *report.completions]
    models += [r for c in report.completions for r in c.reasons]
    for m in models:
        assert set(m.__dict__) == set(type(m).model_fields), f"{type(m).__name__} built without every field"
    assert [a.requirement for a in report.awards] == ["total", "ethics", "total"]
    assert report.completions[1].reasons[0].code == "over_cap"
