"""schemathesis against the server's own OpenAPI schema, in-process: never a 5xx."""

import schemathesis
from hypothesis import HealthCheck, settings

from medxtract_lab.api import ServiceSettings, create_app

app = create_app(ServiceSettings(max_upload_bytes=1024 * 1024, workers=1, queue=4))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_on_generated_requests(case) -> None:
    response = case.call()
    assert response.status_code < 500, response.text
