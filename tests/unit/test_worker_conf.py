"""The worker keeps its schedule state under CEBRIDGE_HOME, not in the directory it was started from."""

from __future__ import annotations

from pathlib import Path

from cebridge.config import Settings
from cebridge.worker import make_celery


def test_beat_schedule_lives_in_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    app = make_celery(Settings(home=home, redis_url="redis://127.0.0.1:6379/15"))
    assert Path(app.conf.beat_schedule_filename).parent == home
    assert home.is_dir()
