"""The dashboard's pages: overview (this course and renewal progress), certificates, plan (and its calendar),
onboarding, and the instructor's roster.

Every page needs a launch token (``?lt=`` in links, a hidden ``lt`` field in forms; see
:mod:`lti_tool.launch_session`) and never a cookie, so it works in an LMS iframe that keeps none. A request
without a valid token gets a 401 page that says to open the activity from the course again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, redirect, render_template, request
from flask.typing import ResponseReturnValue

from cebridge.domain.planner import to_ics
from cebridge.errors import CebridgeError, InputError, NotFound, StorageError
from cebridge.services import people
from lti_tool.dashboard.blueprint import as_of, bp, packs, registry
from lti_tool.dashboard.certificates_view import certificates
from lti_tool.dashboard.course import course_credit, resolve_placement
from lti_tool.dashboard.identity import actor, ensure_clinician, find_clinician
from lti_tool.dashboard.onboarding import (
    ATTRIBUTE_QUESTIONS,
    CSRF_FIELD,
    DEGREE_LEVELS,
    LicenseForm,
    board_needs,
    csrf_ok,
    csrf_token,
    field_boards,
    validate,
)
from lti_tool.dashboard.plan_view import FORMAT_NAMES, build_plan, course_when, parse_inputs
from lti_tool.dashboard.progress import progress_view
from lti_tool.dashboard.record import Record, load_record
from lti_tool.dashboard.roster_view import roster_view
from lti_tool.db import unit_of_work
from lti_tool.errors import LaunchRejected
from lti_tool.launch_session import (
    TOKEN_PARAM,
    LaunchContext,
    current_launch,
    current_token,
    instructor_required,
    launch_required,
    launch_url,
)

NAV = (
    ("dashboard.overview", "My progress", False),
    ("dashboard.certificates_page", "Certificates", False),
    ("dashboard.plan", "Plan", False),
    ("dashboard.onboarding", "Add a license", False),
    ("dashboard.roster", "Course roster", True),
)


def _launch() -> LaunchContext:
    launch = current_launch()
    assert launch is not None
    return launch


def _page(template: str, status: int = 200, **values: Any) -> ResponseReturnValue:
    launch = _launch()
    nav = [(endpoint, label) for endpoint, label, instructors in NAV if launch.is_instructor or not instructors]
    return (
        render_template(
            f"dashboard/{template}",
            launch=launch,
            nav=nav,
            token=current_token(),
            token_param=TOKEN_PARAM,
            **values,
        ),
        status,
    )


def _record(launch: LaunchContext) -> Record | None:
    with unit_of_work(write=False) as session:
        clinician = find_clinician(session, launch)
        if clinician is None:
            return None
        return load_record(session, clinician.id, packs(), as_of())


def _needs_onboarding(record: Record | None) -> bool:
    return record is None or not record.standings


@bp.get("/")
@launch_required
def overview() -> ResponseReturnValue:
    """What this course earns for each license, and the renewal progress of each."""
    launch = _launch()
    day = as_of()
    with unit_of_work(write=False) as session:
        clinician = find_clinician(session, launch)
        record = load_record(session, clinician.id, packs(), day) if clinician is not None else None
        placement = resolve_placement(session, launch)
    if _needs_onboarding(record) and not launch.is_instructor:
        return redirect(launch_url("dashboard.onboarding"), 303)
    standings = record.standings if record is not None else []
    credits = []
    if placement.offering is not None and record is not None:
        credits = [course_credit(s, placement.offering, record, packs(), day) for s in standings]
    progress = {s.row.id: progress_view(s.report, day) for s in standings if s.report is not None}
    saved = request.args.get("saved")
    return _page(
        "overview.html",
        standings=standings,
        progress=progress,
        placement=placement,
        credits=credits,
        saved=next((s.board_title for s in standings if s.row.board == saved), None),
        as_of=day,
        format_names=FORMAT_NAMES,
    )


@bp.get("/certificates")
@launch_required
def certificates_page() -> ResponseReturnValue:
    """Certificates to download, with their verification pages."""
    launch = _launch()
    with unit_of_work(write=False) as session:
        clinician = find_clinician(session, launch)
        record = load_record(session, clinician.id, packs(), as_of()) if clinician is not None else None
        lines, waiting = certificates(session, record) if record is not None else ([], [])
    if _needs_onboarding(record) and not launch.is_instructor:
        return redirect(launch_url("dashboard.onboarding"), 303)
    return _page("certificates.html", certificates=lines, waiting=waiting)


def _plan_result() -> tuple[Any, Any]:
    launch = _launch()
    inputs = parse_inputs(request.args)
    with unit_of_work(write=False) as session:
        clinician = find_clinician(session, launch)
        if clinician is None:
            return inputs, None
        record = load_record(session, clinician.id, packs(), as_of())
        if not record.standings:
            return inputs, None
        if inputs.errors:
            return inputs, False
        return inputs, build_plan(session, record, packs(), as_of(), inputs)


@bp.get("/plan")
@launch_required
def plan() -> ResponseReturnValue:
    """The courses that close the gaps at the least cost, within the budget and weekly hours given."""
    inputs, result = _plan_result()
    if result is None:
        return redirect(launch_url("dashboard.onboarding"), 303)
    return _page(
        "plan.html",
        422 if inputs.errors else 200,
        inputs=inputs,
        result=result or None,
        format_names=FORMAT_NAMES,
        course_when=course_when,
    )


@bp.get("/plan.ics")
@launch_required
def plan_ics() -> ResponseReturnValue:
    """The plan as an iCalendar file: one event per course and one per renewal deadline."""
    inputs, result = _plan_result()
    if result is None:
        raise LaunchRejected("no_license", "add your license first: there is nothing to plan for", status=404)
    if result is False:
        first = next(iter(inputs.errors.values()))
        raise LaunchRejected("bad_plan_input", first, status=400)
    if result.plan is None:
        raise LaunchRejected("no_plan", result.error or "no plan could be made", status=404)
    text = to_ics(result.plan, dtstamp=datetime.now(UTC).replace(microsecond=0), name="CE learning plan")
    return Response(
        text.encode("utf-8"),
        mimetype="text/calendar",
        headers={"Content-Disposition": 'attachment; filename="ce-learning-plan.ics"'},
    )


def _onboarding_page(form: LicenseForm, status: int = 200) -> ResponseReturnValue:
    launch = _launch()
    reg = registry()
    needs = board_needs(reg)
    boards = field_boards(needs)
    for key in form.errors:  # a fact only the engine asked for still gets its field, next to its error
        if key.startswith("attr_") and form.values.get("board") not in boards.setdefault(key, []):
            boards[key].append(form.values.get("board", ""))
    with unit_of_work(write=False) as session:
        clinician = find_clinician(session, launch)
        record = load_record(session, clinician.id, packs(), as_of()) if clinician is not None else None
    return _page(
        "onboarding.html",
        status,
        form=form,
        needs=needs,
        field_boards=boards,
        attribute_questions=ATTRIBUTE_QUESTIONS,
        degree_levels=DEGREE_LEVELS,
        csrf_field=CSRF_FIELD,
        csrf=csrf_token(launch.id),
        first=_needs_onboarding(record),
        existing=[s.board_title for s in record.standings] if record is not None else [],
    )


@bp.get("/onboarding")
@launch_required
def onboarding() -> ResponseReturnValue:
    """The license form: board, number, cycle (or the date the board derives it from) and the board's facts."""
    return _onboarding_page(LicenseForm())


@bp.post("/onboarding")
@launch_required
def onboarding_submit() -> ResponseReturnValue:
    """Validate the license form; store the license for the launching clinician and show their progress."""
    launch = _launch()
    if not csrf_ok(launch.id, request.form.get(CSRF_FIELD)):
        raise LaunchRejected(
            "bad_form_token", "this form could not be verified: open the activity from your course and try again"
        )
    reg = registry()
    form = validate(request.form, board_needs(reg), reg, as_of(), holder=launch.name)
    if not form.valid or form.license is None:
        return _onboarding_page(form, 422)
    try:
        with unit_of_work() as session:
            clinician = ensure_clinician(session, launch)
            people.add_license(session, clinician, form.license, where="license form", actor=actor(launch))
    except InputError as exc:
        if "license number" in exc.user_message:
            form.errors["license_number"] = (
                "This license number is already on another clinician's record; ask your administrator for help"
            )
        else:
            form.problem = exc.user_message
        return _onboarding_page(form, 422)
    return redirect(launch_url("dashboard.overview", saved=form.license["board"]), 303)


@bp.get("/roster")
@instructor_required
def roster() -> ResponseReturnValue:
    """The course roster's compliance: who is short on what, and by when."""
    launch = _launch()
    with unit_of_work(write=False) as session:
        view = roster_view(session, launch, packs(), as_of())
    return _page("roster.html", view=view, as_of=as_of())


def _error(code: str, message: str, status: int) -> ResponseReturnValue:
    return render_template("dashboard/error.html", code=code, message=message), status, {"Cache-Control": "no-store"}


@bp.errorhandler(LaunchRejected)
def _rejected(exc: LaunchRejected) -> ResponseReturnValue:
    return _error(exc.code, exc.user_message, exc.status_code)


@bp.errorhandler(NotFound)
def _not_found(exc: NotFound) -> ResponseReturnValue:
    return _error("not_found", exc.user_message, 404)


@bp.errorhandler(StorageError)
def _storage(exc: StorageError) -> ResponseReturnValue:
    return _error("unavailable", "the clinician record is unavailable right now; try again in a minute", 503)


@bp.errorhandler(CebridgeError)
def _other(exc: CebridgeError) -> ResponseReturnValue:
    return _error("error", exc.user_message, 400)
