"""xAPI statements -> CompletionRecord. Pure functions over the xAPI 1.0.3 / cmi5 shapes.

Verbs that carry a completion fact (docs/connectors.md §3.2):

=========================================================  =============
``http://adlnet.gov/expapi/verbs/completed``               ``completed``
``http://adlnet.gov/expapi/verbs/passed``                  ``passed``
``https://w3id.org/xapi/adl/verbs/satisfied`` (cmi5)       ``completed``
``https://w3id.org/xapi/adl/verbs/waived`` (cmi5)          ``completed``
``http://adlnet.gov/expapi/verbs/failed``                  ``failed`` (recorded; earns nothing)
=========================================================  =============

``http://adlnet.gov/expapi/verbs/voided`` with a ``StatementRef`` object voids an earlier statement: the
earlier statement's record is re-emitted with status ``revoked``. Every other verb (launched, initialized,
terminated, ...) is not a completion and is skipped.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cebridge.domain.records import CompletionRecord, CourseRef, LearnerRef, RecordStatus
from connectors.values import parse_datetime, to_decimal

__all__ = ["COMPLETION_VERBS", "VOIDED", "is_voiding", "learner_of", "to_record", "voided_target"]

ADL = "http://adlnet.gov/expapi/verbs/"
COMPLETION_VERBS: dict[str, RecordStatus] = {
    ADL + "completed": "completed",
    ADL + "passed": "passed",
    "https://w3id.org/xapi/adl/verbs/satisfied": "completed",
    "https://w3id.org/xapi/adl/verbs/waived": "completed",
    ADL + "failed": "failed",
}
VOIDED = ADL + "voided"


def verb_of(statement: dict[str, Any]) -> str | None:
    verb = statement.get("verb")
    return verb.get("id") if isinstance(verb, dict) and isinstance(verb.get("id"), str) else None


def is_voiding(statement: dict[str, Any]) -> bool:
    obj = statement.get("object")
    return verb_of(statement) == VOIDED and isinstance(obj, dict) and obj.get("objectType") == "StatementRef"


def voided_target(statement: dict[str, Any]) -> str | None:
    """The id of the statement a voiding statement voids."""
    obj = statement.get("object")
    target = obj.get("id") if isinstance(obj, dict) else None
    return str(target) if target else None


def learner_of(actor: Any) -> LearnerRef:
    """Learner keys from an Agent: ``mbox`` -> e-mail; ``account.name`` / ``openid`` / sha1 -> platform id."""
    if not isinstance(actor, dict):
        raise ValueError("statement has no actor")
    email = None
    platform_id = None
    mbox = actor.get("mbox")
    if isinstance(mbox, str) and mbox.lower().startswith("mailto:"):
        email = mbox[7:]
    account = actor.get("account")
    if isinstance(account, dict) and account.get("name"):
        platform_id = str(account["name"])
    elif actor.get("openid"):
        platform_id = str(actor["openid"])
    elif actor.get("mbox_sha1sum"):
        platform_id = "sha1:" + str(actor["mbox_sha1sum"])
    if email is None and platform_id is None:
        raise ValueError("the actor has no mbox, account, openid or mbox_sha1sum (a Group is not a learner)")
    name = actor.get("name") if isinstance(actor.get("name"), str) else None
    return LearnerRef(platform_user_id=platform_id, email=email, name=name)


def _title(obj: dict[str, Any]) -> str | None:
    definition = obj.get("definition")
    names = definition.get("name") if isinstance(definition, dict) else None
    if isinstance(names, dict) and names:
        for lang in ("en-US", "en", "und"):
            if isinstance(names.get(lang), str):
                return str(names[lang])
        first = next(iter(names.values()))
        return str(first) if first else None
    return None


def _score(result: Any) -> Decimal | None:
    """The score as a percentage: ``scaled * 100`` when given, else ``raw / max * 100``, else ``raw``."""
    if not isinstance(result, dict) or not isinstance(result.get("score"), dict):
        return None
    score = result["score"]
    scaled = to_decimal(score.get("scaled"))
    if scaled is not None:
        return scaled * 100
    raw, top = to_decimal(score.get("raw")), to_decimal(score.get("max"))
    if raw is not None and top:
        return raw / top * 100
    return raw


def to_record(statement: dict[str, Any], *, source: str, status: RecordStatus | None = None) -> CompletionRecord:
    """The record of one completion-verb statement (``status`` overrides, e.g. ``revoked``).

    ``completed_at`` is the statement's ``timestamp`` (when the experience happened), else ``stored``.
    Raises ValueError for a statement that lacks what a record needs.
    """
    verb = verb_of(statement)
    if verb not in COMPLETION_VERBS:
        raise ValueError(f"verb {verb!r} is not a completion verb")
    obj = statement.get("object")
    if not isinstance(obj, dict) or obj.get("objectType", "Activity") != "Activity" or not obj.get("id"):
        raise ValueError("the object is not an Activity with an id")
    sid = statement.get("id")
    if not sid:
        raise ValueError("statement has no id")
    when = parse_datetime(statement.get("timestamp")) or parse_datetime(statement.get("stored"))
    return CompletionRecord(
        source=source,
        external_id=str(sid),
        learner=learner_of(statement.get("actor")),
        course=CourseRef(external_id=str(obj["id"]), title=_title(obj)),
        status=status or COMPLETION_VERBS[verb],
        completed_at=when,
        score=_score(statement.get("result")),
        raw=statement,
    )
