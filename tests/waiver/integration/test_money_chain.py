"""Every money movement (deduction, reversal, claim payment) lands in the hash-chained log, in the same
transaction, and the verify command catches a tampered entry."""
import io

from sqlalchemy import select, update

from servicekit import chain
from tests.helpers import auth
from tests.waiver.builders import ago, claim_body, deduction_body, line, person

HOSPITAL = auth("hospital", site_id="H1", region="SH")
REVIEWER = auth("reviewer", region="SH")


def _entries(session_factory):
    with session_factory() as s:
        return s.execute(select(chain.chain_entries).order_by(chain.chain_entries.c.seq)).all()


def test_deductions_reversals_and_payments_are_chained_and_verifiable(client, ledger, session_factory, waiver_db):
    nid = person()
    donor_id = ledger.donor(nid)
    ledger.donation(donor_id, nid, volume_ml=400, collected_at=ago(days=30))
    me = auth("donor", donor_id=donor_id)
    d = client.post("/api/v1/waiver/direct-deductions", json=deduction_body(nid, [line(amount="440.00")]),
                    headers={**HOSPITAL, "Idempotency-Key": "chain-1"}).get_json()
    # a replay and a refused request move no money, so they add nothing to the chain
    client.post("/api/v1/waiver/direct-deductions", json=deduction_body(nid, [line(amount="440.00")]),
                headers={**HOSPITAL, "Idempotency-Key": "chain-1"})
    client.post("/api/v1/waiver/direct-deductions", json={"lines": []}, headers={**HOSPITAL, "Idempotency-Key": "bad"})
    assert client.post(f"/api/v1/waiver/direct-deductions/{d['id']}/reverse", json={"reason": "出院结算更正"},
                       headers=HOSPITAL).status_code == 200
    claim = client.post("/api/v1/waiver/claims", json=claim_body(nid, lines=[line(amount="220.00", units=1)]),
                        headers=me).get_json()
    for kind in ("id_card", "donation_certificate", "invoice"):
        client.post(f"/api/v1/waiver/claims/{claim['id']}/documents", headers=me, content_type="multipart/form-data",
                    data={"kind": kind, "file": (io.BytesIO(b"%PDF-1.7"), "f.pdf")})
    client.post(f"/api/v1/waiver/claims/{claim['id']}/submit", headers=me)
    client.post(f"/api/v1/waiver/claims/{claim['id']}/approve", headers=REVIEWER)
    assert client.post(f"/api/v1/waiver/claims/{claim['id']}/pay", json={"payment_ref": "PAY-1"},
                       headers=REVIEWER).status_code == 200

    entries = _entries(session_factory)
    assert [(e.kind, e.subject) for e in entries] == [("direct_deduction", d["id"]),
                                                      ("direct_deduction_reversed", d["id"]),
                                                      ("claim_paid", claim["id"])]
    assert "440.00" in entries[0].payload and nid not in "".join(e.payload for e in entries)
    assert chain.main(["verify", "--database-url", waiver_db]) == 0

    with session_factory.begin() as s:          # someone edits the amount of the first deduction in place
        s.execute(update(chain.chain_entries).where(chain.chain_entries.c.seq == 1)
                  .values(payload=entries[0].payload.replace("440.00", "44.00")))
    assert chain.main(["verify", "--database-url", waiver_db]) == 1


def test_without_the_key_the_chain_cannot_be_rewritten_consistently(client, ledger, session_factory):
    """A forger with database access edits an amount and recomputes every hash (and the head) as plain
    SHA-256: the keyed verification still fails; with the right key an untouched chain passes."""
    from tests.helpers import PII_KEY

    nid = person()
    donor_id = ledger.donor(nid)
    ledger.donation(donor_id, nid, volume_ml=400, collected_at=ago(days=30))
    for n in range(2):
        client.post("/api/v1/waiver/direct-deductions", json=deduction_body(nid, [line(amount="220.00", units=1)]),
                    headers={**HOSPITAL, "Idempotency-Key": f"forge-{n}"})
    key = chain.chain_key(PII_KEY)
    assert {e.key_id for e in _entries(session_factory)} == {chain.DEFAULT_KEY_ID}
    with session_factory() as s:
        assert chain.verify(s, key) == (True, "2 entries verified")
        assert chain.verify(s, chain.chain_key("another-secret"))[0] is False
    with session_factory.begin() as s:
        prev = chain.GENESIS
        for e in s.execute(select(chain.chain_entries).order_by(chain.chain_entries.c.seq)).all():
            payload = e.payload.replace("220.00", "22.00")
            digest = chain.entry_hash(prev, e.seq, chain._at_text(e.at), e.kind, e.subject, payload)   # no key
            s.execute(update(chain.chain_entries).where(chain.chain_entries.c.seq == e.seq)
                      .values(payload=payload, prev_hash=prev, hash=digest))
            prev = digest
        s.execute(update(chain.chain_head).values(last_hash=prev))
    with session_factory() as s:
        ok, message = chain.verify(s, key)
    assert not ok and "entry 1 was altered" in message


def test_the_chain_head_is_locked_by_the_last_write_before_commit(client, ledger, databases, db_kind):
    """Every money write queues on the chain's head row until its commit: nothing but the append itself and
    the COMMIT may run while a deduction holds it (the outbox row, in particular, is written before)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    nid = person()
    donor_id = ledger.donor(nid)
    ledger.donation(donor_id, nid, volume_ml=400, collected_at=ago(days=30))
    statements = []

    def seen(conn, cursor, statement, params, context, executemany):
        statements.append(" ".join(statement.split())[:40])

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        r = client.post("/api/v1/waiver/direct-deductions", json=deduction_body(nid, [line(amount="440.00")]),
                        headers={**HOSPITAL, "Idempotency-Key": "lock-order"})
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    assert r.status_code == 201
    head = next(i for i, s in enumerate(statements) if s.startswith("SELECT chain_head"))
    # then only the commit; the audit row is written before the head (in the transaction), and a creation's id
    # is added to it after the commit, in a statement of its own
    writes_after = [s for s in statements[head:] if not s.startswith(("UPDATE audit_log", "BEGIN"))]
    assert any(s.startswith("INSERT INTO outbox") for s in statements[:head])
    assert any(s.startswith("INSERT INTO audit_log") for s in statements[:head])
    assert all("chain_" in s for s in writes_after), writes_after


def test_a_new_chain_key_signs_new_entries_while_the_old_one_still_verifies_the_entries_under_it(
        ledger, session_factory, waiver_db, tmp_path, monkeypatch, capsys):
    """Changing CHAIN_KEY cannot re-key the chain (that would be rewriting it): entries name their key id, and the
    verify command checks each under the key it names, refusing when that key is no longer configured."""
    from servicekit.config import BaseConfig
    from tests.helpers import PII_KEY, SERVICE_KEYS
    from waiver.app import create_app

    new_secret = "a-new-chain-key-of-at-least-32-bytes!!"
    nid = person()
    donor_id = ledger.donor(nid)
    ledger.donation(donor_id, nid, volume_ml=400, collected_at=ago(days=30))
    settings = dict(database_url=waiver_db, pii_key=PII_KEY, documents_dir=str(tmp_path / "d"),
                    bank_batch_dir=str(tmp_path / "b"), **SERVICE_KEYS)
    before = create_app(**settings).test_client()
    after = create_app(**settings, chain_key=new_secret, chain_key_id="c2", chain_old_keys=f"c1={PII_KEY}").test_client()
    for n, client in enumerate((before, after)):
        assert client.post("/api/v1/waiver/direct-deductions", json=deduction_body(nid, [line(amount="100.00", units=1)]),
                           headers={**HOSPITAL, "Idempotency-Key": f"rekey-{n}"}).status_code == 201
    assert [e.key_id for e in _entries(session_factory)] == ["c1", "c2"]
    both = chain.ChainKeys.from_config(BaseConfig(pii_key=PII_KEY, chain_key=new_secret, chain_key_id="c2",
                                                  chain_old_keys=f"c1={PII_KEY}"))
    only_new = chain.ChainKeys.from_config(BaseConfig(pii_key=PII_KEY, chain_key=new_secret, chain_key_id="c2"))
    with session_factory() as s:
        assert chain.verify(s, keys=both) == (True, "2 entries verified")
        assert chain.verify(s, keys=only_new) == (False, "entry 1 is under chain key c1, which is not configured "
                                                         "(CHAIN_OLD_KEYS)")
    for name, value in {"DATABASE_URL": waiver_db, "PII_KEY": PII_KEY, "CHAIN_KEY": new_secret, "CHAIN_KEY_ID": "c2",
                        "CHAIN_OLD_KEYS": f"c1={PII_KEY}"}.items():
        monkeypatch.setenv(name, value)
    assert chain.main(["verify"]) == 0 and "OK: 2 entries verified" in capsys.readouterr().out
