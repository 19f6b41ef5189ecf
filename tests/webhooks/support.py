"""A real HTTP receiver in the test process, a resolver that answers without DNS, and API helpers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from tests.factories import Tenant


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each POST with the next status of ``statuses`` (the last one repeats)."""

    url: str
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=lambda: [204])
    answer: bytes = b""
    certificate: bytes = b""


def self_signed(hostname: str) -> tuple[bytes, bytes]:
    """A certificate for ``hostname`` that is its own trust anchor, and its key (PEM)."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


@contextmanager
def receiver(*statuses: int, answer: bytes = b"", tls_hostname: str | None = None) -> Iterator[Receiver]:
    """A receiver on 127.0.0.1; with ``tls_hostname``, over TLS with a certificate for that name
    (``Receiver.certificate`` is the PEM a client must trust) at https://<tls_hostname>:<port>/hooks."""
    state = Receiver(url="", statuses=list(statuses) or [204], answer=answer)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            with lock:
                state.requests.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                status = state.statuses.pop(0) if len(state.statuses) > 1 else state.statuses[0]
            self.send_response(status)
            self.send_header("content-length", str(len(state.answer)))
            self.end_headers()
            self.wfile.write(state.answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    if tls_hostname is not None:
        import ssl
        import tempfile

        certificate, key = self_signed(tls_hostname)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with tempfile.NamedTemporaryFile() as cert_file, tempfile.NamedTemporaryFile() as key_file:
            cert_file.write(certificate)
            key_file.write(key)
            cert_file.flush()
            key_file.flush()
            context.load_cert_chain(cert_file.name, key_file.name)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        state.url = f"https://{tls_hostname}:{server.server_address[1]}/hooks"
        state.certificate = certificate
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class FakeResolver:
    """Answers from a table (host -> addresses), changeable between calls: DNS rebinding on demand."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host not in self.answers:
            raise OSError(f"{host} does not resolve")
        return list(self.answers[host])


async def create_endpoint(
    client: httpx.AsyncClient, tenant: Tenant, url: str, **extra: Any
) -> dict[str, Any]:
    body = {"url": url, "event_types": ["*"], **extra}
    response = await client.post("/v1/webhooks/endpoints", headers=tenant.headers, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    created["etag"] = response.headers["etag"]
    return created


async def emit_as(sessionmaker: Any, tenant: Tenant, *events: Any) -> None:
    """Write events to the tenant's outbox, as a context's service would."""
    from rolecall.platform.db import transaction
    from rolecall.platform.events.outbox import emit
    from rolecall.platform.tenancy import bind_organisation

    async with transaction(sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        for event in events:
            emit(session, event)
