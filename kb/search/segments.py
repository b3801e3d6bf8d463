"""Whoosh 3 index files, read without importing Whoosh: what answering a paste needs of them.

Why: importing Whoosh's reader, query and codec modules was ~40 ms of every `runbook search`
process (issue 24), more than the search itself. Answering needs little of it: the table of
contents (which segments, their document counts, deletions and field-length totals), a term's
entry in a segment's term hash, its posting blocks, the field-length columns and the stored
fields. Those formats are small and stable (Whoosh 2.7's W3 codec); each is read here straight
from a memory map. The index is still written by Whoosh (kb/search/index.py), and
tests/test_segments.py checks every figure read here against Whoosh's own reader.

A table of contents that does not look exactly as expected raises IndexUnreadable: the index
is derived data, so the caller rebuilds it rather than guessing.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import mmap
import os
import pickle
import re
import struct
import sys
import zlib
from array import array
from collections.abc import Iterator
from itertools import accumulate
from pathlib import Path

TOC_VERSION = -111  # Whoosh 2.7's table-of-contents format
_TOC_NAME = re.compile(r"_(?P<name>.+)_(?P<gen>\d+)\.toc")
_INT = struct.Struct("!i")
_LONG = struct.Struct("!q")
_USHORT = struct.Struct("!H")
_DIRECTORY = struct.Struct("!qi")  # a compound file's directory, and a hash file's table pointers
_POINTER = struct.Struct("!Iq")  # a hash slot: (hash, position)
_LENGTHS = struct.Struct("!ii")  # a hash item: (key length, value length)
_TERM_INFO = struct.Struct("!BfIBBfII")  # flags, weight, doc frequency, min/max length, max weight, min/max id
_POSTINGS_MAGIC = b"W3Bl"
_HASH_MAGIC = b"HSH3"
# Whoosh stores a field's length as one byte on a log scale (whoosh.util.numeric); this is its table
BYTE_TO_LENGTH = tuple(int(round((pow(1.033, n) - 1) * 27)) for n in range(256))
_SWAP = sys.byteorder == "little"  # Whoosh writes arrays big-endian


class IndexUnreadable(Exception):
    """The index files are not the Whoosh 3 layout this module reads (or name a module that is gone), or
    are damaged (cut short, overwritten): the index is derived data, so the caller rebuilds it."""


# what reading a damaged file raises here: a short read, a bad pickle or zlib stream, a position past the end
_DAMAGE = (EOFError, IndexError, ValueError, TypeError, KeyError, AttributeError, struct.error, zlib.error,
           pickle.UnpicklingError, OverflowError)


def latest_toc(folder: Path, indexname: str = "MAIN") -> Path | None:
    """The newest table of contents in folder, or None when there is no index."""
    try:
        names = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return None
    best = -1
    for name in names:
        match = _TOC_NAME.fullmatch(name)
        if match and match.group("name") == indexname:
            best = max(best, int(match.group("gen")))
    return Path(folder, f"_{indexname}_{best}.toc") if best >= 0 else None


class _Fields:
    """Attributes of a pickled Whoosh object (a segment, its codec, a schema part), with no Whoosh class."""

    def __setstate__(self, state) -> None:
        if isinstance(state, tuple):  # (dict, slots)
            state = {**(state[0] or {}), **(state[1] or {})}
        self.__dict__.update(state)


_PLAIN_MODULES = frozenset({"builtins", "collections", "copyreg", "array", "_codecs"})
_STAND_INS: dict[tuple[str, str], type] = {}


class _StandInUnpickler(pickle.Unpickler):
    """Loads a table of contents' pickles with stand-in classes. A class of ours that no longer
    exists (an analyzer module that moved) makes the index unreadable, as it would be to Whoosh."""

    def find_class(self, module: str, name: str):
        if module in _PLAIN_MODULES:
            return super().find_class(module, name)
        if module.split(".")[0] != "whoosh" and not _module_exists(module):
            raise IndexUnreadable(f"the index names {module}.{name}, which is not installed")
        key = (module, name)
        if key not in _STAND_INS:
            _STAND_INS[key] = type(name, (_Fields,), {"__module__": "kb.search.segments.pickled", "whoosh_class": key})
        return _STAND_INS[key]


def _module_exists(module: str) -> bool:
    if module in sys.modules:
        return True
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


class _Reader:
    """Position-based reads from a buffer (a memory map or bytes)."""

    def __init__(self, data) -> None:
        self.data = data
        self.pos = 0

    def varint(self) -> int:
        data, pos, value, shift = self.data, self.pos, 0, 0
        while True:
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                self.pos = pos
                return value

    def int(self) -> int:
        value = _INT.unpack_from(self.data, self.pos)[0]
        self.pos += 4
        return value

    def skip(self, length: int) -> None:
        self.pos += length


def read_toc(path: Path) -> tuple[int, list]:
    """(generation, segments) of a table of contents; each segment a stand-in with Whoosh's attributes."""
    data = path.read_bytes()
    reader = _Reader(data)
    try:
        sizes = (reader.varint(), reader.varint(), reader.varint())
        if sizes != (4, 8, 4) or reader.int() != -12345:
            raise IndexUnreadable(f"{path.name}: written on another architecture")
        if reader.int() != TOC_VERSION:
            raise IndexUnreadable(f"{path.name}: not a Whoosh 2.7 table of contents")
        for _ in range(3):
            reader.varint()  # Whoosh's release
        schema_length = reader.varint()
        _StandInUnpickler(io.BytesIO(data[reader.pos:reader.pos + schema_length])).load()  # its classes must exist
        reader.skip(schema_length)
        generation = reader.int()
        reader.int()  # unused
        segments = _StandInUnpickler(io.BytesIO(data[reader.pos:])).load()
    except IndexUnreadable:
        raise
    except Exception as error:  # truncated, or not a pickle: unreadable, so rebuilt
        raise IndexUnreadable(f"{path.name}: {error}") from error
    for segment in segments:
        if getattr(type(segment), "whoosh_class", None) != ("whoosh.codec.whoosh3", "W3Segment"):
            raise IndexUnreadable(f"{path.name}: a segment of another codec")
    return generation, segments


class Segment:
    """One segment: its terms, postings, field-length columns and stored fields, from one memory map
    (a compound `.seg` file) or from its separate files."""

    def __init__(self, folder: Path, info) -> None:
        try:
            self._open(folder, info)
        except _DAMAGE as error:
            self.close()
            raise IndexUnreadable(f"segment {getattr(info, 'segid', '?')}: {error!r}") from error

    def _open(self, folder: Path, info) -> None:
        self._maps: list[mmap.mmap] = []
        self.name = f"{info.indexname}_{info.segid}"
        self.doc_count_all: int = info._doccount
        deleted = getattr(info, "_deleted", None)
        self.deleted: frozenset[int] | None = frozenset(deleted) if deleted else None
        self.field_lengths: dict[str, int] = dict(getattr(info, "_fieldlengths", None) or {})
        self._files: dict[str, tuple[object, int, int]] = {}
        if getattr(info, "compound", False):
            data = self._map(Path(folder, self.name + ".seg"))
            offset = _LONG.unpack_from(data, 0)[0]
            directory = pickle.load(io.BytesIO(data[offset:]))
            self._files = {name: (data, entry["offset"], entry["length"]) for name, entry in directory.items()}
        else:
            for path in Path(folder).glob(self.name + ".*"):
                data = self._map(path)
                self._files[path.name] = (data, 0, len(data))
        self._terms = _TermHash(*self._file(".trm"))
        self._postfile = self._file(".pst")
        self._columns: dict[str, bytes | None] = {}
        self._stored: _StoredColumn | None = None

    def _map(self, path: Path):
        with open(path, "rb") as handle:
            if os.fstat(handle.fileno()).st_size == 0:
                return b""
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        self._maps.append(data)
        return data

    def _file(self, extension: str) -> tuple[object, int, int]:
        try:
            return self._files[self.name + extension]
        except KeyError:
            raise FileNotFoundError(f"{self.name}{extension}") from None

    def close(self) -> None:
        for data in self._maps:
            data.close()
        self._maps.clear()

    @property
    def doc_count(self) -> int:
        return self.doc_count_all - (len(self.deleted) if self.deleted else 0)

    def term_info(self, field: str, term: str) -> "TermInfo | None":
        try:
            return self._terms.term_info(field, term.encode("utf-8"))
        except _DAMAGE as error:
            raise IndexUnreadable(f"{self.name}.trm: {error!r}") from error

    def postings(self, info: "TermInfo") -> Iterator[tuple[tuple[int, ...], object]]:
        """(document numbers, weights) a block at a time; deleted documents are left to the caller."""
        try:
            yield from self._postings(info)
        except _DAMAGE as error:
            raise IndexUnreadable(f"{self.name}.pst: {error!r}") from error

    def _postings(self, info: "TermInfo") -> Iterator[tuple[tuple[int, ...], object]]:
        data, base, _ = self._postfile
        position = base + info.offset
        if bytes(data[position:position + 4]) != _POSTINGS_MAGIC:
            raise IndexUnreadable(f"{self.name}.pst: no posting block at {info.offset}")
        position += 4
        while True:
            length = _INT.unpack_from(data, position)[0]
            last = length < 0
            block = data[position + 4:position + 4 + abs(length)]
            stream = io.BytesIO(block)
            count, _, _, compressed, _, _ = pickle.load(stream)
            body = block[stream.tell():]
            ids, weights, _ = pickle.loads(zlib.decompress(body) if compressed else body)
            if weights is None:
                weights = (1.0,) * count
            elif isinstance(weights, float):
                weights = (weights,) * count
            yield tuple(accumulate(ids)), weights
            if last:
                return
            position += 4 + abs(length)

    def length_column(self, field: str) -> bytes:
        """The field's length byte of each document (documents past its end have none: 0)."""
        if field not in self._columns:
            entry = self._files.get(f"{self.name}._{field}_len.col")
            self._columns[field] = bytes(entry[0][entry[1]:entry[1] + entry[2]]) if entry else b""
        return self._columns[field] or b""

    def stored_fields(self, docnum: int) -> dict:
        try:
            if self._stored is None:
                self._stored = _StoredColumn(*self._file("._stored.col"), self.doc_count_all)
            return self._stored[docnum]
        except _DAMAGE as error:
            raise IndexUnreadable(f"{self.name}._stored.col: {error!r}") from error


class TermInfo:
    """A term's entry in a segment: how many documents hold it, and where its postings start. (Whoosh's
    W3 codec can also inline a rare term's postings here, but its writer never does: its `inlinelimit`
    of 1 inlines lists shorter than one posting. Such an entry would be read as unreadable.)"""

    __slots__ = ("doc_frequency", "offset")

    def __init__(self, value: bytes) -> None:
        flags, _, self.doc_frequency, _, _, _, _, _ = _TERM_INFO.unpack_from(value, 0)
        if flags:
            raise IndexUnreadable("a term with inlined postings")
        self.offset = _LONG.unpack_from(value, _TERM_INFO.size)[0]


def _md5_hash(key: bytes) -> int:
    return int.from_bytes(hashlib.md5(key, usedforsecurity=False).digest()[-4:], "big")


def _crc_hash(key: bytes) -> int:
    return zlib.crc32(key) & 0xFFFFFFFF


def _cdb_hash(key: bytes) -> int:
    value = 5381
    for byte in key:
        value = (value + (value << 5)) & 0xFFFFFFFF ^ byte
    return value


class _TermHash:
    """Whoosh's on-disk hash of terms (whoosh.filedb.filetables.OrderedHashReader): 256 tables of
    (hash, position) slots, keyed by the field's number and the term's bytes."""

    def __init__(self, data, base: int, length: int) -> None:
        if bytes(data[base:base + 4]) != _HASH_MAGIC:
            raise IndexUnreadable("a term file without its header")
        self._data, self._hash = data, (_md5_hash, _crc_hash, _cdb_hash)[data[base + 4]]
        extras_end = base + length - 4
        extras_start = extras_end - _INT.unpack_from(data, extras_end)[0]
        self._fields: dict[str, int] = pickle.load(io.BytesIO(data[extras_start:extras_end]))["fieldmap"]
        directory = extras_start - 256 * _DIRECTORY.size
        self._tables = [_DIRECTORY.unpack_from(data, directory + i * _DIRECTORY.size) for i in range(256)]
        self._base = base

    def term_info(self, field: str, term: bytes) -> TermInfo | None:
        number = self._fields.get(field)
        if number is None:
            return None
        value = self._get(_USHORT.pack(number) + term)
        return TermInfo(value) if value is not None else None

    def _get(self, key: bytes) -> bytes | None:
        data, base = self._data, self._base
        keyhash = self._hash(key)
        table, slots = self._tables[keyhash & 255]
        if not slots:
            return None
        end = base + table + slots * _POINTER.size
        position = base + table + ((keyhash >> 8) % slots) * _POINTER.size
        for _ in range(slots):
            slothash, item = _POINTER.unpack_from(data, position)
            if not item:
                return None
            if slothash == keyhash:
                keylength, valuelength = _LENGTHS.unpack_from(data, base + item)
                start = base + item + _LENGTHS.size
                if keylength == len(key) and data[start:start + keylength] == key:
                    return bytes(data[start + keylength:start + keylength + valuelength])
            position += _POINTER.size
            if position == end:
                position = base + table
        return None


class _StoredColumn:
    """Whoosh's stored-fields column: one zlib-compressed pickle per document (a CompressedBytesColumn
    wrapped in a PickleColumn), located by a lengths array (and an offsets array when long)."""

    def __init__(self, data, base: int, length: int, doccount: int) -> None:
        self._data, self._base = data, base
        last = base + length - 1
        lengths_code = chr(data[last])
        offsets = None
        if lengths_code == "X":
            lengths_code, offsets_code = chr(data[last - 2]), chr(data[last - 1])
            start = (last - 2) - doccount * struct.calcsize(offsets_code)
            offsets = _array(data, start, offsets_code, doccount)
            last = start
        lengths = _array(data, last - struct.calcsize(lengths_code) * doccount, lengths_code, doccount)
        if offsets is None:
            offsets = [0, *accumulate(lengths)][:doccount]
        self._lengths, self._offsets = lengths, offsets

    def __getitem__(self, docnum: int) -> dict:
        length = self._lengths[docnum]
        if not length:
            return {}
        start = self._base + self._offsets[docnum]
        value = pickle.loads(zlib.decompress(self._data[start:start + length]))
        return value if value is not None else {}


def _array(data, start: int, typecode: str, count: int) -> array:
    values = array(typecode)
    values.frombytes(data[start:start + count * values.itemsize])
    if _SWAP:
        values.byteswap()
    return values


class IndexFiles:
    """An open index as of its newest table of contents: the segments, and the figures Whoosh's
    searcher gives BM25F (document counts over all segments, field-length totals)."""

    def __init__(self, folder: Path, indexname: str = "MAIN") -> None:
        toc = latest_toc(folder, indexname)
        if toc is None:
            raise FileNotFoundError(f"no search index in {folder}")
        self.generation, infos = read_toc(toc)
        self.segments: list[Segment] = []
        self.offsets: list[int] = []
        offset = 0
        try:
            for info in infos:
                segment = Segment(folder, info)
                self.segments.append(segment)
                self.offsets.append(offset)
                offset += segment.doc_count_all
        except BaseException:
            self.close()
            raise
        self.doc_count_all = offset

    def close(self) -> None:
        for segment in self.segments:
            segment.close()

    def doc_count(self) -> int:
        """Documents not deleted (Whoosh's `searcher.doc_count()`)."""
        return sum(segment.doc_count for segment in self.segments)

    def doc_frequency(self, field: str, term: str) -> int:
        return sum(info.doc_frequency for segment in self.segments
                   if (info := segment.term_info(field, term)) is not None)

    def avg_field_length(self, field: str) -> float:
        """Whoosh's searcher: the field's total length over every document, deleted ones included."""
        total = sum(segment.field_lengths.get(field, 0) for segment in self.segments)
        return total / (self.doc_count_all or 1)

    def stored_fields(self, docnum: int) -> dict:
        for segment, offset in zip(reversed(self.segments), reversed(self.offsets)):
            if docnum >= offset:
                return segment.stored_fields(docnum - offset)
        raise IndexError(docnum)
