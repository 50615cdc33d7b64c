"""A UAT route: testers who send a header (or a cookie) reach green while the public stays on blue.

The rules here are the strictest of the platforms that carry the route (ALB, Gateway API, local),
so a match that validates means the same on each: an ALB header name is at most 40 characters and
its values treat `*` and `?` as wildcards; a cookie value is RFC 6265's cookie-octets. The plan's
`uat.route`; the adapters (cutover.platform) open, read back and close it.
"""

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

HEADER_NAME_MAX = 40  # an ALB http-header condition's HttpHeaderName
VALUE_MAX = 128  # an ALB condition value, the cookie's `*name=value*` included
# RFC 9110 token characters: what a header (or cookie) name may hold.
TOKEN = r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$"
# Visible ASCII but for the characters a cookie-octet excludes (" , ; \) and ALB's wildcards (* ?).
MATCH_VALUE = r"^[!#$%&'()+\-./0-9:<=>@A-Z\[\]^_`a-z{|}~]+$"
# Headers that carry credentials, or the cookies (`cookie:` matches those), never name a UAT route:
# a routing rule is readable by whoever may read the load balancer.
FORBIDDEN_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "host"})

Name = Annotated[str, StringConstraints(min_length=1, max_length=HEADER_NAME_MAX, pattern=TOKEN)]
MatchValue = Annotated[str, StringConstraints(min_length=1, max_length=VALUE_MAX, pattern=MATCH_VALUE)]


class UatMatch(BaseModel):
    """What marks a tester's request: a header with this value, or a cookie with it (exactly one)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    header: Name | None = None
    cookie: Annotated[str, StringConstraints(min_length=1, pattern=TOKEN)] | None = None
    value: MatchValue

    @field_validator("header")
    @classmethod
    def _not_a_credential(cls, header: str | None) -> str | None:
        if header is not None and header.lower() in FORBIDDEN_HEADERS:
            raise ValueError(
                f"{header} cannot mark a UAT route (credentials and cookies are not routing keys; "
                "for a cookie use `cookie:`)"
            )
        return header

    @model_validator(mode="after")
    def _one_of_header_or_cookie(self) -> Self:
        if (self.header is None) == (self.cookie is None):
            raise ValueError("give exactly one of header or cookie")
        if self.cookie is not None and len(self.alb_cookie_value) > VALUE_MAX:
            raise ValueError(
                f"cookie name and value together must be at most {VALUE_MAX - 3} characters "
                "(an ALB matches `*name=value*`)"
            )
        return self

    @property
    def alb_cookie_value(self) -> str:
        """The wildcard an ALB matches the Cookie header against (it has no cookie condition)."""
        return f"*{self.cookie}={self.value}*"

    def __str__(self) -> str:
        return f"header {self.header}: {self.value}" if self.header else f"cookie {self.cookie}={self.value}"


class UatRoute(BaseModel):
    """One service's UAT route: its requests that carry the match go to green."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    namespace: Annotated[str, Field(min_length=1)]
    service: Annotated[str, Field(min_length=1)]
    match: UatMatch

    @property
    def key(self) -> str:
        """How the adapters' configuration names the service."""
        return f"{self.namespace}/{self.service}"


class UatSettings(BaseModel):
    """The plan's `uat:` section: how testers reach green while the UAT gate is open."""

    model_config = ConfigDict(extra="forbid")

    route: UatMatch | None = Field(
        default=None, description="a header or cookie whose requests go to green, e.g. X-Cutover: green"
    )
