"""The signing-key store: RSA keys under ``CEBRIDGE_HOME/keys`` that sign LTI messages and credentials.

Why a file store: the embedded deployment has no secret manager, and a key must survive restarts so that the
``kid`` platforms and verifiers cached keeps working. Layout::

    keys/                 0700
      index.json          which kids exist, which one is active, until when a retiring one stays published
      <kid>.key.pem       0600, the private key (PKCS#8, encrypted when a passphrase is configured)
      <kid>.pub.pem       the public key, kept after retirement so old credentials still verify

Rotation keeps the old key published for an overlap window (platforms cache JWKS); when the window ends the
key is *retired*: it leaves the JWKS and its private key file is deleted, while its public key stays so that
credentials it signed years ago can still be checked (:meth:`KeyStore.find`).

Private key material never appears in reprs, logs or error messages.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from cebridge.errors import ConfigError
from cebridge.files import atomic_write, exclusive_lock

MIN_KEY_BITS = 2048
ALGORITHM = "RS256"
INDEX_VERSION = 1


class KeyStoreError(ConfigError):
    """The key store is unreadable, damaged or has unsafe permissions (never carries key material)."""


def _b64u_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def public_jwk(key: rsa.RSAPublicKey, kid: str) -> dict[str, str]:
    """The public JWK of an RSA key (no private members, ever)."""
    numbers = key.public_numbers()
    return {
        "kty": "RSA",
        "kid": kid,
        "use": "sig",
        "alg": ALGORITHM,
        "n": _b64u_uint(numbers.n),
        "e": _b64u_uint(numbers.e),
    }


def thumbprint(key: rsa.RSAPublicKey) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url): a kid that names the key itself."""
    numbers = key.public_numbers()
    canonical = json.dumps(
        {"e": _b64u_uint(numbers.e), "kty": "RSA", "n": _b64u_uint(numbers.n)},
        separators=(",", ":"),
        sort_keys=True,
    )
    digest = hashlib.sha256(canonical.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class SigningKey:
    """The active private key and its ``kid``.

    The private key is reachable only through :meth:`sign` and :meth:`private_pem`; ``repr`` and ``str``
    show the kid alone.
    """

    __slots__ = ("_private", "kid")

    def __init__(self, kid: str, private_key: rsa.RSAPrivateKey) -> None:
        self.kid = kid
        self._private = private_key

    def __repr__(self) -> str:
        return f"SigningKey(kid={self.kid!r})"

    __str__ = __repr__

    def __reduce__(self) -> Any:  # pragma: no cover - guard, exercised only by misuse
        raise TypeError("a SigningKey is not picklable: it holds a private key")

    @property
    def private_key(self) -> rsa.RSAPrivateKey:
        """The private key object (for signing libraries that take one)."""
        return self._private

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        """The matching public key."""
        return self._private.public_key()

    def private_pem(self) -> str:
        """Unencrypted PKCS#8 PEM, for libraries that want text (pylti1p3). Never log or store it."""
        return self._private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")

    def public_pem(self) -> str:
        """The public key as SubjectPublicKeyInfo PEM."""
        return _public_pem(self.public_key)

    def jwk(self) -> dict[str, str]:
        """The public JWK."""
        return public_jwk(self.public_key, self.kid)

    def sign(self, payload: dict[str, Any], *, headers: dict[str, Any] | None = None) -> str:
        """A compact RS256 JWS of ``payload`` with this key's ``kid`` in the header."""
        merged = {"kid": self.kid, "typ": "JWT", **(headers or {})}
        return jwt.encode(payload, self._private, algorithm=ALGORITHM, headers=merged)


@dataclass(frozen=True)
class PublicKeyRecord:
    """A key as verifiers see it: public half, and where it is in its life.

    ``state`` is ``active`` (signs now), ``retiring`` (published until ``publish_until``) or ``retired``
    (no longer published, private key destroyed; still good for checking what it signed).
    """

    kid: str
    public_key: rsa.RSAPublicKey
    created_at: datetime
    state: str
    publish_until: datetime | None
    retired_at: datetime | None

    def jwk(self) -> dict[str, str]:
        """The public JWK."""
        return public_jwk(self.public_key, self.kid)

    def public_pem(self) -> str:
        """The public key as SubjectPublicKeyInfo PEM."""
        return _public_pem(self.public_key)


def _public_pem(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def _utcnow() -> datetime:
    return datetime.now(UTC)


class KeyStore:
    """RSA signing keys in ``home/keys``; safe to share between processes (an exclusive lock guards writes).

    ``clock`` is injectable so overlap windows can be tested; ``passphrase`` (when given) encrypts private
    key files at rest; ``bits`` must be at least 2048.
    """

    def __init__(
        self,
        home: Path,
        *,
        passphrase: SecretStr | None = None,
        bits: int = MIN_KEY_BITS,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        if bits < MIN_KEY_BITS:
            raise KeyStoreError(f"RSA keys must be at least {MIN_KEY_BITS} bits, not {bits}")
        self.dir = Path(home) / "keys"
        self._passphrase = passphrase
        self._bits = bits
        self._clock = clock
        self._cache: dict[str, rsa.RSAPrivateKey] = {}
        self._index_cache: tuple[tuple[int, int, int], dict[str, Any]] | None = None

    def __repr__(self) -> str:
        return f"KeyStore(dir={str(self.dir)!r})"

    # ----------------------------------------------------------------- public API

    def active(self) -> SigningKey:
        """The key that signs now; generated (and persisted) on first use."""
        index = self._read_index()
        kid = index.get("active")
        if kid is None:
            with self._locked():
                index = self._read_index(fresh=True)
                kid = index.get("active")
                if kid is None:
                    kid = self._generate(index)
                    self._write_index(index)
        return SigningKey(kid, self._load_private(kid))

    def rotate(self, overlap_days: int = 7) -> str:
        """Make a new active key; the old one stays published for ``overlap_days``, then is retired.

        Returns the new kid. Keys whose window has ended are retired on the way.
        """
        if overlap_days < 0:
            raise KeyStoreError(f"overlap days must be 0 or more, not {overlap_days}")
        with self._locked():
            index = self._read_index(fresh=True)
            now = self._clock()
            old = index.get("active")
            if old is not None:
                entry = index["keys"][old]
                entry["state"] = "retiring"
                entry["publish_until"] = (now + timedelta(days=overlap_days)).isoformat()
            kid = self._generate(index)
            self._retire_expired(index, now)
            self._write_index(index)
        return kid

    def jwks(self, *, include_retired: bool = False) -> dict[str, list[dict[str, str]]]:
        """The public keys as a JWKS: the active key and those still inside their overlap window.

        ``include_retired`` adds retired keys (public halves only), for verifiers of old credentials.
        """
        self.active()
        self.expire()
        return {"keys": [rec.jwk() for rec in self.public_keys(include_retired=include_retired)]}

    def public_keys(self, *, include_retired: bool = False) -> list[PublicKeyRecord]:
        """Public halves of the active and still-published keys, newest first."""
        index = self._read_index()
        now = self._clock()
        records = []
        for kid, entry in index["keys"].items():
            rec = self._record(kid, entry)
            published = rec.state == "active" or (
                rec.state == "retiring" and rec.publish_until is not None and rec.publish_until > now
            )
            if published or include_retired:
                records.append(rec)
        records.sort(key=lambda r: r.created_at, reverse=True)
        return records

    def find(self, kid: str) -> PublicKeyRecord | None:
        """The public key named ``kid`` in any state (retired keys included), or None."""
        entry = self._read_index()["keys"].get(kid)
        if entry is None:
            return None
        return self._record(kid, entry)

    def expire(self) -> list[str]:
        """Retire keys whose overlap window has ended; returns their kids."""
        index = self._read_index()
        now = self._clock()
        if not any(self._window_over(e, now) for e in index["keys"].values()):
            return []
        with self._locked():
            index = self._read_index(fresh=True)
            retired = self._retire_expired(index, now)
            self._write_index(index)
        return retired

    # ---------------------------------------------------------------- internals

    def _record(self, kid: str, entry: dict[str, Any]) -> PublicKeyRecord:
        state = entry["state"]
        publish_until = _parse_dt(entry.get("publish_until"))
        if state == "retiring" and publish_until is not None and publish_until <= self._clock():
            state = "retired"
        return PublicKeyRecord(
            kid=kid,
            public_key=self._load_public(kid),
            created_at=_parse_dt(entry["created_at"]) or self._clock(),
            state=state,
            publish_until=publish_until,
            retired_at=_parse_dt(entry.get("retired_at")),
        )

    @staticmethod
    def _window_over(entry: dict[str, Any], now: datetime) -> bool:
        until = _parse_dt(entry.get("publish_until"))
        return entry["state"] == "retiring" and until is not None and until <= now

    def _retire_expired(self, index: dict[str, Any], now: datetime) -> list[str]:
        retired = []
        for kid, entry in index["keys"].items():
            if self._window_over(entry, now):
                entry["state"] = "retired"
                entry["retired_at"] = now.isoformat()
                with contextlib.suppress(FileNotFoundError):
                    (self.dir / f"{kid}.key.pem").unlink()
                self._cache.pop(kid, None)
                retired.append(kid)
        return retired

    def _generate(self, index: dict[str, Any]) -> str:
        private = rsa.generate_private_key(public_exponent=65537, key_size=self._bits)
        kid = thumbprint(private.public_key())
        encryption: serialization.KeySerializationEncryption = serialization.NoEncryption()
        if self._passphrase is not None:
            encryption = serialization.BestAvailableEncryption(self._passphrase.get_secret_value().encode("utf-8"))
        pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
        _atomic_write(self.dir / f"{kid}.key.pem", pem, mode=0o600)
        _atomic_write(self.dir / f"{kid}.pub.pem", _public_pem(private.public_key()).encode(), mode=0o644)
        index["keys"][kid] = {
            "state": "active",
            "created_at": self._clock().isoformat(),
            "publish_until": None,
            "retired_at": None,
        }
        index["active"] = kid
        self._cache[kid] = private
        return kid

    def _load_private(self, kid: str) -> rsa.RSAPrivateKey:
        cached = self._cache.get(kid)
        if cached is not None:
            return cached
        path = self.dir / f"{kid}.key.pem"
        self._check_mode(path, 0o077)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise KeyStoreError(f"private key for kid {kid} cannot be read: {exc.strerror}") from None
        password = self._passphrase.get_secret_value().encode("utf-8") if self._passphrase else None
        try:
            key = serialization.load_pem_private_key(data, password=password)
        except (ValueError, TypeError):
            # The library's message may quote the input; say only what is wrong.
            raise KeyStoreError(
                f"private key for kid {kid} cannot be loaded (damaged file or wrong passphrase)"
            ) from None
        if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < MIN_KEY_BITS:
            raise KeyStoreError(f"key {kid} is not an RSA key of at least {MIN_KEY_BITS} bits")
        self._cache[kid] = key
        return key

    def _load_public(self, kid: str) -> rsa.RSAPublicKey:
        cached = self._cache.get(kid)
        if cached is not None:
            return cached.public_key()
        try:
            key = serialization.load_pem_public_key((self.dir / f"{kid}.pub.pem").read_bytes())
        except (OSError, ValueError) as exc:
            raise KeyStoreError(f"public key for kid {kid} cannot be loaded: {type(exc).__name__}") from None
        if not isinstance(key, rsa.RSAPublicKey):
            raise KeyStoreError(f"public key for kid {kid} is not RSA")
        return key

    def _check_mode(self, path: Path, forbidden: int) -> None:
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            raise KeyStoreError(f"key file {path.name} is missing from {self.dir}") from None
        if mode & forbidden:
            raise KeyStoreError(f"{path} is readable by others (mode {oct(mode & 0o777)}); run: chmod 600 {path}")

    def _ensure_dir(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o700)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self._ensure_dir()
        with exclusive_lock(self.dir / ".lock"):
            yield

    def _read_index(self, *, fresh: bool = False) -> dict[str, Any]:
        path = self.dir / "index.json"
        try:
            st = path.stat()
        except FileNotFoundError:
            return {"version": INDEX_VERSION, "active": None, "keys": {}}
        stamp = (st.st_mtime_ns, st.st_ino, st.st_size)
        if not fresh and self._index_cache and self._index_cache[0] == stamp:
            return _copy(self._index_cache[1])
        try:
            index = json.loads(path.read_text("utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise KeyStoreError(f"key index {path} is unreadable: {type(exc).__name__}") from None
        if not isinstance(index, dict) or not isinstance(index.get("keys"), dict):
            raise KeyStoreError(f"key index {path} has an unknown shape")
        self._index_cache = (stamp, index)
        return _copy(index)

    def _write_index(self, index: dict[str, Any]) -> None:
        _atomic_write(self.dir / "index.json", json.dumps(index, indent=2).encode("utf-8"), mode=0o600)
        self._index_cache = None


def _copy(index: dict[str, Any]) -> dict[str, Any]:
    copied: dict[str, Any] = json.loads(json.dumps(index))
    return copied


def _parse_dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _atomic_write(path: Path, data: bytes, *, mode: int) -> None:
    """Replace a key file atomically, in a directory only its owner may enter."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    atomic_write(path, data, mode)


def keystore_for(home: Path) -> KeyStore:
    """The key store of a cebridge home (``Settings().home``), creating the home with safe permissions."""
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    os.chmod(home, 0o700)
    return KeyStore(home)
