"""The demo's data, shipped inside the package: providers, catalogs, certificate profiles, provider sites, an
export, and clinicians with their licenses. ``examples/demo/`` is a byte-for-byte readable copy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from cebridge.errors import ConfigError

#: The demo LMS (the built-in LTI platform) as the tool knows it: a stable issuer, whatever port it runs on.
DEMO_ISSUER = "https://lms.cebridge-demo.example"
DEMO_CLIENT_ID = "cebridge-demo-tool"
DEMO_DEPLOYMENT_ID = "demo-deployment-1"


def data_dir() -> Path:
    """Where the demo data lives (inside the installed package)."""
    return Path(str(resources.files("cebridge.demo") / "data"))


def read_json(relative: str) -> Any:
    """A JSON file of the demo data; a missing or broken one means a broken install."""
    path = data_dir() / relative
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"demo data file {relative!r} cannot be read ({type(exc).__name__}); reinstall cebridge"
        ) from None


@dataclass(frozen=True)
class ProviderSpec:
    """One demo provider: its connector, the fake site or export it reads, its catalog and profile."""

    name: str
    title: str
    connector: str
    server: str | None
    site: str | None
    export: str | None
    catalog: str
    profile: str
    config: dict[str, Any]


@dataclass(frozen=True)
class ClinicianSpec:
    """One demo clinician: identity keys and one license (the License JSON of DESIGN.md)."""

    name: str
    email: str
    lms_user_id: str
    license: dict[str, Any]


def providers() -> list[ProviderSpec]:
    return [
        ProviderSpec(
            name=p["name"],
            title=p["title"],
            connector=p["connector"],
            server=p.get("server"),
            site=p.get("site"),
            export=p.get("export"),
            catalog=p["catalog"],
            profile=p["profile"],
            config=p["config"],
        )
        for p in read_json("providers.json")
    ]


def clinicians() -> list[ClinicianSpec]:
    return [
        ClinicianSpec(name=c["name"], email=c["email"], lms_user_id=c["lms_user_id"], license=c["license"])
        for c in read_json("clinicians.json")
    ]


def fill(template: Any, values: dict[str, str]) -> Any:
    """The config template with ``{server_url}``, ``{secrets}`` and ``{exports}`` filled in."""
    if isinstance(template, str):
        out = template
        for key, value in values.items():
            out = out.replace("{" + key + "}", value)
        return out
    if isinstance(template, dict):
        return {k: fill(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, values) for v in template]
    return template
