"""The domain core is pure: importing it loads no HTTP, web, database or LTI library."""

from __future__ import annotations

import subprocess
import sys

FORBIDDEN = {"requests", "flask", "sqlalchemy", "pylti1p3", "celery", "redis", "psycopg", "yaml"}


def test_domain_imports_no_io_libraries() -> None:
    code = (
        "import sys, cebridge.domain, cebridge.domain.engine, cebridge.domain.planner; "
        f"bad = {sorted(FORBIDDEN)!r}; "
        "print(sorted(m for m in bad if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_domain_reads_no_clock_or_environment() -> None:
    from pathlib import Path

    import cebridge.domain

    root = Path(cebridge.domain.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        text = path.read_text()
        for needle in ("date.today(", "datetime.now(", "datetime.utcnow(", "os.environ", "getenv(", "time.time("):
            if needle in text:
                offenders.append(f"{path.name}: {needle}")
    assert offenders == []
