"""Errors raised for missing or malformed input data.

Every message names what is wrong (the dataset, file, line or column) and how to fix it.
"""


class DataError(ValueError):
    """Input data is malformed: a wrong column, a non-numeric value, an empty file, ..."""


class DatasetNotFoundError(DataError, FileNotFoundError):
    """A dataset's files are not where the suite looked for them."""


class ProtocolError(DataError):
    """A preprocessing protocol cannot be applied, e.g. a filter removed every user."""


class SmallDataWarning(UserWarning):
    """A protocol left so few users or items that ranking metrics on them mean little."""
