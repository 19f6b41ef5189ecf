"""Runtime settings, read once from ``ROLECALL_*`` environment variables.

Every knob an operator may turn lives here so that ``docs/configuration.md`` can list them all and so
that production mode can refuse to start with the well-known development secret.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from rolecall.platform.cors import parse_origins
from rolecall.platform.pii import BlindIndex, KeyRing
from rolecall.platform.storage import FileStore, open_file_store

DEV_SECRET_KEY = "rolecall-development-secret-change-me"  # noqa: S105 - the point is to detect it
DEFAULT_ISSUER = "http://127.0.0.1:8000"


class InsecureConfiguration(RuntimeError):
    """Raised when production mode would start with a default secret."""


class MissingExtra(RuntimeError):
    """Raised when a setting needs an optional dependency that is not installed (``rolecall[s3]``)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ROLECALL_", env_file=None, extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./var/rolecall.db"
    database_pool_size: int = Field(default=20, ge=1, le=200)
    # PostgreSQL connections are replaced after this many seconds instead of being pinged on every
    # checkout (a round trip per request); a connection the server dropped fails one statement and
    # is replaced (docs/runbooks/RolecallHighErrorRate.md).
    database_pool_recycle_seconds: int = Field(default=1800, ge=30)
    database_echo: bool = False
    # The owner's URL `rolecall migrate` (and `rolecall db grant-app-role`) connect with, when the
    # API and the worker run as a least-privileged application role; unset, database_url.
    migrate_database_url: str | None = None

    secret_key: str = Field(default=DEV_SECRET_KEY, min_length=16)
    # The tokens' "iss" and the base of the OAuth metadata's endpoints. Unset, it follows
    # ROLECALL_PUBLIC_BASE_URL, else the address `rolecall serve --host --port` listens on (the CLI
    # sets it from there), else this default. Never taken from a request's Host header.
    issuer: str = DEFAULT_ISSUER
    audience: str = "rolecall-api"
    access_token_ttl_seconds: int = Field(default=900, ge=30, le=86_400)
    refresh_token_ttl_seconds: int = Field(default=30 * 86_400, ge=300)
    # How long an API process may reuse what the database said of an access token (revoked? user
    # still active, with which roles?). Capped at one second: a revocation made anywhere is obeyed
    # by every process within it (rolecall.identity.principal_cache, ADR 0018). 0 turns it off.
    auth_cache_seconds: float = Field(default=1.0, ge=0, le=1.0)
    # How long a sign-in on the staff pages lasts before the person signs in again.
    page_session_hours: int = Field(default=12, ge=1, le=24 * 30)
    signing_key_rotation_days: int = Field(default=90, ge=1)

    login_max_failures_per_account: int = Field(default=5, ge=1)
    login_max_failures_per_address: int = Field(default=20, ge=1)
    login_failure_window_seconds: int = Field(default=900, ge=1)
    trust_forwarded_for: bool = False

    max_request_bytes: int = Field(default=1_048_576, ge=1024)
    max_upload_bytes: int = Field(default=12 * 1_048_576, ge=1024)  # multipart routes: resumes and files
    idempotency_ttl_seconds: int = Field(default=86_400, ge=60)

    embedded_worker: bool = True
    outbox_poll_seconds: float = Field(default=0.5, gt=0)
    outbox_batch_size: int = Field(default=100, ge=1, le=10_000)
    outbox_max_attempts: int = Field(default=10, ge=1)
    outbox_retention_days: int = Field(default=7, ge=1)

    # --- RabbitMQ relay (issue 12, broker helper) ---
    # amqp://user:password@host:5672/vhost; set, `rolecall worker` publishes the outbox to RabbitMQ and
    # consumes it there (see docs/events-broker.md); unset, handlers run in process (embedded mode).
    broker_url: SecretStr | None = None
    broker_exchange: str = Field(default="rolecall.events", min_length=1, max_length=200)
    # Queues are named <prefix>.<handler name> (and .retry / .dead beside them).
    broker_queue_prefix: str = Field(default="rolecall", min_length=1, max_length=100)
    broker_prefetch: int = Field(default=32, ge=1, le=10_000)
    # Deliveries of one message to one handler before it goes to the handler's dead-letter queue.
    broker_max_attempts: int = Field(default=5, ge=1, le=100)
    # First retry delay; it doubles per attempt, capped at broker_retry_max_seconds.
    broker_retry_seconds: float = Field(default=1.0, gt=0)
    broker_retry_max_seconds: float = Field(default=300.0, gt=0)
    # --- end RabbitMQ relay ---

    # Personal-data encryption keys, "kid:base64key,kid:base64key" with the active key first; unset,
    # one key is derived from secret_key (fine for embedded mode; set explicit keys in production so
    # the secret key and the data keys can be rotated independently).
    pii_keys: SecretStr | None = None

    # Where uploaded files (resumes) are kept: a directory on a volume every API process shares.
    file_store_path: Path = Path("var/files")
    # Set to s3://bucket/prefix to keep files in an S3-compatible bucket instead of file_store_path;
    # credentials come from the AWS environment (variables, shared config or the pod's role).
    file_store_url: str | None = Field(
        default=None, pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^?#]*)?$"
    )
    file_store_endpoint_url: str | None = None  # for MinIO, Ceph and other S3-compatible services
    # Stored files no record points at are removed by housekeeping once they are this old (an upload
    # still being committed is younger than this).
    orphan_file_grace_hours: int = Field(default=24, ge=1, le=24 * 365)
    # A sweep that finds more orphans than this deletes none (a wrong database makes every file one).
    orphan_file_max_removals: int = Field(default=1000, ge=1)
    # The public status page of an application lives this long (the candidate's link stops working after).
    status_link_days: int = Field(default=365, ge=1, le=3650)
    # Applications accepted from one client address per hour on the public apply endpoint.
    apply_rate_per_hour: int = Field(default=20, ge=1, le=100_000)

    # --- incremental sync and rate limits (issue 12, sync/rate-limit helper) ---
    # The longest a write transaction may stay open: updated_since watermarks stay this far behind
    # the request time so a row stamped before a read and committed after it is not missed.
    sync_safety_seconds: float = Field(default=10.0, ge=0, le=3600)
    # redis://host:6379/0 shared by every API process for rate limits; unset, counts are per process.
    redis_url: SecretStr | None = None
    rate_limit_enabled: bool = True
    # Prefix of the rate-limit keys in Redis (several deployments may share one Redis).
    rate_limit_key_prefix: str = Field(default="rolecall", min_length=1, max_length=100)
    # Public board API and board pages: requests per minute per client address (anonymous callers).
    rate_limit_board_per_minute: int = Field(default=120, ge=1, le=1_000_000)
    # The same routes called with an access token: requests per minute per API client or user.
    rate_limit_client_per_minute: int = Field(default=600, ge=1, le=1_000_000)
    # Single sign-on starts and provider callbacks per client address per minute: each one costs a
    # call to the identity provider, so an address cannot make Rolecall hammer it.
    rate_limit_sign_in_per_minute: int = Field(default=30, ge=1, le=1_000_000)
    # --- end incremental sync and rate limits ---

    # --- e-mail (rolecall.notifications, docs/email.md) ---
    # smtp://user:pass@host:587 (STARTTLS when offered; add ?starttls=require to insist) or
    # smtps://user:pass@host:465 (implicit TLS). Unset: messages are written as .eml files to
    # mail_outbox_dir (development and embedded mode; shown at /app/dev/mail in development).
    smtp_url: SecretStr | None = None
    mail_from: str = "Rolecall <no-reply@rolecall.invalid>"
    mail_outbox_dir: Path = Path("var/mail")
    # How often the sender looks for due messages when run as its own loop (seconds).
    mail_poll_seconds: float = Field(default=5.0, gt=0)
    # --- end e-mail ---

    search_backend: Literal["tantivy", "database"] = "tantivy"
    search_index_path: Path = Path("var/search-index")
    search_sync_seconds: float = Field(default=0.5, ge=0)  # 0 turns the background index sync off
    board_cache_seconds: int = Field(default=60, ge=0, le=86_400)
    # Where the public web pages live: posting links, feeds and JSON-LD point at the job pages under
    # it. Unset, postings link to the JSON API and feeds use the request's base URL.
    public_base_url: str | None = None
    # Origins whose scripts may read the public board API (CORS), comma-separated; none by default.
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    # Hosts of assessment partners and vendors that may resolve to private addresses (on-premise
    # systems, tests), comma-separated; without them only public https addresses are called.
    assessment_partner_allowed_hosts: Annotated[tuple[str, ...], NoDecode] = ()

    # --- webhooks and the event feed (rolecall.webhooks, docs/webhooks.md) ---
    # Webhook targets that may resolve to private or loopback addresses (on-premise receivers, tests):
    # comma-separated host names and CIDR blocks; they may also use plain http.
    webhook_allowed_hosts: Annotated[tuple[str, ...], NoDecode] = ()
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # Deliveries sent at once by one delivery round, and leased per round.
    webhook_concurrency: int = Field(default=20, ge=1, le=500)
    webhook_batch_size: int = Field(default=200, ge=1, le=10_000)
    # An endpoint is disabled once it has failed without a success for this long, or once this many
    # events in a row used up all their attempts.
    webhook_disable_after_hours: int = Field(default=72, ge=1)
    webhook_disable_after_failed_events: int = Field(default=10, ge=1)
    # Finished deliveries (and their attempts) are kept in the delivery log this long.
    webhook_log_retention_days: int = Field(default=30, ge=1)
    # GET /v1/events shows an event only once it is this old, so a transaction that commits late
    # cannot slip an older id behind a client's cursor.
    event_feed_settle_seconds: float = Field(default=5.0, ge=0, le=300)
    # --- end webhooks ---

    # Identity providers (OpenID Connect single sign-on, docs/sso.md) that may resolve to private or
    # loopback addresses (an on-premise Keycloak, tests): comma-separated host names and CIDR blocks;
    # they may also use plain http. Empty: only https issuers whose every address is public.
    sso_allowed_hosts: Annotated[tuple[str, ...], NoDecode] = ()

    # Freeze the objects alive at start-up out of the garbage collector's full passes (see app.py).
    gc_freeze: bool = True

    log_level: str = "INFO"
    log_json: bool = True

    @field_validator("public_base_url")
    @classmethod
    def _absolute_base_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        base = value.strip().rstrip("/")
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an absolute http:// or https:// URL, such as https://jobs.example.com")
        if parts.query or parts.fragment or "?" in base or "#" in base:
            raise ValueError("must not have a query or fragment (a path prefix is fine)")
        return base

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: Any) -> tuple[str, ...]:
        return parse_origins(value)

    @field_validator(
        "assessment_partner_allowed_hosts", "webhook_allowed_hosts", "sso_allowed_hosts", mode="before"
    )
    @classmethod
    def _hosts(cls, value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            return tuple(h.strip() for h in value.split(",") if h.strip())
        return tuple(value or ())

    @field_validator("file_store_url")
    @classmethod
    def _s3_needs_boto3(cls, value: str | None) -> str | None:
        # Said at start-up, by name, rather than as an ImportError on the first upload.
        if value and importlib.util.find_spec("boto3") is None:
            raise MissingExtra(
                "ROLECALL_FILE_STORE_URL names an S3 bucket, which needs boto3: "
                "install Rolecall with the s3 extra (pip install 'rolecall[s3]')"
            )
        return value

    @model_validator(mode="after")
    def _issuer_follows_the_public_address(self) -> Settings:
        # Only when ROLECALL_ISSUER was not given (or given empty): an explicit issuer always wins.
        if not self.issuer.strip() or ("issuer" not in self.model_fields_set and self.public_base_url):
            self.issuer = self.public_base_url or DEFAULT_ISSUER
        return self

    @model_validator(mode="after")
    def _refuse_default_secrets_in_production(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEV_SECRET_KEY:
            raise InsecureConfiguration(
                "ROLECALL_SECRET_KEY still holds the development default; set a long random value "
                "before running with ROLECALL_ENVIRONMENT=production"
            )
        return self

    @property
    def public_base(self) -> str:
        """The address every absolute link is built on: ROLECALL_PUBLIC_BASE_URL, else the issuer.

        Never a request's Host header: that is chosen by the caller, and the board's feeds and
        pages are cached by shared caches, so one forged header would serve links to the forger's
        host to everyone. Production refuses to start without the setting (:meth:`check_public_url`).
        """
        return (self.public_base_url or self.issuer).rstrip("/")

    def check_public_url(self) -> None:
        """Raise :class:`InsecureConfiguration` when production has no ROLECALL_PUBLIC_BASE_URL.

        Called when the API or the worker starts (not when settings are read, so `rolecall migrate`
        and the other admin commands still run): in development the issuer's address stands in."""
        if self.environment == "production" and not self.public_base_url:
            raise InsecureConfiguration(
                "ROLECALL_PUBLIC_BASE_URL is not set; set it to the public address of the web pages "
                "and the API (such as https://jobs.example.com) before running with "
                "ROLECALL_ENVIRONMENT=production, so links in feeds, pages and e-mail never follow a "
                "request's Host header"
            )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def migration_database_url(self) -> str:
        """Where schema changes run: the owner's URL if one is set, else the application's."""
        return self.migrate_database_url or self.database_url

    # One place that turns settings into the personal-data tools every process needs (API, worker,
    # CLI commands, demo), so they cannot be built differently in different places.
    def pii_keyring(self) -> KeyRing:
        return KeyRing.load(
            self.pii_keys.get_secret_value() if self.pii_keys else None, secret_key=self.secret_key
        )

    def blind_index(self) -> BlindIndex:
        return BlindIndex.derived(self.secret_key)

    def file_store(self) -> FileStore:
        return open_file_store(
            self.file_store_url, self.file_store_path, endpoint_url=self.file_store_endpoint_url
        )


def address_url(host: str, port: int) -> str:
    """The http URL of a listening address, for the issuer of a server started with --host/--port.

    A wildcard bind (``0.0.0.0``, ``::``) is not an address anyone can call, so the loopback address
    stands in for it; a server reached under another name sets ROLECALL_PUBLIC_BASE_URL.
    """
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal in a URL
    return f"http://{host}:{port}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
