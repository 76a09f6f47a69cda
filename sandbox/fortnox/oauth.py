"""Fortnox's OAuth2 authorization-code flow, as the sandbox plays it.

``/oauth-v1/auth`` consents at once and redirects with a code; ``/oauth-v1/token`` takes the
client's Basic credentials and trades a code or a refresh token for a token pair. Access
tokens live one hour; refresh tokens are single-use and rotate: each refresh answers a new one
and the old one is refused from then on. These answers are OAuth's own JSON, not Fortnox's
ErrorInformation.
"""

from __future__ import annotations

import base64
import secrets
from urllib.parse import urlencode

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from sandbox.fortnox.wire import Context, json_response

ACCESS_SECONDS = 3600
REFRESH_SECONDS = 45 * 24 * 3600
CODE_SECONDS = 600


def bearer(ctx: Context, request: Request) -> str | None:
    """The request's access token, if it is one the sandbox issued and it has not expired."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    token = header[len("Bearer ") :].strip()
    row = ctx.store.one("select expires_at from access_tokens where token = ?", (token,))
    if row is None or row["expires_at"] <= ctx.clock():
        return None
    return token


def authorize(ctx: Context, request: Request) -> Response:
    args = request.args
    client = ctx.store.one(
        "select * from clients where client_id = ?", (args.get("client_id", ""),)
    )
    if client is None or args.get("redirect_uri") != client["redirect_uri"]:
        return json_response({"error": "invalid_client"}, 400)
    if args.get("response_type") != "code":
        return json_response({"error": "unsupported_response_type"}, 400)
    code = secrets.token_urlsafe(24)
    with ctx.store.transaction() as db:
        db.execute(
            "insert into auth_codes values (?, ?, ?, ?, ?, 0)",
            (code, client["client_id"], args.get("scope", ""), client["redirect_uri"],
             ctx.clock() + CODE_SECONDS),
        )  # fmt: skip
    query = urlencode({"code": code, "state": args.get("state", "")})
    return Response(status=302, headers={"Location": f"{client['redirect_uri']}?{query}"})


def _client(ctx: Context, request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    try:
        client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    row = ctx.store.one("select client_secret from clients where client_id = ?", (client_id,))
    if row is None or not secrets.compare_digest(row["client_secret"], secret):
        return None
    return client_id


def token(ctx: Context, request: Request) -> Response:
    client_id = _client(ctx, request)
    if client_id is None:
        return json_response({"error": "invalid_client"}, 401)
    form = request.form
    now = ctx.clock()
    with ctx.store.transaction() as db:
        if form.get("grant_type") == "authorization_code":
            row = db.execute(
                "select * from auth_codes where code = ?", (form.get("code", ""),)
            ).fetchone()
            if (
                row is None
                or row["used"]
                or row["expires_at"] <= now
                or row["client_id"] != client_id
                or form.get("redirect_uri") != row["redirect_uri"]
            ):
                return json_response({"error": "invalid_grant"}, 400)
            db.execute("update auth_codes set used = 1 where code = ?", (row["code"],))
        elif form.get("grant_type") == "refresh_token":
            row = db.execute(
                "select * from refresh_tokens where token = ?", (form.get("refresh_token", ""),)
            ).fetchone()
            if (
                row is None
                or row["used"]
                or row["expires_at"] <= now
                or (row["client_id"] != client_id)
            ):
                return json_response(
                    {"error": "invalid_grant", "error_description": "Invalid refresh token"}, 400
                )
            db.execute("update refresh_tokens set used = 1 where token = ?", (row["token"],))
        else:
            return json_response({"error": "unsupported_grant_type"}, 400)
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        db.execute(
            "insert into access_tokens values (?, ?, ?, ?)",
            (access, client_id, row["scope"], now + ACCESS_SECONDS),
        )
        db.execute(
            "insert into refresh_tokens values (?, ?, ?, ?, 0)",
            (refresh, client_id, row["scope"], now + REFRESH_SECONDS),
        )
    return json_response(
        {
            "access_token": access,
            "refresh_token": refresh,
            "scope": row["scope"],
            "expires_in": ACCESS_SECONDS,
            "token_type": "bearer",
        }
    )


ROUTES = [
    Rule("/oauth-v1/auth", endpoint=authorize, methods=["GET"]),
    Rule("/oauth-v1/token", endpoint=token, methods=["POST"]),
]
