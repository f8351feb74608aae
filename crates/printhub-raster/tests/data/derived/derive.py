#!/usr/bin/env python3
"""Derives the streams in this folder from the peer vectors in ../vectors.

Standard library only. Each case changes a peer stream exactly the way the
peer's documented behaviour would (see README.md); nothing here runs or
copies a peer's code. Run from anywhere: `python3 derive.py`. Two runs give
byte-identical files; `--check` only verifies that the files on disk match.
"""

import hashlib
import json
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VECTORS = HERE.parent / "vectors"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def end_without_feed(source: str) -> tuple[bytes, dict]:
    """The peer stream with its final 1A (print with feeding) replaced by 0C
    (print): ptouch 1.1.0 `LabelPrinter.print(label, feed=False)` ends a label
    with 0C instead of 1A and changes nothing else."""
    data = (VECTORS / source / "output.bin").read_bytes()
    assert data[-1] == 0x1A, f"{source} does not end with 1A"
    out = data[:-1] + b"\x0c"
    return out, {
        "derivation": "last byte 1A (print with feeding) replaced by 0C (print)",
        "last_byte": {"offset": len(data) - 1, "was": "1A", "now": "0C"},
    }


def first_lines(source: str, keep: int) -> tuple[bytes, dict]:
    """A one-page brother_ql QL stream cut to its first `keep` raster lines:
    the count in ESC i z set to `keep`, every `g` line after the first `keep`
    dropped, 1A kept. brother_ql packs each image row into one `g` line on
    its own (no state between lines), so this is its stream for the first
    `keep` rows of the source input."""
    data = (VECTORS / source / "output.bin").read_bytes()
    info = data.index(b"\x1b\x69\x7a")
    (count,) = struct.unpack_from("<I", data, info + 7)
    first = data.index(b"\x4d\x02", info) + 2
    assert data[first] == 0x67, "raster lines start right after M 02"
    at, lines = first, 0
    while data[at] == 0x67:
        assert data[at + 1] == 0x00
        if lines == keep:
            cut = at
        at += 3 + data[at + 2]
        lines += 1
    assert lines == count and data[at:] == b"\x1a", "one page, ending with 1A"
    out = bytearray(data[:cut] + b"\x1a")
    struct.pack_into("<I", out, info + 7, keep)
    return bytes(out), {
        "derivation": f"ESC i z raster count {count} -> {keep} (offset {info + 7}, LE32); "
        f"raster lines {keep}..{count} removed (bytes {cut}..{at}); final 1A kept",
    }


CASES = {
    "ptp750w_12mm_frames_l_nofeed": {
        "make": lambda: end_without_feed("ptp750w_12mm_frames_l"),
        "source": "ptp750w_12mm_frames_l",
        "peer_behaviour": "ptouch 1.1.0 LabelPrinter.print(label, feed=False): "
        "the label ends with 0C (print) instead of 1A (print with feeding), so the "
        "printer prints it and does not feed it out or cut it (saves tape between jobs)",
        "model": "PT-P750W",
        "input": "../../vectors/ptp750w_12mm_frames_l/input.png",
    },
    "ptp750w_12mm_strip2_nofeed": {
        "make": lambda: end_without_feed("ptp750w_12mm_strip2_halfcut"),
        "source": "ptp750w_12mm_strip2_halfcut",
        "peer_behaviour": "ptouch 1.1.0: print(label_1, feed=False, auto_cut=False, "
        "half_cut=True) then print(label_2, feed=False, auto_cut=False, half_cut=True) "
        "on one printer: the print_multi stream with its last 1A replaced by 0C",
        "model": "PT-P750W",
        "input": "../../vectors/ptp750w_12mm_strip2_halfcut/input.png, input_2.png",
    },
    "ql1060n_102_short_120": {
        "make": lambda: first_lines("ql1060n_102_frames_l_comp", 120),
        "source": "ql1060n_102_frames_l_comp",
        "peer_behaviour": "brother_ql 0.9.4 encodes a 120-line (10 mm) label for the "
        "QL-1060N on 102 mm continuous rolls, below the model's 295-line minimum "
        "(brother-raster.md section 2): brother_ql_create --model QL-1060N "
        "--label-size 102 --compress on a 1164x120 image",
        "model": "QL-1060N",
        "input": "rows 0..120 of ../../vectors/ql1060n_102_frames_l_comp/input.png",
    },
}


def main() -> int:
    check = "--check" in sys.argv[1:]
    stale = []
    for name, case in CASES.items():
        out, how = case["make"]()
        source = (VECTORS / case["source"] / "output.bin").read_bytes()
        params = {
            "made_by": "derive.py in this folder (standard library only)",
            "source_vector": case["source"],
            "source_sha256": sha256(source),
            "peer_behaviour": case["peer_behaviour"],
            "model": case["model"],
            "input": case["input"],
            **how,
            "output_bytes": len(out),
            "output_sha256": sha256(out),
        }
        folder = HERE / name
        files = {
            folder / "output.bin": out,
            folder / "params.json": (json.dumps(params, indent=2) + "\n").encode(),
        }
        for path, content in files.items():
            if check:
                if not path.exists() or path.read_bytes() != content:
                    stale.append(str(path))
            else:
                folder.mkdir(exist_ok=True)
                path.write_bytes(content)
    if stale:
        print("out of date:", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
