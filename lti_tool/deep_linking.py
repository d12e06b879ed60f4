"""Deep Linking: an instructor picks which CE offering of the catalog to place in the course.

The response is one ``ltiResourceLink`` per chosen offering, pointing at the tool's landing page, with a
``lineItem`` (so Moodle and Canvas create a gradebook column the AGS sink posts completions to) and custom
parameters naming the offering (``cebridge_offering``); on Canvas also ``canvas_user_id=$Canvas.user.id``.
pylti1p3 builds the message claims; the tool's key store signs them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from flask import Blueprint, Flask, render_template, request
from flask.typing import ResponseReturnValue
from pylti1p3.deep_link import DeepLink, TDeepLinkData
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem
from sqlalchemy import select

from cebridge.store.catalog_tables import Offering
from lti_tool.db import unit_of_work
from lti_tool.errors import LaunchRejected
from lti_tool.keys import signing_key
from lti_tool.launch_session import LaunchContext, current_launch, current_token, instructor_required
from lti_tool.placements import OFFERING_PARAM
from lti_tool.registry import to_pylti_registration
from lti_tool.runtime import runtime

bp = Blueprint("lti_deep_link", __name__)

DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
LINE_ITEM_TAG = "cebridge-ce-credit"


@dataclass(frozen=True)
class OfferingChoice:
    """An offering as the picker shows it."""

    id: str
    title: str
    credits: str
    categories: tuple[str, ...]


def catalog_choices() -> list[OfferingChoice]:
    """Every offering of the catalog, by title."""
    with unit_of_work(write=False) as session:
        rows = session.scalars(select(Offering).order_by(Offering.title, Offering.id)).all()
        return [
            OfferingChoice(
                id=str(r.id),
                title=r.title or r.offering_id,
                credits=f"{_plain(r.credits_amount)} {r.credits_unit}",
                categories=tuple(r.categories or ()),
            )
            for r in rows
        ]


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _deep_link_launch() -> LaunchContext:
    launch = current_launch()
    assert launch is not None
    if not launch.is_deep_linking:
        raise LaunchRejected("not_deep_linking", "this page is for placing content from a deep-linking launch")
    return launch


@bp.get("/lti/deep-link")
@instructor_required
def picker() -> ResponseReturnValue:
    """The list of offerings to place."""
    launch = _deep_link_launch()
    settings = launch.claims.get(DL_SETTINGS) or {}
    return render_template(
        "lti/deep_link.html",
        choices=catalog_choices(),
        multiple=str(settings.get("accept_multiple", "true")).lower() == "true",
        token=current_token(),
    )


@bp.post("/lti/deep-link")
@instructor_required
def respond() -> ResponseReturnValue:
    """Sign the deep-linking response for the chosen offerings and post it back to the platform."""
    launch = _deep_link_launch()
    chosen = [c for c in request.form.getlist("offering") if c]
    if not chosen:
        raise LaunchRejected("nothing_chosen", "choose at least one offering to place")
    by_id = {c.id: c for c in catalog_choices()}
    unknown = [c for c in chosen if c not in by_id]
    if unknown:
        raise LaunchRejected("unknown_offering", f"offering {unknown[0]!r} is not in the catalog", status=404)
    settings = launch.claims.get(DL_SETTINGS) or {}
    if str(settings.get("accept_multiple", "true")).lower() == "false":
        chosen = chosen[:1]
    jwt_value = deep_link_response(launch, [by_id[c] for c in chosen])
    return render_template("lti/deep_link_return.html", url=settings["deep_link_return_url"], jwt=jwt_value)


def _is_canvas(launch: LaunchContext) -> bool:
    platform = launch.claims.get("https://purl.imsglobal.org/spec/lti/claim/tool_platform") or {}
    family = platform.get("product_family_code") if isinstance(platform, dict) else None
    return family == "canvas" or launch.issuer.rstrip("/").endswith("instructure.com")


def deep_link_response(launch: LaunchContext, offerings: list[OfferingChoice]) -> str:
    """The signed ``LtiDeepLinkingResponse`` JWT placing ``offerings``."""
    rt = runtime()
    record = rt.registrations.get(launch.platform_id)
    settings = launch.claims.get(DL_SETTINGS) or {}
    resources = []
    for offering in offerings:
        custom = {OFFERING_PARAM: offering.id}
        if _is_canvas(launch):
            custom["canvas_user_id"] = "$Canvas.user.id"
        line_item = (
            LineItem()
            .set_score_maximum(1)
            .set_label(offering.title)
            .set_resource_id(offering.id)
            .set_tag(LINE_ITEM_TAG)
        )
        resources.append(
            DeepLinkResource()
            .set_url(rt.base_url + "/lti/home")
            .set_title(offering.title)
            .set_custom_params(custom)
            .set_lineitem(line_item)
        )
    deep_link = DeepLink(to_pylti_registration(record, None), launch.deployment_id, cast("TDeepLinkData", settings))
    message: dict[str, Any] = deep_link.get_message_jwt(resources)
    if message.get("https://purl.imsglobal.org/spec/lti-dl/claim/data") is None:
        message.pop("https://purl.imsglobal.org/spec/lti-dl/claim/data", None)
    now = int(time.time())
    message.update({"iat": now, "exp": now + 600})
    for item in message["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]:
        item["text"] = f"CE offering: {item['title']}"
    return signing_key().sign(message)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
