"""Pull N completion records through the Canvas connector from a local Canvas-shaped server, and compare with
a floor measured in the same run: the very same pages fetched with plain ``requests`` and JSON-parsed only.

    python benchmarks/bench_connectors.py               # 100,000 records, 100-record pages
    python benchmarks/bench_connectors.py --n 2000      # quick
    python benchmarks/bench_connectors.py --json        # machine-readable

The ratio is connector time / floor time (1.0 = no overhead over fetching and parsing). Each side runs
``--repeat`` times (default 3), alternating, and the best time of each counts. The server runs in its own
process (as a real Canvas would), so its work does not compete with the client's for the interpreter lock.

Two clocks are read around each side: wall time (what a sync waits) and this process's CPU time
(``time.process_time``). The server is another process, so the client's CPU time is exactly the work of the
connector (or of the floor) itself: HTTP, JSON, records. Other load on the machine stretches wall time (each
request waits for the server and the client to get a CPU again) much more than CPU time, so the CPU ratio is
the steadier figure on a busy machine, though not immune (shared cores and caches slow every instruction);
both are printed, with the load average, and the wall-time ratio is the one held to the target.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import os
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from connectors.canvas import CanvasConfig, CanvasConnector  # noqa: E402
from examples.providers.canvas_server import CanvasServer, generate_site  # noqa: E402


def serve(courses: int, students: int, pipe: Connection) -> None:
    """Child process: run the Canvas-shaped server until the parent says stop."""
    site = generate_site(courses=courses, students=students, no_requirements=())
    site.rate_limit_remaining = None  # measure the connector, not its courtesy pauses
    site.cache_pages = True  # a fast provider makes the floor strict: pages are built once, then served from memory
    with CanvasServer(site) as server:
        pipe.send({"url": server.url, "token": site.token, "course_ids": [str(c) for c in site.courses]})
        pipe.recv()


class Clock:
    """Wall time and this process's CPU time over a ``with`` block."""

    wall = cpu = 0.0

    def __enter__(self) -> Clock:
        self._wall = time.perf_counter()
        self._cpu = time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu


def run_connector(info: dict[str, object], page_size: int) -> tuple[Clock, int, list[str]]:
    """Pull everything through the connector; also note every URL it fetched, for the floor."""
    config = CanvasConfig(
        base_url=str(info["url"]),
        token=str(info["token"]),
        course_ids=list(info["course_ids"]),  # type: ignore[call-overload]
        per_page=page_size,
        batch_size=page_size,
    )
    urls: list[str] = []
    count = 0
    with Clock() as clock, CanvasConnector(config) as connector:
        connector.client.session.hooks["response"].append(lambda response, *args, **kwargs: urls.append(response.url))
        for batch in connector.read({}):
            count += len(batch.records)
    return clock, count, urls


def run_floor(info: dict[str, object], urls: list[str]) -> tuple[Clock, int]:
    """The same pages with a plain requests session, JSON-parsed and nothing else."""
    session = requests.Session()
    headers = {"Authorization": f"Bearer {info['token']}", "Accept": "application/json"}
    items = 0
    with Clock() as clock:
        for url in urls:
            body = json.loads(session.get(url, headers=headers, timeout=60).content)
            items += len(body) if isinstance(body, list) else 1
    session.close()
    return clock, items


def main(argv: list[str] | None = None) -> dict[str, float | int]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="completion records to pull (default 100000)")
    parser.add_argument("--page-size", type=int, default=100, help="records per page (Canvas max 100)")
    parser.add_argument("--students", type=int, default=1000, help="students per course")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side; the best counts")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    students = min(args.students, args.n)
    courses = max(1, args.n // students)
    load_before = os.getloadavg()[0]
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.Process(target=serve, args=(courses, students, child), daemon=True)
    process.start()
    try:
        info = parent.recv()
        best_connector = best_floor = float("inf")
        cpu_connector = cpu_floor = float("inf")
        records = 0
        paths: list[str] = []
        run_connector(info, args.page_size)  # warm the server's page cache
        for _ in range(args.repeat):
            gc.collect()
            clock, records, paths = run_connector(info, args.page_size)
            best_connector = min(best_connector, clock.wall)
            cpu_connector = min(cpu_connector, clock.cpu)
            gc.collect()
            clock, _ = run_floor(info, paths)
            best_floor = min(best_floor, clock.wall)
            cpu_floor = min(cpu_floor, clock.cpu)
    finally:
        parent.send("stop")
        process.join(timeout=30)
    load_after = os.getloadavg()[0]
    ratio = best_connector / best_floor
    cpu_ratio = cpu_connector / cpu_floor
    results: dict[str, float | int] = {
        "records": records,
        "requests": len(paths),
        "page_size": args.page_size,
        "connector_seconds": round(best_connector, 3),
        "connector_records_per_second": round(records / best_connector),
        "floor_seconds": round(best_floor, 3),
        "floor_records_per_second": round(records / best_floor),
        "ratio": round(ratio, 3),
        "connector_cpu_seconds": round(cpu_connector, 3),
        "floor_cpu_seconds": round(cpu_floor, 3),
        "cpu_ratio": round(cpu_ratio, 3),
        "overhead_cpu_us_per_record": round((cpu_connector - cpu_floor) / records * 1e6, 2),
        "target_ratio": 1.5,
        "load_average_before": round(load_before, 2),
        "load_average_after": round(load_after, 2),
    }
    if args.json:
        print(json.dumps(results))
    else:
        print(f"records:   {records} in {len(paths)} requests ({args.page_size} per page)")
        rate = records / best_connector
        print(f"connector: {best_connector:8.3f} s  {rate:10.0f} records/s  (CPU {cpu_connector:.3f} s)")
        print(
            f"floor:     {best_floor:8.3f} s  {records / best_floor:10.0f} records/s  (CPU {cpu_floor:.3f} s; "
            "same pages: requests + json)"
        )
        verdict = "within" if ratio <= 1.5 else "NOT within"
        print(f"ratio:     {ratio:8.3f} x the floor ({verdict} the 1.5x target)")
        print(
            f"cpu ratio: {cpu_ratio:8.3f} x the floor's CPU time "
            f"({results['overhead_cpu_us_per_record']} us of CPU per record over the floor)"
        )
        cpus = os.cpu_count()
        print(f"load:      {load_before:.2f} before, {load_after:.2f} after (1-minute load average; {cpus} CPUs)")
    return results


if __name__ == "__main__":
    main()
