"""Ralph (ralph-malph 5.1, filesystem backend) as a real LRS on 127.0.0.1 for the xAPI connector's tests.

:func:`running_lrs` starts ``uvicorn ralph_patched_app:app`` on port 0 with a temporary data directory and a
Basic-auth credentials file, waits until it listens, yields an :class:`Lrs`, and stops it.
``ralph_patched_app`` works around the two fs-backend bugs recorded in docs/connectors.md §3.3.
Other Ralph deviations the tests live with: ``since`` filters on ``timestamp`` (not ``stored``), a page asked
for ``ascending`` comes newest first, and no ``X-Experience-API-Version`` header is sent back.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bcrypt
import requests

HERE = Path(__file__).parent
USER, PASSWORD = "cebridge-key", "lrs-secret-0123456789"
ADL = "http://adlnet.gov/expapi/verbs/"


@dataclass
class Lrs:
    url: str  # the xAPI root, e.g. http://127.0.0.1:PORT/xAPI
    username: str
    password: str

    def post(self, statements: list[dict[str, Any]]) -> list[str]:
        response = requests.post(
            self.url + "/statements",
            json=statements,
            auth=(self.username, self.password),
            headers={"X-Experience-API-Version": "1.0.3"},
            timeout=10,
        )
        response.raise_for_status()
        ids: list[str] = response.json()
        return ids


def statement(verb: str, learner: int, course: int, **extra: Any) -> dict[str, Any]:
    """A statement with a fresh id; no timestamp, so the LRS sets it to the time it stores it."""
    return {
        "id": str(uuid.uuid4()),
        "actor": {
            "objectType": "Agent",
            "name": f"Clinician {learner}",
            "mbox": f"mailto:clinician{learner}@example.org",
        },
        "verb": {"id": ADL + verb, "display": {"en-US": verb}},
        "object": {
            "objectType": "Activity",
            "id": f"https://ce.example.org/courses/{course}",
            "definition": {"name": {"en-US": f"CE course {course}"}},
        },
        **extra,
    }


def voiding(target: str) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": "mailto:admin@example.org"},
        "verb": {"id": ADL + "voided", "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": target},
    }


@contextmanager
def running_lrs(data_dir: Path) -> Iterator[Lrs]:
    data_dir.mkdir(parents=True, exist_ok=True)
    auth_file = data_dir / "auth.json"
    auth_file.write_text(
        json.dumps(
            [
                {
                    "agent": {"objectType": "Agent", "mbox": "mailto:lrs@example.org"},
                    "scopes": ["all"],
                    "hash": bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode(),
                    "username": USER,
                }
            ]
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RALPH_", "CEBRIDGE_"))}
    env.update(
        RALPH_RUNSERVER_BACKEND="fs",
        RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH=str(data_dir),
        RALPH_AUTH_FILE=str(auth_file),
        RALPH_APP_DIR=str(data_dir / "app"),
    )
    command = [sys.executable, "-m", "uvicorn", "ralph_patched_app:app", "--app-dir", str(HERE)]
    command += ["--host", "127.0.0.1", "--port", "0", "--log-level", "info"]
    proc = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    assert proc.stderr is not None
    port: int | None = None
    seen: list[str] = []
    try:
        for line in proc.stderr:
            seen.append(line)
            found = re.search(r"running on http://127\.0\.0\.1:(\d+)", line)
            if found:
                port = int(found.group(1))
                break
        if port is None:
            raise RuntimeError("Ralph did not start:\n" + "".join(seen[-20:]))
        # keep draining its log so the pipe never fills up
        drain = threading.Thread(target=lambda: [None for _ in proc.stderr or ()], daemon=True)
        drain.start()
        yield Lrs(f"http://127.0.0.1:{port}/xAPI", USER, PASSWORD)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        if port is not None:
            drain.join(timeout=5)
        proc.stderr.close()
