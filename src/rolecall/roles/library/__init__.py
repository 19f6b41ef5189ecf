"""Role profiles: the document model and the packaged starter library."""

from rolecall.roles.library.loader import Library, LibraryError, Paths, load_library
from rolecall.roles.library.schema import LEVEL_ORDER, Level, PathRef, RoleProfile

__all__ = [
    "LEVEL_ORDER",
    "Level",
    "Library",
    "LibraryError",
    "PathRef",
    "Paths",
    "RoleProfile",
    "load_library",
]
