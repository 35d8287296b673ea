"""Claims: mini-program (donors), mail and on-site (reviewers); documents; review; payment."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from servicekit.auth import current_principal

from ..schemas.claims import (ClaimCreateSchema, ClaimQueryArgsSchema, ClaimSchema, DocumentFileSchema,
                              DocumentFormSchema, DocumentSchema, PaySchema)
from ..schemas.common import ReasonSchema
from ..services import claims
from ..services.claims import MAX_DOCUMENT_BYTES
from .common import deps, donor, now, reviewer

blp = Blueprint("waiver_claims", __name__, url_prefix="/api/v1", description="报销申请")


@blp.route("/waiver/claims")
class Claims(MethodView):
    @blp.arguments(ClaimCreateSchema())
    @blp.response(201, ClaimSchema)
    def post(self, payload):
        """Start a claim (draft)"""
        d = deps()
        return claims.create_claim(d.uow(), d.vault, principal=current_principal(), body=payload, now=now())
    @blp.arguments(ClaimQueryArgsSchema(), location="query")
    @blp.response(200, ClaimSchema(many=True))
    def get(self, args):
        """List claims of my region"""
        return claims.list_claims(deps().uow(), region=reviewer().region, **args)


@blp.route("/me/claims")
class MyClaims(MethodView):
    @blp.response(200, ClaimSchema(many=True))
    def get(self):
        """List my claims"""
        return claims.list_claims(deps().uow(), owner_donor_id=donor().donor_id)


@blp.route("/waiver/claims/<string:claim_id>")
class ClaimById(MethodView):
    @blp.response(200, ClaimSchema)
    def get(self, claim_id):
        """Get a claim"""
        return claims.get_claim(deps().uow(), claim_id=claim_id, principal=current_principal())


@blp.route("/waiver/claims/<string:claim_id>/documents")
class ClaimDocuments(MethodView):
    @blp.arguments(DocumentFormSchema(), location="form")
    @blp.arguments(DocumentFileSchema(), location="files")
    @blp.response(201, DocumentSchema)
    def post(self, form, files, claim_id):
        """Attach a document (PDF, JPEG or PNG, at most 10 MB)"""
        upload = files["file"]
        data = upload.stream.read(MAX_DOCUMENT_BYTES + 1)   # one byte more tells "too large" apart
        return claims.add_document(deps().uow(), deps().storage, claim_id=claim_id, principal=current_principal(),
                                   kind=form["kind"], filename=upload.filename or "", data=data, now=now())


@blp.route("/waiver/claims/<string:claim_id>/documents/<string:document_id>")
class ClaimDocumentFile(MethodView):
    @blp.response(200, content_type="application/octet-stream",
                  description="The file as uploaded (PDF, JPEG or PNG, its type sniffed at upload), shown inline")
    def get(self, claim_id, document_id):
        """Download a document of a claim (same access as the claim)"""
        doc, data = claims.open_document(deps().uow(), deps().storage, claim_id=claim_id, document_id=document_id,
                                         principal=current_principal())
        # The stored type was sniffed from the bytes at upload; nosniff keeps the browser to it, and the file is
        # personal data: never cached.
        return Response(data, mimetype=doc.content_type, headers={
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(doc.filename)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        })


@blp.route("/waiver/claims/<string:claim_id>/submit")
class Submit(MethodView):
    @blp.response(200, ClaimSchema)
    def post(self, claim_id):
        """Submit a claim for review"""
        return claims.submit_claim(deps().uow(), claim_id=claim_id, principal=current_principal(), now=now())


@blp.route("/waiver/claims/<string:claim_id>/approve")
class Approve(MethodView):
    @blp.response(200, ClaimSchema)
    def post(self, claim_id):
        """Approve a claim (the amount is taken from the pools)"""
        return claims.approve_claim(deps().uow(), claim_id=claim_id, principal=reviewer(), now=now())


@blp.route("/waiver/claims/<string:claim_id>/reject")
class Reject(MethodView):
    @blp.arguments(ReasonSchema())
    @blp.response(200, ClaimSchema)
    def post(self, payload, claim_id):
        """Reject a claim with a reason"""
        return claims.reject_claim(deps().uow(), claim_id=claim_id, principal=reviewer(), reason=payload["reason"],
                                   now=now())


@blp.route("/waiver/claims/<string:claim_id>/pay")
class Pay(MethodView):
    @blp.arguments(PaySchema())
    @blp.response(200, ClaimSchema)
    def post(self, payload, claim_id):
        """Pay an approved claim"""
        d = deps()
        return claims.pay_claim(d.uow(), d.bank, d.vault, claim_id=claim_id, principal=reviewer(),
                                payment_ref=payload.get("payment_ref"), now=now())
