"""Full LTI 1.3 launches per second: cebridge's tool against a bare pylti1p3 Flask tool (the floor).

Each launch is what a browser does: GET the OIDC login (the tool answers with the redirect to the platform),
then POST the id_token and state to the launch URL. Both tools run in-process under Flask's test client,
in the same run, on the same pre-signed platform messages; only the two tool requests are timed (the
platform's RSA signing is done outside the clock, as it is the platform's cost, not the tool's). The launch's
303 is not followed: the page it leads to (the dashboard, when installed) is not part of a launch, and the
benchmark checks that the redirect goes to the landing URL with a launch token.

The floor is pylti1p3 as its README suggests: ``FlaskOIDCLogin`` and ``FlaskMessageLaunch`` with a
``ToolConfDict`` holding the platform's JWKS in memory and state in the Flask cookie session. It does not
consume nonces, keeps nothing server-side and issues no launch token; cebridge's tool additionally stores the
login state, consumes the nonce, stores the launch record and signs a launch token (SQLite under a temporary
CEBRIDGE_HOME, with the store's own connection settings: WAL, synchronous=NORMAL; printed with the results).

Each request is timed by wall clock and by this process's CPU time (``time.process_time``): both tools run in
this one process, so the CPU ratio moves less with load from other processes than the wall-clock ratio.

Usage: ``python benchmarks/bench_launch.py [--n 300] [--database-url URL]``; prints launches/s for both, the
wall-clock, median and CPU-time ratios, and the machine's load average.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, redirect
from flask.testing import FlaskClient
from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
from pylti1p3.tool_config import ToolConfDict

ISSUER = "https://platform.bench"
CLIENT_ID = "bench-client"
DEPLOYMENT = "1"
KID = "platform-key-1"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"


class Platform:
    """Signs launch messages like a platform; the tools get its JWKS without HTTP."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": KID, "alg": "RS256", "use": "sig"})
        self.jwks = {"keys": [jwk]}

    def id_token(self, nonce: str, target: str, n: int) -> str:
        now = int(time.time())
        body = {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "azp": CLIENT_ID,
            "sub": f"user-{n % 50}",
            "nonce": nonce,
            "iat": now,
            "exp": now + 300,
            "name": "Jordan Lee",
            "email": "jordan@example.org",
            CLAIM + "message_type": "LtiResourceLinkRequest",
            CLAIM + "version": "1.3.0",
            CLAIM + "deployment_id": DEPLOYMENT,
            CLAIM + "target_link_uri": target,
            CLAIM + "resource_link": {"id": "rl-1", "title": "Ethics"},
            CLAIM + "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
            CLAIM + "context": {"id": "course-1", "title": "CE for clinicians"},
        }
        return jwt.encode(body, self.key, algorithm="RS256", headers={"kid": KID})


def floor_app(platform: Platform, tool_key_pem: str) -> Flask:
    """A bare pylti1p3 Flask tool, as its documentation sets one up."""
    conf = ToolConfDict(
        {
            ISSUER: [
                {
                    "default": True,
                    "client_id": CLIENT_ID,
                    "auth_login_url": ISSUER + "/auth",
                    "auth_token_url": ISSUER + "/token",
                    "auth_audience": None,
                    "key_set_url": None,
                    "key_set": platform.jwks,
                    "deployment_ids": [DEPLOYMENT],
                }
            ]
        }
    )
    conf.set_private_key(ISSUER, tool_key_pem, client_id=CLIENT_ID)
    app = Flask("floor")
    app.secret_key = "bench-floor-secret"  # noqa: S105 - a throwaway benchmark app

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        return FlaskOIDCLogin(FlaskRequest(), conf).redirect("http://floor.test/launch")

    @app.post("/launch")
    def launch() -> Any:
        message = FlaskMessageLaunch(FlaskRequest(), conf)
        data = message.get_launch_data()
        return redirect("/home?launch=" + message.get_launch_id() + "&u=" + data["sub"], 303)

    return app


def store_settings(app: Flask) -> str:
    """The tool's database as its store set it up (on SQLite: journal mode and synchronous level)."""
    from sqlalchemy import text

    from lti_tool.db import engine_of

    engine = engine_of(app)
    if engine.dialect.name != "sqlite":
        return f"{engine.dialect.name} (the server's CPU time is not in the CPU ratio)"
    levels = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
    with engine.connect() as conn:
        journal = conn.execute(text("PRAGMA journal_mode")).scalar()
        sync = conn.execute(text("PRAGMA synchronous")).scalar()
    return f"SQLite journal_mode={journal}, synchronous={levels.get(int(sync or 0), sync)}"


def tool_app(platform: Platform, home: Path, database_url: str | None = None) -> Flask:
    """cebridge's tool with the platform registered and its key set already cached.

    Its tables are created here; a ``database_url`` must name a database without them (they are dropped at
    the end by :func:`drop_tables`)."""
    from sqlalchemy import inspect

    import cebridge.store.tables  # noqa: F401
    from cebridge.config import Settings
    from cebridge.store.base import Base
    from cebridge.store.db import transaction
    from cebridge.store.lti_tables import LtiPlatformKeySet
    from lti_tool import create_app
    from lti_tool.db import engine_of, sessions_of
    from lti_tool.runtime import runtime

    app = create_app(Settings(home=home, base_url="http://tool.test", database_url=database_url))
    if inspect(engine_of(app)).has_table("lti_platform"):
        raise SystemExit("the benchmark needs a database without cebridge's tables (it drops them at the end)")
    Base.metadata.create_all(engine_of(app))
    runtime(app).registrations.add(
        issuer=ISSUER,
        client_id=CLIENT_ID,
        auth_login_url=ISSUER + "/auth",
        auth_token_url=ISSUER + "/token",
        key_set_url=ISSUER + "/jwks",
        deployment_ids=[DEPLOYMENT],
    )
    with transaction(sessions_of(app)) as session:
        session.add(LtiPlatformKeySet(key_set_url=ISSUER + "/jwks", jwks=platform.jwks, fetched_at=int(time.time())))
    return app


def drop_tables(app: Flask) -> None:
    """Drop the tables :func:`tool_app` created."""
    from cebridge.store.base import Base
    from lti_tool.db import engine_of

    engine = engine_of(app)
    engine.dispose()
    Base.metadata.drop_all(engine)
    engine.dispose()


class Runner:
    """Launches against one tool, each from a new browser (a fresh cookie jar); records the tool's time."""

    def __init__(
        self, app: Flask, platform: Platform, login_path: str, launch_path: str, target: str, landing: str
    ) -> None:
        self.app, self.platform = app, platform
        self.login_path, self.launch_path, self.target = login_path, launch_path, target
        self.landing = landing  # where a launch's 303 must point (it is not followed)
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.count = 0

    def launch(self, record: bool = True) -> None:
        i = self.count
        self.count += 1
        client: FlaskClient = self.app.test_client()
        query = {
            "iss": ISSUER,
            "login_hint": f"user-{i % 50}",
            "target_link_uri": self.target,
            "client_id": CLIENT_ID,
            "lti_message_hint": f"m{i}",
            "lti_deployment_id": DEPLOYMENT,
        }
        t0, c0 = time.perf_counter(), time.process_time()
        login = client.get(self.login_path, query_string=query)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        auth = parse_qs(urlsplit(login.headers["Location"]).query)
        token = self.platform.id_token(auth["nonce"][0], self.target, i)  # the platform's work: not timed
        t0, c0 = time.perf_counter(), time.process_time()
        resp = client.post(self.launch_path, data={"id_token": token, "state": auth["state"][0]})
        wall, cpu = wall + time.perf_counter() - t0, cpu + time.process_time() - c0
        if resp.status_code != 303:
            raise SystemExit(f"launch failed: {resp.status_code} {resp.get_data(as_text=True)[:300]}")
        if not resp.headers["Location"].startswith(self.landing):
            raise SystemExit(f"launch went elsewhere: {resp.headers['Location'][:80]}")
        if record:
            self.wall.append(wall)
            self.cpu.append(cpu)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="launches per tool (default 300)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed launches first (default 20)")
    parser.add_argument(
        "--database-url",
        default=None,
        help="the tool's database (default: SQLite under a temporary home); one without cebridge's tables, "
        "e.g. an empty PostgreSQL database: its tables are created and dropped",
    )
    args = parser.parse_args(argv)
    platform = Platform()
    tool_key = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    with tempfile.TemporaryDirectory() as tmp:
        app = tool_app(platform, Path(tmp) / "home", args.database_url)
        tool = Runner(
            app,
            platform,
            "/lti/login",
            "/lti/launch",
            "http://tool.test/lti/home",
            landing="http://tool.test/lti/home?lt=",
        )
        floor = Runner(
            floor_app(platform, tool_key), platform, "/login", "/launch", "http://floor.test/home", landing="/home?"
        )
        store = store_settings(app)
        try:
            for _ in range(args.warmup):
                floor.launch(record=False)
                tool.launch(record=False)
            # Alternate launch by launch, so that load from other processes hits both tools alike.
            for _ in range(max(1, args.n)):
                floor.launch()
                tool.launch()
        finally:
            drop_tables(app)
    n = len(tool.wall)
    t_tool, t_floor = sum(tool.wall), sum(floor.wall)
    floor_rate, tool_rate = n / t_floor, n / t_tool
    ratio = t_tool / t_floor
    median_ratio = statistics.median(tool.wall) / statistics.median(floor.wall)
    cpu_ratio = sum(tool.cpu) / sum(floor.cpu)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"launches: {n} per tool (login + launch, tool time only); load average {load}; {store}")
    for label, r, runner in (("pylti1p3 floor", floor_rate, floor), ("cebridge tool ", tool_rate, tool)):
        print(
            f"{label}: {r:8.1f} launches/s  (mean {1000 * sum(runner.wall) / n:.2f} ms, "
            f"median {1000 * statistics.median(runner.wall):.2f} ms, CPU {1000 * sum(runner.cpu) / n:.2f} ms)"
        )
    print(
        f"ratio (cebridge time / floor time): {ratio:.2f}x  (target <= 1.30x); "
        f"median ratio {median_ratio:.2f}x; CPU time ratio {cpu_ratio:.2f}x"
    )
    return {
        "floor": floor_rate,
        "tool": tool_rate,
        "ratio": ratio,
        "median_ratio": median_ratio,
        "cpu_ratio": cpu_ratio,
    }


if __name__ == "__main__":
    main()
