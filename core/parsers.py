"""The API's JSON parser: refuses deeply nested documents and NUL characters with a 400."""

from __future__ import annotations

import codecs
import json
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.settings import api_settings

from core.validators import nul_byte_message, too_deep_message


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in a JSON text, strings skipped; counted
    before decoding, because Python's decoder recurses and a deep enough document raises
    RecursionError (a 500) instead of a ValueError."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _nul_path(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string (key or value) that holds a NUL, if any."""
    if isinstance(value, str):
        return path or "body" if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return here.replace("\x00", "")
            found = _nul_path(item, here)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_path(item, f"{path}[{index}]")
            if found:
                return found
    return None


class SafeJSONParser(JSONParser):
    """DRF's JSONParser, plus a nesting limit (settings.DINGDIAN_MAX_JSON_DEPTH) and no NUL."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        if json_depth(text) > settings.DINGDIAN_MAX_JSON_DEPTH:
            raise ParseError(str(too_deep_message(settings.DINGDIAN_MAX_JSON_DEPTH)))
        try:
            if api_settings.STRICT_JSON:
                data = json.loads(text, parse_constant=_refuse_constant)
            else:
                data = json.loads(text)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        where = _nul_path(data)
        if where is not None:
            raise ParseError(str(nul_byte_message(where)))
        return data


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")
