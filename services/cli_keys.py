"""``perfgraph accounts|keys|grants|queries``: managing who may call the API and what."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from services import api_keys, persisted_queries
from services.access import SCOPES
from services.resources import Resources

accounts_app = typer.Typer(help="Accounts: owners of strategies and keys.", no_args_is_help=True)
keys_app = typer.Typer(help="Partners' API keys.", no_args_is_help=True)
grants_app = typer.Typer(help="Strategies granted to other accounts.", no_args_is_help=True)
queries_app = typer.Typer(help="The persisted-query allow-list.", no_args_is_help=True)
out = Console()
T = TypeVar("T")


def _run(work: Callable[[Resources], Awaitable[T]]) -> T:
    from services.cli import run_with_resources  # services.cli imports this module

    return run_with_resources(work)


@accounts_app.command("create")
def accounts_create(name: Annotated[str, typer.Argument(help="Account name.")]) -> None:
    """Create an account (does nothing if it exists)."""

    async def work(resources: Resources) -> int:
        async with resources.sessions.begin() as session:
            return await api_keys.create_account(session, name=name)

    out.print(f"account {name!r} has id {_run(work)}")


@keys_app.command("create")
def keys_create(
    account: Annotated[str, typer.Option(help="The account the key acts for.")],
    name: Annotated[str, typer.Option(help="A label, e.g. the partner's system.")],
    scope: Annotated[
        list[str], typer.Option(help=f"Repeat for several: {', '.join(sorted(SCOPES))}.")
    ],
    expires_in_days: Annotated[int | None, typer.Option(min=1, help="Lifetime.")] = 90,
    no_expiry: Annotated[bool, typer.Option(help="A key that never expires.")] = False,
    rate_limit: Annotated[int | None, typer.Option(min=1, help="Units per minute.")] = None,
) -> None:
    """Create a key and print it: it is shown this once and stored only hashed."""
    expires_at = None
    if not no_expiry and expires_in_days is not None:
        expires_at = datetime.now(UTC) + timedelta(days=expires_in_days)

    async def work(resources: Resources) -> api_keys.CreatedKey:
        async with resources.sessions.begin() as session:
            return await api_keys.create_api_key(
                session,
                account=account,
                name=name,
                scopes=scope,
                expires_at=expires_at,
                rate_limit_per_minute=rate_limit,
            )

    created = _run(work)
    out.print(created.key, highlight=False, soft_wrap=True)
    typer.echo(
        f"prefix {created.record.prefix}: store the key now, it cannot be shown again", err=True
    )


@keys_app.command("list")
def keys_list(
    account: Annotated[str | None, typer.Option(help="Only this account.")] = None,
) -> None:
    """List keys (prefix, account, scopes, status); secrets are never shown."""

    async def work(resources: Resources) -> list[api_keys.ApiKeyRecord]:
        async with resources.sessions() as session:
            return await api_keys.list_api_keys(session, account=account)

    table = Table("prefix", "account", "name", "scopes", "expires", "status")
    for record in _run(work):
        expires = record.expires_at.isoformat(timespec="minutes") if record.expires_at else "-"
        scopes = " ".join(record.scopes)
        table.add_row(record.prefix, record.account, record.name, scopes, expires, record.status())
    out.print(table)


@keys_app.command("revoke")
def keys_revoke(prefix: Annotated[str, typer.Argument(help="The key's prefix.")]) -> None:
    """Revoke a key at once, on every replica."""

    async def work(resources: Resources) -> api_keys.ApiKeyRecord:
        return await api_keys.revoke_api_key(resources, prefix=prefix)

    record = _run(work)
    out.print(f"revoked {record.prefix} ({record.account}/{record.name})")


@grants_app.command("add")
def grants_add(
    account: Annotated[str, typer.Argument(help="The account that may read it.")],
    strategy: Annotated[str, typer.Argument(help="The strategy's slug.")],
) -> None:
    """Let an account read one strategy."""

    async def work(resources: Resources) -> None:
        await api_keys.grant_strategy(resources, account=account, strategy=strategy)

    _run(work)
    out.print(f"{account} may read {strategy}")


@grants_app.command("remove")
def grants_remove(
    account: Annotated[str, typer.Argument(help="The account.")],
    strategy: Annotated[str, typer.Argument(help="The strategy's slug.")],
) -> None:
    """Withdraw a grant (takes effect on the next request and within seconds on streams)."""

    async def work(resources: Resources) -> bool:
        return await api_keys.withdraw_grant(resources, account=account, strategy=strategy)

    removed = _run(work)
    out.print(f"withdrawn: {account} no longer reads {strategy}" if removed else "no such grant")


@grants_app.command("list")
def grants_list(account: Annotated[str, typer.Argument(help="The account.")]) -> None:
    """Strategies granted to an account."""

    async def work(resources: Resources) -> list[str]:
        async with resources.sessions() as session:
            return await api_keys.list_grants(session, account=account)

    for slug in _run(work):
        out.print(slug)


@queries_app.command("add")
def queries_add(
    files: Annotated[list[Path], typer.Argument(help="GraphQL documents (.graphql).")],
) -> None:
    """Register documents on the allow-list; prints each one's SHA-256."""

    async def work(resources: Resources) -> list[str]:
        async with resources.sessions.begin() as session:
            return [
                await persisted_queries.register_document(
                    session, document=path.read_text(), name=path.stem
                )
                for path in files
            ]

    for path, sha in zip(files, _run(work), strict=True):
        out.print(f"{sha}  {path.name}")


@queries_app.command("list")
def queries_list() -> None:
    """Registered documents: hash and name."""

    async def work(resources: Resources) -> list[tuple[str, str]]:
        async with resources.sessions() as session:
            return await persisted_queries.list_registered(session)

    for sha, name in _run(work):
        out.print(f"{sha}  {name}")
