"""Redacts personal identifiers from conversation text before it is stored.

People type their e-mail address, phone or NHS number into health chats; the stored transcript
needs none of them. Only identifier-shaped strings are replaced: doses, day counts, years and
emergency numbers in a question ("155 units", "15 headache days", "2010", "999") stay as typed.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable
from typing import Any

EMAIL = "[email]"
PHONE = "[phone]"
NHS_NUMBER = "[nhs-number]"
SSN = "[ssn]"
CARD = "[card]"
IP = "[ip]"
POSTCODE = "[postcode]"

_EMAIL_RE = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
_IPV4_RE = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?!\w|\.\d)")
_IPV6_RE = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
# A run of 13-19 digits, or the 4-4-4-x and 4-6-5 groupings printed on cards.
_CARD_RE = re.compile(
    r"(?<![\w-])(?:\d{13,19}|\d{4}(?:[ -]\d{4}){2}[ -]\d{1,7}|\d{4}[ -]\d{6}[ -]\d{4,5})(?![\w-])"
)
_SSN_RE = re.compile(r"(?<![\w-])\d{3}([ -])\d{2}\1\d{4}(?![\w-])")
_ZIP4_RE = re.compile(r"(?<![\w-])\d{5}-\d{4}(?![\w-])")
# Upper case only: "vitamin b12 3mg" has the shape of a postcode too.
_UK_POSTCODE_RE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b")
# With a country code: "+44 7700 900123", "+44 (0)20 7946 0018", "0033 1 23 45 67 89".
_INTL_PHONE_RE = re.compile(
    r"(?<![\w+])(?:\+|00) ?\d{1,3}(?:[ .-]?(?:\(\d{1,4}\)|\d{1,6})){1,6}(?!\w)"
)
# Without: "07700 900123", "(020) 7946 0018", "(555) 123-4567", "1-555-123-4567", "9434765919".
_NATIONAL_PHONE_RE = re.compile(
    r"(?<![\w+])(?:1[ .-])?(?:\(\d{2,5}\)|\d{2,6})(?:[ .-]?\d{2,6}){1,3}(?!\w)"
)
_DIGIT_GROUP_END_RE = re.compile(r"\d(?!\d)\)?")


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _is_nhs_number(digits: str) -> bool:
    """The NHS number's own check (modulus 11), which tells it from a 10-digit phone number."""
    if len(digits) != 10:
        return False
    check = 11 - sum(int(d) * (10 - i) for i, d in enumerate(digits[:9])) % 11
    return (0 if check == 11 else check) == int(digits[9])


def _ip_address(candidate: str) -> str:
    try:
        ipaddress.ip_address(candidate)
    except ValueError:  # "10:30:00" or "1.2.300.4": shaped like an address, but is not one
        return candidate
    return IP


def _international_phone(candidate: str) -> str:
    """8-15 digits after the "+" or "00": a country code and a number, as E.164 allows."""
    digits = _digits(candidate)[2:] if candidate.startswith("00") else _digits(candidate)
    return PHONE if 8 <= len(digits) <= 15 else candidate


def _national_phone(candidate: str) -> str:
    """The longest leading part with a phone's 10-11 digits is the number, as a match can run on
    into a number before or after it ("07700 900123 12 times"); the rest is looked at again."""
    ends = [match.end() for match in _DIGIT_GROUP_END_RE.finditer(candidate)]
    for end in reversed(ends):
        digits = _digits(candidate[:end])
        if len(digits) in (10, 11):
            token = NHS_NUMBER if _is_nhs_number(digits) and "(" not in candidate[:end] else PHONE
            return token + _redact_national_phones(candidate[end:])
    return candidate[: ends[0]] + _redact_national_phones(candidate[ends[0] :])


def _redact_national_phones(text: str) -> str:
    return _NATIONAL_PHONE_RE.sub(_whole(_national_phone), text)


def _whole(replace: Callable[[str], str]) -> Callable[[re.Match[str]], str]:
    return lambda match: replace(match.group())


def _always(token: str) -> Callable[[str], str]:
    return lambda _: token


# In order: e-mail first (addresses hold digits), the strictest digit shapes before phones.
_RULES: list[tuple[re.Pattern[str], Callable[[str], str]]] = [
    (_EMAIL_RE, _always(EMAIL)),
    (_IPV4_RE, _ip_address),
    (_IPV6_RE, _ip_address),
    (_CARD_RE, _always(CARD)),
    (_SSN_RE, _always(SSN)),
    (_ZIP4_RE, _always(POSTCODE)),
    (_UK_POSTCODE_RE, _always(POSTCODE)),
    (_INTL_PHONE_RE, _international_phone),
    (_NATIONAL_PHONE_RE, _national_phone),
]


# Every rule needs a digit, an "@" (e-mail) or a ":" (IPv6) to match: text without any is kept
# as it is without running the rules (most strings of an event: names, intents, channels).
_MAY_HOLD_IDENTIFIER = re.compile(r"[\d@:]")


def redact(text: str) -> str:
    """`text` with e-mail addresses, phone, NHS, social security and card numbers, IP addresses
    and postcodes replaced by tokens such as "[email]" and "[phone]"."""
    if not _MAY_HOLD_IDENTIFIER.search(text):
        return text
    for pattern, replace in _RULES:
        text = pattern.sub(_whole(replace), text)
    return text


# The bot's answers come from the knowledge base and repeat: their redaction (they hold digits,
# URLs) is remembered. Users' messages are not: no user's words are kept in memory for this.
@functools.lru_cache(maxsize=1024)
def _redact_bot_text(text: str) -> str:
    return redact(text)


def redact_event(value: Any) -> Any:
    """A copy of a serialised Rasa event with every string in it redacted, whatever its key.

    A user's words are repeated in several places (`text`, `parse_data.text`, entity values,
    channel metadata, slot values); redacting all strings misses none of them, and the names and
    ids Rasa puts beside them never have an identifier's shape.
    """
    if isinstance(value, dict) and value.get("event") == "bot":
        return _redact_value(value, _redact_bot_text)
    return _redact_value(value, redact)


def _redact_value(value: Any, redact_text: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {key: _redact_value(item, redact_text) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact_value(item, redact_text) for item in value]
    return value
