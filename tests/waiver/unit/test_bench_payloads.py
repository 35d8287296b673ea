"""The bench's direct-deduction bodies are valid requests (the API's own schema loads them)."""
from datetime import datetime, timedelta, timezone

from tests.bench.bench_waiver_payloads import deduction_bodies, wrk_lua
from tests.helpers import make_national_id
from waiver.schemas.deductions import DeductionCreateSchema


def test_bench_bodies_pass_the_api_schema_and_are_unique():
    donors = [make_national_id(seq=i) for i in range(5)]
    donated = datetime.now(timezone.utc) - timedelta(hours=1)
    bodies = deduction_bodies(donors, n=300, relatives=[(make_national_id(seq=50), donors[0])],
                              strangers=[make_national_id(seq=60)], transfused_after=donated)
    schema = DeductionCreateSchema()
    for key, body in bodies:
        loaded = schema.load(body)
        assert all(line["transfused_at"] > donated for line in loaded["lines"])
    assert len({k for k, _ in bodies}) == len({b["admission_no"] for _, b in bodies}) == 300
    assert {b.get("relation", "self") for _, b in bodies} == {"self", "spouse"}
    assert "Idempotency-Key" in wrk_lua(bodies[:3])
