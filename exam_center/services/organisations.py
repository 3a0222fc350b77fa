"""Registering organisations: training institutions, exam centres, certification authorities."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from exam_center.domain.contact import parse_phone, parse_region_code, parse_text
from exam_center.domain.credit_code import parse_credit_code
from exam_center.domain.errors import N_, Conflict, NotFound
from exam_center.models import Organisation, OrganisationKind

from .audit import Actor, record
from .lookup import fetch


def organisation_snapshot(org: Organisation) -> dict:
    return {"kind": org.kind, "name": org.name, "credit_code": org.credit_code,
            "region_code": org.region_code, "active": org.active}


def create_organisation(
    session: Session,
    actor: Actor,
    *,
    kind: OrganisationKind,
    name: str,
    credit_code: str,
    region_code: str,
    address: str = "",
    contact_phone: str = "",
) -> Organisation:
    name = parse_text(name, field="name", max_length=100)
    credit_code = parse_credit_code(credit_code)
    org = Organisation(
        kind=kind,
        name=name,
        credit_code=credit_code,
        region_code=parse_region_code(region_code),
        address=parse_text(address, field="address", max_length=200, required=False),
        contact_phone=parse_phone(contact_phone, field="contact_phone") if contact_phone.strip() else "",
    )
    if session.scalar(sa.select(Organisation.id).where(Organisation.name == name)):
        raise Conflict("organisation.duplicate_name", N_("An organisation named '%(name)s' already exists."),
                       field="name", name=name)
    if session.scalar(sa.select(Organisation.id).where(Organisation.credit_code == credit_code)):
        raise Conflict("organisation.duplicate_credit_code",
                       N_("An organisation with credit code %(credit_code)s already exists."),
                       field="credit_code", credit_code=credit_code)
    session.add(org)
    session.flush()
    record(session, actor, "organisation.create", "organisation", org.id, after=organisation_snapshot(org))
    return org


def get_organisation(session: Session, organisation_id: int) -> Organisation:
    return fetch(session, Organisation, organisation_id,
                 NotFound("organisation.not_found", N_("No such organisation."), field="organisation_id"))


def get_exam_centre(session: Session, organisation_id: int, refusal: Conflict) -> Organisation:
    """The organisation, which must be an exam centre (rooms, devices and exam staff live only there)."""
    org = get_organisation(session, organisation_id)
    if org.kind is not OrganisationKind.EXAM_CENTRE:
        raise refusal
    return org


def list_organisations(session: Session, kind: OrganisationKind | None = None) -> list[Organisation]:
    query = sa.select(Organisation).order_by(Organisation.kind, Organisation.name)
    if kind is not None:
        query = query.where(Organisation.kind == kind)
    return list(session.scalars(query))
