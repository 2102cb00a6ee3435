"""Why the attempt rules refused a request."""


class AttemptRefused(Exception):
    """A request the rules do not allow, with a stable ``code`` for clients and a message for
    people. Nothing was changed."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
