"""Certificate data: which completions get one, the wording per approver, credits per approver and category."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from cebridge.certificates.build import build_certificate, certificate_id, select
from cebridge.certificates.errors import CertificateInputError
from cebridge.certificates.model import CertificateData, ProviderProfile
from cebridge.certificates.statements import apa_statement, clock_hours, credit_display, statement_for
from cebridge.domain.completion import Completion, Credits
from cebridge.domain.engine import evaluate
from cebridge.domain.license import License
from cebridge.domain.report import ComplianceReport
from cebridge.domain.rules import RulePack
from tests.unit.certificates.conftest import BASE_URL, NOW, PROVIDER

APA_VERBATIM = (
    "Lone Star CE is approved by the American Psychological Association to sponsor continuing education for "
    "psychologists. Lone Star CE maintains responsibility for this program and its content."
)


def test_only_accepted_completions_of_this_provider_are_certified(
    license_: License, completions: list[Completion], provider: ProviderProfile, pack: RulePack
) -> None:
    other = completions[0].model_copy(update={"id": "x9", "provider": "Another Provider"})
    unknown = completions[1].model_copy(update={"id": "u0"})
    report = evaluate(license_, [*completions, other], pack, as_of=NOW.date())
    chosen, skipped = select(report, [*completions, other, unknown], provider)
    assert [c.id for c, _ in chosen] == ["t1", "t2", "t3"]
    reasons = {s.completion_id: s.reason for s in skipped}
    assert "outside_cycle" in reasons["t4"]
    assert "Another Provider" in reasons["x9"]
    assert reasons["u0"] == "not in the compliance report"


def test_apa_statement_is_verbatim_with_the_provider_name(certs: dict[str, CertificateData]) -> None:
    apa = certs["t1"].approver("APA")
    assert apa is not None
    assert apa.statement == APA_VERBATIM == apa_statement("Lone Star CE")
    assert apa.approval_id is None and apa.display == "6 CE credits"


def test_nbcc_states_clock_hours_and_ceus_and_the_acep_number(certs: dict[str, CertificateData]) -> None:
    nbcc = certs["t2"].approver("NBCC")
    assert nbcc is not None
    assert nbcc.display == "3 CE clock hours (0.3 CEU)"
    assert "ACEP No. 6000" in nbcc.statement
    assert nbcc.statement.startswith("Lone Star CE has been approved by NBCC as an Approved Continuing Education")


def test_aswb_statement_has_provider_number_period_and_delivery_format(certs: dict[str, CertificateData]) -> None:
    ace = certs["t3"].approver("ASWB-ACE")
    assert ace is not None
    assert "provider #1046" in ace.statement
    assert "2023-01-01 to 2026-01-01" in ace.statement
    assert "Delivery format: Live, in person." in ace.statement
    assert ace.display == "1.5 continuing education credits"
    assert certs["t3"].hours == Decimal("1.5")


def test_categories_and_board_acceptance(certs: dict[str, CertificateData]) -> None:
    cert = certs["t3"]
    assert [(c.category, c.label, c.hours) for c in cert.categories] == [
        ("cultural_diversity", "Cultural diversity", Decimal("1.5"))
    ]
    assert cert.acceptance.board == "tx-lpc" and cert.acceptance.status == "accepted"
    assert cert.acceptance.allocation == {"cultural_diversity": Decimal("1.5")}
    assert (cert.license_state, cert.license_profession) == ("TX", "LPC")
    assert cert.verification_url == f"{BASE_URL}/verify/{cert.certificate_id}"


def test_certificate_ids_are_stable_and_revisions_differ() -> None:
    args = {"provider": "P", "board": "tx-lpc", "license_number": "1", "holder": "A B", "completion_id": "c"}
    first = certificate_id(**args)
    assert first == certificate_id(**args)
    assert first != certificate_id(**args, revision=1)
    assert first != certificate_id(**{**args, "license_number": "2"})
    assert first.startswith("CE-") and len(first) == 3 + 16 + 3


def test_a_differing_apa_statement_is_refused(provider: ProviderProfile) -> None:
    approval = provider.approvals[0].model_copy(update={"statement": "Lone Star CE is APA approved."})
    with pytest.raises(CertificateInputError, match="verbatim"):
        statement_for(approval, "Lone Star CE", "1 CE credits", "Self-study (home study)")
    same = provider.approvals[0].model_copy(update={"statement": "  " + APA_VERBATIM.replace(". ", ".  ") + " "})
    assert statement_for(same, "Lone Star CE", "1 CE credits", "x") == APA_VERBATIM


def test_nbcc_and_aswb_need_their_numbers() -> None:
    bad = copy.deepcopy(PROVIDER)
    bad["approvals"][1]["id"] = None
    profile = ProviderProfile.model_validate(bad)
    with pytest.raises(CertificateInputError, match="ACEP number"):
        statement_for(profile.approvals[1], profile.name, "1", "x")
    bad["approvals"][2]["id"] = ""
    profile = ProviderProfile.model_validate(bad)
    with pytest.raises(CertificateInputError, match="ACE provider number"):
        statement_for(profile.approvals[2], profile.name, "1", "x")


def test_provider_statement_must_carry_the_number_and_gets_the_format(provider: ProviderProfile) -> None:
    nbcc = provider.approvals[1].model_copy(update={"statement": "Approved by NBCC."})
    with pytest.raises(CertificateInputError, match="6000"):
        statement_for(nbcc, provider.name, "1", "x")
    ace = provider.approvals[2].model_copy(update={"statement": "Lone Star CE, #1046, is ACE approved."})
    assert statement_for(ace, provider.name, "1", "Self-study (home study)").endswith(
        "Delivery format: Self-study (home study)."
    )


def test_claimed_approval_the_provider_lacks_is_an_error(
    license_: License, completions: list[Completion], report: ComplianceReport
) -> None:
    only_nbcc = copy.deepcopy(PROVIDER)
    only_nbcc["approvals"] = [only_nbcc["approvals"][1]]
    profile = ProviderProfile.model_validate(only_nbcc)
    with pytest.raises(CertificateInputError, match="claims APA approval"):
        build_certificate(
            license=license_,
            completion=completions[0],
            result=report.completions[0],
            rule_version="v",
            provider=profile,
            issued_at=NOW,
            base_url=BASE_URL,
        )


def test_license_without_holder_or_number_is_an_error(
    completions: list[Completion], report: ComplianceReport, provider: ProviderProfile
) -> None:
    for missing in ("holder", "license_number"):
        lic = License.model_validate({"board": "tx-lpc", "holder": "A", "license_number": "1", missing: None})
        with pytest.raises(CertificateInputError, match=missing):
            build_certificate(
                license=lic,
                completion=completions[0],
                result=report.completions[0],
                rule_version="v",
                provider=provider,
                issued_at=NOW,
                base_url=BASE_URL,
            )


def test_units_convert_to_clock_hours() -> None:
    assert clock_hours(Credits(amount=Decimal(90), unit="minutes")) == Decimal("1.5")
    assert clock_hours(Credits(amount=Decimal("0.6"), unit="ceu")) == Decimal(6)
    assert clock_hours(Credits(amount=Decimal(2), unit="ce_credits")) == Decimal(2)
    with pytest.raises(CertificateInputError, match="days"):
        clock_hours(Credits(amount=Decimal(1), unit="days"))
    assert credit_display("NAADAC", Decimal("2.25")) == ("CE hours", "2.25 CE hours")


def test_provider_profile_rejects_bad_colors_and_duplicate_bodies() -> None:
    bad = copy.deepcopy(PROVIDER)
    bad["template"] = {"primary_color": "blue"}
    with pytest.raises(ValueError, match="color"):
        ProviderProfile.model_validate(bad)
    dup = copy.deepcopy(PROVIDER)
    dup["approvals"].append({"body": "apa"})
    with pytest.raises(ValueError, match="listed twice"):
        ProviderProfile.model_validate(dup)
