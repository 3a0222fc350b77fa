"""Devices and their API tokens: registration, issuing (shown once), revocation, authentication."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from exam_center.domain.contact import parse_text
from exam_center.domain.errors import N_, Conflict, NotFound
from exam_center.models import Device, DeviceKind, DeviceToken, utcnow

from .audit import Actor, record
from .lookup import fetch
from .organisations import get_exam_centre

TOKEN_PREFIX = "ecd_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def device_snapshot(device: Device) -> dict:
    return {"kind": device.kind, "name": device.name, "organisation_id": device.organisation_id,
            "location": device.location, "active": device.active}


def register_device(session: Session, actor: Actor, *, kind: DeviceKind, name: str, organisation_id: int,
                    location: str = "") -> Device:
    name = parse_text(name, field="name", max_length=60)
    org = get_exam_centre(session, organisation_id, Conflict(
        "device.organisation_kind", N_("Devices belong to an exam centre."), field="organisation_id"))
    if session.scalar(sa.select(Device.id).where(Device.organisation_id == org.id, Device.name == name)):
        raise Conflict("device.duplicate_name", N_("This exam centre already has a device named '%(name)s'."),
                       field="name", name=name)
    device = Device(kind=kind, name=name, organisation_id=org.id,
                    location=parse_text(location, field="location", max_length=100, required=False))
    session.add(device)
    session.flush()
    record(session, actor, "device.register", "device", device.id, after=device_snapshot(device))
    return device


def get_device(session: Session, device_id: int) -> Device:
    return fetch(session, Device, device_id, NotFound("device.not_found", N_("No such device."), field="device_id"))


def issue_token(session: Session, actor: Actor, device_id: int) -> tuple[DeviceToken, str]:
    """Create a token; the secret is returned once and only its hash is kept."""
    device = get_device(session, device_id)
    if not device.active:
        raise Conflict("device.inactive", N_("The device is deactivated."), field="device_id")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = DeviceToken(device_id=device.id, token_sha256=_sha256(secret), prefix=secret[:12])
    session.add(token)
    session.flush()
    record(session, actor, "device.token_issue", "device", device.id, after={"token_id": token.id, "prefix": token.prefix})
    return token, secret


def revoke_token(session: Session, actor: Actor, token_id: int) -> DeviceToken:
    token = fetch(session, DeviceToken, token_id,
                  NotFound("device_token.not_found", N_("No such device token."), field="token_id"))
    if token.revoked_at is not None:
        raise Conflict("device_token.already_revoked", N_("The token was already revoked."), field="token_id")
    token.revoked_at = utcnow()
    record(session, actor, "device.token_revoke", "device", token.device_id,
           before={"token_id": token.id, "revoked": False}, after={"token_id": token.id, "revoked": True})
    return token


def authenticate_device(session: Session, secret: str) -> Device | None:
    """The active device that holds this unrevoked token, or None."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = session.scalar(sa.select(DeviceToken).where(DeviceToken.token_sha256 == _sha256(secret)))
    if token is None or token.revoked_at is not None or not token.device.active:
        return None
    now = utcnow()
    # Polling agents call every few seconds: record the use at most once a minute, not a write per call.
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        token.last_used_at = now
    return token.device
