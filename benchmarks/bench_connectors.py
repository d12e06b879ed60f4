"""Pull N completion records through the Canvas connector from a local Canvas-shaped server, and compare with
a floor measured in the same run: the very same pages fetched with plain ``requests`` and JSON-parsed only.

    python benchmarks/bench_connectors.py               # 100,000 records, 100-record pages
    python benchmarks/bench_connectors.py --n 2000      # quick
    python benchmarks/bench_connectors.py --json        # machine-readable

The ratio is connector time / floor time (1.0 = no overhead over fetching and parsing). The server runs in its
own process (as a real Canvas would), so its work does not compete with the client's for the interpreter lock.

The two sides are interleaved: the connector reads, and whenever it has fetched ``--every`` more pages (32, about
one course) it is paused between two batches while the floor fetches those same pages, on its own session, on
its own clock. Both sides so run at the same moments and see the same load from the rest of the machine, which
on a shared machine moves a ratio of two separate runs by tens of percent. Each run is repeated ``--repeat``
times (default 3, after one warm-up run); the run with the median ratio is reported, and every run is listed.

Two clocks are read for each side: wall time (what a sync waits) and this process's CPU time
(``time.process_time``). The server is another process, so the client's CPU time is exactly the work of the
connector (or of the floor) itself: HTTP, JSON, records. Both ratios are printed, with the load average; the
wall-time ratio is the one held to the target.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

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


class Timer:
    """Wall time and this process's CPU time, summed over the stretches between ``start`` and ``stop``."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0
        self._wall = self._cpu = 0.0

    def start(self) -> None:
        self._wall = time.perf_counter()
        self._cpu = time.process_time()

    def stop(self) -> None:
        self.wall += time.perf_counter() - self._wall
        self.cpu += time.process_time() - self._cpu


class Floor:
    """The floor: a plain requests session, each page fetched and JSON-parsed, nothing else."""

    def __init__(self, token: str) -> None:
        self.session = requests.Session()
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self.timer = Timer()
        self.items = 0

    def fetch(self, urls: list[str]) -> None:
        self.timer.start()
        for url in urls:
            body = json.loads(self.session.get(url, headers=self.headers, timeout=60).content)
            self.items += len(body) if isinstance(body, list) else 1
        self.timer.stop()

    def close(self) -> None:
        self.session.close()


@dataclass(frozen=True)
class Run:
    """One interleaved run: both sides' wall and CPU seconds over the same pages."""

    records: int
    requests: int
    connector_wall: float
    connector_cpu: float
    floor_wall: float
    floor_cpu: float

    @property
    def ratio(self) -> float:
        return self.connector_wall / self.floor_wall

    @property
    def cpu_ratio(self) -> float:
        return self.connector_cpu / self.floor_cpu


def run_interleaved(info: dict[str, object], page_size: int, every: int) -> Run:
    """Pull everything through the connector, pausing it every ``every`` pages for the floor to fetch them."""
    config = CanvasConfig(
        base_url=str(info["url"]),
        token=str(info["token"]),
        course_ids=list(info["course_ids"]),  # type: ignore[call-overload]
        per_page=page_size,
        batch_size=page_size,
    )
    urls: list[str] = []
    handed = 0
    records = 0
    floor = Floor(str(info["token"]))
    timer = Timer()
    timer.start()
    connector = CanvasConnector(config)
    with connector:
        connector.client.session.hooks["response"].append(lambda response, *args, **kwargs: urls.append(response.url))
        for batch in connector.read({}):
            records += len(batch.records)
            if len(urls) - handed >= every:
                timer.stop()
                floor.fetch(urls[handed:])
                handed = len(urls)
                timer.start()
    timer.stop()
    floor.fetch(urls[handed:])
    floor.close()
    return Run(records, len(urls), timer.wall, timer.cpu, floor.timer.wall, floor.timer.cpu)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="completion records to pull (default 100000)")
    parser.add_argument("--page-size", type=int, default=100, help="records per page (Canvas max 100)")
    parser.add_argument("--students", type=int, default=1000, help="students per course")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved runs; the median ratio is reported")
    parser.add_argument("--every", type=int, default=32, help="pages the connector fetches between floor turns")
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
        run_interleaved(info, args.page_size, args.every)  # warm the server's page cache and both clients
        runs: list[Run] = []
        for _ in range(max(1, args.repeat)):
            gc.collect()
            runs.append(run_interleaved(info, args.page_size, args.every))
    finally:
        parent.send("stop")
        process.join(timeout=30)
    load_after = os.getloadavg()[0]
    median = sorted(runs, key=lambda run: run.ratio)[(len(runs) - 1) // 2]
    records = median.records
    results: dict[str, Any] = {
        "records": records,
        "requests": median.requests,
        "page_size": args.page_size,
        "connector_seconds": round(median.connector_wall, 3),
        "connector_records_per_second": round(records / median.connector_wall),
        "floor_seconds": round(median.floor_wall, 3),
        "floor_records_per_second": round(records / median.floor_wall),
        "ratio": round(median.ratio, 3),
        "connector_cpu_seconds": round(median.connector_cpu, 3),
        "floor_cpu_seconds": round(median.floor_cpu, 3),
        "cpu_ratio": round(median.cpu_ratio, 3),
        "overhead_cpu_us_per_record": round((median.connector_cpu - median.floor_cpu) / records * 1e6, 2),
        "target_ratio": 1.5,
        "load_average_before": round(load_before, 2),
        "load_average_after": round(load_after, 2),
        "interleave_every": args.every,
        "runs": [
            {
                "connector_seconds": round(run.connector_wall, 3),
                "connector_cpu_seconds": round(run.connector_cpu, 3),
                "floor_seconds": round(run.floor_wall, 3),
                "floor_cpu_seconds": round(run.floor_cpu, 3),
                "ratio": round(run.ratio, 3),
                "cpu_ratio": round(run.cpu_ratio, 3),
            }
            for run in runs
        ],
    }
    if args.json:
        print(json.dumps(results))
        return results
    print(
        f"records:   {records} in {median.requests} requests ({args.page_size} per page); "
        f"{len(runs)} runs, the floor's turn every {args.every} pages"
    )
    for i, run in enumerate(runs, 1):
        print(
            f"run {i}:     connector {run.connector_wall:7.3f} s (CPU {run.connector_cpu:.3f} s), "
            f"floor {run.floor_wall:7.3f} s (CPU {run.floor_cpu:.3f} s), "
            f"ratio {run.ratio:.3f} (CPU {run.cpu_ratio:.3f})"
        )
    rate = records / median.connector_wall
    print(f"connector: {median.connector_wall:8.3f} s  {rate:10.0f} records/s  (CPU {median.connector_cpu:.3f} s)")
    print(
        f"floor:     {median.floor_wall:8.3f} s  {records / median.floor_wall:10.0f} records/s  "
        f"(CPU {median.floor_cpu:.3f} s; same pages: requests + json)"
    )
    verdict = "within" if median.ratio <= 1.5 else "NOT within"
    print(f"ratio:     {median.ratio:8.3f} x the floor ({verdict} the 1.5x target; the median run)")
    print(
        f"cpu ratio: {median.cpu_ratio:8.3f} x the floor's CPU time "
        f"({results['overhead_cpu_us_per_record']} us of CPU per record over the floor)"
    )
    cpus = os.cpu_count()
    print(f"load:      {load_before:.2f} before, {load_after:.2f} after (1-minute load average; {cpus} CPUs)")
    return results


if __name__ == "__main__":
    main()
