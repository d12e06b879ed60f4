"""Push N completions from a loopback provider through the whole sync pipeline into SQLite and PostgreSQL.

For each backend it prints records/s, the sync process's CPU seconds and peak RSS, and the ratio to a floor
measured in the same run: the very same completion rows (read back from the pipeline's database and prepared
before the clock starts) inserted into an identically set-up empty database with one bulk insert in one
transaction, timed with its commit. Two bulk inserts are measured and the faster is the floor: SQLAlchemy Core
``insert(completions)`` with all rows (``executemany``), and the store's own ``bulk_insert`` of all rows
(``bulk``: the driver's executemany on SQLite, one COPY on PostgreSQL). The floor does no HTTP, validation,
hashing, matching, mapping, audit or recompute.

Each part runs in its own process, as it would in production: the provider server (so serving pages does not
compete with the sync for the interpreter lock), the sync (so its peak RSS is its own), and the floor (which
holds every row in memory at once, so it must not count towards the sync's RSS).

    .venv/bin/python benchmarks/bench_sync.py --n 100000 [--backends sqlite,postgresql] [--provider paged|canvas]

``--provider paged`` (default) is the minimal paged provider of the integration tests
(``tests/integration/provider.py``); ``--provider canvas`` runs the real Canvas connector against the
Canvas-shaped server of ``examples/providers/canvas_server.py`` (slower: the connector and its server then
bound the rate; ``benchmarks/bench_connectors.py`` measures the connector alone).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import tempfile
import time
import uuid
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432/"
CANVAS_TOKEN_ENV = "CEBRIDGE_BENCH_CANVAS_TOKEN"  # noqa: S105 - the name of a variable, not a secret


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the provider, in its own process ------------------------------------------------------------------


def serve(provider: str, plan: dict[str, int], pipe: Connection) -> None:
    """Child process: serve the provider until the parent says stop."""
    if provider == "paged":
        from tests.integration.provider import ProviderServer, Site

        with ProviderServer(Site(plan["n"], learners=plan["learners"], courses=plan["courses"])) as server:
            pipe.send({"url": server.url})
            pipe.recv()
        return
    from examples.providers.canvas_server import CanvasServer, generate_site

    site = generate_site(courses=plan["courses"], students=plan["learners"], no_requirements=())
    site.rate_limit_remaining = None  # measure the pipeline, not the connector's courtesy pauses
    with CanvasServer(site) as server:
        pipe.send({"url": server.url, "token": site.token, "course_ids": [str(c) for c in site.courses]})
        pipe.recv()


def plan_for(provider: str, n: int, students: int) -> dict[str, int]:
    """How many learners and courses make ``n`` records (and how many learners are known clinicians)."""
    if provider == "paged":
        learners = max(10, n // 100)
        return {"n": n, "learners": learners, "courses": 50, "clinicians": learners * 9 // 10}
    students = min(students, n)
    courses = max(1, n // students)
    return {"n": courses * students, "learners": students, "courses": courses, "clinicians": students * 9 // 10}


# -- setting up a database the same way for the pipeline and the floor ---------------------------------


def _setup(url: str, provider: str, plan: dict[str, int], info: dict[str, Any], batch: int) -> Any:
    from cebridge.services import people, providers
    from cebridge.store.db import make_engine, session_factory, transaction
    from cebridge.store.migrate import upgrade
    from tests.integration.helpers import CONNECTOR, catalog, license_json

    engine = make_engine(url)
    upgrade(engine)
    factory = session_factory(engine)
    if provider == "paged":
        config: dict[str, Any] = {"url": info["url"], "per_page": batch, "timeout": 60}
        entries = catalog(plan["courses"])
        connector, email = CONNECTOR, "learner{}@example.org"
    else:
        os.environ[CANVAS_TOKEN_ENV] = str(info["token"])
        config = {
            "base_url": info["url"],
            "token": {"env": CANVAS_TOKEN_ENV},
            "course_ids": info["course_ids"],
            "per_page": 100,
            "batch_size": batch,
        }
        entries = catalog(len(info["course_ids"]))
        for entry, cid in zip(entries, info["course_ids"], strict=True):
            entry["keys"] = {"external_id": cid}
        connector, email = "canvas", "clinician{}@example.org"
    with transaction(factory) as s:
        providers.add_provider(s, "testlms", connector=connector, config=config)
        providers.import_catalog(s, "testlms", entries, "catalog")
    for start in range(0, plan["clinicians"], 500):
        with transaction(factory) as s:
            for i in range(start, min(start + 500, plan["clinicians"])):
                c = people.add_clinician(s, name=f"Learner {i}", email=email.format(i))
                people.add_license(s, c, license_json(f"LPC {70000 + i}"), where="license")
    return engine, factory


def pipeline_child(
    url: str, provider: str, plan: dict[str, int], info: dict[str, Any], batch: int, pipe: Connection
) -> None:
    """Child process: set up, then time one whole ``sync_connector`` (records, state, audit, recompute)."""
    from cebridge.sync.pipeline import sync_connector

    engine, factory = _setup(url, provider, plan, info, batch)
    cpu = time.process_time()
    start = time.perf_counter()
    summary = sync_connector(factory, "testlms")
    took = time.perf_counter() - start
    cpu = time.process_time() - cpu
    engine.dispose()
    pipe.send({"took": took, "cpu": cpu, "rss": peak_rss_mb(), "summary": summary.to_json()})


def floor_child(
    source_url: str, url: str, provider: str, plan: dict[str, int], info: dict[str, Any], batch: int, pipe: Connection
) -> None:
    """Child process: the same completion rows, read back and prepared first, then bulk-inserted two ways.

    ``executemany``: SQLAlchemy Core ``insert(completions)`` with every row, one transaction. ``bulk``: the
    store's own :func:`~cebridge.store.bulk.bulk_insert` of every row, one transaction (SQLite: the driver's
    executemany; PostgreSQL: one COPY). The table is emptied in between. The faster one is the floor.
    """
    from sqlalchemy import delete, insert, select, text

    from cebridge.store.bulk import bulk_insert
    from cebridge.store.db import make_engine
    from cebridge.store.tables import CompletionRow

    table = CompletionRow.__table__
    engine, _factory = _setup(url, provider, plan, info, batch)
    source = make_engine(source_url)
    with source.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(table).order_by(table.c.id))]
    source.dispose()
    for row in rows:
        del row["id"]
    times = {}
    for method in ("executemany", "bulk"):
        start = time.perf_counter()
        with engine.begin() as conn:
            if method == "executemany":
                conn.execute(insert(table), rows)
            else:
                bulk_insert(conn, table, rows)
        times[method] = time.perf_counter() - start
        if method == "executemany":  # empty the table the way each backend gives back a fresh one
            if engine.dialect.name == "postgresql":
                with engine.begin() as conn:
                    conn.execute(text("TRUNCATE completions CASCADE"))
            else:
                with engine.begin() as conn:
                    conn.execute(delete(table))
                raw = engine.raw_connection()  # VACUUM runs outside a transaction
                try:
                    raw.driver_connection.execute("VACUUM")  # type: ignore[union-attr]
                finally:
                    raw.close()
    engine.dispose()
    pipe.send({"times": times, "rows": len(rows)})


def _in_child(ctx: Any, target: Any, *args: Any) -> dict[str, Any]:
    parent, child = ctx.Pipe()
    process = ctx.Process(target=target, args=(*args, child))
    process.start()
    child.close()  # only the child holds its end now, so its death ends recv() with EOFError
    try:
        result: dict[str, Any] = parent.recv()
    except EOFError:
        process.join()
        raise SystemExit(f"{target.__name__} failed (exit code {process.exitcode})") from None
    process.join()
    return result


# -- one backend ---------------------------------------------------------------------------------------


def _databases(backend: str, workdir: Path) -> tuple[list[str], list[str]]:
    urls: list[str] = []
    pg_names: list[str] = []
    for label in ("pipeline", "floor"):
        if backend == "sqlite":
            urls.append(f"sqlite:///{workdir / f'{backend}-{label}.db'}")
            continue
        from sqlalchemy import create_engine, text

        name = f"cebridge_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        pg_names.append(name)
        urls.append(PG_BASE + name)
    return urls, pg_names


def _drop(pg_names: list[str]) -> None:
    from sqlalchemy import create_engine, text

    for name in pg_names:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(backend: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    plan = plan_for(args.provider, args.n, args.students)
    n = plan["n"]
    urls, pg_names = _databases(backend, workdir)
    parent, child = ctx.Pipe()
    server = ctx.Process(target=serve, args=(args.provider, plan, child), daemon=True)
    server.start()
    try:
        info = parent.recv()
        load = os.getloadavg()[0]
        done = _in_child(ctx, pipeline_child, urls[0], args.provider, plan, info, args.batch)
        summary = done["summary"]
        if summary["outcome"] != "ok" or summary["read"] != n:
            raise SystemExit(f"{backend}: the sync did not read every record: {summary}")
        floor = _in_child(ctx, floor_child, urls[0], urls[1], args.provider, plan, info, args.batch)
    finally:
        parent.send("stop")
        server.join(timeout=30)
        _drop(pg_names)
    took, times = done["took"], floor["times"]
    method = min(times, key=times.__getitem__)
    floor_s = times[method]
    other = ", ".join(f"{m} {t:.1f}s" for m, t in times.items() if m != method)
    print(
        f"{backend}: n={n} pipeline {took:.1f}s ({n / took:,.0f} records/s, cpu {done['cpu']:.1f}s, "
        f"{summary['recomputed']} licenses recomputed) | floor {floor_s:.1f}s ({floor['rows'] / floor_s:,.0f} rows/s, "
        f"{method}; {other}) | ratio {took / floor_s:.2f}x | peak RSS {done['rss']:.0f} MB | load {load:.1f}",
        flush=True,
    )
    return {"backend": backend, "n": n, "seconds": took, "floor_seconds": floor_s, "rss_mb": done["rss"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="completion records (default 1,000,000)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--provider", choices=("paged", "canvas"), default="paged")
    parser.add_argument("--batch", type=int, default=1000, help="records per page and per stored batch")
    parser.add_argument("--students", type=int, default=2000, help="canvas: students per course")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            run(backend.strip(), args, Path(tmp))


if __name__ == "__main__":
    main()
