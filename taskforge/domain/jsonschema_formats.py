"""The ``format`` values an ``input_schema`` may use, each asserted on the run's input
by the standard library (the same on every install: jsonschema checks more or fewer
depending on optional packages). A schema naming any other format is refused when
saved, so no format is ever silently unchecked.

- ``date``, ``time``, ``date-time`` (RFC 3339: ``2030-01-02``, ``09:30:00Z``,
  ``2030-01-02T09:30:00.5+01:00``; a time needs its offset), ``duration`` (ISO 8601 as
  RFC 3339's appendix A: ``P1D``, ``PT1H30M``, ``P2W``);
- ``email`` (a local part, ``@`` and a domain, no spaces), ``hostname`` (RFC 1123
  labels), ``ipv4``, ``ipv6``, ``uri`` (an absolute URI: a scheme, then RFC 3986's
  characters with valid %-escapes), ``uuid`` (hyphenated);
- ``regex``: a pattern RE2 compiles (domain/jsonschema_runtime).
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Callable
from datetime import date

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_TIME = re.compile(r"(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))", re.ASCII)
_DURATION = re.compile(
    r"P(?:\d+W|(?:\d+Y(?:\d+M(?:\d+D)?)?|\d+M(?:\d+D)?|\d+D)(?:T(?:\d+H(?:\d+M(?:\d+S)?)?"
    r"|\d+M(?:\d+S)?|\d+S))?|T(?:\d+H(?:\d+M(?:\d+S)?)?|\d+M(?:\d+S)?|\d+S))",
    re.ASCII,
)
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?", re.ASCII)
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*", re.ASCII)
_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def is_date(value: str) -> bool:
    if _DATE.fullmatch(value) is None:
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def is_time(value: str) -> bool:
    found = _TIME.fullmatch(value)
    if found is None:
        return False
    hour, minute, second, offset_hour, offset_minute = found.groups()
    return (
        int(hour) <= 23
        and int(minute) <= 59
        and int(second) <= 60  # a leap second
        and int(offset_hour or 0) <= 23
        and int(offset_minute or 0) <= 59
    )


def is_date_time(value: str) -> bool:
    day, separator, time = value[:10], value[10:11], value[11:]
    return separator in ("T", "t") and is_date(day) and is_time(time)


def is_duration(value: str) -> bool:
    return _DURATION.fullmatch(value) is not None


def is_email(value: str) -> bool:
    local, at, domain = value.rpartition("@")
    return bool(at and local and domain) and not any(c.isspace() for c in value)


def is_hostname(value: str) -> bool:
    labels = value.split(".")
    return len(value) <= 253 and all(_LABEL.fullmatch(label) for label in labels)


def is_ipv4(value: str) -> bool:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True


def is_ipv6(value: str) -> bool:
    try:
        address = ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return not address.scope_id


def is_uri(value: str) -> bool:
    return _URI.fullmatch(value) is not None and _ESCAPE.search(value) is None


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return len(value) == 36 and all(value[i] == "-" for i in (8, 13, 18, 23))


# the formats checked, but regex (RE2's, registered by domain/jsonschema_runtime)
CHECKS: dict[str, Callable[[str], bool]] = {
    "date": is_date,
    "time": is_time,
    "date-time": is_date_time,
    "duration": is_duration,
    "email": is_email,
    "hostname": is_hostname,
    "ipv4": is_ipv4,
    "ipv6": is_ipv6,
    "uri": is_uri,
    "uuid": is_uuid,
}
FORMATS = frozenset({*CHECKS, "regex"})
