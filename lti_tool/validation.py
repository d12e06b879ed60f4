"""Validation of an id_token launch, on top of pylti1p3's MessageLaunch.

pylti1p3 does the JWT format split and the per-message-type checks (version 1.3.0, roles present, sub, the
resource link id, deep-linking settings). This class replaces the parts measured as unsafe or unsuitable
(shared docs lti.md §3):

* state is read from the server-side login record, not from a cookie or the Flask session;
* the nonce must equal the one the tool sent for *this* state (and is consumed once, by the caller);
* the registration comes from the login record; ``iss``, ``aud`` and ``azp`` must match it;
* the signature is checked with the platform's key for the header's ``kid`` (cached JWKS, refetched on an
  unknown kid), RS256 only, ``exp``/``iat`` required, ``iat`` not in the future;
* ``target_link_uri`` must be on the tool's own origin and equal to the one of the login request;
* every refusal is a :class:`~lti_tool.errors.LaunchRejected` (a 4xx) naming the failed check.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

import jwt
import requests
from pylti1p3.contrib.flask.request import FlaskRequest
from pylti1p3.cookie import CookieService
from pylti1p3.exception import LtiException
from pylti1p3.message_launch import MessageLaunch
from pylti1p3.session import SessionService

from lti_tool.errors import LaunchRejected
from lti_tool.platform_keys import PlatformKeys
from lti_tool.registry import PlatformRecord, Registrations, to_pylti_registration

#: Clock skew tolerated between platform and tool, in seconds.
LEEWAY_SECONDS = 60
MESSAGE_TYPE = "https://purl.imsglobal.org/spec/lti/claim/message_type"
TARGET_LINK_URI = "https://purl.imsglobal.org/spec/lti/claim/target_link_uri"
DEPLOYMENT_ID = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
SUPPORTED_MESSAGES = ("LtiResourceLinkRequest", "LtiDeepLinkingRequest")


@dataclass(frozen=True)
class LoginState:
    """What the tool stored when it answered the login request."""

    state: str
    nonce: str
    platform_id: int
    binding_hash: str
    storage_target: str | None
    login_params: dict[str, Any]
    pending_launch_id: str | None
    expires_at: int


class _NoCookies(CookieService):
    """pylti1p3 insists on a cookie service; state binding is checked by the view, not here."""

    def get_cookie(self, name: str) -> str | None:
        return None

    def set_cookie(self, name: str, value: str | int, exp: int | None = 3600) -> None:
        return None


def same_origin(url: str, base_url: str) -> bool:
    """Whether ``url`` is on the tool's origin (scheme, host and port of ``base_url``)."""
    a, b = urlsplit(url), urlsplit(base_url)
    return (a.scheme, a.netloc.lower()) == (b.scheme, b.netloc.lower())


class CebridgeMessageLaunch(MessageLaunch[Any, Any, Any, Any]):
    """One launch POST checked against its server-side login state."""

    def __init__(
        self,
        form: dict[str, str],
        login: LoginState,
        registrations: Registrations,
        keys: PlatformKeys,
        http: requests.Session,
        base_url: str,
    ) -> None:
        req = FlaskRequest(  # type: ignore[no-untyped-call]
            cookies={}, session={}, request_data=form or {"_": ""}, request_is_secure=True
        )
        super().__init__(req, None, SessionService(req), _NoCookies(), requests_session=http)
        self._login = login
        self._registrations = registrations
        self._keys = keys
        self._base_url = base_url
        self.platform: PlatformRecord | None = None

    def _get_request_param(self, key: str) -> str:
        value: str = self._request.get_param(key)
        return value

    # ------------------------------------------------------------------ the checks, in order

    def validate(self) -> CebridgeMessageLaunch:
        self._validated = True
        try:
            self.validate_jwt_format()
            self._validate_header()
            self.validate_registration()
            self.validate_jwt_signature()
            self.validate_nonce()
            self.validate_deployment()
            self.validate_message()
            self._validate_target_link_uri()
        except LtiException as exc:
            self._validated = False
            raise LaunchRejected("invalid_launch", f"the LTI message is not valid: {exc}") from None
        except Exception:
            self._validated = False
            raise
        return self

    def _validate_header(self) -> None:
        header = self._jwt.get("header") or {}
        if not isinstance(header, dict) or header.get("alg") != "RS256":
            raise LaunchRejected("bad_algorithm", "the id_token must be signed with RS256", status=401)
        if not header.get("kid"):
            raise LaunchRejected("missing_kid", "the id_token header names no key (kid)", status=401)
        body = self._jwt.get("body")
        if not isinstance(body, dict):
            raise LaunchRejected("invalid_launch", "the id_token payload is not a JSON object")

    def validate_registration(self) -> CebridgeMessageLaunch:
        body = self._jwt["body"]
        platform = self._registrations.get(self._login.platform_id)
        if body.get("iss") != platform.issuer:
            raise LaunchRejected("wrong_issuer", "the id_token comes from another platform than the login", status=401)
        aud = body.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if platform.client_id not in audiences:
            raise LaunchRejected("wrong_audience", "the id_token is not addressed to this tool's client id", status=401)
        azp = body.get("azp")
        if (len(audiences) > 1 and azp is None) or (azp is not None and azp != platform.client_id):
            raise LaunchRejected("wrong_audience", "the id_token's azp is not this tool's client id", status=401)
        self.platform = platform
        self._registration = to_pylti_registration(platform, None)
        return self

    def validate_jwt_signature(self) -> CebridgeMessageLaunch:
        assert self.platform is not None
        header = self._jwt["header"]
        alg, key = self._keys.key_for(self.platform.key_set_url, str(header["kid"]))
        if alg != "RS256":
            raise LaunchRejected("bad_algorithm", "the platform key is not an RS256 key", status=401)
        try:
            jwt.decode(
                self._get_id_token(),
                key,
                algorithms=["RS256"],
                audience=self.platform.client_id,
                issuer=self.platform.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud"], "verify_sub": False, "verify_jti": False},
            )
        except jwt.ExpiredSignatureError:
            raise LaunchRejected("expired", "the id_token has expired", status=401) from None
        except jwt.ImmatureSignatureError:
            raise LaunchRejected("not_yet_valid", "the id_token was issued in the future", status=401) from None
        except jwt.InvalidSignatureError:
            raise LaunchRejected("bad_signature", "the id_token signature does not verify", status=401) from None
        except jwt.InvalidTokenError as exc:
            raise LaunchRejected("invalid_token", f"the id_token is not valid: {exc}", status=401) from None
        return self

    def validate_nonce(self) -> CebridgeMessageLaunch:
        nonce = self._jwt["body"].get("nonce")
        if not nonce or not isinstance(nonce, str):
            raise LaunchRejected("missing_nonce", "the id_token carries no nonce")
        if not hmac.compare_digest(nonce.encode(), self._login.nonce.encode()):
            raise LaunchRejected("wrong_nonce", "the id_token's nonce is not the one this login sent", status=401)
        return self

    def validate_deployment(self) -> CebridgeMessageLaunch:
        assert self.platform is not None
        deployment_id = self._jwt["body"].get(DEPLOYMENT_ID)
        if not deployment_id:
            raise LaunchRejected("missing_deployment", "the id_token names no deployment_id")
        if str(deployment_id) not in self.platform.deployment_ids:
            raise LaunchRejected(
                "unknown_deployment",
                f"deployment {str(deployment_id)!r} is not registered for this platform registration",
            )
        return self

    def validate_message(self) -> CebridgeMessageLaunch:
        body = self._jwt["body"]
        sub = body.get("sub")
        if isinstance(sub, int) and not isinstance(sub, bool):
            body["sub"] = str(sub)  # some platforms send a numeric sub; LTI identifies users by the string
        message_type = body.get(MESSAGE_TYPE)
        if not message_type:
            raise LaunchRejected("missing_message_type", "the id_token names no message_type")
        if message_type not in SUPPORTED_MESSAGES:
            raise LaunchRejected("unsupported_message", f"message type {str(message_type)[:64]!r} is not supported")
        super().validate_message()
        return self

    def _validate_target_link_uri(self) -> None:
        target = self._jwt["body"].get(TARGET_LINK_URI)
        if self._jwt["body"].get(MESSAGE_TYPE) == "LtiResourceLinkRequest" and not target:
            raise LaunchRejected("missing_target_link_uri", "the id_token names no target_link_uri")
        if target is None:
            return
        if not isinstance(target, str) or not same_origin(target, self._base_url):
            raise LaunchRejected("foreign_target", "the launch's target_link_uri is not on this tool")
        asked = self._login.login_params.get("target_link_uri")
        if asked and asked != target:
            raise LaunchRejected("target_mismatch", "the launch's target_link_uri differs from the login request's")

    # ------------------------------------------------------------------ results

    @property
    def body(self) -> dict[str, Any]:
        """The validated id_token payload."""
        return cast(dict[str, Any], self._jwt["body"])
