"""Sign-in and tokens (/api/v1/auth), the caller (/me) and API tokens of an administration."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request

from settle_gateway.adapters.web import ADMINISTRATION, NOT_FOUND, Context, ReadSession, ui_router
from settle_gateway.auth import service
from settle_gateway.auth.models import (
    AdministrationOut,
    ApiTokenIn,
    ApiTokenOut,
    ApiTokenSummary,
    InvitationAcceptIn,
    LoginIn,
    MeOut,
    RefreshIn,
    TokensOut,
)
from settle_gateway.auth.security import Administrator, CurrentPrincipal
from settle_gateway.domain.access import Role
from settle_gateway.domain.errors import NotFound
from settle_shared.db import aware, transaction
from settle_shared.logs import get_logger

log = get_logger(__name__)

auth = APIRouter(prefix="/api/v1/auth", tags=["authentication"])
router = ui_router()


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@auth.post(
    "/login",
    response_model=TokensOut,
    responses={401: {"description": "wrong email or password"}, 429: {"description": "too many"}},
)
async def login(body: LoginIn, request: Request, context: Context) -> TokensOut:
    """Sign in with email and password: a short-lived access token and a refresh token.
    Failed attempts per account and client address are limited."""
    address = _client_address(request)
    wait = await context.limiter.retry_after(body.email, address)
    if wait is not None:
        log.warning("login refused: too many failures", address=address)
        raise HTTPException(
            429,
            detail="too many failed logins; try again later",
            headers={"Retry-After": str(wait)},
        )
    async with transaction(context.sessions) as session:
        user = await service.user_for_login(session, body.email)
        if not service.verify_password(user.password_hash if user else None, body.password):
            await context.limiter.failed(body.email, address)
            log.info("login failed", address=address)
            raise HTTPException(401, detail="wrong email or password")
        assert user is not None
        await context.limiter.succeeded(body.email, address)
        log.info("login", user_id=user.id)
        return await service.new_tokens(session, context.settings, user.id)


@auth.post("/refresh", response_model=TokensOut, responses={401: {"description": "refused"}})
async def refresh(body: RefreshIn, context: Context) -> TokensOut:
    """Spend a refresh token for new tokens (it rotates: each works once; reusing one ends
    every session of that login)."""
    now = service.token_time()
    refused: service.IdentityError | None = None
    async with transaction(context.sessions) as session:
        try:
            user_id, next_refresh, session_id = await service.rotate_refresh_token(
                session, context.settings, body.refresh_token, now
            )
        except service.IdentityError as exc:
            # Caught inside the transaction: revoking a reused token's family must commit.
            refused = exc
    if refused is not None:
        if isinstance(refused, service.RefreshTokenReused):
            # The ended session's access tokens stop here at once, elsewhere within
            # principal_cache_s.
            context.principals.clear()
        raise HTTPException(401, detail=str(refused))
    return TokensOut(
        access_token=service.issue_access_token(context.settings, user_id, now, session_id),
        expires_in=context.settings.access_token_minutes * 60,
        refresh_token=next_refresh,
    )


@auth.post(
    "/invitation",
    response_model=TokensOut,
    responses={
        404: {"description": "the invitation is unknown, spent or expired"},
        422: {"description": "the password is too short"},
    },
)
async def accept_invitation(body: InvitationAcceptIn, context: Context) -> TokensOut:
    """Spend an invitation: the invited person chooses their password (12 characters or more)
    and is signed in."""
    async with transaction(context.sessions) as session:
        user_id = await service.accept_invitation(
            session, body.token, body.password, service.token_time()
        )
        log.info("invitation accepted", user_id=user_id)
        return await service.new_tokens(session, context.settings, user_id)


@router.get("/me", response_model=MeOut)
async def me(principal: CurrentPrincipal, session: ReadSession) -> MeOut:
    """The caller and the administrations it may see, with its role in each."""
    return MeOut(
        subject=principal.subject,
        kind=principal.kind,
        name=principal.name,
        administrations=[
            AdministrationOut(id=row.id, name=row.name, role=principal.roles[row.id].value)
            for row in await service.administrations_of(session, principal)
        ],
    )


def _token_summary(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "role": row.role,
        "hint": row.hint,
        "created_at": aware(row.created_at),
        "created_by": row.created_by_name,
        "revoked_at": aware(row.revoked_at),
    }


@router.get(
    ADMINISTRATION + "/api-tokens", response_model=list[ApiTokenSummary], responses=NOT_FOUND
)
async def api_tokens(
    administration_id: str, principal: Administrator, session: ReadSession
) -> list[ApiTokenSummary]:
    """The administration's API tokens, newest first, revoked ones too (administrators
    only). The tokens themselves are never shown again: each is told by its last characters."""
    rows = await service.api_tokens_of(session, administration_id)
    return [ApiTokenSummary.model_validate(_token_summary(row)) for row in rows]


@router.post(
    ADMINISTRATION + "/api-tokens", response_model=ApiTokenOut, status_code=201, responses=NOT_FOUND
)
async def new_api_token(
    administration_id: str, body: ApiTokenIn, principal: Administrator, context: Context
) -> ApiTokenOut:
    """An API token for a machine client in this administration (administrators only)."""
    async with transaction(context.sessions) as session:
        token_id, token = await service.create_api_token(
            session,
            name=body.name,
            administration_id=administration_id,
            role=Role(body.role),
            now=context.runtime.clock.now(),
            created_by=principal.subject if principal.kind != "api_token" else None,
        )
        row = await service.api_token_of(session, administration_id, token_id)
    return ApiTokenOut.model_validate({**_token_summary(row), "token": token})


@router.delete(
    ADMINISTRATION + "/api-tokens/{token_id}",
    response_model=ApiTokenSummary,
    responses=NOT_FOUND,
)
async def revoke_api_token(
    administration_id: str, token_id: str, principal: Administrator, context: Context
) -> ApiTokenSummary:
    """Revoke an API token (administrators only): it stops working at once on this replica,
    on the others within `PRINCIPAL_CACHE_S`. Revoking it again changes nothing."""
    async with transaction(context.sessions) as session:
        row = await service.revoke_api_token(
            session, administration_id, token_id, context.runtime.clock.now()
        )
    if row is None:
        raise NotFound("API token not found")
    context.principals.clear()
    return ApiTokenSummary.model_validate(_token_summary(row))
