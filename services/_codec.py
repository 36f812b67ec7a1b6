"""Compact, safe serialisation of cached values: msgpack, numpy arrays as raw bytes.

Decoding builds only plain data, numpy/pandas values and dataclasses or enums defined in
perfgraph's own ``services`` package: never pickle, so a cache entry cannot run code.
Dataclasses are stored with their field names, so an entry written by an older release
with different fields fails to decode (and is recomputed) instead of decoding wrongly.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import importlib
import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, cast

import msgpack
import numpy as np
import pandas as pd

(
    _ARRAY,
    _DATETIME,
    _DATE,
    _TIMESTAMP,
    _SERIES,
    _DATACLASS,
    _ENUM,
    _TUPLE,
    _TIMEDELTA,
    _INDEX,
    _SAME_INDEX,
) = range(1, 12)
_TRUSTED = "services."
_resolved: dict[str, type] = {}


class DecodeError(ValueError):
    """An entry that is not a value this release wrote."""


def _name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _resolve(name: str) -> type:
    if name in _resolved:
        return _resolved[name]
    module, _, qualname = name.partition(":")
    if not module.startswith(_TRUSTED):
        raise DecodeError(f"refusing to decode type {name!r}")
    found: Any = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    if not isinstance(found, type):
        raise DecodeError(f"{name!r} is not a type")
    _resolved[name] = found
    return found


# One encoding or decoding call's indexes, in the order written. A comparison's three series
# share one index: it is written once, then referred to by its number, and decoded into one
# DatetimeIndex the series share (as they did when encoded).
_Memo = list[Any]


class _Encoder:
    """The indexes of the value being encoded, and a packer per nesting depth (an
    extension's payload is packed while its parent is being packed; a packer per payload
    would allocate its buffer for every one of the hundreds of values in an analytics
    result). :func:`encode` keeps one per thread and clears its indexes after each value."""

    __slots__ = ("_depth", "_packers", "memo")

    def __init__(self) -> None:
        self.memo: _Memo = []
        self._packers: list[msgpack.Packer] = []
        self._depth = 0

    @property
    def busy(self) -> bool:
        return self._depth > 0

    def pack(self, obj: object) -> bytes:
        depth = self._depth
        if depth == len(self._packers):
            self._packers.append(
                msgpack.Packer(
                    default=self.default, strict_types=True, use_bin_type=True, buf_size=4096
                )
            )
        self._depth = depth + 1
        try:
            packed: bytes = self._packers[depth].pack(obj)
        finally:
            self._depth = depth
        return packed

    def default(self, obj: Any) -> Any:
        cls = type(obj)
        encoder = _ENCODERS.get(cls) or _encoder_for(cls)
        return encoder(self, obj)

    def ext(self, code: int, payload: object) -> msgpack.ExtType:
        return msgpack.ExtType(code, self.pack(payload))


_Encode = Callable[[_Encoder, Any], Any]


def _array(e: _Encoder, obj: np.ndarray[Any, Any]) -> msgpack.ExtType:
    data = np.ascontiguousarray(obj)
    return e.ext(_ARRAY, [data.dtype.str, list(data.shape), data.tobytes()])


def _scalar(e: _Encoder, obj: np.generic) -> Any:
    return obj.item()


def _series(e: _Encoder, obj: pd.Series) -> msgpack.ExtType:
    index = obj.index
    if not isinstance(index, pd.DatetimeIndex):
        index = pd.DatetimeIndex(index)
    payload: list[Any] = [index, obj.to_numpy(), obj.name]
    return e.ext(_SERIES, payload)


def _datetime_index(e: _Encoder, obj: pd.DatetimeIndex) -> msgpack.ExtType:
    for number, seen in enumerate(e.memo):  # a handful per value: a scan is cheapest
        if seen is obj:
            return e.ext(_SAME_INDEX, number)
    e.memo.append(obj)  # held, so that no other index can take its id meanwhile
    return e.ext(_INDEX, _stamps(obj))


def _timestamp(e: _Encoder, obj: pd.Timestamp) -> msgpack.ExtType:
    return e.ext(_TIMESTAMP, [obj.value, obj.unit, _tz(obj.tz)])


def _datetime(e: _Encoder, obj: datetime) -> msgpack.ExtType:
    return e.ext(_DATETIME, obj.isoformat())


def _date(e: _Encoder, obj: date) -> msgpack.ExtType:
    return e.ext(_DATE, obj.isoformat())


def _timedelta(e: _Encoder, obj: timedelta) -> msgpack.ExtType:
    return e.ext(_TIMEDELTA, [obj.days, obj.seconds, obj.microseconds])


def _enum(e: _Encoder, obj: enum.Enum) -> msgpack.ExtType:
    return e.ext(_ENUM, [_name(type(obj)), obj.value])


def _tuple(e: _Encoder, obj: tuple[Any, ...]) -> msgpack.ExtType:
    return e.ext(_TUPLE, list(obj))


def _dataclass(e: _Encoder, obj: Any) -> msgpack.ExtType:
    name, fields = _fields(obj.__class__)
    return e.ext(_DATACLASS, [name, {f: getattr(obj, f) for f in fields}])


def _refuse(e: _Encoder, obj: Any) -> Any:
    raise TypeError(f"cannot cache a value of type {type(obj).__name__}")


# Most specific first: a Timestamp is a datetime, a datetime is a date.
_KINDS: list[tuple[type, _Encode]] = [
    (np.ndarray, _array),
    (np.generic, _scalar),
    (pd.Series, _series),
    (pd.DatetimeIndex, _datetime_index),
    (pd.Timestamp, _timestamp),
    (datetime, _datetime),
    (date, _date),
    (timedelta, _timedelta),
    (enum.Enum, _enum),
    (tuple, _tuple),
]
_ENCODERS: dict[type, _Encode] = {}


def _encoder_for(cls: type) -> _Encode:
    """How values of ``cls`` are written, found once per type."""
    found = next((encode for kind, encode in _KINDS if issubclass(cls, kind)), None)
    if found is None:
        found = _dataclass if dataclasses.is_dataclass(cls) else _refuse
    _ENCODERS[cls] = found
    return found


@functools.cache
def _fields(cls: Any) -> tuple[str, tuple[str, ...]]:
    """A dataclass's stored name and the fields its constructor takes."""
    return _name(cls), tuple(f.name for f in dataclasses.fields(cls) if f.init)


def _tz(tz: Any) -> str | None:
    return None if tz is None else str(tz)


def _stamps(index: pd.DatetimeIndex) -> list[Any]:
    return [index.asi8, index.unit, _tz(index.tz), index.freqstr, index.name]


def _index(
    i8: np.ndarray[Any, Any], unit: str, tz: str | None, freq: str | None, name: Any
) -> pd.DatetimeIndex:
    stamps = np.asarray(i8, dtype=np.int64).view(f"datetime64[{unit}]")
    # One construction in UTC (the stored instants), converted only for another zone.
    dtype = _utc(unit) if tz else stamps.dtype
    options: dict[str, Any] = {"freq": freq} if freq else {}
    index = pd.DatetimeIndex(stamps, dtype=dtype, name=name, **options)
    return index if tz in (None, "UTC") else index.tz_convert(tz)


@functools.cache
def _utc(unit: Any) -> pd.DatetimeTZDtype:
    return pd.DatetimeTZDtype(unit, tz="UTC")


class _Decoder:
    """One :func:`decode` call: the indexes decoded so far, in the order written."""

    __slots__ = ("memo",)

    def __init__(self) -> None:
        self.memo: _Memo = []

    def unpack(self, data: bytes) -> Any:
        return msgpack.unpackb(data, ext_hook=self.hook, raw=False, strict_map_key=False)

    def hook(self, code: int, data: bytes) -> Any:
        build = _BUILDERS.get(code)
        if build is None:
            raise DecodeError(f"unknown extension type {code}")
        return build(self, self.unpack(data))


def _new_index(d: _Decoder, payload: Any) -> pd.DatetimeIndex:
    index = _index(*payload)
    d.memo.append(index)
    return index


def _same_index(d: _Decoder, payload: Any) -> pd.DatetimeIndex:
    if not isinstance(payload, int) or not 0 <= payload < len(d.memo):
        raise DecodeError(f"no index {payload!r} before its reference")
    return cast(pd.DatetimeIndex, d.memo[payload])


def _new_array(d: _Decoder, payload: Any) -> np.ndarray[Any, Any]:
    dtype, shape, raw = payload
    kind = np.dtype(dtype)
    if kind.hasobject:
        raise DecodeError("object arrays are not cached")
    return np.frombuffer(raw, dtype=kind).reshape(shape).copy()


def _new_timestamp(d: _Decoder, payload: Any) -> pd.Timestamp:
    value, unit, tz = payload
    return pd.Timestamp(value, tz=tz).as_unit(unit)


def _new_series(d: _Decoder, payload: Any) -> pd.Series:
    index, values, name = payload
    if isinstance(index, list):  # written before indexes were shared
        index = _index(*index)
    return pd.Series(values, index=index, name=name, copy=False)


def _new_dataclass(d: _Decoder, payload: Any) -> Any:
    cls = _resolve(payload[0])
    if not dataclasses.is_dataclass(cls):
        raise DecodeError(f"{payload[0]!r} is not a dataclass")
    return cls(**payload[1])


_BUILDERS: dict[int, Callable[[_Decoder, Any], Any]] = {
    _INDEX: _new_index,
    _SAME_INDEX: _same_index,
    _ARRAY: _new_array,
    _DATETIME: lambda d, payload: datetime.fromisoformat(payload),
    _DATE: lambda d, payload: date.fromisoformat(payload),
    _TIMEDELTA: lambda d, payload: timedelta(*payload),
    _TIMESTAMP: _new_timestamp,
    _SERIES: _new_series,
    _TUPLE: lambda d, payload: tuple(payload),
    _ENUM: lambda d, payload: _resolve(payload[0])(payload[1]),
    _DATACLASS: _new_dataclass,
}


_local = threading.local()  # an encoder per thread, its packers reused call after call
_KEEP_BYTES = 1 << 20  # a packer's buffer never shrinks: after a larger value, start afresh


def encode(value: object) -> bytes:
    """Bytes for Redis; raises TypeError for a value the cache cannot hold."""
    encoder: _Encoder | None = getattr(_local, "encoder", None)
    if encoder is None or encoder.busy:  # busy: encode called while encoding (a fresh one)
        encoder = _local.encoder = _Encoder()
    packed = b""
    try:
        packed = encoder.pack(value)
        return packed
    finally:
        encoder.memo.clear()  # a value's indexes are numbered within that value only
        if len(packed) > _KEEP_BYTES:
            _local.encoder = None


def decode(data: bytes | str) -> Any:
    """The value back; raises DecodeError (never runs code) for anything unexpected."""
    try:
        return _Decoder().unpack(data.encode() if isinstance(data, str) else data)
    except DecodeError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, ImportError) as exc:
        raise DecodeError(f"undecodable cache entry: {exc}") from exc
