"""Load rule packs from YAML files and validate them, with errors that name the file, the path and the problem.

The bundled packs live in ``cebridge/packs/``; ``extra_dirs`` adds a provider's or an organization's own packs
(a board not yet bundled). Loading is I/O, so it lives here and not in the pure domain.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from cebridge.domain.rules import RulePack
from cebridge.errors import RulePackError, UnknownBoard

BUNDLED = "cebridge.packs"


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def parse_pack(data: Any, origin: str) -> RulePack:
    """Validate one pack's data; ``origin`` (a file name) is named in every error."""
    if not isinstance(data, Mapping):
        raise RulePackError(f"{origin}: a rule pack is a mapping at the top level, not {type(data).__name__}")
    try:
        return RulePack.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise RulePackError(f"{origin}: at {_loc(first['loc'])}: {first['msg']}{more}") from None


def load_pack_file(path: Path) -> RulePack:
    """Read and validate one pack file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RulePackError(f"{path.name}: not valid YAML: {exc}") from None
    except OSError as exc:
        raise RulePackError(f"{path}: cannot read: {exc.strerror}") from None
    pack = parse_pack(data, path.name)
    if path.stem != pack.id:
        raise RulePackError(f"{path.name}: the file holds pack {pack.id!r}; name it {pack.id}.yaml")
    return pack


def _bundled_files() -> list[Path]:
    root = resources.files(BUNDLED)
    return sorted(Path(str(p)) for p in root.iterdir() if p.name.endswith(".yaml"))


@functools.lru_cache(maxsize=8)
def _load_all(extra_dirs: tuple[str, ...]) -> dict[str, RulePack]:
    packs: dict[str, RulePack] = {}
    files = _bundled_files()
    for directory in extra_dirs:
        files += sorted(Path(directory).glob("*.yaml"))
    for path in files:
        pack = load_pack_file(path)
        packs[pack.id] = pack  # a later directory overrides a bundled pack of the same id
    return packs


class PackRegistry:
    """All rule packs known to this process, by id."""

    def __init__(self, extra_dirs: Iterable[str | Path] = ()) -> None:
        self._packs = _load_all(tuple(str(d) for d in extra_dirs))

    def ids(self) -> list[str]:
        """Pack ids, sorted."""
        return sorted(self._packs)

    def get(self, pack_id: str) -> RulePack:
        """The pack with this id, or :class:`UnknownBoard` naming the known ones."""
        try:
            return self._packs[pack_id.lower()]
        except KeyError:
            raise UnknownBoard(f"unknown board {pack_id!r}; known boards: {', '.join(self.ids())}") from None

    def __iter__(self) -> Any:
        return iter(self._packs[i] for i in self.ids())
