"""The launch path's prepared statements on SQLite and PostgreSQL: parameters, JSON, errors, transactions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, bindparam, insert, select

import cebridge.store.tables  # noqa: F401  (every table on the metadata)
from cebridge.errors import ConcurrencyConflict, StorageError
from cebridge.store.base import Base
from cebridge.store.db import make_engine
from cebridge.store.lti_tables import LtiLaunch, LtiNonce, LtiPlatform
from lti_tool.statements import Prepared, autocommit, json_value, write_transaction
from tests.integration.conftest import db_url, pg_url  # noqa: F401  (SQLite, then a per-test PostgreSQL)

NONCES = LtiNonce.__table__
LAUNCHES = LtiLaunch.__table__
INSERT_NONCE = Prepared(insert(NONCES))
INSERT_LAUNCH = Prepared(insert(LAUNCHES))
CLAIMS_OF = Prepared(select(LAUNCHES.c.claims, LAUNCHES.c.verified).where(LAUNCHES.c.id == bindparam("id")))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:  # noqa: F811
    engine = make_engine(db_url)
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(LtiPlatform.__table__),
            {
                "issuer": "https://lms.example",
                "client_id": "c",
                "name": "",
                "auth_login_url": "https://lms.example/auth",
                "auth_token_url": "https://lms.example/token",
                "key_set_url": "https://lms.example/jwks",
                "created_at": 0,
            },
        )
    yield engine
    engine.dispose()


def _launch(launch_id: str, claims: dict[str, object]) -> dict[str, object]:
    return {
        "id": launch_id,
        "platform_id": 1,
        "deployment_id": "d",
        "message_type": "LtiResourceLinkRequest",
        "sub": "u",
        "context_id": None,
        "resource_link_id": "rl",
        "claims": claims,
        "verified": True,
        "created_at": 1,
        "expires_at": 2,
    }


def test_json_columns_round_trip_and_autocommit_commits(engine: Engine) -> None:
    claims = {"sub": "u", "roles": ["Learner"], "custom": {"a": "é"}, "n": 3}
    with autocommit(engine) as cursor:
        INSERT_LAUNCH.execute(cursor, engine.dialect, _launch("L1", claims))
    with autocommit(engine) as cursor:
        stored, verified = CLAIMS_OF.execute(cursor, engine.dialect, {"id": "L1"}).fetchone()
    assert json_value(stored) == claims
    assert bool(verified) is True


def test_a_duplicate_key_is_a_concurrency_conflict_that_does_not_show_the_values(engine: Engine) -> None:
    secret = "nonce-that-must-not-be-shown"
    with autocommit(engine) as cursor:
        INSERT_NONCE.execute(cursor, engine.dialect, {"platform_id": 1, "nonce": secret, "expires_at": 9})
    with pytest.raises(ConcurrencyConflict) as caught, autocommit(engine) as cursor:
        INSERT_NONCE.execute(cursor, engine.dialect, {"platform_id": 1, "nonce": secret, "expires_at": 9})
    assert "lti_nonce" in str(caught.value)  # the constraint is named, the values are not
    assert secret not in str(caught.value) and secret not in caught.value.user_message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    with autocommit(engine) as cursor:  # the failed statement left the pooled connection usable
        count = cursor.execute("SELECT count(*) FROM lti_nonce").fetchone()
    assert count is not None and count[0] == 1


def test_a_missing_parameter_is_named_and_nothing_is_written(engine: Engine) -> None:
    with pytest.raises(KeyError, match="expires_at"), autocommit(engine) as cursor:
        INSERT_NONCE.execute(cursor, engine.dialect, {"platform_id": 1, "nonce": "n"})
    with engine.connect() as conn:
        assert conn.execute(select(NONCES.c.nonce)).all() == []


def test_a_foreign_key_violation_is_a_conflict_too(engine: Engine) -> None:
    with pytest.raises(ConcurrencyConflict), autocommit(engine) as cursor:
        INSERT_NONCE.execute(cursor, engine.dialect, {"platform_id": 99, "nonce": "n", "expires_at": 9})


def test_a_write_transaction_commits_all_or_nothing(engine: Engine) -> None:
    with pytest.raises(RuntimeError), write_transaction(engine) as cursor:
        INSERT_NONCE.execute(cursor, engine.dialect, {"platform_id": 1, "nonce": "a", "expires_at": 9})
        raise RuntimeError("crash before commit")
    with pytest.raises(ConcurrencyConflict), write_transaction(engine) as cursor:
        INSERT_NONCE.execute(cursor, engine.dialect, {"platform_id": 1, "nonce": "b", "expires_at": 9})
        INSERT_NONCE.execute(cursor, engine.dialect, {"platform_id": 1, "nonce": "b", "expires_at": 9})
    with write_transaction(engine) as cursor:
        INSERT_NONCE.execute(cursor, engine.dialect, {"platform_id": 1, "nonce": "c", "expires_at": 9})
        INSERT_NONCE.execute(cursor, engine.dialect, {"platform_id": 1, "nonce": "d", "expires_at": 9})
    with engine.connect() as conn:
        assert sorted(r.nonce for r in conn.execute(select(NONCES.c.nonce))) == ["c", "d"]


def test_a_write_transaction_takes_sqlites_write_lock_up_front(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    Base.metadata.create_all(engine)
    other = engine.raw_connection()
    try:
        with write_transaction(engine):
            # Another writer cannot start while the transaction is open, even before it has written.
            other.execute("PRAGMA busy_timeout=0")  # type: ignore[attr-defined]
            with pytest.raises(Exception, match="locked"):
                other.execute("BEGIN IMMEDIATE")  # type: ignore[attr-defined]
    finally:
        other.close()
        engine.dispose()


def test_an_unreachable_database_is_a_storage_error(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'store.db'}")
    with pytest.raises(StorageError, match="database error") as caught, autocommit(engine) as cursor:
        cursor.execute("SELECT 1")
    assert caught.value.user_message == "the database is unavailable"


def test_autocommit_leaves_pooled_connections_as_it_found_them(engine: Engine) -> None:
    """On PostgreSQL the block switches psycopg to autocommit; the pool must get transactional connections
    back, after a success and after a failure alike (a later Session relies on rollback working)."""
    with autocommit(engine) as cursor:
        INSERT_NONCE.execute(cursor, engine.dialect, {"platform_id": 1, "nonce": "a", "expires_at": 9})
    with pytest.raises(ConcurrencyConflict), autocommit(engine) as cursor:
        INSERT_NONCE.execute(cursor, engine.dialect, {"platform_id": 1, "nonce": "a", "expires_at": 9})
    with pytest.raises(RuntimeError), write_transaction(engine) as cursor:  # on a connection the block used
        INSERT_NONCE.execute(cursor, engine.dialect, {"platform_id": 1, "nonce": "b", "expires_at": 9})
        raise RuntimeError("roll back")
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            assert conn.connection.driver_connection.autocommit is False  # type: ignore[union-attr]
    with engine.connect() as conn:
        assert [r.nonce for r in conn.execute(select(NONCES.c.nonce))] == ["a"]
