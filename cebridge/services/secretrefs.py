"""Secrets in stored configs are references, never values: ``{"env": "VAR"}`` or ``{"file": "/abs/path"}``.

Configs are checked before they are stored (a secret written in clear is refused, naming the field but never
the value) and resolved only in the process that runs the plugin.
"""

from __future__ import annotations

import os
import re
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, SecretStr

from cebridge.errors import ConfigError, InputError

_SECRET_NAME = re.compile(r"(token|secret|password|passwd|private|api_?key|credential)", re.IGNORECASE)


def is_reference(value: Any) -> bool:
    """Whether ``value`` is a secret reference."""
    return isinstance(value, Mapping) and len(value) == 1 and ("env" in value or "file" in value)


def _is_secret_type(annotation: Any) -> bool:
    if annotation is SecretStr:
        return True
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        return any(_is_secret_type(a) for a in get_args(annotation))
    return False


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def absolutize(data: Any, base_dir: Path) -> Any:
    """Make ``{"file": ...}`` references absolute (a stored config outlives the directory it was read from)."""
    if is_reference(data) and "file" in data:
        path = Path(str(data["file"]))
        return {"file": str(path if path.is_absolute() else (base_dir / path).resolve())}
    if isinstance(data, Mapping):
        return {k: absolutize(v, base_dir) for k, v in data.items()}
    if isinstance(data, list):
        return [absolutize(v, base_dir) for v in data]
    return data


def check_model_config(model: type[BaseModel], data: Mapping[str, Any], where: str, prefix: str = "") -> None:
    """Refuse a config whose secret fields (``SecretStr``) hold a value instead of a reference."""
    for name, info in model.model_fields.items():
        if name not in data or data[name] is None:
            continue
        value = data[name]
        if _is_secret_type(info.annotation) and not is_reference(value):
            raise InputError(
                f'{where}: field {prefix + name!r} is a secret; store a reference like {{"env": "VAR"}} '
                f'or {{"file": "/run/secrets/name"}} instead of the value'
            )
        nested = _nested_model(info.annotation)
        if nested is not None and isinstance(value, Mapping):
            check_model_config(nested, value, where, prefix=f"{prefix}{name}.")


def check_plain_config(data: Any, where: str, prefix: str = "") -> None:
    """For configs without a model (sinks): fields named like secrets must be references."""
    if not isinstance(data, Mapping):
        return
    for key, value in data.items():
        if is_reference(value):
            continue
        if isinstance(value, Mapping):
            check_plain_config(value, where, f"{prefix}{key}.")
        elif _SECRET_NAME.search(str(key)) and value not in (None, ""):
            raise InputError(
                f"{where}: field {prefix + str(key)!r} looks like a secret; store a reference like "
                f'{{"env": "VAR"}} or {{"file": "/run/secrets/name"}} instead of the value'
            )


def resolve(data: Any, where: str) -> Any:
    """Replace every reference by the secret it names (at run time only)."""
    if is_reference(data):
        if "env" in data:
            value = os.environ.get(str(data["env"]))
            if value is None:
                raise ConfigError(f"{where}: environment variable {data['env']!r} is not set")
            return value
        try:
            return Path(str(data["file"])).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{where}: cannot read secret file {data['file']!r}: {exc.strerror}") from None
    if isinstance(data, Mapping):
        return {k: resolve(v, where) for k, v in data.items()}
    if isinstance(data, list):
        return [resolve(v, where) for v in data]
    return data
