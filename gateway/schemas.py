"""Request and response schemas of the gateway's own endpoints."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .accounts import STAFF_ROLES


class TokenRequestSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200), load_only=True)


class TokenSchema(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    role = fields.String()
    site_id = fields.String(allow_none=True)
    region = fields.String(allow_none=True)


class UserCreateSchema(Schema):
    username = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.-]{3,64}$"))
    password = fields.String(required=True, validate=validate.Length(min=8, max=200), load_only=True)
    role = fields.String(required=True, validate=validate.OneOf(STAFF_ROLES))
    site_id = fields.String(load_default=None, validate=validate.Length(min=1, max=40))
    region = fields.String(load_default=None, validate=validate.Regexp(r"^[A-Z]{2,8}$"))

    @validates_schema
    def _site_users_carry_a_site_reviewers_a_region(self, data, **_kwargs):
        """A site user's region is its site's (accounts.create_user reads it); a reviewer's must be given."""
        errors = {}
        if data["role"] in ("station", "hospital") and not data.get("site_id"):
            errors["site_id"] = ["血站和医院用户必须指定站点"]
        if data["role"] == "reviewer" and not data.get("region"):
            errors["region"] = ["审核员必须指定所属地区"]
        if errors:
            raise ValidationError(errors)


class UserSchema(Schema):
    username = fields.String()
    role = fields.String()
    site_id = fields.String(allow_none=True)
    region = fields.String(allow_none=True)


PHONE = validate.Regexp(r"^1\d{10}$", error="手机号应为 11 位数字")


class OtpRequestSchema(Schema):
    phone = fields.String(required=True, validate=PHONE)


class OtpSentSchema(Schema):
    sent = fields.Boolean()
    dev_code = fields.String()


class DonorTokenRequestSchema(Schema):
    phone = fields.String(required=True, validate=PHONE)
    code = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$", error="验证码应为 6 位数字"))


class DonorTokenSchema(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    role = fields.String()
    donor_id = fields.String()


class ClientCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    site_id = fields.String(required=True, validate=validate.Length(min=1, max=40))
    region = fields.String(load_default=None, validate=validate.Regexp(r"^[A-Z]{2,8}$"))   # the hospital's


class ClientSchema(Schema):
    client_id = fields.String()
    name = fields.String()
    site_id = fields.String()
    region = fields.String()
    created_at = fields.AwareDateTime()
    revoked_at = fields.AwareDateTime(allow_none=True)


class ClientCreatedSchema(ClientSchema):
    client_secret = fields.String()


class ClientTokenRequestSchema(Schema):
    client_id = fields.String(required=True, validate=validate.Length(min=1, max=40))
    client_secret = fields.String(required=True, validate=validate.Length(min=1, max=200), load_only=True)
