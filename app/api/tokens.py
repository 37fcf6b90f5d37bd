"""Personal API tokens for scripted jobs: `Authorization: Bearer <token>` on any API call."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from app.accounts import service
from app.api.params import Id
from app.api.responses import BODY, described
from app.deps import CurrentUser, SessionDep
from app.models import TokenCreate, TokenCreated, TokensPublic

router = APIRouter(prefix="/tokens", tags=["tokens"])


@router.post("", response_model=TokenCreated, status_code=201, responses=BODY)
def create_token(body: TokenCreate, user: CurrentUser, session: SessionDep) -> Any:
    """A new token, shown once in `token` (only its hash is kept; lists show a prefix)."""
    return service.create_token(session, user, body)


@router.get("", response_model=TokensPublic)
def read_tokens(user: CurrentUser, session: SessionDep) -> Any:
    """Your tokens: name, prefix, created, expires, last used."""
    return service.list_tokens(session, user)


@router.delete("/{token_id}", status_code=204, responses=described({404: "No such token of yours"}))
def delete_token(token_id: Id, user: CurrentUser, session: SessionDep) -> Response:
    """Revoke a token: requests with it answer 401 from now on."""
    service.delete_token(session, user, token_id)
    return Response(status_code=204)
