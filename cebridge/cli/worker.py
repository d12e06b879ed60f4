"""``cebridge worker``: run Celery workers (and the schedule) for syncs, recomputes and deliveries."""

from __future__ import annotations

import click

from cebridge.config import Settings


@click.command("worker")
@click.option("--concurrency", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--beat/--no-beat", default=True, show_default=True, help="also run the schedule (scheduled syncs)")
@click.option("--key-prefix", help="Redis key prefix, to share one Redis between deployments")
@click.option("--loglevel", default="INFO", show_default=True)
def worker_command(concurrency: int, beat: bool, key_prefix: str | None, loglevel: str) -> None:
    """Run a worker on CEBRIDGE_REDIS_URL against CEBRIDGE_DATABASE_URL (the same pipeline as `cebridge sync`)."""
    from cebridge.worker import make_celery

    app = make_celery(Settings(), key_prefix=key_prefix)
    argv = ["worker", f"--concurrency={concurrency}", f"--loglevel={loglevel}", "--pool=prefork"]
    if beat:
        argv.append("--beat")
    app.worker_main(argv)


commands = [worker_command]
