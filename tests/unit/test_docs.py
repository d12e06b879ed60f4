"""The README's and the docs' examples run: every ```bash block in README.md and every ```python block of the
docs listed in RUNNABLE_DOCS."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def blocks(path: Path, lang: str) -> list[str]:
    return [body for kind, body in FENCE.findall(path.read_text()) if kind == lang]


README_BASH = blocks(ROOT / "README.md", "bash")
RUNNABLE_DOCS = ["README.md", "docs/evaluate.md"]
DOC_PYTHON = [(name, b) for name in RUNNABLE_DOCS for b in blocks(ROOT / name, "python")]


@pytest.mark.parametrize("block", README_BASH, ids=[f"readme-bash-{i}" for i in range(len(README_BASH))])
def test_readme_bash_blocks_run(block: str, tmp_path: Path) -> None:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    env["CEBRIDGE_HOME"] = str(tmp_path / "home")
    out = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip()


def test_readme_names_the_commands_ci_runs() -> None:
    sh = blocks(ROOT / "README.md", "sh")
    assert any("cebridge demo" in b for b in sh)
    assert any(b.strip() == "bash scripts/test.sh" for b in sh)
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize(("doc", "block"), DOC_PYTHON, ids=[f"{d}-{i}" for i, (d, _) in enumerate(DOC_PYTHON)])
def test_docs_python_blocks_run(doc: str, block: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    exec(compile(block, f"{doc}:python", "exec"), {"__name__": "__doc_example__"})  # noqa: S102
