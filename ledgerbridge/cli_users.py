"""`ledgerbridge users`: who may sign in to the dashboards, with which role and companies."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ledgerbridge.config import Paths
from ledgerbridge.users import MIN_PASSWORD_LENGTH, Role, UserFile


def register(app: typer.Typer, paths: Callable[[], Paths], console: Console) -> None:
    users_app = typer.Typer(
        help="Dashboard users: add, list and remove them (roles: viewer, controller, "
        "approver, admin).",
        no_args_is_help=True,
    )
    app.add_typer(users_app, name="users")

    @users_app.command("add")
    def add(
        name: Annotated[
            str, typer.Argument(help="User name, or e-mail address for sign-in by SSO.")
        ],
        role: Annotated[
            str,
            typer.Option(
                help="viewer (reports), controller (and findings), approver (and approvals "
                "and schedules), admin."
            ),
        ] = "viewer",
        company: Annotated[
            list[str] | None,
            typer.Option(
                help="A company the user may see (repeat it); none means every one, or, with "
                "--replace, the ones the user had."
            ),
        ] = None,
        all_companies: Annotated[
            bool,
            typer.Option("--all-companies", help="With --replace: lift a company restriction."),
        ] = False,
        display_name: Annotated[str, typer.Option(help="Name shown in the dashboards.")] = "",
        sso: Annotated[
            bool,
            typer.Option(
                "--sso",
                help="Signs in through the identity provider (st.login): no password.",
            ),
        ] = False,
        password_stdin: Annotated[
            bool, typer.Option("--password-stdin", help="Read the password from standard input.")
        ] = False,
        replace: Annotated[
            bool, typer.Option("--replace", help="Change an existing user.")
        ] = False,
    ) -> None:
        """Add a user (asks for the password unless --sso or --password-stdin)."""
        parsed = Role.parse(role)
        password = None
        if not sso:
            if password_stdin:
                password = sys.stdin.readline().rstrip("\n")
            else:
                password = typer.prompt(
                    f"Password for {name} (at least {MIN_PASSWORD_LENGTH} characters)",
                    hide_input=True,
                    confirmation_prompt=True,
                )
        user = UserFile(paths()).add(
            name,
            parsed,
            password=password,
            companies=() if all_companies else (tuple(company) if company else None),
            display_name=display_name,
            replace=replace,
        )
        seen = ", ".join(user.companies) if user.companies else "every company"
        console.print(f"{user.name}: {user.role.name}, sees {seen}", highlight=False)

    @users_app.command("list")
    def list_() -> None:
        """List the users."""
        users = UserFile(paths()).all()
        if not users:
            console.print("no users yet: `ledgerbridge users add NAME --role admin`")
            return
        table = Table("user", "role", "companies", "signs in with")
        for user in users:
            table.add_row(
                user.name,
                user.role.name,
                ", ".join(user.companies) or "all",
                "password" if user.password_hash else "SSO",
            )
        console.print(table)

    @users_app.command("remove")
    def remove(name: Annotated[str, typer.Argument(help="The user to remove.")]) -> None:
        """Remove a user: they cannot sign in any more."""
        UserFile(paths()).remove(name)
        console.print(f"removed {name}")
