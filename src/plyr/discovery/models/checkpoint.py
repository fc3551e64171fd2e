"""A reader for TensorFlow's TensorBundle checkpoints (the `.index` + `.data-*` pair), in numpy.

musicnn's weights ship as TF1 checkpoints; this reads them without TensorFlow. Format:
- `.index` is a LevelDB-style SSTable: blocks of prefix-compressed key/value entries, an index
  block of handles to them and a 48-byte footer (two block handles, then a magic number).
  Keys are tensor names (the empty key is the bundle header); values are BundleEntryProto
  messages: dtype (field 1), shape (2: TensorShapeProto, dims in field 2, size in field 1),
  shard_id (3), offset (4), size (5).
- `.data-00000-of-0000N` holds the raw little-endian tensor bytes at those offsets.
"""

import glob
import struct
from pathlib import Path

import numpy as np

_FOOTER_SIZE = 48
_TABLE_MAGIC = 0xDB4775248B80FB57
_BLOCK_TRAILER_SIZE = 5  # compression type (1 byte) + crc32c (4 bytes)
_DTYPES = {1: np.float32, 2: np.float64, 3: np.int32, 9: np.int64, 10: np.bool_}


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _proto_fields(buf: bytes) -> list[tuple[int, int | bytes]]:
    """The (field number, value) pairs of a protobuf message: varints as ints, the rest as bytes."""
    fields: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(buf):
        tag, pos = _varint(buf, pos)
        number, wire_type = tag >> 3, tag & 7
        value: int | bytes
        if wire_type == 0:
            value, pos = _varint(buf, pos)
        elif wire_type == 2:
            length, pos = _varint(buf, pos)
            value, pos = buf[pos : pos + length], pos + length
        elif wire_type in (1, 5):
            width = 8 if wire_type == 1 else 4
            value, pos = buf[pos : pos + width], pos + width
        else:
            raise ValueError(f"unsupported protobuf wire type {wire_type}")
        fields.append((number, value))
    return fields


def _block_entries(table: bytes, offset: int, size: int) -> list[tuple[bytes, bytes]]:
    block = table[offset : offset + size]
    if table[offset + size] != 0:
        raise ValueError("compressed checkpoint index blocks are not supported")
    (num_restarts,) = struct.unpack_from("<I", block, len(block) - 4)
    end = len(block) - 4 - 4 * num_restarts
    entries: list[tuple[bytes, bytes]] = []
    key = b""
    pos = 0
    while pos < end:
        shared, pos = _varint(block, pos)
        unshared, pos = _varint(block, pos)
        value_length, pos = _varint(block, pos)
        key = key[:shared] + block[pos : pos + unshared]
        pos += unshared
        entries.append((key, block[pos : pos + value_length]))
        pos += value_length
    return entries


def _table_entries(table: bytes) -> list[tuple[bytes, bytes]]:
    footer = table[-_FOOTER_SIZE:]
    (magic,) = struct.unpack_from("<Q", footer, _FOOTER_SIZE - 8)
    if magic != _TABLE_MAGIC:
        raise ValueError("not a TensorBundle index (bad SSTable magic)")
    _, pos = _varint(footer, 0)  # the metaindex handle: unused
    _, pos = _varint(footer, pos)
    index_offset, pos = _varint(footer, pos)
    index_size, _ = _varint(footer, pos)
    entries: list[tuple[bytes, bytes]] = []
    for _, handle in _block_entries(table, index_offset, index_size):
        offset, pos = _varint(handle, 0)
        size, _ = _varint(handle, pos)
        entries.extend(_block_entries(table, offset, size))
    return entries


def _shape(shape_proto: bytes) -> tuple[int, ...]:
    dims = []
    for number, dim in _proto_fields(shape_proto):
        if number == 2 and isinstance(dim, bytes):
            sizes = [v for n, v in _proto_fields(dim) if n == 1]
            dims.append(int(sizes[0]) if sizes else 0)
    return tuple(dims)


def read_checkpoint(prefix: str, names: set[str] | None = None) -> dict[str, np.ndarray]:
    """The tensors of the checkpoint at `prefix` (`{prefix}.index`, `{prefix}.data-*`), by name.

    musicnn's prefixes are directories (`.../MTT_musicnn/` holds `.index`). `names` limits the
    result (optimizer slots such as `.../Adam` are otherwise included).
    """
    table = Path(f"{prefix}.index").read_bytes()
    tensors: dict[str, np.ndarray] = {}
    shards: dict[int, bytes] = {}
    for raw_key, value in _table_entries(table):
        name = raw_key.decode()
        if not name or (names is not None and name not in names):
            continue  # the empty key is the BundleHeaderProto
        entry = dict(_proto_fields(value))
        dtype = _DTYPES[_varint_field(entry, 1)]
        shape_proto = entry.get(2, b"")
        shape = _shape(shape_proto if isinstance(shape_proto, bytes) else b"")
        shard = _varint_field(entry, 3)
        offset, size = _varint_field(entry, 4), _varint_field(entry, 5)
        if shard not in shards:
            shards[shard] = _read_shard(prefix, shard)
        data = shards[shard][offset : offset + size]
        # a copy, so the shard's bytes (mostly optimizer slots) can be freed
        array = np.frombuffer(data, dtype=np.dtype(dtype).newbyteorder("<")).reshape(shape)
        tensors[name] = array.astype(array.dtype.newbyteorder("="))
    return tensors


def _varint_field(entry: dict[int, int | bytes], number: int) -> int:
    value = entry.get(number, 0)  # proto3: an absent field is zero
    if not isinstance(value, int):
        raise ValueError(f"BundleEntryProto field {number} is not a varint")
    return value


def _read_shard(prefix: str, shard: int) -> bytes:
    matches = sorted(glob.glob(f"{glob.escape(prefix)}.data-{shard:05d}-of-*"))
    if not matches:
        raise FileNotFoundError(f"{prefix}.data-{shard:05d}-of-*")
    return Path(matches[0]).read_bytes()
