"""Sessions: sign-in (app passwords for now), who am I, sign-out."""

from __future__ import annotations

from fastapi import APIRouter, Response

from plyr.atproto.identity import IdentityError
from plyr.atproto.pds import PasswordAuth, XrpcError
from plyr.atproto.sessions import seal_password_session
from plyr.auth import repository, service
from plyr.auth.cookies import set_session_cookie
from plyr.auth.dependencies import SESSION_COOKIE, BrowserUser, CurrentUser
from plyr.auth.ratelimits import SignInLimit
from plyr.auth.schemas import (
    AppPasswordIn,
    LinkedAccount,
    MeOut,
    PdsProblem,
    SessionOut,
    SwitchAccountIn,
)
from plyr.core.deps import DbSession, RuntimeDep
from plyr.core.errors import BadRequest, NotFound, Unauthorized

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/app-password", dependencies=[SignInLimit])
async def app_password_sign_in(
    body: AppPasswordIn, response: Response, db: DbSession, runtime: RuntimeDep
) -> SessionOut:
    """Sign in with an app password (when the operator enables it): for scripts and tests."""
    if not runtime.settings.allow_app_passwords:
        raise NotFound("app-password sign-in is not enabled on this instance")
    try:
        identity = await runtime.identity.resolve(body.identifier)
    except IdentityError as e:
        raise BadRequest(f"could not resolve {body.identifier!r}: {e}") from e
    try:
        auth = await PasswordAuth.create(
            runtime.http, identity.pds_url, identity.did, body.password
        )
    except XrpcError as e:
        if e.status in (400, 401):
            raise Unauthorized("invalid identifier or password") from e
        raise BadRequest(f"the PDS refused the sign-in: {e.message}") from e
    if auth.tokens.get("did") != identity.did:  # a PDS answering for someone else's account
        raise Unauthorized("the PDS answered for a different account")
    # the handle the DID document claims and that resolves back to the DID; never the one
    # the PDS answers with, which anyone running a PDS can make say anything
    handle = identity.handle or identity.did
    token = await service.create_session(
        db,
        did=identity.did,
        handle=handle,
        kind="app_password",
        pds_url=identity.pds_url,
        sealed_credentials=seal_password_session(runtime, identity.pds_url, auth.tokens),
    )
    await service.queue_after_sign_in(db, identity.did)
    set_session_cookie(response, token, runtime.settings.cookie_secure)
    return SessionOut(token=token, did=identity.did, handle=handle)


@router.get("/me")
async def me(user: CurrentUser, db: DbSession, runtime: RuntimeDep) -> MeOut:
    """The signed-in account and the other accounts signed in with it."""
    linked = await repository.group_accounts(db, user.session.group_id)
    return MeOut(
        did=user.did,
        handle=user.artist.handle,
        display_name=user.artist.display_name,
        avatar_url=user.artist.avatar_url,
        linked_accounts=[
            LinkedAccount(did=a.did, handle=a.handle, avatar_url=a.avatar_url)
            for a in linked
            if a.did != user.did
        ],
        is_admin=user.did in runtime.settings.admin_did_set,
        pds_problem=PdsProblem.model_validate(user.artist.pds_problem)
        if user.artist.pds_problem
        else None,
    )


@router.post("/switch-account")
async def switch_account(
    body: SwitchAccountIn,
    user: CurrentUser,
    response: Response,
    db: DbSession,
    runtime: RuntimeDep,
) -> SessionOut:
    """Make another account signed in in this browser the active one."""
    target = await repository.group_member(db, user.session.group_id, body.did)
    if target is None:
        raise NotFound("that account is not signed in in this browser")
    token = await service.reissue(db, target)
    set_session_cookie(response, token, runtime.settings.cookie_secure)
    artist = await repository.artist(db, body.did)
    return SessionOut(token=token, did=body.did, handle=artist.handle if artist else body.did)


@router.post("/logout", status_code=204)
async def logout(user: CurrentUser, db: DbSession) -> Response:
    """End this account's session (and revoke its OAuth tokens at the PDS, best effort)."""
    await service.end_session(db, user.session)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/logout-all", status_code=204)
async def logout_all(user: BrowserUser, db: DbSession) -> Response:
    """End every account's session in this browser's group (revoking their OAuth tokens)."""
    await service.end_group(db, user.session)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE)
    return response
