"""Exceptions shared by the command-line interface and the modules it calls."""


class UsageError(Exception):
    """A wrong parameter, option or missing input: reported on stderr, exit code 2."""
