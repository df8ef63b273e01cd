"""The one exception tree of Bildungsnetz.

Callers catch by meaning; third-party exceptions (pyoxigraph, rdflib, httpx, lxml) are
translated at the boundary where they are raised. Each error carries the HTTP status the API
answers with, and the exit code the CLI ends with::

    RegistryError                       500 / exit 2
    ├── ConfigError                     500 / exit 2   sources file or settings unusable
    ├── InputError                      400 / exit 2   input that cannot be read at all
    │   ├── ParseError                  400            syntax error (file, line, column)
    │   ├── UnsupportedFormat           415            no parser for this content
    │   ├── InputTooLarge               413            over a size limit
    │   └── RemoteContextRefused        400            JSON-LD @context pointing elsewhere
    ├── HarvestError                    502            a feed could not be harvested
    │   ├── FetchError                  502            HTTP or network failure
    │   ├── AddressRefused              502            private/loopback address not allowed
    │   └── OwnershipError              409            nothing left after the ownership check
    ├── ValidationFailed                422 / exit 1   the data violates the core shapes
    ├── QueryError                      400            a SPARQL query the endpoint refuses
    │   ├── QuerySyntaxError            400
    │   ├── UpdateRefused               403            the public endpoint is read-only
    │   ├── ServiceRefused              403            SERVICE target not on the allow-list
    │   ├── QueryTimeout                503            ran longer than the configured timeout
    │   └── ResultTooLarge              413            over the result-size cap
    ├── NotAcceptable                   406            no representation for the Accept header
    ├── InvalidParameter                422            a request parameter is out of range
    └── NotFound                        404
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AddressRefused",
    "ConfigError",
    "FetchError",
    "HarvestError",
    "InputError",
    "InputTooLarge",
    "InvalidParameter",
    "NotAcceptable",
    "NotFound",
    "OwnershipError",
    "ParseError",
    "QueryError",
    "QuerySyntaxError",
    "QueryTimeout",
    "RegistryError",
    "RemoteContextRefused",
    "ResultTooLarge",
    "ServiceRefused",
    "UnsupportedFormat",
    "UpdateRefused",
    "ValidationFailed",
]


class RegistryError(Exception):
    """Base of every error Bildungsnetz raises on purpose."""

    status: ClassVar[int] = 500
    exit_code: ClassVar[int] = 2
    #: short machine-readable kind, used as ``error`` in the JSON error shape
    kind: ClassVar[str] = "registry_error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = {k: v for k, v in details.items() if v is not None}

    def to_dict(self) -> dict[str, object]:
        """The JSON error shape shared by every API error."""
        return {"error": self.kind, "status": self.status, "message": self.message, **self.details}


class ConfigError(RegistryError):
    kind = "config_error"


class InputError(RegistryError):
    status = 400
    kind = "input_error"


class ParseError(InputError):
    kind = "parse_error"

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        column: int | None = None,
        **details: object,
    ) -> None:
        super().__init__(message, source=source, line=line, column=column, **details)
        self.source = source
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = self.source or "input"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


class UnsupportedFormat(InputError):
    status = 415
    kind = "unsupported_format"


class InputTooLarge(InputError):
    status = 413
    kind = "input_too_large"


class RemoteContextRefused(InputError):
    kind = "remote_context_refused"


class HarvestError(RegistryError):
    status = 502
    kind = "harvest_error"


class FetchError(HarvestError):
    kind = "fetch_error"


class AddressRefused(HarvestError):
    kind = "address_refused"


class OwnershipError(HarvestError):
    status = 409
    kind = "ownership_error"


class ValidationFailed(RegistryError):
    status = 422
    exit_code = 1
    kind = "validation_failed"


class QueryError(RegistryError):
    status = 400
    kind = "query_error"


class QuerySyntaxError(QueryError):
    kind = "query_syntax_error"


class UpdateRefused(QueryError):
    status = 403
    kind = "update_refused"


class ServiceRefused(QueryError):
    status = 403
    kind = "service_refused"


class QueryTimeout(QueryError):
    status = 503
    kind = "query_timeout"


class ResultTooLarge(QueryError):
    status = 413
    kind = "result_too_large"


class NotAcceptable(RegistryError):
    status = 406
    kind = "not_acceptable"


class InvalidParameter(RegistryError):
    status = 422
    kind = "invalid_parameter"

    def __init__(self, message: str, *, parameter: str, **details: object) -> None:
        super().__init__(message, parameter=parameter, **details)
        self.parameter = parameter


class NotFound(RegistryError):
    status = 404
    kind = "not_found"
