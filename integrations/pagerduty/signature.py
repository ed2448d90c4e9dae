"""Webhooks v3 signatures: `X-PagerDuty-Signature: v1=<hex>,v1=<hex>` over the raw body."""

import hashlib
import hmac


def sign(secret: str, body: bytes) -> str:
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secrets: list[str], body: bytes, header: str | None) -> bool:
    """Any signature matching any of our secrets is valid (PagerDuty lists several while a
    secret is rotated); compared in constant time."""
    offered = [part.strip()[3:] for part in (header or "").split(",")
               if part.strip().startswith("v1=")]
    if not offered or not secrets:
        return False
    ok = False
    for secret in secrets:
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        for candidate in offered:
            ok |= hmac.compare_digest(expected, candidate.lower())
    return ok
