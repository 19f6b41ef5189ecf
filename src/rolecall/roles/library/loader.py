"""The packaged starter library: load every profile, check references between them, answer path queries."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources

from rolecall.roles.library.schema import CareerPaths, Level, PathRef, RoleProfile

_PACKAGE = "rolecall.roles.library"
_PROFILES_DIR = "profiles"


class LibraryError(ValueError):
    """The library as a whole is inconsistent (duplicate ids, career paths pointing nowhere)."""


@dataclass(frozen=True, slots=True)
class Paths:
    """Career moves around one level of one profile, with edges stated on either end merged."""

    entry_from: tuple[PathRef, ...]
    advancement_to: tuple[PathRef, ...]
    lateral_moves: tuple[PathRef, ...]


def _merge(*groups: Iterable[PathRef]) -> tuple[PathRef, ...]:
    seen: dict[tuple[str, str], PathRef] = {}
    for group in groups:
        for ref in group:
            seen.setdefault(ref.key, ref)
    return tuple(seen.values())


class Library:
    """A validated set of role profiles, keyed by id."""

    def __init__(self, profiles: Iterable[RoleProfile], *, check: bool = True) -> None:
        by_id: dict[str, RoleProfile] = {}
        dupes: list[str] = []
        for profile in profiles:
            if profile.id in by_id:
                dupes.append(profile.id)
            by_id[profile.id] = profile
        if dupes:
            raise LibraryError(f"duplicate profile ids: {', '.join(sorted(set(dupes)))}")
        self._profiles = by_id
        if check:
            broken = self.broken_references()
            if broken:
                raise LibraryError("broken career-path references: " + "; ".join(broken))

    def broken_references(self, only: str | None = None) -> list[str]:
        """Career-path edges that point at a missing profile or level (``only``: from that profile)."""
        broken: list[str] = []
        for profile in self._profiles.values():
            if only is not None and profile.id != only:
                continue
            for level, paths in profile.career_paths.items():
                for ref in paths.refs():
                    target = self._profiles.get(ref.profile_id)
                    if target is None:
                        broken.append(f"{profile.id}/{level} -> {ref.profile_id} (no such profile)")
                    elif target.level(ref.level) is None:
                        broken.append(
                            f"{profile.id}/{level} -> {ref.profile_id}/{ref.level} "
                            f"(levels there: {', '.join(target.level_names)})"
                        )
                    elif ref.key == (profile.id, level):
                        broken.append(f"{profile.id}/{level} -> itself")
        return broken

    def resolves(self, ref: PathRef) -> bool:
        target = self._profiles.get(ref.profile_id)
        return target is not None and target.level(ref.level) is not None

    def __len__(self) -> int:
        return len(self._profiles)

    def __iter__(self) -> Iterator[RoleProfile]:
        return iter(self._profiles.values())

    def __contains__(self, profile_id: object) -> bool:
        return profile_id in self._profiles

    @property
    def ids(self) -> list[str]:
        return sorted(self._profiles)

    def get(self, profile_id: str) -> RoleProfile:
        try:
            return self._profiles[profile_id]
        except KeyError:
            raise KeyError(f"no role profile {profile_id!r} in the library") from None

    def paths(self, profile_id: str, level: Level) -> Paths:
        """Where one can come from and go to, from ``profile_id`` at ``level``.

        An edge may be written on either end: "back-end lead advances to engineering manager" and
        "engineering manager is entered from back-end lead" are the same fact, so each direction
        includes the reverse of the other profiles' edges. Lateral moves are symmetric.
        """
        profile = self.get(profile_id)
        if profile.level(level) is None:
            raise KeyError(f"profile {profile_id!r} has no level {level!r}")
        own = profile.career_paths.get(level, CareerPaths())
        incoming_entry: list[PathRef] = []  # they say they lead here
        incoming_adv: list[PathRef] = []  # they say they are entered from here
        incoming_lateral: list[PathRef] = []
        here = (profile_id, level)
        for other in self._profiles.values():
            for other_level, paths in other.career_paths.items():
                back = PathRef(profile_id=other.id, level=other_level)
                if any(r.key == here for r in paths.advancement_to):
                    incoming_entry.append(back)
                if any(r.key == here for r in paths.entry_from):
                    incoming_adv.append(back)
                if any(r.key == here for r in paths.lateral_moves):
                    incoming_lateral.append(back)
        return Paths(
            entry_from=_merge(own.entry_from, incoming_entry),
            advancement_to=_merge(own.advancement_to, incoming_adv),
            lateral_moves=_merge(own.lateral_moves, incoming_lateral),
        )


def read_profiles() -> list[RoleProfile]:
    """Every packaged profile document, validated one by one (no cross-document checks)."""
    folder = resources.files(_PACKAGE).joinpath(_PROFILES_DIR)
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".json")), key=lambda f: f.name)
    profiles = []
    for file in files:
        try:
            profiles.append(RoleProfile.model_validate_json(file.read_text(encoding="utf-8")))
        except ValueError as exc:
            raise LibraryError(f"{_PROFILES_DIR}/{file.name}: {exc}") from exc
    return profiles


@functools.cache
def load_library() -> Library:
    """The packaged starter library, validated as a whole; loaded once per process."""
    return Library(read_profiles())
