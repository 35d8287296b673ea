"""Domain errors of the waiver service: status, machine code (docs/api.md) and a Chinese title each."""
from __future__ import annotations

from servicekit.errors import DomainError


class InvalidNationalId(DomainError):
    status, code, title = 422, "invalid_national_id", "身份证号码无效"


class UnitMismatch(DomainError):
    status, code, title = 422, "unit_mismatch", "血液单元与库存记录的输血对象不符"


class RelationNotVerified(DomainError):
    status, code, title = 422, "relation_not_verified", "亲属关系未核实"


class DonorNotFound(DomainError):
    status, code, title = 422, "donor_not_found", "未找到该献血者"


class PatientNotDonor(DomainError):
    status, code, title = 422, "patient_not_donor", "用血者不是该献血者本人"


class DuplicateLine(DomainError):
    status, code, title = 422, "duplicate_line", "同一血液明细重复出现"


class IdempotencyKeyRequired(DomainError):
    status, code, title = 428, "idempotency_key_required", "缺少 Idempotency-Key 请求头"


class IdempotencyKeyReused(DomainError):
    status, code, title = 409, "idempotency_key_reused", "Idempotency-Key 已用于不同的请求"


class DeductionNotFound(DomainError):
    status, code, title = 404, "deduction_not_found", "直免记录不存在"


class AlreadyReversed(DomainError):
    status, code, title = 409, "already_reversed", "该直免已冲正"


class ClaimNotFound(DomainError):
    status, code, title = 404, "claim_not_found", "报销申请不存在"


class InvalidClaimStatus(DomainError):
    status, code, title = 409, "invalid_claim_status", "报销申请当前状态不允许此操作"


class MissingDocuments(DomainError):
    status, code, title = 422, "missing_documents", "缺少必需的材料"


class ClaimDeadlinePassed(DomainError):
    status, code, title = 422, "claim_deadline_passed", "已超过报销申请期限"


class AlreadyWaived(DomainError):
    status, code, title = 409, "already_waived", "该用血明细已减免"


class NothingToWaive(DomainError):
    status, code, title = 422, "nothing_to_waive", "没有可减免的额度"


class DocumentNotFound(DomainError):
    status, code, title = 404, "document_not_found", "材料不存在"


class DocumentTooLarge(DomainError):
    status, code, title = 413, "document_too_large", "材料文件超过 10 MB"


class UnsupportedDocumentType(DomainError):
    status, code, title = 415, "unsupported_document_type", "材料须为 PDF、JPEG 或 PNG 文件"


class EmptyDocument(DomainError):
    status, code, title = 422, "empty_document", "材料文件为空"


class BindingExists(DomainError):
    status, code, title = 409, "family_binding_exists", "已绑定该亲属"


class BindingNotFound(DomainError):
    status, code, title = 404, "family_binding_not_found", "亲属绑定不存在"


class BindingAlreadyDecided(DomainError):
    status, code, title = 409, "binding_already_decided", "该亲属绑定已审核"


class OtherHospital(DomainError):
    status, code, title = 403, "other_hospital", "只能操作本医疗机构的数据"
