"""What a jam operation refuses, as the REST routes answer it (the socket maps the same
errors to its close codes: 4004 for the first two, 4003 for the third; an `error` message
for a rejected command)."""

from __future__ import annotations

from plyr.core.errors import AppError, Forbidden, NotFound


class JamNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("jam not found")


class JamEnded(AppError):
    status_code = 410

    def __init__(self) -> None:
        super().__init__("this jam has ended")


class NotParticipant(Forbidden):
    def __init__(self) -> None:
        super().__init__("join the jam first")


class CommandRejected(AppError):
    """A command that is not valid now (400), malformed (422) or not yours to give (403)."""

    status_code = 400
