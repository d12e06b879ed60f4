"""DejaVu Sans for text outside Latin-1, in a smaller cut that fpdf2 can embed quickly.

fpdf2 parses and subsets a TrueType font for every document that uses it; for the full DejaVu Sans (about 6,000
glyphs) that costs over 100 ms per certificate. Names and titles need far fewer scripts, so once per process
cebridge cuts DejaVu down to Latin (with Vietnamese), Greek (with polytonic), Cyrillic, IPA, combining marks,
punctuation and currency and caches the result in a private temporary directory. Text with a character outside
that cut uses the full font file, so nothing DejaVu can draw is lost.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
RANGES = (
    (0x20, 0x7E),
    (0xA0, 0x52F),  # Latin-1 .. Latin Extended-B, IPA, modifiers, combining marks, Greek, Cyrillic
    (0x1E00, 0x1FFF),  # Latin Extended Additional (Vietnamese), Greek Extended
    (0x2000, 0x206F),  # punctuation
    (0x20A0, 0x20CF),  # currency
    (0x2100, 0x214F),  # letterlike symbols
)


@dataclass(frozen=True)
class FontCut:
    """A font file and the characters it draws."""

    path: Path
    covers: frozenset[int]


def _cache_dir() -> Path:
    path = Path(tempfile.gettempdir()) / f"cebridge-fonts-{os.getuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


@functools.cache
def cut(font_dir: Path, style: str) -> FontCut | None:
    """The reduced DejaVu file for ``style`` ("" or "B"), built once per process; None if it cannot be made."""
    source = font_dir / FILES[style]
    if not source.is_file():
        return None
    stat = source.stat()
    tag = hashlib.sha256(f"{source}:{stat.st_size}:{stat.st_mtime_ns}:{RANGES}".encode()).hexdigest()[:16]
    try:
        from fontTools import subset, ttLib  # type: ignore[import-untyped]

        target = _cache_dir() / f"{source.stem}-{tag}.ttf"
        if not target.is_file():
            with ttLib.TTFont(str(source)) as font:
                _subset_into(font, target, subset)
        with ttLib.TTFont(str(target), lazy=True) as reduced:
            covers = frozenset(reduced.getBestCmap())
    except Exception as exc:  # a font we cannot cut is still usable whole
        log.warning("DejaVu could not be cut down (%s); the full font will be embedded", type(exc).__name__)
        return None
    return FontCut(target, covers)


def _subset_into(font: Any, target: Path, subset: Any) -> None:
    """Cut ``font`` to :data:`RANGES` and write it to ``target`` atomically (other processes may race us)."""
    options = subset.Options()
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.layout_features = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[c for lo, hi in RANGES for c in range(lo, hi + 1)])
    with _quiet():  # fontTools warns about tables it drops (FFTM)
        subsetter.subset(font)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".ttf")
    os.close(fd)
    try:
        font.save(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    logger = logging.getLogger("fontTools")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def font_file(font_dir: Path, style: str, text: str) -> Path | None:
    """The DejaVu file to embed for ``text`` in ``style``: the cut when it covers the text, else the full font."""
    full = font_dir / FILES[style]
    if not full.is_file():
        return None
    reduced = cut(font_dir, style)
    if reduced is not None and all(ord(ch) in reduced.covers or ch.isspace() for ch in text):
        return reduced.path
    return full
