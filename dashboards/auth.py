"""Signing in to the dashboards: the built-in user file, or the company's identity provider
through ``st.login`` (OpenID Connect) when ``secrets.toml`` has an ``[auth]`` section.

Either way the user must be in the user file: it gives the role and the companies. Nobody
sees data before signing in; each page asks for the role it needs (``require``), on top of
the navigation showing only the pages the role may open.
"""

from __future__ import annotations

import streamlit as st

from ledgerbridge.config import Paths
from ledgerbridge.errors import ConfigError
from ledgerbridge.users import Role, User, UserFile

USER_KEY = "ledgerbridge_user"

ROLE_LABELS = {
    Role.viewer: "Läsare",
    Role.controller: "Controller",
    Role.approver: "Attestant",
    Role.admin: "Administratör",
}


def _users() -> UserFile:
    return UserFile(Paths.from_env())


def identity_provider_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises rather than answer
        return False


def _provider_user() -> str | None:
    """The e-mail address the identity provider signed in, unless it says it is unverified."""
    if not identity_provider_configured():
        return None
    try:
        if st.user.is_logged_in and st.user.get("email_verified", True) is not False:
            return st.user.get("email")
    except Exception:
        return None
    return None


def current_user() -> User | None:
    """The signed-in user as the user file has them now (a changed role applies at once).
    Through the identity provider only a user without a password (``users add --sso``) signs
    in: a provider account never becomes a password user of the same name."""
    try:
        name = st.session_state.get(USER_KEY)
        if name is not None:
            return _users().get(name)
        provider_name = _provider_user()
        if provider_name is None:
            return None
        user = _users().get(provider_name)
        return user if user is not None and user.password_hash is None else None
    except ConfigError:
        return None


def sign_in_page() -> None:
    """The only thing shown before signing in."""
    st.title("ledgerbridge")
    st.write("Logga in för att se rapporterna.")
    provider_name = _provider_user()
    if provider_name is not None:
        st.error(
            f"{provider_name} är inloggad hos identitetsleverantören men saknas bland "
            "ledgerbridges användare. Be en administratör köra `ledgerbridge users add "
            f"{provider_name} --role viewer --sso`."
        )
        st.button("Logga ut", on_click=st.logout)
        return
    if identity_provider_configured():
        st.button("Logga in med företagets konto", on_click=st.login, type="primary")
        st.divider()
    try:
        anyone = bool(_users().all())
    except ConfigError as exc:
        st.error(f"{exc.message}. {exc.hint or ''}")
        return
    if not anyone:
        st.info(
            "Det finns inga användare ännu. Lägg till en med "
            "`ledgerbridge users add NAMN --role admin` (demot skapar en per roll)."
        )
    with st.form("sign_in"):
        name = st.text_input("Användarnamn", key="sign_in_name")
        password = st.text_input("Lösenord", type="password", key="sign_in_password")
        submitted = st.form_submit_button("Logga in", type="primary")
    if submitted:
        user = _users().authenticate(name, password)
        if user is None:
            st.error("Fel användarnamn eller lösenord.")
        else:
            st.session_state[USER_KEY] = user.name
            st.rerun()


def sign_out() -> None:
    st.session_state.pop(USER_KEY, None)
    if _provider_user() is not None:
        st.logout()


def acts_for_every_company(user: User) -> bool:
    """Planning, sending and schedules cover every company: only an approver who may see
    all of them does them from the dashboards."""
    return user.may(Role.approver) and not user.companies


def still(role: Role) -> User | None:
    """In a button's callback (which runs before the page): the user, if they still have
    ``role`` now; a role lowered meanwhile stops the action."""
    user = current_user()
    return user if user is not None and user.may(role) else None


def still_acting_for_every_company() -> User | None:
    """In a callback planning, sending or changing schedules: the user, if they still may."""
    user = still(Role.approver)
    return user if user is not None and acts_for_every_company(user) else None


def require(role: Role) -> User:
    """Stop the page unless the signed-in user has ``role`` (or more)."""
    user = current_user()
    if user is None:
        st.error("Logga in först.")
        st.stop()
    if not user.may(role):
        st.error(f"Sidan kräver rollen {ROLE_LABELS[role]}; du är {ROLE_LABELS[user.role]}.")
        st.stop()
    return user
