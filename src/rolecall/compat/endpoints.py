"""Board keys: created, listed, rotated and revoked by an admin; a key's secret is shown only once."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response, status

from rolecall.compat import service
from rolecall.compat.auth import BoardKeysManage
from rolecall.compat.schemas import BoardKeyCreate, BoardKeyCreated, BoardKeyOut
from rolecall.platform.auth import DbSession
from rolecall.platform.http import no_store

router = APIRouter(prefix="/v1/compat/board-keys", tags=["compat"])
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No board key with this id here"}}


def _created(row: object, key: str) -> BoardKeyCreated:
    return BoardKeyCreated.model_validate({**BoardKeyOut.model_validate(row).model_dump(), "key": key})


@router.post(
    "",
    response_model=BoardKeyCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Create a board key (shown once) for the Greenhouse- and Lever-shaped apply routes",
)
async def create_board_key(
    body: BoardKeyCreate, principal: BoardKeysManage, session: DbSession, response: Response
) -> BoardKeyCreated:
    row, key = await service.create_key(session, principal, body.label)
    no_store(response)
    response.headers["Location"] = f"/v1/compat/board-keys/{row.id}"
    return _created(row, key)


@router.get("", response_model=list[BoardKeyOut], summary="List the organisation's board keys (no secrets)")
async def list_board_keys(principal: BoardKeysManage, session: DbSession) -> list[BoardKeyOut]:
    return [BoardKeyOut.model_validate(row) for row in await service.list_keys(session, principal)]


@router.get("/{board_key_id}", response_model=BoardKeyOut, responses=_NOT_FOUND, summary="Read a board key")
async def read_board_key(
    board_key_id: uuid.UUID, principal: BoardKeysManage, session: DbSession
) -> BoardKeyOut:
    return BoardKeyOut.model_validate(await service.get_key(session, principal, board_key_id))


@router.post(
    "/{board_key_id}/rotate",
    response_model=BoardKeyCreated,
    responses=_NOT_FOUND,
    summary="Replace a board key's secret (shown once); the old one stops working at once",
)
async def rotate_board_key(
    board_key_id: uuid.UUID, principal: BoardKeysManage, session: DbSession, response: Response
) -> BoardKeyCreated:
    row, key = await service.rotate_key(session, principal, board_key_id)
    no_store(response)
    return _created(row, key)


@router.delete(
    "/{board_key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_NOT_FOUND,
    summary="Revoke a board key",
)
async def revoke_board_key(
    board_key_id: uuid.UUID, principal: BoardKeysManage, session: DbSession
) -> Response:
    await service.revoke_key(session, principal, board_key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
