"""The scope catalogue and what each staff role may do.

Routes check scopes, never role names, so user tokens (roles expanded to scopes at login) and API
clients (granted scopes directly) go through the same check. Each context declares its scopes, and
which roles get them, in its ``context.py``; this module reads the union.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import StrEnum

from rolecall.platform.contexts import Scope
from rolecall.platform.contexts import scopes as declared_scopes


class Role(StrEnum):
    ADMIN = "admin"
    RECRUITER = "recruiter"
    HIRING_MANAGER = "hiring_manager"
    INTERVIEWER = "interviewer"


class _ScopeCatalogue(Mapping[str, str]):
    """Scope name -> description, read from every context's declaration on first use.

    Lazy because the declarations import the contexts' routers, which import this module.
    """

    def _scopes(self) -> dict[str, Scope]:
        return declared_scopes()

    def __getitem__(self, name: str) -> str:
        return self._scopes()[name].description

    def __iter__(self) -> Iterator[str]:
        return iter(self._scopes())

    def __len__(self) -> int:
        return len(self._scopes())


SCOPES: Mapping[str, str] = _ScopeCatalogue()


def role_scopes(role: Role) -> frozenset[str]:
    """What a staff role is granted: admins every scope, others those whose declaration names them."""
    scopes = declared_scopes()
    if role is Role.ADMIN:
        return frozenset(scopes)
    return frozenset(name for name, scope in scopes.items() if role.value in scope.roles)


def scopes_for_roles(roles: list[str] | frozenset[str]) -> frozenset[str]:
    granted: set[str] = set()
    for role in roles:
        granted |= role_scopes(Role(role))
    return frozenset(granted)


def unknown_scopes(requested: set[str] | frozenset[str]) -> set[str]:
    return set(requested) - set(SCOPES)
