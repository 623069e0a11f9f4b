"""Error types. Every error the CLI reports is one of these, printed as one line."""


class TinypruneError(Exception):
    """Base class: a problem with the user's input or environment, reported without a traceback."""


class ModelFileError(TinypruneError):
    """A model file is missing, corrupt or does not follow the schema."""


class DataFileError(TinypruneError):
    """A data file (radar recording, dataset) is missing, truncated or does not follow its layout."""


class UnsupportedError(TinypruneError):
    """A feature, module, op or option that tinyprune does not support."""

    def __init__(self, what: str) -> None:
        super().__init__(f"not supported: {what}")


class ShapeError(TinypruneError):
    """A tensor has a shape or dtype other than the one expected."""


class ToolchainError(TinypruneError):
    """A compiler, emulator or other external tool is missing or failed."""


class BuildError(TinypruneError):
    """Firmware does not build or does not fit the board."""
