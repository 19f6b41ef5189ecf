"""What a third party would run against the published contract: schemathesis, every check.

Each operation of ``/openapi.json`` becomes its own test (so xdist spreads them), called in process
with an admin token over seeded data. Every check is on: a server error, a status code or content
type the document does not declare, a body or header that does not match its schema, invalid data
accepted, valid data refused (except for the state-dependent answers ``schemathesis.toml`` lists,
with its reasons) all fail. The budget is small for ``make test``;
``ROLECALL_CONTRACT_EXAMPLES=100 pytest tests/contract -n 0`` runs a deeper pass (docs/api.md).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.config import SchemathesisConfig

from tests.contract.conftest import APP, Seeded

EXAMPLES = int(os.environ.get("ROLECALL_CONTRACT_EXAMPLES", "5"))
CONFIG = SchemathesisConfig.from_path(Path(__file__).parents[2] / "schemathesis.toml")

schema = schemathesis.openapi.from_dict(APP.openapi(), config=CONFIG)
schema.app = APP


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_operation_keeps_its_contract(case: schemathesis.Case, seeded: Seeded) -> None:
    if case.headers and "Idempotency-Key" in case.headers:
        # A client sends a fresh key per distinct request; generated keys repeat across examples.
        case.headers["Idempotency-Key"] = str(uuid.uuid4())
    case.call_and_validate(headers=seeded.headers)
