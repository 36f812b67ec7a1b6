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
from datetime import date, datetime, timedelta
from typing import Any

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


def _ext(code: int, payload: object, memo: _Memo) -> msgpack.ExtType:
    return msgpack.ExtType(code, _pack(payload, memo))


# One encoding or decoding call's indexes, in the order written. A comparison's three series
# share one index: it is written once, then referred to by its number, and decoded into one
# DatetimeIndex the series share (as they did when encoded).
_Memo = list[Any]


def _default(memo: _Memo, obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        data = np.ascontiguousarray(obj)
        return _ext(_ARRAY, [data.dtype.str, list(data.shape), data.tobytes()], memo)
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, pd.Series):
        index = obj.index
        if not isinstance(index, pd.DatetimeIndex):
            index = pd.DatetimeIndex(index)
        payload: list[Any] = [index, obj.to_numpy(), obj.name]
        return _ext(_SERIES, payload, memo)
    if isinstance(obj, pd.DatetimeIndex):
        for number, seen in enumerate(memo):
            if seen is obj:
                return _ext(_SAME_INDEX, number, memo)
        memo.append(obj)  # held, so that no other index can take its id meanwhile
        return _ext(_INDEX, _stamps(obj), memo)
    if isinstance(obj, pd.Timestamp):
        return _ext(_TIMESTAMP, [obj.value, obj.unit, _tz(obj.tz)], memo)
    if isinstance(obj, datetime):
        return _ext(_DATETIME, obj.isoformat(), memo)
    if isinstance(obj, date):
        return _ext(_DATE, obj.isoformat(), memo)
    if isinstance(obj, timedelta):
        return _ext(_TIMEDELTA, [obj.days, obj.seconds, obj.microseconds], memo)
    if isinstance(obj, enum.Enum):
        return _ext(_ENUM, [_name(type(obj)), obj.value], memo)
    if isinstance(obj, tuple):
        return _ext(_TUPLE, list(obj), memo)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        name, fields = _fields(type(obj))
        return _ext(_DATACLASS, [name, {f: getattr(obj, f) for f in fields}], memo)
    raise TypeError(f"cannot cache a value of type {type(obj).__name__}")


@functools.cache
def _fields(cls: type) -> tuple[str, tuple[str, ...]]:
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


def _array(dtype: str, shape: list[int], raw: bytes) -> np.ndarray[Any, Any]:
    kind = np.dtype(dtype)
    if kind.hasobject:
        raise DecodeError("object arrays are not cached")
    return np.frombuffer(raw, dtype=kind).reshape(shape).copy()


def _ext_hook(memo: _Memo, code: int, data: bytes) -> Any:
    payload = _unpack(data, memo)
    if code == _INDEX:
        memo.append(_index(*payload))
        return memo[-1]
    if code == _SAME_INDEX:
        if not isinstance(payload, int) or not 0 <= payload < len(memo):
            raise DecodeError(f"no index {payload!r} before its reference")
        return memo[payload]
    if code == _ARRAY:
        return _array(*payload)
    if code == _DATETIME:
        return datetime.fromisoformat(payload)
    if code == _DATE:
        return date.fromisoformat(payload)
    if code == _TIMEDELTA:
        return timedelta(*payload)
    if code == _TIMESTAMP:
        value, unit, tz = payload
        return pd.Timestamp(value, tz=tz).as_unit(unit)
    if code == _SERIES:
        index, values, name = payload
        if isinstance(index, list):  # written before indexes were shared
            index = _index(*index)
        return pd.Series(values, index=index, name=name, copy=False)
    if code == _TUPLE:
        return tuple(payload)
    if code == _ENUM:
        return _resolve(payload[0])(payload[1])
    if code == _DATACLASS:
        cls = _resolve(payload[0])
        if not dataclasses.is_dataclass(cls):
            raise DecodeError(f"{payload[0]!r} is not a dataclass")
        return cls(**payload[1])
    raise DecodeError(f"unknown extension type {code}")


def _pack(obj: object, memo: _Memo) -> bytes:
    default = functools.partial(_default, memo)
    packed: bytes = msgpack.packb(obj, default=default, strict_types=True, use_bin_type=True)
    return packed


def _unpack(data: bytes, memo: _Memo) -> Any:
    hook = functools.partial(_ext_hook, memo)
    return msgpack.unpackb(data, ext_hook=hook, raw=False, strict_map_key=False)


def encode(value: object) -> bytes:
    """Bytes for Redis; raises TypeError for a value the cache cannot hold."""
    return _pack(value, [])


def decode(data: bytes | str) -> Any:
    """The value back; raises DecodeError (never runs code) for anything unexpected."""
    try:
        return _unpack(data.encode() if isinstance(data, str) else data, [])
    except DecodeError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, ImportError) as exc:
        raise DecodeError(f"undecodable cache entry: {exc}") from exc
