"""`python -m waiver.jobs reminders --once` runs the use case against the configured database."""
from servicekit.outbox import envelopes
from tests.waiver.builders import ago, person
from waiver import jobs


def test_the_job_issues_due_reminders_once(monkeypatch, waiver_db, ledger, session_factory):
    nid = person()
    donor_id = ledger.donor(nid)
    ledger.donation(donor_id, nid, volume_ml=200, collected_at=ago(days=60))
    ledger.transfusion(unit_id="U-JOB", din="WJOB000000001", patient_national_id=nid, transfused_at=ago(days=8))
    monkeypatch.setenv("DATABASE_URL", waiver_db)
    monkeypatch.setenv("REMINDER_AFTER_DAYS", "7")
    jobs.main(["reminders", "--once"])
    jobs.main(["reminders", "--once"])
    sent = [e for e in envelopes(session_factory) if e["type"] == "ClaimReminderIssued"]
    assert [e["data"]["donor_id"] for e in sent] == [donor_id]
