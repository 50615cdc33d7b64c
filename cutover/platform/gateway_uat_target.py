"""Where a Gateway API cluster sends one service's testers (cutover.platform.kubernetes.uat_routes):
a plain model, so a platform config can name it without loading the Kubernetes client."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class GatewayUatTarget(BaseModel):
    """Where a Gateway API cluster sends one service's testers: the HTTPRoute that serves the service
    (in `namespace`) gets rules to green's Service (in `green_namespace`, default the route's; another
    namespace needs a ReferenceGrant there). With `blue_service`, only the route's rules that send
    traffic to that Service get a UAT twin; without it, every rule does."""

    model_config = ConfigDict(extra="forbid")

    httproute: Annotated[str, Field(min_length=1)]
    namespace: Annotated[str, Field(min_length=1)]
    green_service: Annotated[str, Field(min_length=1)]
    port: Annotated[int, Field(ge=1, le=65535)]
    green_namespace: str | None = None
    blue_service: str | None = None
