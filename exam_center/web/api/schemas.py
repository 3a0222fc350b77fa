"""Request and response bodies of the API (marshmallow; they also feed the OpenAPI document)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from exam_center.domain.education import Education


class ErrorSchema(Schema):
    code = fields.String(required=True, metadata={"description": "stable machine-readable error code"})
    message = fields.String(required=True, metadata={"description": "for people, in the requested language"})
    details = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                          metadata={"description": "field name → messages"})


class HealthSchema(Schema):
    status = fields.String(required=True)
    database = fields.String(required=True)
    rule_set = fields.String(required=True)


class SubjectSchema(Schema):
    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    weight = fields.Integer()


class OperationItemSchema(Schema):
    code = fields.String()
    category_code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    min_education = fields.Enum(Education, by_value=True)
    theory_hours = fields.Integer(allow_none=True)
    practical_hours = fields.Integer(allow_none=True)
    total_hours = fields.Integer(allow_none=True)
    review_hours = fields.Integer()
    subjects = fields.List(fields.Nested(SubjectSchema))


class PersonCreateSchema(Schema):
    id_number = fields.String(required=True, validate=validate.Length(max=40))
    name = fields.String(required=True, validate=validate.Length(max=100))
    education = fields.String(required=True, validate=validate.Length(max=40),
                              metadata={"enum": [e.value for e in Education]})
    phone = fields.String(required=True, validate=validate.Length(max=40))
    email = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=400))
    employer = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class PersonSchema(Schema):
    id = fields.Integer()
    id_number_masked = fields.String()
    name = fields.String()
    sex = fields.String()
    birth_date = fields.Date()
    education = fields.Enum(Education, by_value=True)
    phone = fields.String()
    email = fields.String(allow_none=True)
    employer = fields.String(allow_none=True)
    has_photo = fields.Boolean()


class DeviceSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    name = fields.String()
    location = fields.String()
    organisation_id = fields.Integer()
    organisation_name = fields.String()
