"""The ``rolecall`` command: one codebase, several processes (api, worker) and admin tasks."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from typing import Annotated, NoReturn

import typer
import uvicorn
from pydantic import ValidationError

from rolecall.config import InsecureConfiguration, MissingExtra, Settings, address_url, get_settings
from rolecall.platform import schema
from rolecall.platform.db import create_engine, create_sessionmaker, transaction
from rolecall.platform.errors import ProblemError

app = typer.Typer(help="Rolecall: structured hiring, API first.", no_args_is_help=True, add_completion=False)


def _settings() -> Settings:
    try:
        return get_settings()
    except (InsecureConfiguration, MissingExtra) as exc:
        typer.echo(f"refusing to start: {exc}", err=True)
        raise typer.Exit(2) from exc
    except ValidationError as exc:
        # Name each bad ROLECALL_* variable instead of printing a traceback (values stay out: secrets).
        problems = "; ".join(
            f"ROLECALL_{'_'.join(str(part) for part in error['loc']).upper()}: {error['msg']}"
            for error in exc.errors()
        )
        typer.echo(f"refusing to start: invalid configuration: {problems}", err=True)
        raise typer.Exit(2) from exc


@app.command()
def migrate(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Bring the database schema to REVISION (default: the latest), as the schema's owner
    (ROLECALL_MIGRATE_DATABASE_URL when set, else ROLECALL_DATABASE_URL)."""
    settings = _settings()
    owner_url = settings.migration_database_url

    async def current() -> str | None:
        engine = create_engine(owner_url)
        try:
            return await schema.current_revision(engine)
        finally:
            await engine.dispose()

    before = asyncio.run(current())
    schema.upgrade(owner_url, revision)
    after = asyncio.run(current())
    typer.echo(f"database at {revision}")
    # Migrations never hold the keys, so what must be recomputed from sealed data runs here, once,
    # when an upgrade crosses the revision that needs it. A new database (before is None) has no
    # rows to recompute.
    if before is not None and before < "0011" <= (after or ""):
        typer.echo("recomputing candidates' name tokens and phone indexes (revision 0011)")
        reindex_candidates(batch_size=200)
    if before is not None and before < "0017" <= (after or ""):
        # Campaign details were stored in clear before 0017 (ADR 0017); the rotation pass seals them.
        typer.echo("sealing campaign details stored in clear (revision 0017)")
        rotate_keys(batch_size=200)
    if before is not None and before < "0018" <= (after or ""):
        # 0018 removed the database index's terms of the previous analysis (the projection keeps
        # that index whichever backend serves search); they are rebuilt here. tantivy rebuilds itself.
        typer.echo("rebuilding the board's database search index for the new text analysis (revision 0018)")
        _rebuild_index(settings.model_copy(update={"search_backend": "database"}))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[
        int, typer.Option(help="Worker processes (needs ROLECALL_EMBEDDED_WORKER=false if >1)")
    ] = 1,
) -> None:
    """Serve the HTTP API."""
    exported, before = False, os.environ.get("ROLECALL_ISSUER")
    if not os.environ.get("ROLECALL_ISSUER") and not os.environ.get("ROLECALL_PUBLIC_BASE_URL"):
        # Tokens and the OAuth metadata name the address this server listens on (`make run
        # HOST=... PORT=...`), through the environment so every uvicorn worker process reads it too.
        os.environ["ROLECALL_ISSUER"] = address_url(host, port)
        get_settings.cache_clear()
        exported = True
    try:
        _serve(host, port, workers)
    finally:
        if exported:  # the address was this server's; a later command in the process must not inherit it
            if before is None:
                os.environ.pop("ROLECALL_ISSUER", None)
            else:
                os.environ["ROLECALL_ISSUER"] = before
            get_settings.cache_clear()


def _serve(host: str, port: int, workers: int) -> None:
    settings = _serving_settings()
    if workers > 1 and settings.embedded_worker and settings.is_sqlite:
        typer.echo(
            "several API processes on SQLite: set ROLECALL_EMBEDDED_WORKER=false and run `rolecall worker`",
            err=True,
        )
    uvicorn.run(
        "rolecall.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=settings.trust_forwarded_for,
        log_config=None,
        server_header=False,
    )


@app.command()
def worker() -> None:
    """Deliver outbox events and run housekeeping until interrupted."""
    from rolecall.platform.logging import configure_logging
    from rolecall.worker import run_worker

    settings = _serving_settings()
    configure_logging(settings.log_level, settings.log_json)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_worker(settings))


def _serving_settings() -> Settings:
    """Settings for a process that serves links (the API, the worker): production needs its public URL."""
    settings = _settings()
    try:
        settings.check_public_url()
    except InsecureConfiguration as exc:
        typer.echo(f"refusing to start: {exc}", err=True)
        raise typer.Exit(2) from exc
    return settings


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


@app.command("create-org")
def create_org(
    name: Annotated[str, typer.Option(help="Organisation name")],
    admin_email: Annotated[str, typer.Option(help="E-mail of its first admin")],
    admin_password: Annotated[
        str,
        typer.Option(
            help="Password of its first admin (12+ characters); prompted for if not given",
            envvar="ROLECALL_ADMIN_PASSWORD",
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
        ),
    ],
) -> None:
    """Create an organisation (tenant) with its first admin; prints the organisation id."""
    from pydantic import EmailStr, TypeAdapter

    from rolecall.identity import service as identity

    settings = _settings()
    # The same rules the API applies to a new user, so the CLI cannot create an account it would refuse.
    name = name.strip()
    if not 1 <= len(name) <= 200:
        _fail("the organisation name must be 1 to 200 characters")
    try:
        admin_email = str(TypeAdapter(EmailStr).validate_python(admin_email.strip()))
    except ValidationError:
        _fail(f"{admin_email!r} is not a valid e-mail address")

    async def run() -> str:
        engine = create_engine(settings.database_url)
        try:
            async with transaction(create_sessionmaker(engine)) as session:
                created = await identity.create_organisation(
                    session, name=name, admin_email=admin_email, admin_password=admin_password
                )
                return str(created.organisation.id)
        finally:
            await engine.dispose()

    try:
        organisation_id = asyncio.run(run())
    except ProblemError as exc:
        _fail(exc.detail or exc.title)
    typer.echo(organisation_id)


@app.command()
def demo() -> None:
    """Load the demo organisation and print its sign-in credentials."""
    from rolecall.demo import DEMO_PASSWORD, load_demo

    settings = _settings()
    if settings.environment == "production":
        typer.echo(
            "refusing to load demo data with ROLECALL_ENVIRONMENT=production: its credentials are public",
            err=True,
        )
        raise typer.Exit(2)

    async def run() -> bool:
        engine = create_engine(settings.database_url)
        try:
            created, _ = await load_demo(create_sessionmaker(engine), settings)
            return created
        finally:
            await engine.dispose()

    from rolecall.demo import DEMO_ACCOUNTS

    created = asyncio.run(run())
    typer.echo("demo data loaded" if created else "demo data already present")
    for account in DEMO_ACCOUNTS:
        typer.echo(f"  {account.role:<15} {account.email:<26} password: {DEMO_PASSWORD}")


def _rebuild_index(settings: Settings) -> int:
    """Rebuild the search index ``settings`` select from the projection; returns the open postings."""
    from rolecall.board.indexes import rebuild_search_index

    async def run() -> int:
        engine = create_engine(settings.database_url)
        try:
            return await rebuild_search_index(settings, create_sessionmaker(engine))
        finally:
            await engine.dispose()

    return asyncio.run(run())


@app.command()
def reindex() -> None:
    """Rebuild the board's search index from the database (the posting projection)."""
    settings = _settings()
    try:
        count = _rebuild_index(settings)
    except ValueError as exc:  # tantivy reports a held directory lock as a ValueError
        _fail(
            f"cannot open the search index at {settings.search_index_path}: {exc}. "
            "Stop the API processes using it, or rebuild into a new ROLECALL_SEARCH_INDEX_PATH."
        )
    where = "the database" if settings.search_backend == "database" else str(settings.search_index_path)
    typer.echo(f"search index rebuilt in {where}: {count} open postings")


@app.command("rotate-signing-key")
def rotate_signing_key() -> None:
    """Start signing with a new key; the old one stays published until its tokens expire."""
    from rolecall.identity.tokens import KeyRing

    settings = _settings()

    async def run() -> str:
        engine = create_engine(settings.database_url)
        try:
            async with transaction(create_sessionmaker(engine)) as session:
                return await KeyRing(settings).rotate(session)
        finally:
            await engine.dispose()

    typer.echo(f"new signing key: {asyncio.run(run())}")


@app.command("rotate-keys")
def rotate_keys(
    batch_size: Annotated[int, typer.Option(min=1, help="Candidates per transaction")] = 200,
) -> None:
    """Re-encrypt personal data under the active PII key (online; safe to re-run after an interruption)."""
    from rolecall.candidates.context import CONTEXT as CANDIDATES
    from rolecall.candidates.keys import rotate_candidate_keys
    from rolecall.platform.contexts import personal_data_ports

    settings = _settings()
    keyring = settings.pii_keyring()

    async def run() -> tuple[int, int, int, int]:
        engine = create_engine(settings.database_url)
        try:
            maker = create_sessionmaker(engine)
            report = await rotate_candidate_keys(maker, keyring, batch_size=batch_size)
            others = report.files + report.notes
            # The person record is rotated above (its report has the detail printed below); every
            # other context's sealed values through its declared personal-data port, including the
            # ports that hold no candidate data (webhook secrets, staff second factors).
            for port in personal_data_ports():
                if port is not CANDIDATES.personal_data:
                    others += await port.rotate_keys(maker, keyring, batch_size=batch_size)
            return report.fields, report.candidates, report.current, others
        finally:
            await engine.dispose()

    fields, candidates, current, others = asyncio.run(run())
    typer.echo(f"rotated {fields} fields in {candidates} candidates; {current} candidates already current")
    typer.echo(
        f"rotated {others} other sealed values (files, notes, answers, scorecards, offers, "
        "webhook secrets, second factors)"
    )


@app.command("reindex-candidates")
def reindex_candidates(
    batch_size: Annotated[int, typer.Option(min=1, help="Candidates per transaction")] = 200,
) -> None:
    """Recompute candidates' name tokens and phone indexes from their sealed data (online; re-runnable)."""
    from rolecall.candidates.name_index import refresh_search_indexes

    settings = _settings()

    async def run() -> tuple[int, int, int]:
        engine = create_engine(settings.database_url)
        try:
            report = await refresh_search_indexes(
                create_sessionmaker(engine),
                settings.pii_keyring(),
                settings.blind_index(),
                batch_size=batch_size,
            )
            return report.candidates, report.phones, report.skipped_phones
        finally:
            await engine.dispose()

    candidates, phones, skipped = asyncio.run(run())
    typer.echo(f"reindexed {candidates} candidates; {phones} phone indexes changed, {skipped} kept")


@app.command()
def openapi() -> None:
    """Print the OpenAPI document (rolecall openapi > tests/platform/openapi_snapshot.json refreshes it)."""
    from rolecall.app import create_app
    from rolecall.platform.openapi import dump

    typer.echo(dump(create_app(_settings()).openapi()), nl=False)


events_app = typer.Typer(
    help="Domain events: the published catalogue, dead letters (docs/events-broker.md).", no_args_is_help=True
)
app.add_typer(events_app, name="events")


@events_app.command("catalogue")
def events_catalogue() -> None:
    """Print the event catalogue as Markdown (what docs/events.md holds)."""
    from rolecall.platform.contexts import discover
    from rolecall.platform.events.catalogue_doc import render

    discover()
    typer.echo(render(), nl=False)


@events_app.command("requeue")
def events_requeue(
    handler: Annotated[
        str | None, typer.Option(help="Only this handler's dead-letter queue (broker mode)")
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Move at most this many")] = None,
) -> None:
    """Send dead letters back: outbox rows at the attempt limit get fresh attempts, and with
    ROLECALL_BROKER_URL, messages in the handlers' dead-letter queues go back to their queues."""
    from rolecall.platform.contexts import discover
    from rolecall.platform.events.broker import BrokerConfig
    from rolecall.platform.events.dead_letters import requeue
    from rolecall.platform.events.registry import registry

    settings = _settings()
    discover()  # subscribes every context's handlers: their names are the queues' names

    async def run() -> tuple[int, dict[str, int]]:
        engine = create_engine(settings.database_url)
        try:
            done = await requeue(
                create_sessionmaker(engine),
                registry,
                max_attempts=settings.outbox_max_attempts,
                broker=BrokerConfig.from_settings(settings),
                handler=handler,
                limit=limit,
            )
        finally:
            await engine.dispose()
        return done.outbox, done.broker

    try:
        outbox, broker = asyncio.run(run())
    except ValueError as exc:
        _fail(str(exc))
    if handler is None:
        typer.echo(f"outbox: {outbox} events given fresh attempts")
    for name, count in sorted(broker.items()):
        typer.echo(f"{name}: {count} dead letters requeued")
    if not outbox and not broker:
        typer.echo("nothing to requeue")


db_app = typer.Typer(
    help="Database administration (docs/configuration.md#database-roles).", no_args_is_help=True
)
app.add_typer(db_app, name="db")


@db_app.command("grant-app-role")
def db_grant_app_role(
    role: Annotated[str, typer.Argument(help="The existing PostgreSQL role the API and worker log in as")],
    db_schema: Annotated[
        str, typer.Option("--schema", help="The schema Rolecall's tables live in")
    ] = "public",
    print_sql: Annotated[
        bool, typer.Option("--print-sql", help="Only print the statements; change nothing")
    ] = False,
) -> None:
    """Let ROLE read and write rows, and nothing more: no DDL, no TRUNCATE, audit_log append-only.

    Connects with ROLECALL_MIGRATE_DATABASE_URL (the schema owner), so tables later migrations create
    are covered too. Exits 1 if the role can still do more than it should.
    """
    from rolecall.platform.db_roles import Grant, RoleError, grant_app_role

    settings = _settings()

    async def run() -> Grant:
        engine = create_engine(settings.migration_database_url)
        try:
            return await grant_app_role(engine, role, schema=db_schema, apply=not print_sql)
        finally:
            await engine.dispose()

    try:
        grant = asyncio.run(run())
    except RoleError as exc:
        _fail(str(exc))
    if print_sql:
        typer.echo("".join(f"{statement};\n" for statement in grant.statements), nl=False)
        return
    typer.echo(f"granted {role} row access to {grant.database}.{db_schema} (tables owned by {grant.owner})")
    for note in grant.notes:
        typer.echo(f"note: {note}")
    if grant.problems:
        for problem in grant.problems:
            typer.echo(f"warning: {problem}", err=True)
        raise typer.Exit(1)


files_app = typer.Typer(help="The file store: uploaded resumes and files.", no_args_is_help=True)
app.add_typer(files_app, name="files")


@files_app.command("reconcile")
def files_reconcile(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List orphans; delete nothing")] = False,
    grace_hours: Annotated[
        int | None,
        typer.Option(min=1, help="Only files older than this (default: ROLECALL_ORPHAN_FILE_GRACE_HOURS)"),
    ] = None,
    max_removals: Annotated[
        int | None,
        typer.Option(
            min=1, help="Delete nothing if more are orphaned (default: ROLECALL_ORPHAN_FILE_MAX_REMOVALS)"
        ),
    ] = None,
) -> None:
    """Remove stored files that no record points at (what the worker's orphan_files job does)."""
    from datetime import timedelta

    from rolecall.platform.contexts import discover
    from rolecall.privacy.orphans import Sweep, sweep_orphan_files

    settings = _settings()
    discover()
    hours = grace_hours if grace_hours is not None else settings.orphan_file_grace_hours
    limit = max_removals if max_removals is not None else settings.orphan_file_max_removals

    async def run() -> Sweep:
        engine = create_engine(settings.database_url)
        try:
            return await sweep_orphan_files(
                create_sessionmaker(engine),
                settings.file_store(),
                grace=timedelta(hours=hours),
                max_removals=limit,
                dry_run=dry_run,
            )
        finally:
            await engine.dispose()

    sweep = asyncio.run(run())
    if sweep.refused:
        _fail(
            f"more than {limit} files have no record ({sweep.held} held): nothing was deleted. "
            "Check ROLECALL_DATABASE_URL and ROLECALL_FILE_STORE_*, look at the list with --dry-run, "
            "then raise --max-removals if they really are orphans"
        )
    for key in sweep.orphans:
        typer.echo(f"{'orphan' if dry_run else 'removed'} {key}")
    typer.echo(
        f"{sweep.listed} files listed, {sweep.held} held by a record, {sweep.young} younger than {hours} h, "
        f"{len(sweep.orphans)} orphans {'found (dry run: nothing deleted)' if dry_run else 'removed'}"
    )


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
