"""Invite tokens: 256 random bits handed out once, only their sha256 kept.

Looking an invite up by the hash of the presented token means no stored secret is ever
compared byte by byte with attacker input, so there is no timing oracle on the token itself.
"""

import hashlib
import re
import secrets

from convenor.programmes.models import Invite

TOKEN_BYTES = 32
# token_urlsafe(32) is 43 characters of the URL-safe base64 alphabet; anything else is not ours.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


def new_token() -> tuple[str, str]:
    """Return (token for the link, hash to store)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def find_invite(token: str) -> Invite | None:
    """The invite for a presented token whatever its state, or None when it matches nothing."""
    if not _TOKEN_SHAPE.fullmatch(token):
        return None
    return (
        Invite.objects.select_related("programme", "participant")
        .filter(token_hash=hash_token(token))
        .first()
    )
