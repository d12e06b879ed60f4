"""The one exception tree of cebridge, grouped by what the caller should do.

::

    CebridgeError                      user_message (safe to show a clinician) + str() internal detail
    ├── InputError                     bad input or usage: the CLI exits 2
    │   ├── UnknownBoard
    │   ├── RulePackError              a rule pack file that does not validate
    │   └── MissingFact                a fact the pack needs and the license lacks
    ├── ConfigError                    settings or environment are wrong
    ├── PluginError
    │   ├── PluginNotFound
    │   └── PluginLoadError
    ├── ConnectorError
    │   ├── FatalConnectorError        stop this connector and tell a person
    │   │   ├── AuthenticationError    credentials rejected (names the config field)
    │   │   └── ProviderContractError  the provider answered something we cannot read
    │   ├── RetriableConnectorError    back off and try again
    │   │   ├── RateLimited
    │   │   └── ProviderUnavailable
    │   └── SkippableRecordError       log the record id and go on
    ├── StorageError
    │   ├── NotFound
    │   └── ConcurrencyConflict
    ├── SinkError
    │   ├── SinkUnavailable            retried through the outbox
    │   └── SinkRejected               dead-lettered
    ├── CertificateError
    └── LtiError                       a launch or LTI service call that is not valid (a 4xx, never a 500)

Every error carries a ``user_message`` that never contains secrets, tokens or clinician data beyond what
the user themself sent; ``str(err)`` may carry more internal detail for logs (still never secrets).
"""

from __future__ import annotations


class CebridgeError(Exception):
    """Root of every error cebridge raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, user_message: str | None = None) -> None:
        super().__init__(message)
        self.user_message = user_message or message


class InputError(CebridgeError):
    """The input (a file, a flag, a request body) is wrong; the caller must fix it."""

    exit_code = 2


class UnknownBoard(InputError):
    """No rule pack has this id."""


class RulePackError(InputError):
    """A rule pack file does not validate; the message names the file, the path inside it and the problem."""


class MissingFact(InputError):
    """The rule pack needs a fact about the license (a date, an attribute) that was not given."""


class ConfigError(CebridgeError):
    """Settings or the environment are wrong."""

    exit_code = 2


class PluginError(CebridgeError):
    """A connector or sink plugin could not be used."""


class PluginNotFound(PluginError):
    """No plugin is installed under that name."""

    exit_code = 2


class PluginLoadError(PluginError):
    """A plugin is installed but failed to import or is not a plugin class."""


class ConnectorError(CebridgeError):
    """A connector could not pull what it was asked for."""


class FatalConnectorError(ConnectorError):
    """Retrying will not help: stop this connector and tell a person."""


class AuthenticationError(FatalConnectorError):
    """The provider rejected the credentials; the message names the config field that holds them."""


class ProviderContractError(FatalConnectorError):
    """The provider answered something that does not match its documented shape."""


class RetriableConnectorError(ConnectorError):
    """A passing fault: back off and try again."""


class RateLimited(RetriableConnectorError):
    """The provider throttled us."""


class ProviderUnavailable(RetriableConnectorError):
    """Timeouts, dropped connections, 5xx."""


class SkippableRecordError(ConnectorError):
    """One record is unusable; log its id and go on with the rest."""


class StorageError(CebridgeError):
    """The store could not do what was asked."""


class NotFound(StorageError):
    """The thing asked for does not exist (or is not visible to the caller)."""

    exit_code = 2


class ConcurrencyConflict(StorageError):
    """Someone else changed the same thing at the same time; try again."""


class SinkError(CebridgeError):
    """A sink could not deliver."""


class SinkUnavailable(SinkError):
    """The receiver is down or timed out; the outbox retries."""


class SinkRejected(SinkError):
    """The receiver refused the delivery for good; it goes to the dead-letter list."""


class CertificateError(CebridgeError):
    """A certificate or credential could not be issued or verified."""


class LtiError(CebridgeError):
    """An LTI launch or service call that is not valid; answered with a 4xx."""

    status_code = 400
