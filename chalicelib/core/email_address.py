"""Email addresses as supporters type them, checked one way on both sides: syntax only, no DNS.

Import this module where it is used, not at the top of a module: it loads email-validator, which
the notify function needs only for a Reply-To and the API only once it builds its validators.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, ValidatedEmail, validate_email


def checked_address(text: str) -> ValidatedEmail | None:
    """The address's parts (ASCII domain included) if `text` is one valid address, else None.

    Internationalised addresses (анна@пример.рф) are accepted; quoted local parts, domain literals
    and display names are not, and no DNS lookup is made: a supporter's address is theirs to know.
    """
    try:
        return validate_email(text, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError:
        return None


def is_email(instance: object) -> bool:
    """The JSON Schema "email" format: like every format, it says nothing about non-strings."""
    return not isinstance(instance, str) or checked_address(instance) is not None
