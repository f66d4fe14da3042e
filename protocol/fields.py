"""Field values of the message types: the sender-side conversions (``plain``) and the type
check every field passes on the way out and in (``check``); protocol/messages.py applies them."""

import numpy as np

from .errors import ProtocolError

STR_LIST = list[str]
INT_LIST = list[int]
DICT_LIST = list[dict]


def plain(kind, value):
    """Sender-side convenience: numpy scalars to Python, ints to floats, tuples to lists."""
    if isinstance(value, np.generic):
        value = value.item()
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind in (STR_LIST, INT_LIST) and isinstance(value, tuple):
        value = list(value)
    if kind == INT_LIST and isinstance(value, list):
        value = [item.item() if isinstance(item, np.integer) else item for item in value]
    return value


def check(cls, name: str, kind, value):
    if kind is int or kind is float:
        ok = isinstance(value, (int, float) if kind is float else int) and not isinstance(value, bool)
        value = float(value) if ok and kind is float else value
    elif kind == STR_LIST:
        ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
    elif kind == INT_LIST:
        ok = isinstance(value, list) and all(isinstance(item, int) and not isinstance(item, bool)
                                             for item in value)
    elif kind is dict:
        ok = isinstance(value, dict) and all(isinstance(key, str) for key in value)
    elif kind == DICT_LIST:
        ok = isinstance(value, list) and all(isinstance(item, dict) and all(isinstance(key, str) for key in item)
                                             for item in value)
    else:
        ok = isinstance(value, kind)
    if not ok:
        expected = getattr(kind, "__name__", str(kind))
        raise ProtocolError("malformed", f"{cls.TYPE}.{name} must be {expected}, got {type(value).__name__}")
    return value
