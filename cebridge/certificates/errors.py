"""Errors of the certificates area, placed on the one tree of :mod:`cebridge.errors`."""

from __future__ import annotations

from cebridge.errors import CertificateError, InputError


class CertificateInputError(InputError, CertificateError):
    """A provider profile, template or completion cannot make a valid certificate; the message says why (exit 2)."""


class CertificateNotFound(InputError, CertificateError):
    """No certificate has that id (exit 2)."""
