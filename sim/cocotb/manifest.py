"""What the testbenches need from an RTL directory's manifest.json (written by
`bnnc compile`): the top module, its Verilog files, the interface widths and the planned
cycle figures."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ManifestError(ValueError):
    def __init__(self, source: str, field: str, expected: str, got: object | None = None) -> None:
        self.source = source
        self.field = field
        self.expected = expected
        self.got = None if got is None else got if isinstance(got, str) else json.dumps(got)
        tail = "" if self.got is None else f", got {self.got}"
        super().__init__(f"{source}: {field}: expected {expected}{tail}")


@dataclass(frozen=True)
class TopInfo:
    top: str
    sources: list[Path]
    in_pix: int
    pixels: int
    classes: int
    ii: int | None
    latency: int | None


def _get(obj: Any, dotted: str, source: str) -> Any:
    cur = obj
    for key in dotted.split("."):
        if not isinstance(cur, dict) or key not in cur:
            raise ManifestError(source, dotted, "a value", None)
        cur = cur[key]
    return cur


def _pos_int(obj: Any, dotted: str, source: str) -> int:
    v = _get(obj, dotted, source)
    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
        raise ManifestError(source, dotted, "a positive integer", v)
    return v


def _opt_int(obj: Any, dotted: str, source: str) -> int | None:
    try:
        return _pos_int(obj, dotted, source)
    except ManifestError:
        return None


MANIFEST_FORMAT = "bnnc-rtl"
MANIFEST_VERSION = 1


def read_manifest(rtl_dir: Path) -> TopInfo:
    """Read the fields the testbenches use from manifest.json (src/emit/manifest.ts)."""
    path = rtl_dir / "manifest.json"
    source = str(path)
    if not path.is_file():
        raise ManifestError(source, "file", "a manifest.json written by `bnnc compile`", "no such file")
    try:
        m = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ManifestError(source, "JSON", "valid JSON", str(e)) from None
    if _get(m, "format", source) != MANIFEST_FORMAT:
        raise ManifestError(source, "format", f'"{MANIFEST_FORMAT}"', m["format"])
    if _get(m, "version", source) != MANIFEST_VERSION:
        raise ManifestError(source, "version", str(MANIFEST_VERSION), m["version"])
    top = _get(m, "top", source)
    if not isinstance(top, str) or not top.isidentifier():
        raise ManifestError(source, "top", "a Verilog module name", top)
    files = _get(m, "files.verilog", source)
    if not isinstance(files, list) or not files or not all(isinstance(f, str) for f in files):
        raise ManifestError(source, "files.verilog", "a non-empty list of file names", files)
    sources = [rtl_dir / f for f in files]
    for f in sources:
        if not f.is_file():
            raise ManifestError(source, "files.verilog", "files present in the RTL directory", str(f))
    return TopInfo(
        top=top,
        sources=sources,
        in_pix=_pos_int(m, "input.inPix", source),
        pixels=_pos_int(m, "input.pixels", source),
        classes=_pos_int(m, "output.classes", source),
        ii=_opt_int(m, "cycles.ii", source),
        latency=_opt_int(m, "cycles.latency", source),
    )
