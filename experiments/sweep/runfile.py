"""A sweep job's `dataset.nc`, written and read without xarray's backends or HDF5.

A sweep job used to write its dataset with `xarray.Dataset.to_netcdf` as
NetCDF-4: 26 ms for a 445-kB file, a fifth of the job, nearly all of it HDF5
creating 49 variables; `alliance-collect` then spent 10 ms of CPU reading each
one back through the netCDF4 library. Here the same dataset is encoded by
xarray's own CF encoder (names, dtypes, fill values, attributes, strings as
UTF-8 characters, exactly as xarray writes NetCDF-3), then written as one
NetCDF classic file in the 64-bit data format (CDF-5, which keeps 64-bit
integers): a header and each variable's bytes, in about a millisecond. It is an
ordinary NetCDF file: `xarray.open_dataset`, `ncdump` and the netCDF4 library
read it. `read_raw` parses it back in a fraction of a millisecond, for the merge.

Format: the NetCDF classic format specification (CDF-5 variant),
https://docs.unidata.ucar.edu/netcdf-c/current/file_format_specifications.html
"""

from __future__ import annotations

import hashlib
import math
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import xarray as xr

MAGIC = b"CDF\x05"
HDF5_MAGIC = b"\x89HDF"
_DIMENSION, _VARIABLE, _ATTRIBUTE = 0x0A, 0x0B, 0x0C
# NetCDF type codes and their big-endian numpy dtypes.
NC_TYPES = {
    1: ">i1",
    2: "S1",
    3: ">i2",
    4: ">i4",
    5: ">f4",
    6: ">f8",
    7: ">u1",
    8: ">u2",
    9: ">u4",
    10: ">i8",
    11: ">u8",
}
_CODES = {np.dtype(dtype).newbyteorder("="): code for code, dtype in NC_TYPES.items()}
_DTYPES = {code: np.dtype(dtype) for code, dtype in NC_TYPES.items()}
_CHAR = 2
_ATTRIBUTE_LIST = struct.Struct(">iq")  # also an attribute's type and length
_LENGTH = struct.Struct(">q")


@dataclass
class RawRun:
    """A run file's contents as stored (CF-encoded): what the merge copies.

    Attributes:
        sizes: Each dimension's length.
        attrs: Global attributes (text as str, numbers as numpy scalars or arrays).
        dims: Each variable's dimensions.
        var_attrs: Each variable's attributes.
        arrays: Each variable's values in native byte order; characters as `S1`.
    """

    sizes: dict[str, int] = field(default_factory=dict)
    attrs: dict[str, object] = field(default_factory=dict)
    dims: dict[str, tuple[str, ...]] = field(default_factory=dict)
    var_attrs: dict[str, dict] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


def _padded(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 4)


def _name(text: str) -> bytes:
    encoded = text.encode()
    return struct.pack(">q", len(encoded)) + _padded(encoded)


def _attribute(name: str, value: object) -> bytes:
    if isinstance(value, str):
        data = value.encode()
        return _name(name) + struct.pack(">iq", _CHAR, len(data)) + _padded(data)
    array = np.atleast_1d(np.asarray(value))
    if array.dtype.kind == "U":  # a list of strings: one text, as netCDF4 writes it
        return _attribute(name, "".join(array.tolist()))
    if array.dtype == np.int64 or array.dtype.kind == "b":
        array = array.astype(np.int64)
    code = _CODES[array.dtype.newbyteorder("=")]
    data = array.astype(NC_TYPES[code]).tobytes()
    return _name(name) + struct.pack(">iq", code, array.size) + _padded(data)


# Encoded attribute lists by their text: a sweep's variables carry the same units and
# descriptions in every job (bounded: cleared when full).
_ENCODED_ATTRS: dict[tuple, bytes] = {}


def _exact(value: object) -> object:
    """A value as a key that differs whenever its encoding would (not `repr`: it elides)."""
    if isinstance(value, str):
        return value
    array = np.asarray(value)
    return array.dtype.str, array.shape, array.tobytes()


def _described(attrs: dict) -> tuple:
    """Attributes as a key that differs whenever their encoding would.

    Names by the text written (`str`): `1` and `True` are equal keys of a dict
    but are written as "1" and "True".
    """
    return tuple((str(k), type(v).__name__, _exact(v)) for k, v in attrs.items())


def _attributes(attrs: dict) -> bytes:
    if not attrs:
        return struct.pack(">iq", 0, 0)
    key = _described(attrs)
    encoded = _ENCODED_ATTRS.get(key)
    if encoded is None:
        parts = [_attribute(str(k), v) for k, v in attrs.items()]
        encoded = struct.pack(">iq", _ATTRIBUTE, len(parts)) + b"".join(parts)
        if len(_ENCODED_ATTRS) >= 4096:
            _ENCODED_ATTRS.clear()
        _ENCODED_ATTRS[key] = encoded
    return encoded


# How xarray's CF encoder changes a numeric variable of a given signature (name,
# dimensions, dtype, attributes), for the signatures where it only casts the values
# and sets attributes: the encoded dtype and attributes. A sweep's jobs write the
# same variables every time, so each signature is encoded by xarray once per worker,
# the cast checked, and later reused (bounded: cleared when full).
_PLAIN_ENCODINGS: dict[tuple, tuple[np.dtype, dict]] = {}
# Attributes that xarray's coders may move into the encoding and act on (masking,
# scaling): a variable with one goes through xarray each time. Units and calendars
# act on datetimes only, which are not numeric here.
_CODED_ATTRIBUTES = frozenset(
    {"_FillValue", "missing_value", "scale_factor", "add_offset", "_Unsigned", "dtype"}
)


def _plain_signature(name: str, variable: xr.Variable) -> tuple | None:
    """A numeric, unencoded variable's signature for `_PLAIN_ENCODINGS`; None for others."""
    if variable.encoding or variable.dtype.kind not in "fiub":
        return None
    if not _CODED_ATTRIBUTES.isdisjoint(variable.attrs):
        return None
    attrs = _described(variable.attrs)
    return name, variable.dims, variable.dtype.str, attrs


def _cf_encoded(variables: dict, conventions) -> dict:
    """The variables as xarray's `cf_encoder` encodes them, cast where it only casts."""
    from xarray import Variable

    if any("bounds" in v.attrs for v in variables.values()):
        return conventions.cf_encoder(variables, {})[0]
    encoded = {}
    for name, variable in variables.items():
        signature = _plain_signature(name, variable)
        known = _PLAIN_ENCODINGS.get(signature) if signature is not None else None
        if known is not None:
            dtype, attrs = known
            values = np.asarray(variable.values).astype(dtype, copy=False)
            encoded[name] = Variable(variable.dims, values, dict(attrs), fastpath=True)
            continue
        result = conventions.encode_cf_variable(variable, name=name)
        encoded[name] = result
        if signature is None or result.encoding or result.dims != variable.dims:
            continue
        cast = np.asarray(variable.values).astype(result.dtype)
        if np.array_equal(np.asarray(result.values), cast, equal_nan=result.dtype.kind == "f"):
            if len(_PLAIN_ENCODINGS) >= 4096:
                _PLAIN_ENCODINGS.clear()
            _PLAIN_ENCODINGS[signature] = (result.dtype, dict(result.attrs))
    return encoded


# Where xarray's coordinate encoder names a dataset's non-dimension coordinates, by
# the dataset's layout (`_layout`): each variable's `coordinates` attribute and the
# global one. Every job of a sweep has the same layout (bounded: cleared when full).
_COORDINATE_NAMES: dict[tuple, tuple[dict[str, str], str | None]] = {}


def _layout(dataset: xr.Dataset, conventions) -> tuple | None:
    """What xarray's coordinate encoder reads of a dataset; None where it reads more.

    It reads the variables' names and dimensions and the non-dimension coordinates,
    unless a variable names its coordinates itself or relates to others through
    its encoding (`CF_RELATED_DATA`), or the dataset already has a global
    `coordinates` attribute: those go through xarray every time.
    """
    related = ("coordinates", *conventions.CF_RELATED_DATA)
    variables = dataset.variables
    if "coordinates" in dataset.attrs or any(
        "coordinates" in v.attrs or any(a in v.encoding for a in related)
        for v in variables.values()
    ):
        return None
    non_dimension = tuple(sorted(str(c) for c in set(dataset.coords) - set(dataset.dims)))
    return tuple((k, v.dims) for k, v in variables.items()), non_dimension


def _with_coordinates(dataset: xr.Dataset, conventions) -> tuple[dict, dict]:
    """The variables and attributes with coordinates named as xarray's encoder names them.

    xarray's encoder names each non-dimension coordinate in the `coordinates`
    attribute of the variables that span its dimensions (or in a global one),
    in a pass over every pair of coordinate and variable. A sweep's jobs share a
    layout: the names found by xarray for the first are set on the others.
    """
    layout = _layout(dataset, conventions)
    known = _COORDINATE_NAMES.get(layout) if layout is not None else None
    if known is None:
        variables, attrs = conventions.encode_dataset_coordinates(dataset)
        if layout is not None:
            named = {
                k: v.attrs["coordinates"] for k, v in variables.items() if "coordinates" in v.attrs
            }
            if len(_COORDINATE_NAMES) >= 256:
                _COORDINATE_NAMES.clear()
            _COORDINATE_NAMES[layout] = (named, attrs.get("coordinates"))
        return variables, attrs
    from xarray import Variable

    named, global_names = known
    variables = dict(dataset.variables)  # not changed below: only read, or replaced
    for name, coordinates in named.items():
        variable = variables[name]
        attrs = {**variable.attrs, "coordinates": coordinates}
        variables[name] = Variable(
            variable.dims, variable.data, attrs, variable.encoding, fastpath=True
        )
    attrs = (
        dataset.attrs if global_names is None else {**dataset.attrs, "coordinates": global_names}
    )
    return variables, attrs


def encoded_variables(dataset: xr.Dataset) -> tuple[dict, dict]:
    """The dataset's variables and attributes as xarray writes them to NetCDF-3.

    Coordinates named in `coordinates` attributes, CF encoding (fill values,
    booleans), text as UTF-8 characters along a `string<N>` dimension; 64-bit
    integers stay 64-bit (CDF-5 stores them). A numeric variable whose encoding
    xarray has shown to be a cast is cast without it (`_PLAIN_ENCODINGS`).
    """
    from xarray import conventions
    from xarray.coding.strings import CharacterArrayCoder, EncodedStringCoder

    variables, attrs = _with_coordinates(dataset, conventions)
    variables = _cf_encoded(variables, conventions)
    for name, variable in variables.items():
        if variable.dtype.kind in "OUS":
            if variable.dtype.kind == "O":  # text read back from a file
                variable = variable.astype(str)
            variable = EncodedStringCoder(allows_unicode=False).encode(variable, name)
            variables[name] = CharacterArrayCoder().encode(variable, name)
    return variables, attrs


def run_file_bytes(dataset: xr.Dataset) -> bytes:
    """The bytes of a dataset as a CDF-5 NetCDF file (see the module docstring).

    A dataset of a layout seen before (`_layout_key`: the same variables, dimensions,
    dtypes, attributes and widths of text) is written from that layout's plan
    (`_Plan`), learnt from the first dataset of the layout and kept only if it
    wrote that dataset to the general path's bytes; later datasets of the layout
    are trusted on their key (what xarray's encoder does to a number of a given
    dtype and attributes does not depend on its value). Others go through the
    general path (`_general_bytes`).

    Args:
        dataset: One run's dataset.

    Returns:
        The file's bytes; the same dataset gives the same bytes.
    """
    layout = _layout_key(dataset)
    key, texts = layout if layout is not None else (None, {})
    plan = _PLANS.get(key) if key is not None else None
    if plan is not None:
        return plan.bytes_of(dataset, texts)
    encoded = _Encoded.of(dataset)
    data = encoded.bytes()
    if key is not None:
        plan = _Plan.learnt(dataset, encoded)
        if plan is not None and plan.bytes_of(dataset, texts) == data:
            if len(_PLANS) >= 64:
                _PLANS.clear()
            _PLANS[key] = plan
    return data


def _general_bytes(dataset: xr.Dataset) -> bytes:
    """The file's bytes through xarray's encoder (`encoded_variables`)."""
    return _Encoded.of(dataset).bytes()


@dataclass
class _Encoded:
    """A dataset as xarray's encoder writes it: what a file and a plan are made from.

    Attributes:
        attrs: The global attributes written.
        sizes: Each dimension's length, in file order.
        variables: Each variable in file order: its name, its header entry (but for
            the data offset), its NetCDF type code and its data's bytes.
    """

    attrs: dict
    sizes: dict[str, int]
    variables: list[tuple[str, bytes, int, bytes]]

    @classmethod
    def of(cls, dataset: xr.Dataset) -> _Encoded:
        """The dataset through `encoded_variables`."""
        variables, attrs = encoded_variables(dataset)
        sizes: dict[str, int] = {}
        for variable in variables.values():
            sizes.update(variable.sizes)
        dim_ids = {name: i for i, name in enumerate(sizes)}
        entries = []
        for name, variable in variables.items():
            values = np.ascontiguousarray(variable.values)
            code = _CHAR if values.dtype.kind == "S" else _CODES[values.dtype.newbyteorder("=")]
            data = _padded(values.astype(NC_TYPES[code]).tobytes())
            head = _variable_head(name, variable.dims, dim_ids, variable.attrs, code, len(data))
            entries.append((name, head, code, data))
        return cls(attrs, sizes, entries)

    def bytes(self) -> bytes:
        """The file's bytes."""
        heads = [head for _, head, _, _ in self.variables]
        datas = [data for _, _, _, data in self.variables]
        dims = _dimension_list(self.sizes)
        return _assembled(dims, len(self.sizes), _attributes(self.attrs), heads, datas)


def _dimension_list(sizes: dict[str, int]) -> bytes:
    return b"".join(_name(name) + struct.pack(">q", size) for name, size in sizes.items())


def _variable_head(
    name: str, dims: tuple, dim_ids: dict[str, int], attrs: dict, code: int, length: int
) -> bytes:
    """A variable's entry in the header, but for its data offset (the last 8 bytes)."""
    ids = b"".join(struct.pack(">q", dim_ids[d]) for d in dims)
    head = _name(name) + struct.pack(">q", len(dims)) + ids
    return head + _attributes(attrs) + struct.pack(">iq", code, length)


def _assembled(
    dims: bytes, dim_count: int, attributes: bytes, heads: list[bytes], datas: list[bytes]
) -> bytes:
    """A file from its dimension list, global attributes, variable entries and data."""
    start = len(MAGIC) + 8 + 12 + len(dims) + len(attributes) + 12 + sum(len(h) + 8 for h in heads)
    offset, entries = start, []
    for head, data in zip(heads, datas, strict=True):
        entries.append(head + struct.pack(">q", offset))
        offset += len(data)
    header = b"".join(
        (
            MAGIC,
            struct.pack(">q", 0),
            struct.pack(">iq", _DIMENSION, dim_count),
            dims,
            attributes,
            struct.pack(">iq", _VARIABLE, len(heads)),
            *entries,
        )
    )
    if len(header) != start:
        msg = f"run file header is {len(header)} bytes, expected {start}"
        raise AssertionError(msg)
    return header + b"".join(datas)


# A sweep's jobs write datasets of one layout: plans by layout (bounded: cleared when full).
_PLANS: dict[tuple, _Plan] = {}


def _layout_key(dataset: xr.Dataset) -> tuple[tuple, dict[str, np.ndarray]] | None:
    """What the general path reads of a dataset but its values and global attributes.

    Attribute names are keyed by the text written, values by `_exact`.

    Text is part of a layout by its width in UTF-8 bytes only (its characters are
    encoded here, `_characters`, and returned with the key). None for a dataset
    the general path must see whole each time: a variable with an encoding or an
    attribute xarray's coders act on, text not held as str, a variable naming its
    `coordinates` or `bounds`, or a global `coordinates` attribute.

    Returns:
        The key, and each text variable's characters; or None.
    """
    if "coordinates" in dataset.attrs:
        return None
    parts, texts = [], {}
    for name, variable in dataset.variables.items():
        attrs = variable.attrs
        if variable.encoding or not _UNPLANNED_ATTRIBUTES.isdisjoint(attrs):
            return None
        kind = variable.dtype.kind
        if kind == "U":
            texts[name] = characters = _characters(variable.values)
            dtype = f"text{characters.shape[-1]}"
        elif kind in "fiub":
            dtype = variable.dtype.str
        else:
            return None
        parts.append((name, variable.dims, dtype, variable.shape, _described(attrs)))
    return (tuple(parts), tuple(sorted(str(c) for c in dataset.coords))), texts


def _characters(values: np.ndarray) -> np.ndarray:
    """Text as xarray stores it in NetCDF-3: UTF-8 bytes, one character per element.

    As `xarray.coding.strings` encodes it (`encode_string_array`, then
    `bytes_to_char`): a fixed-width byte string array as wide as the longest
    (at least one byte: empty text too), viewed as single characters along a
    last axis of that width.
    """
    encoded = np.array([text.encode() for text in values.ravel().tolist()], dtype=bytes)
    encoded = encoded.reshape(values.shape)
    return encoded.reshape((*encoded.shape, 1)).view("S1")


_UNPLANNED_ATTRIBUTES = _CODED_ATTRIBUTES | {"coordinates", "bounds"}


@dataclass(frozen=True)
class _Plan:
    """How the general path writes datasets of one layout, but for their values.

    Attributes:
        dims: The dimension list's bytes (text dimensions included).
        dim_count: How many dimensions.
        coordinates: The global `coordinates` attribute xarray's encoder adds, or None.
        variables: Each variable in file order: its name, its header entry (but
            for the data offset), and the big-endian dtype its values are cast to
            (None for text, written as `_characters`).
    """

    dims: bytes
    dim_count: int
    coordinates: str | None
    variables: tuple[tuple[str, bytes, np.dtype | None], ...]

    @classmethod
    def learnt(cls, dataset: xr.Dataset, encoded: _Encoded) -> _Plan | None:
        """The plan of a dataset's layout, from xarray's encoding of it.

        None where the encoder adds, drops or renames a variable, or changes a global
        attribute other than `coordinates`: the plan could not say what it did.
        """
        if {name for name, _, _, _ in encoded.variables} != dataset.variables.keys():
            return None
        attrs = encoded.attrs
        if {k: v for k, v in attrs.items() if k != "coordinates"} != dict(dataset.attrs):
            return None
        planned = tuple(
            (name, head, None if code == _CHAR else _DTYPES[code])
            for name, head, code, _ in encoded.variables
        )
        sizes = encoded.sizes
        return cls(_dimension_list(sizes), len(sizes), attrs.get("coordinates"), planned)

    def bytes_of(self, dataset: xr.Dataset, texts: dict[str, np.ndarray]) -> bytes:
        """The file of a dataset of this plan's layout, with its text's characters.

        Args:
            dataset: A dataset of this plan's layout (`_layout_key`).
            texts: Its text variables' characters, as `_layout_key` returns them.

        Returns:
            The bytes the general path writes.
        """
        variables = dataset.variables
        heads, datas = [], []
        for name, head, cast in self.variables:
            heads.append(head)
            if cast is None:
                datas.append(_padded(texts[name].tobytes()))
            else:
                datas.append(_padded(np.asarray(variables[name].values).astype(cast).tobytes()))
        attrs = dataset.attrs
        if self.coordinates is not None:
            attrs = {**attrs, "coordinates": self.coordinates}
        return _assembled(self.dims, self.dim_count, _attributes(attrs), heads, datas)


def write_run_file(dataset: xr.Dataset, path: Path) -> dict[str, object]:
    """Write a run's dataset to `path` atomically (temporary file, then rename).

    Args:
        dataset: The run's dataset, annotated.
        path: Its `dataset.nc`.

    Returns:
        The file's size and SHA-256, for its job's record.
    """
    data = run_file_bytes(dataset)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


class _Reader:
    """A cursor over a CDF-5 header."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = len(MAGIC) + 8

    def unpack(self, form: str) -> tuple:
        values = struct.unpack_from(form, self.data, self.at)
        self.at += struct.calcsize(form)
        return values

    def name(self) -> str:
        (length,) = self.unpack(">q")
        text = self.data[self.at : self.at + length].decode()
        self.at += length + (-length % 4)
        return text

    def attributes(self) -> dict[str, object]:
        # A run file has about forty global attributes, read twice per run by a merge
        # (its checksum's header check, then its arrays): one pass, no method calls.
        data, at = self.data, self.at
        _, count = _ATTRIBUTE_LIST.unpack_from(data, at)
        at += _ATTRIBUTE_LIST.size
        attrs = {}
        for _ in range(count):
            (length,) = _LENGTH.unpack_from(data, at)
            at += 8
            name = data[at : at + length].decode()
            at += length + (-length % 4)
            code, length = _ATTRIBUTE_LIST.unpack_from(data, at)
            at += _ATTRIBUTE_LIST.size
            if code == _CHAR:
                attrs[name] = data[at : at + length].decode()
                at += length + (-length % 4)
                continue
            dtype = _DTYPES[code]
            size = length * dtype.itemsize
            raw = data[at : at + size]
            if len(raw) < size:
                msg = "an attribute ends past the end of the file"
                raise struct.error(msg)
            at += size + (-size % 4)
            values = np.frombuffer(raw, dtype).astype(dtype.newbyteorder("="))
            attrs[name] = values[0] if length == 1 else values
        self.at = at
        return attrs


@dataclass
class _Layout:
    """A file's variable list, parsed once and reused for files of the same layout.

    The runs of a sweep differ in their global attributes (seed, config) and
    values, not in their variables: the variable list of the next file is the
    same bytes but for its data offsets, all shifted by the same amount.

    Attributes:
        raw: The variable list's bytes with every data offset zeroed.
        offset_at: Where each variable's data offset lies in the list.
        variables: Each variable's name, dimensions, stored dtype, shape, attributes.
    """

    raw: bytes
    offset_at: list[int]
    variables: list[tuple[str, tuple[str, ...], np.dtype, tuple[int, ...], dict]]


def _parse_variables(reader: _Reader, names: list[str], sizes: dict[str, int]) -> _Layout:
    begin = reader.at
    _, count = reader.unpack(">iq")
    offset_at, variables = [], []
    for _ in range(count):
        name = reader.name()
        (ndims,) = reader.unpack(">q")
        dims = tuple(names[i] for i in reader.unpack(f">{ndims}q"))
        attrs = reader.attributes()
        code, _ = reader.unpack(">iq")
        offset_at.append(reader.at - begin)
        reader.at += 8
        shape = tuple(sizes[d] for d in dims)
        variables.append((name, dims, np.dtype(NC_TYPES[code]), shape, attrs))
    raw = bytearray(reader.data[begin : reader.at])
    for at in offset_at:
        raw[at : at + 8] = bytes(8)
    return _Layout(bytes(raw), offset_at, variables)


def _same_layout(layout: _Layout, data: bytes, begin: int) -> bool:
    raw = bytearray(data[begin : begin + len(layout.raw)])
    for at in layout.offset_at:
        raw[at : at + 8] = bytes(8)
    return raw == layout.raw


def read_raw(data: bytes, layouts: list[_Layout] | None = None, native: bool = True) -> RawRun:
    """Parse a CDF-5 file written by `run_file_bytes` (any CDF-5 file without records).

    Args:
        data: The file's bytes.
        layouts: A cache of variable lists (`_Layout`), shared by the calls that
            read the files of one sweep: a file whose variable list matches one
            is parsed in a tenth of the time. Its attribute dicts are shared.
        native: Arrays copied in native byte order; False: read-only views of
            `data`, big-endian, for a reader that copies them anyway.

    Returns:
        Its dimensions, attributes and variables as stored.

    Raises:
        ValueError: Not a CDF-5 file, or truncated.
    """
    if data[:4] != MAGIC:
        msg = "not a CDF-5 NetCDF file"
        raise ValueError(msg)
    try:
        return _parse(data, layouts, native)
    except (struct.error, UnicodeDecodeError, IndexError, KeyError) as error:
        msg = f"truncated or damaged header: {error}"
        raise ValueError(msg) from None


def _parse(data: bytes, layouts: list[_Layout] | None, native: bool) -> RawRun:
    reader = _Reader(data)
    run = RawRun()
    _, count = reader.unpack(">iq")
    names = []
    for _ in range(count):
        name = reader.name()
        (run.sizes[name],) = reader.unpack(">q")
        names.append(name)
    run.attrs = reader.attributes()
    begin = reader.at
    cache = layouts if layouts is not None else []
    layout = next((c for c in cache if _same_layout(c, data, begin)), None)
    if layout is None:
        layout = _parse_variables(reader, names, run.sizes)
        cache[:] = [layout]
    for (name, dims, dtype, shape, attrs), at in zip(
        layout.variables, layout.offset_at, strict=True
    ):
        (offset,) = struct.unpack_from(">q", data, begin + at)
        count_values = math.prod(shape)
        if offset + count_values * dtype.itemsize > len(data):
            msg = f"truncated: variable {name} ends past the end of the file"
            raise ValueError(msg)
        values = np.frombuffer(data, dtype, count_values, offset)
        run.dims[name] = dims
        run.var_attrs[name] = attrs
        if native:
            values = values.astype(dtype.newbyteorder("="))
        run.arrays[name] = values.reshape(shape)
    return run


def header_attributes(data: bytes) -> dict[str, object] | None:
    """The global attributes of a CDF-5 file's header, without reading its variables.

    Args:
        data: The file's bytes.

    Returns:
        The attributes; None for a file that is not CDF-5 (an older run's NetCDF-4).

    Raises:
        ValueError: A CDF-5 file whose header is truncated or damaged.
    """
    if data[: len(MAGIC)] != MAGIC:
        return None
    reader = _Reader(data)
    try:
        _, count = reader.unpack(">iq")
        for _ in range(count):
            reader.name()
            reader.unpack(">q")
        return reader.attributes()
    except (struct.error, UnicodeDecodeError, IndexError, KeyError) as error:
        msg = f"truncated or damaged header: {error}"
        raise ValueError(msg) from None


def text_values(run: RawRun, name: str) -> np.ndarray:
    """A character variable's values as an object array of str (its last dimension joined)."""
    chars = run.arrays[name]
    width = chars.shape[-1]
    joined = np.ascontiguousarray(chars).view(f"S{width}")[..., 0]
    return np.array([v.decode() for v in joined.ravel()], dtype=object).reshape(joined.shape)


def open_run_file(path: Path) -> xr.Dataset:
    """A run file decoded by xarray's CF decoder, in memory, as `xr.open_dataset` gives it.

    Its encodings are reduced to what a NetCDF-4 file written from it needs (the
    fill values and dtypes of numbers, the coordinates each variable names), so
    that text is written as NetCDF-4 strings, as from a run file written by xarray.

    Args:
        path: A `dataset.nc` written by `write_run_file`.

    Returns:
        The dataset.
    """
    import xarray as xr

    run = read_raw(path.read_bytes())
    variables = {
        name: xr.Variable(run.dims[name], run.arrays[name], run.var_attrs[name])
        for name in run.arrays
    }
    dataset = xr.decode_cf(xr.Dataset(variables, attrs=run.attrs))
    for variable in dataset.variables.values():
        text = variable.dtype.kind in "OUS"
        keep = ("coordinates",) if text else ("coordinates", "_FillValue", "dtype")
        variable.encoding = {k: v for k, v in variable.encoding.items() if k in keep}
    return dataset


def open_run(path: Path) -> xr.Dataset:
    """A run's dataset in memory: a run file (`open_run_file`) or any NetCDF file.

    Args:
        path: A job's `dataset.nc`, from this version's sweeps or an older one.

    Returns:
        The dataset.
    """
    with path.open("rb") as handle:
        magic = handle.read(len(MAGIC))
    if magic == MAGIC:
        return open_run_file(path)
    import xarray as xr

    from experiments.storage.files import NETCDF_ENGINE

    with xr.open_dataset(path, engine=NETCDF_ENGINE) as opened:
        return opened.load()


_LAYOUTS: list[_Layout] = []  # the merge's cache: one sweep's files share a layout


def read_arrays(data: bytes, names: tuple[str, ...]) -> tuple[dict, dict, dict]:
    """A run file's raw arrays (text as str objects), global attributes and dimension sizes.

    Args:
        data: The file's bytes.
        names: Variables to return.

    Returns:
        (arrays, attributes, sizes), as the merge reads them from any run; the
        numbers are big-endian views of `data`.
    """
    run = read_raw(data, _LAYOUTS, native=False)
    arrays = {
        name: text_values(run, name) if run.arrays[name].dtype.kind == "S" else run.arrays[name]
        for name in names
    }
    return arrays, run.attrs, run.sizes
