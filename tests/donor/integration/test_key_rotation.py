"""Rotating the PII encryption key: `servicekit.keys rotate` re-encrypts the donor records in resumable batches
under the new key id, the old key reads what is not done yet, and the blind index (its own key) keeps matching."""
from sqlalchemy import select

from donor.orm import donors
from servicekit import keys
from servicekit.pii import PiiVault
from tests.helpers import PII_KEY

NEW_KEY = "a-new-pii-root-secret-of-40-characters!!"


def _stored(session_factory) -> list[tuple[str, str]]:
    with session_factory() as s:
        return [tuple(r) for r in s.execute(select(donors.c.national_id_encrypted, donors.c.phone_encrypted)
                                            .order_by(donors.c.id))]


def test_rotation_re_encrypts_in_resumable_batches_and_the_old_key_reads_until_it_is_done(new_donor, session_factory):
    made = [new_donor() for _ in range(5)]
    old = PiiVault(PII_KEY)
    before = _stored(session_factory)
    assert {old.key_id_of(v) for row in before for v in row} == {"k1"}
    plain = [tuple(old.decrypt(v) for v in row) for row in before]

    rotating = PiiVault(NEW_KEY, key_id="k2", old_keys={"k1": PII_KEY}, index_secret=PII_KEY)
    tables = keys.encrypted_columns("donor")
    assert [(t.name, sorted(c.name for c in cols)) for t, cols in tables] == \
        [("donors", ["national_id_encrypted", "phone_encrypted"])]
    assert keys.rotate(session_factory, rotating, tables, batch_size=2, max_batches=1) == 2     # stopped early
    halfway = keys.status(session_factory, rotating, tables)["donors.phone_encrypted"]
    assert halfway == {"k2": 2, "k1": 3}
    assert [tuple(rotating.decrypt(v) for v in row) for row in _stored(session_factory)] == plain   # both readable
    assert keys.rotate(session_factory, rotating, tables, batch_size=2) == 3                       # resumed
    assert keys.rotate(session_factory, rotating, tables, batch_size=2) == 0                       # nothing left

    after = PiiVault(NEW_KEY, key_id="k2", index_secret=PII_KEY)        # the old key can go now
    assert [tuple(after.decrypt(v) for v in row) for row in _stored(session_factory)] == plain
    assert {after.key_id_of(v) for row in _stored(session_factory) for v in row} == {"k2"}
    assert {after.blind_index(national_id) for national_id, _phone in plain} == {d.national_id_blind for d in made}


def test_the_command_exits_non_zero_while_values_remain_under_another_key(new_donor, donor_db, monkeypatch, capsys):
    new_donor()
    monkeypatch.setenv("DATABASE_URL", donor_db)
    monkeypatch.setenv("PII_KEY", NEW_KEY)
    monkeypatch.setenv("PII_KEY_ID", "k2")
    monkeypatch.setenv("PII_INDEX_KEY", PII_KEY)
    assert keys.main(["status", "donor"]) == 0
    assert "k1=1" in capsys.readouterr().out
    monkeypatch.setenv("PII_OLD_KEYS", f"k1={PII_KEY}")
    assert keys.main(["rotate", "donor"]) == 0
    assert "donors.phone_encrypted\tk2=1" in capsys.readouterr().out
