"""Exceptions of the permrsa package. Both are ValueErrors: the input is the caller's to fix."""
try:
    from ._permrsa import InputError  # the engine's InputError (a ValueError), CLI messages
except ImportError:  # the extension is not built: loading and figures still work
    class InputError(ValueError):
        """Bad input: the message names the input, the field and the expected vs found value."""


class ResultsFileError(InputError):
    """A results file that permrsa cannot read: not HDF5, another format version, or missing
    datasets. The message names the file and what is wrong."""
