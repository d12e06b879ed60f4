"""Find connectors by name: first-party and third-party alike come from the entry-point group
``cebridge.connectors``, so a plugin needs nothing but an entry point in its own package.

Loading is lazy and cached. A plugin that fails to import, or does not name a :class:`Connector` subclass,
is logged and skipped; it never breaks the app (the way openfun/ralph loads its backends). :func:`broken`
says which ones were skipped and why, so ``cebridge connectors list`` can show them.

Config files are JSON or YAML. A secret field may hold a reference instead of the secret itself::

    {"token": {"env": "CANVAS_TOKEN"}}           # read from the environment at load
    {"token": {"file": "/run/secrets/canvas"}}   # read from a file (relative to the config file)

The resolved value goes straight into a :class:`pydantic.SecretStr`; it is never logged or echoed.
"""

from __future__ import annotations

import json
import logging
import os
import types
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, SecretStr, ValidationError

from cebridge.errors import InputError, PluginLoadError, PluginNotFound
from connectors.base import Connector, ConnectorConfig

__all__ = [
    "ENTRY_POINT_GROUP",
    "ConnectorInfo",
    "available",
    "broken",
    "describe",
    "get",
    "load_config",
    "parse_config",
]

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "cebridge.connectors"


def _entry_points() -> list[EntryPoint]:
    return sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)


@lru_cache(maxsize=1)
def _load_all() -> tuple[dict[str, type[Connector]], dict[str, str]]:
    found: dict[str, type[Connector]] = {}
    failed: dict[str, str] = {}
    for ep in _entry_points():
        if ep.name in found or ep.name in failed:
            logger.warning("connector %r is registered twice; keeping the first (%s)", ep.name, ep.value)
            continue
        try:
            obj = ep.load()
        except Exception as exc:  # a broken plugin must not break the app
            failed[ep.name] = f"cannot import {ep.value}: {type(exc).__name__}: {exc}"
            logger.warning("skipping connector %r: %s", ep.name, failed[ep.name])
            continue
        if not (isinstance(obj, type) and issubclass(obj, Connector)):
            failed[ep.name] = f"{ep.value} is not a cebridge Connector subclass"
            logger.warning("skipping connector %r: %s", ep.name, failed[ep.name])
            continue
        missing = [a for a in ("name", "title", "config_model") if not hasattr(obj, a)]
        if missing:
            failed[ep.name] = f"{ep.value} lacks {', '.join(missing)}"
            logger.warning("skipping connector %r: %s", ep.name, failed[ep.name])
            continue
        found[ep.name] = obj
    return found, failed


def available() -> dict[str, type[Connector]]:
    """Every connector that loads, by entry-point name."""
    return dict(_load_all()[0])


def broken() -> dict[str, str]:
    """Connectors that are registered but could not be loaded, with the reason."""
    return dict(_load_all()[1])


@dataclass(frozen=True)
class ConnectorInfo:
    """One registered connector, for listings: where it comes from and whether it loads."""

    name: str
    title: str
    package: str
    target: str
    first_party: bool
    ok: bool
    reason: str = ""


def describe() -> list[ConnectorInfo]:
    """Every registered connector, loadable or not, in name order (a name registered twice: the first)."""
    found, failed = _load_all()
    infos: dict[str, ConnectorInfo] = {}
    for ep in _entry_points():
        if ep.name in infos:
            continue
        dist = ep.dist.name if ep.dist is not None else "?"
        cls = found.get(ep.name)
        infos[ep.name] = ConnectorInfo(
            name=ep.name,
            title=str(getattr(cls, "title", "")) if cls is not None else "",
            package=dist,
            target=ep.value,
            first_party=dist == "cebridge" and ep.value.startswith("connectors."),
            ok=cls is not None,
            reason=failed.get(ep.name, ""),
        )
    return list(infos.values())


def refresh() -> None:
    """Forget the cached plugin list (after installing a package into the running interpreter)."""
    _load_all.cache_clear()


def get(name: str) -> type[Connector]:
    """The connector class registered as ``name``."""
    found, failed = _load_all()
    if name in found:
        return found[name]
    if name in failed:
        raise PluginLoadError(f"connector {name!r} is installed but cannot be used: {failed[name]}")
    known = ", ".join(sorted(found)) or "none"
    raise PluginNotFound(f"no connector named {name!r}; installed connectors: {known}")


def load_config(name: str, path: str | Path) -> ConnectorConfig:
    """Read the config file at ``path`` for connector ``name`` and validate it against its model.

    Every error is an :class:`InputError` that names the file and the field, never the value.
    """
    cls = get(name)
    p = Path(path)
    data = _read_mapping(p)
    return parse_config(cls.config_model, data, where=f"config file {str(p)!r}", base_dir=p.parent)


def parse_config(
    model: type[ConnectorConfig], data: Any, *, where: str = "config", base_dir: Path | None = None
) -> ConnectorConfig:
    """Validate ``data`` against ``model``, resolving ``{"env": ...}`` / ``{"file": ...}`` secrets."""
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a mapping of settings, got {type(data).__name__}")
    resolved = _resolve_secrets(model, data, where=where, base_dir=base_dir or Path.cwd(), prefix="")
    try:
        return model.model_validate(resolved)
    except ValidationError as exc:
        raise InputError(f"{where}: {_describe(exc)}") from None


def _read_mapping(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"config file {str(path)!r}: cannot read: {exc.strerror or exc}") from None
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"config file {str(path)!r} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        raise InputError(f"config file {str(path)!r} is not valid YAML or JSON{at}") from None


def _describe(exc: ValidationError) -> str:
    # Built from loc + msg only: pydantic's own str() echoes the input value, which may be a secret.
    parts = []
    for err in exc.errors(include_url=False, include_input=False):
        field = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = "unknown field (not allowed)" if err["type"] == "extra_forbidden" else err["msg"]
        parts.append(f"field {field!r}: {msg}")
    return "; ".join(parts)


def _is_secret(annotation: Any) -> bool:
    if annotation is SecretStr:
        return True
    origin = get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        return any(_is_secret(a) for a in get_args(annotation))
    return False


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        for arg in get_args(annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                return arg
    return None


def _resolve_secrets(
    model: type[BaseModel], data: dict[str, Any], *, where: str, base_dir: Path, prefix: str
) -> dict[str, Any]:
    out = dict(data)
    for fname, finfo in model.model_fields.items():
        key = finfo.alias or fname
        if key not in out:
            continue
        value = out[key]
        field = f"{prefix}{key}"
        if _is_secret(finfo.annotation):
            if isinstance(value, dict):
                out[key] = _secret_from_reference(value, where=where, field=field, base_dir=base_dir)
            elif isinstance(value, str) and value:
                logger.info("%s: field %r holds a secret in clear; prefer an env or file reference", where, field)
        else:
            nested = _nested_model(finfo.annotation)
            if nested is not None and isinstance(value, dict):
                out[key] = _resolve_secrets(nested, value, where=where, base_dir=base_dir, prefix=f"{field}.")
    return out


def _secret_from_reference(ref: dict[str, Any], *, where: str, field: str, base_dir: Path) -> str:
    if set(ref) == {"env"} and isinstance(ref["env"], str):
        var = ref["env"]
        value = os.environ.get(var)
        if not value:
            raise InputError(f"{where}: field {field!r} refers to environment variable {var!r}, which is not set")
        return value
    if set(ref) == {"file"} and isinstance(ref["file"], str):
        target = Path(ref["file"]).expanduser()
        if not target.is_absolute():
            target = base_dir / target
        try:
            value = target.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise InputError(
                f"{where}: field {field!r} refers to file {str(target)!r}, which cannot be read: {exc.strerror or exc}"
            ) from None
        if not value:
            raise InputError(f"{where}: field {field!r} refers to file {str(target)!r}, which is empty")
        return value
    raise InputError(f'{where}: field {field!r} must be a string, {{"env": "VAR"}} or {{"file": "/path"}}')
