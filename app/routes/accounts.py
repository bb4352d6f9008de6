"""Joining, signing in and out, recovery, and the member's own page."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from app.deps import CSRF, ClientKey, CurrentUser, SessionDep, Text
from app.services import accounts, membership, ratelimit
from app.web import (
    SESSION_COOKIE,
    FormSpec,
    after_action,
    clear_session_cookie,
    keep_form,
    path_for,
    render,
    safe_next,
    set_session_cookie,
    wants_fragment,
)

router = APIRouter()
JOIN_FORM = FormSpec(page="pages/join.html", partial="partials/join_form.html", target="join-form")
LOGIN_FORM = FormSpec(page="pages/login.html", partial="partials/login_form.html", target="login-form")
RECOVER_FORM = FormSpec(
    page="pages/recover.html", partial="partials/recover_form.html", target="recover-form"
)
PASSPHRASE_FORM = FormSpec(
    page="pages/passphrase.html", partial="partials/passphrase_form.html", target="passphrase-form"
)
RECOVERY_CODE_FORM = FormSpec(
    page="pages/recovery_code.html", partial="partials/recovery_code_form.html", target="recovery-code-form"
)
DELETE_FORM = FormSpec(
    page="pages/delete_account.html", partial="partials/delete_account_form.html", target="delete-form"
)


def _arrive(request: Request, target: str, token: str) -> Response:
    """After sign-in: a fresh session cookie and on to where the member was going."""
    response = after_action(request, target, full_load=True)
    set_session_cookie(response, token)
    return response


@router.get("/join", name="accounts:join_form")
def join_form(request: Request, session: SessionDep) -> Response:
    return render(request, "pages/join.html", {"suggestion": accounts.suggest_free_pseudonym(session)})


@router.post("/join", name="accounts:join", dependencies=[CSRF])
def join(
    request: Request,
    session: SessionDep,
    client: ClientKey,
    pseudonym: Text = "",
    passphrase: Text = "",
    guidelines: Text = "",
) -> Response:
    keep_form(request, JOIN_FORM, pseudonym=pseudonym, guidelines=guidelines, suggestion=pseudonym)
    ratelimit.join(client=client)
    joined = accounts.join(
        session, pseudonym=pseudonym, passphrase=passphrase, accepted_guidelines=guidelines == "yes"
    )
    # The recovery code is shown once, on this response, and never stored in the clear.
    template = "partials/welcome.html" if wants_fragment(request) else "pages/welcome.html"
    response = render(request, template, {"joined": joined})
    set_session_cookie(response, joined.token)
    return response


@router.get("/login", name="accounts:login_form")
def login_form(request: Request, next: str = "/") -> Response:
    return render(request, "pages/login.html", {"next": safe_next(next), "pseudonym": ""})


@router.post("/login", name="accounts:login", dependencies=[CSRF])
def login(
    request: Request,
    session: SessionDep,
    client: ClientKey,
    pseudonym: Text = "",
    passphrase: Text = "",
    next: Text = "/",
) -> Response:
    keep_form(request, LOGIN_FORM, pseudonym=pseudonym, next=safe_next(next))
    ratelimit.sign_in(pseudonym=pseudonym, client=client)
    signed_in = accounts.sign_in(
        session, pseudonym=pseudonym, passphrase=passphrase, old_token=request.cookies.get(SESSION_COOKIE)
    )
    return _arrive(request, safe_next(next), signed_in.token)


@router.post("/logout", name="accounts:logout", dependencies=[CSRF])
def logout(request: Request, session: SessionDep) -> Response:
    accounts.end_session(session, token=request.cookies.get(SESSION_COOKIE))
    response = after_action(request, path_for(request, "pages:front"), full_load=True)
    clear_session_cookie(response)
    return response


@router.get("/recover", name="accounts:recover_form")
def recover_form(request: Request) -> Response:
    return render(request, "pages/recover.html", {"pseudonym": ""})


@router.post("/recover", name="accounts:recover", dependencies=[CSRF])
def recover(
    request: Request,
    session: SessionDep,
    client: ClientKey,
    pseudonym: Text = "",
    recovery_code: Text = "",
    passphrase: Text = "",
) -> Response:
    keep_form(request, RECOVER_FORM, pseudonym=pseudonym)
    ratelimit.sign_in(pseudonym=pseudonym, client=client)
    recovered = accounts.recover(
        session, pseudonym=pseudonym, recovery_code=recovery_code, passphrase=passphrase
    )
    template = "partials/recovered.html" if wants_fragment(request) else "pages/recovered.html"
    ctx = {"user": recovered.user, "recovery_code": recovered.recovery_code}
    response = render(request, template, ctx)
    set_session_cookie(response, recovered.token)
    return response


@router.get("/me", name="accounts:me")
def me(request: Request, session: SessionDep, user: CurrentUser, done: str = "") -> Response:
    page = membership.own_page(session, user=user, token=request.cookies.get(SESSION_COOKIE), done=done)
    return render(request, "pages/me.html", {"page": page})


@router.get("/me/passphrase", name="accounts:passphrase_form")
def passphrase_form(request: Request, user: CurrentUser) -> Response:
    return render(request, "pages/passphrase.html")


@router.post("/me/passphrase", name="accounts:passphrase", dependencies=[CSRF])
def change_passphrase(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    client: ClientKey,
    current: Text = "",
    passphrase: Text = "",
) -> Response:
    keep_form(request, PASSPHRASE_FORM)  # the passphrases typed are never sent back
    ratelimit.passphrase_check(user=user, client=client)
    accounts.change_passphrase(
        session, user=user, current=current, passphrase=passphrase, token=request.cookies.get(SESSION_COOKIE)
    )
    return after_action(request, path_for(request, "accounts:me", query={"done": "passphrase"}))


@router.post("/me/sessions/end", name="accounts:end_sessions", dependencies=[CSRF])
def end_sessions(request: Request, session: SessionDep, user: CurrentUser, scope: Text = "") -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if not accounts.end_sessions(session, user=user, token=token, scope=scope):
        return after_action(request, path_for(request, "accounts:me", query={"done": "others"}))
    response = after_action(request, path_for(request, "pages:front"), full_load=True)
    clear_session_cookie(response)
    return response


@router.get("/me/recovery-code", name="accounts:recovery_code_form")
def recovery_code_form(request: Request, user: CurrentUser) -> Response:
    return render(request, "pages/recovery_code.html")


@router.post("/me/recovery-code", name="accounts:recovery_code", dependencies=[CSRF])
def renew_recovery_code(
    request: Request, session: SessionDep, user: CurrentUser, client: ClientKey, passphrase: Text = ""
) -> Response:
    keep_form(request, RECOVERY_CODE_FORM)
    ratelimit.passphrase_check(user=user, client=client)
    code = accounts.renew_recovery_code(session, user=user, passphrase=passphrase)
    # Shown once, on this response, like at join; only its hash is kept.
    template = (
        "partials/recovery_code_made.html" if wants_fragment(request) else "pages/recovery_code_made.html"
    )
    return render(request, template, {"recovery_code": code})


@router.get("/me/export", name="accounts:export")
def export(session: SessionDep, user: CurrentUser) -> Response:
    data = membership.export(session, user=user)
    return JSONResponse(
        data, headers={"Content-Disposition": 'attachment; filename="peerbearing-export.json"'}
    )


@router.get("/me/delete", name="accounts:delete_form")
def delete_form(request: Request, user: CurrentUser) -> Response:
    return render(request, "pages/delete_account.html", {"erase_posts": ""})


@router.post("/me/delete", name="accounts:delete", dependencies=[CSRF])
def delete(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    client: ClientKey,
    passphrase: Text = "",
    erase_posts: Text = "",
) -> Response:
    keep_form(request, DELETE_FORM, erase_posts=erase_posts)
    ratelimit.passphrase_check(user=user, client=client)
    membership.erase(session, user=user, passphrase=passphrase, erase_posts=erase_posts == "yes")
    response = after_action(request, path_for(request, "pages:front"), full_load=True)
    clear_session_cookie(response)
    return response
