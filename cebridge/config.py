"""Settings from the environment (prefix ``CEBRIDGE_``), built once by the CLI or the app factory, never at import."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything cebridge reads from its environment.

    ``home`` holds the SQLite database, keys and generated files. ``database_url`` overrides the database
    (``postgresql+psycopg://...`` at scale). ``redis_url`` enables the distributed worker.
    """

    model_config = SettingsConfigDict(env_prefix="CEBRIDGE_", env_nested_delimiter="__", extra="ignore")

    home: Path = Path(".cebridge")
    database_url: str | None = None
    redis_url: str | None = None
    secret_key: SecretStr | None = None
    base_url: str = "http://127.0.0.1:5000"
    packs_dirs: list[Path] = Field(default_factory=list)
    secrets_dir: Path | None = None

    @property
    def resolved_database_url(self) -> str:
        """The database URL: the override, or SQLite under ``home``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'cebridge.db').resolve()}"

    def ensure_home(self) -> Path:
        """Create ``home`` (mode 0700: it holds keys and clinician data) and return it."""
        self.home.mkdir(parents=True, exist_ok=True)
        self.home.chmod(0o700)
        return self.home
