"""Errors a user can meet.

Each class carries a stable ``code`` so that scripts, logs and the docs can refer to it, and a
message in the user's terms. The CLI prints them as one line (plus an optional hint) and exits
non-zero; anything else that escapes is a programming error and keeps its traceback.
"""

from __future__ import annotations


class LedgerbridgeError(Exception):
    """Base class: something the user can act on."""

    code = "error"
    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class ConfigError(LedgerbridgeError):
    code = "config"


class InputNotFoundError(LedgerbridgeError):
    code = "input-missing"


class InvalidInputError(LedgerbridgeError):
    """A file that cannot be loaded as it is. Nothing of it was loaded."""

    code = "input-invalid"


class LockHeldError(LedgerbridgeError):
    code = "lock-held"


class BuildError(LedgerbridgeError):
    code = "build-failed"


class ForecastError(LedgerbridgeError):
    """The forecasts stored with a publish could not be computed; nothing was published."""

    code = "forecast-failed"


class NotReadyError(LedgerbridgeError):
    """A step was asked for before the step it depends on has run."""

    code = "not-ready"


def find_user_error(exc: BaseException) -> LedgerbridgeError | None:
    """The LedgerbridgeError behind ``exc``, if any.

    Libraries such as dlt wrap exceptions raised inside our generators several layers deep; the
    user should still see our message, not the wrapper's.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, LedgerbridgeError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
