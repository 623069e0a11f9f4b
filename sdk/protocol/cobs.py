"""Consistent Overhead Byte Stuffing: a frame without 0x00 bytes, so 0x00 can delimit frames."""

from __future__ import annotations


class CobsError(ValueError):
    """Bytes that are not a valid COBS encoding; ``oversize`` when the output limit was hit."""

    def __init__(self, message: str, oversize: bool = False) -> None:
        super().__init__(message)
        self.oversize = oversize


def cobs_encode(data: bytes) -> bytes:
    """Encode ``data``; the result has no 0x00 and is 1 byte per started 254 bytes longer.

    A full block (code 0xFF) is closed only when more data follows, which gives the canonical
    encoding (01..FE encodes as FF 01..FE, not FF 01..FE 01).
    """
    out = bytearray([0])
    code_pos, code = 0, 1
    for byte in data:
        if code == 0xFF:
            out[code_pos] = code
            code_pos, code = len(out), 1
            out.append(0)
        if byte:
            out.append(byte)
            code += 1
        else:
            out[code_pos] = code
            code_pos, code = len(out), 1
            out.append(0)
    out[code_pos] = code
    return bytes(out)


def cobs_decode(data: bytes, limit: int) -> bytes:
    """Decode one frame (without its delimiter), producing at most ``limit`` bytes.

    Mirrors the device's byte-at-a-time decoder: a block's implicit zero is emitted only when
    the next block starts, and exceeding ``limit`` is reported before an incomplete block.
    """
    out = bytearray()
    pos, n, prev_code = 0, len(data), 0xFF
    while pos < n:
        code = data[pos]
        if code == 0:
            raise CobsError("0x00 inside a COBS frame")
        pos += 1
        if prev_code != 0xFF:
            out.append(0)
        chunk = data[pos:pos + code - 1]
        out += chunk
        pos += len(chunk)
        if len(out) > limit:
            raise CobsError(f"decodes to more than {limit} bytes", oversize=True)
        if len(chunk) < code - 1:
            raise CobsError("frame ends inside a COBS block")
        prev_code = code
    return bytes(out)
