"""Push N completions from a loopback provider through the whole sync pipeline into SQLite and PostgreSQL.

Prints records/s, peak RSS, and the ratio to a floor measured in the same run: inserting the same completion
rows with plain bulk inserts (no HTTP, no validation, no matching, no recompute).

    .venv/bin/python benchmarks/bench_sync.py --n 100000 [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, text  # noqa: E402

from cebridge.store.db import make_engine, session_factory, transaction  # noqa: E402
from cebridge.store.migrate import upgrade  # noqa: E402
from cebridge.store.tables import CompletionRow  # noqa: E402
from cebridge.store.types import utcnow  # noqa: E402
from cebridge.sync.ingest import record_hash  # noqa: E402
from cebridge.sync.pipeline import sync_connector  # noqa: E402
from tests.integration.helpers import add_clinicians, setup_provider  # noqa: E402
from tests.integration.provider import ProviderServer, Site  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def floor(url: str, site: Site, org_id: int) -> float:
    """Seconds to bulk-insert the same rows (10,000 per statement, one transaction)."""
    from cebridge.domain.records import CompletionRecord

    engine = make_engine(url)
    upgrade(engine)
    factory = session_factory(engine)
    with transaction(factory) as s:
        from cebridge.services.orgs import get_org

        org_id = get_org(s, None).id
    start = time.perf_counter()
    with transaction(factory) as s:
        chunk = []
        now = utcnow()
        for i in range(site.n):
            rec = CompletionRecord.model_validate(site.record(i))
            data = rec.model_dump(mode="json", include={"learner", "course", "raw"})
            chunk.append({"source": rec.source, "external_id": rec.external_id, "organization_id": org_id,
                          "match_status": "unmatched", "status": rec.status, "completed_at": rec.completed_at,
                          "completed_on": rec.completed_at.date() if rec.completed_at else None,
                          "learner": data["learner"], "course": data["course"], "raw": data["raw"],
                          "record_hash": record_hash(rec), "version": 1, "created_at": now, "updated_at": now})
            if len(chunk) == 10_000:
                s.execute(insert(CompletionRow), chunk)
                chunk = []
        if chunk:
            s.execute(insert(CompletionRow), chunk)
    engine.dispose()
    return time.perf_counter() - start


def run(backend: str, n: int, workdir: Path) -> None:
    urls: list[str] = []
    pg_names: list[str] = []
    for label in ("pipeline", "floor"):
        if backend == "sqlite":
            urls.append(f"sqlite:///{workdir / f'{label}.db'}")
        else:
            name = f"cebridge_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
            pg_names.append(name)
            urls.append(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
    try:
        learners = max(10, n // 100)
        site = Site(n, learners=learners, courses=50)
        engine = make_engine(urls[0])
        upgrade(engine)
        factory = session_factory(engine)
        with ProviderServer(site) as server:
            setup_provider(factory, server.url, courses=50, per_page=1000)
            add_clinicians(factory, range(learners * 9 // 10))
            start = time.perf_counter()
            summary = sync_connector(factory, "testlms")
            took = time.perf_counter() - start
        engine.dispose()
        assert summary.outcome == "ok" and summary.new == n, summary
        floor_s = floor(urls[1], site, 0)
        print(f"{backend}: n={n} pipeline {took:.1f}s ({n / took:,.0f} records/s, {summary.recomputed} licenses "
              f"recomputed) | floor {floor_s:.1f}s ({n / floor_s:,.0f} rows/s) | ratio {took / floor_s:.2f}x | "
              f"peak RSS {peak_rss_mb():.0f} MB")
    finally:
        for name in pg_names:
            admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            run(backend.strip(), args.n, Path(tmp))


if __name__ == "__main__":
    main()
