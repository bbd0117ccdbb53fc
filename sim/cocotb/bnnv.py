"""Reader for bnnc test-vector files (.bnnv), as specified in docs/vector-format.md.

The testbenches take the expected class and scores of every image from here, so the
reader validates the header and the file size before trusting a single record: a
truncated or foreign file must stop the run with a message naming the field, not
produce a misleading pass or fail.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

MAGIC = b"BNNV"
VERSION = 1
HEADER_FIXED = 28  # magic, version, count, pixels, classes, flags, L


class VectorFileError(ValueError):
    """A malformed vector file; the message names the file and the field."""

    def __init__(self, path: str, field: str, expected: str, got: object | None = None) -> None:
        self.source = path
        self.field = field
        self.expected = expected
        self.got = None if got is None else str(got)
        tail = "" if got is None else f", got {got}"
        super().__init__(f"{path}: {field}: expected {expected}{tail}")


@dataclass(frozen=True)
class VectorRecord:
    #: position of the record in the file (0-based)
    record: int
    #: index of the image in its dataset split (what failure messages call "image N")
    image: int
    #: true label, -1 if unknown
    label: int
    #: class the integer model predicts
    expected_class: int
    #: integer-model scores, one per class
    expected_scores: tuple[int, ...]
    #: the image, `pixels` bytes in HWC order
    pixels: bytes


@dataclass(frozen=True)
class VectorFile:
    path: str
    #: records in the file (`records` may hold fewer, see `limit`)
    count: int
    pixels: int
    classes: int
    layer_bits: tuple[int, ...]
    records: list[VectorRecord]


def _words(bits: int) -> int:
    return (bits + 31) // 32


def record_size(pixels: int, classes: int, layer_bits: tuple[int, ...]) -> int:
    return 12 + 4 * classes + 4 * ((pixels + 3) // 4) + 4 * sum(_words(b) for b in layer_bits)


def read_vectors(path: str | Path, limit: int | None = None) -> VectorFile:
    """Read and validate a vector file; keep at most `limit` records (all when None)."""
    name = str(path)
    data = Path(path).read_bytes()
    if len(data) < HEADER_FIXED:
        raise VectorFileError(name, "header", f"at least {HEADER_FIXED} bytes", f"{len(data)} bytes")
    if data[0:4] != MAGIC:
        raise VectorFileError(name, "magic", '"BNNV"', repr(data[0:4])[1:])
    version, count, pixels, classes, flags, n_layers = struct.unpack_from("<6I", data, 4)
    if version != VERSION:
        raise VectorFileError(name, "version", str(VERSION), version)
    if pixels == 0:
        raise VectorFileError(name, "pixels", "a positive number of bytes per image", pixels)
    if classes == 0 or classes > 0xFFFF:
        raise VectorFileError(name, "classes", "1..65535", classes)
    if flags & ~1:
        raise VectorFileError(name, "flags", "only bit 0 defined", hex(flags))
    if not flags & 1 and n_layers != 0:
        raise VectorFileError(name, "L", "0 when flag bit 0 is clear", n_layers)
    header_size = HEADER_FIXED + 4 * n_layers
    if len(data) < header_size:
        raise VectorFileError(name, "layer bits", f"{n_layers} u32 entries", "end of file")
    layer_bits = struct.unpack_from(f"<{n_layers}I", data, HEADER_FIXED)
    size = record_size(pixels, classes, layer_bits)
    expected_len = header_size + count * size
    if len(data) != expected_len:
        raise VectorFileError(
            name,
            "file size",
            f"{expected_len} bytes for {count} records of {size} bytes",
            f"{len(data)} bytes",
        )

    keep = count if limit is None else min(count, max(0, limit))
    records: list[VectorRecord] = []
    for r in range(keep):
        off = header_size + r * size
        image, label, expected_class = struct.unpack_from("<IiI", data, off)
        scores = struct.unpack_from(f"<{classes}i", data, off + 12)
        if expected_class >= classes:
            raise VectorFileError(name, f"record {r} expected class", f"< {classes}", expected_class)
        pix_off = off + 12 + 4 * classes
        records.append(
            VectorRecord(
                record=r,
                image=image,
                label=label,
                expected_class=expected_class,
                expected_scores=tuple(scores),
                pixels=bytes(data[pix_off : pix_off + pixels]),
            )
        )
    return VectorFile(path=name, count=count, pixels=pixels, classes=classes, layer_bits=tuple(layer_bits), records=records)
