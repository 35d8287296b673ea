"""Envelope wire format, PII vault and masking."""
import dataclasses
import json

import pytest

from servicekit import context
from servicekit.envelope import Envelope, parse
from servicekit.pii import PiiVault, mask


def test_envelope_round_trips_through_json_with_all_design_fields():
    env = Envelope.new("DonorRegistered", 1, "donor", "d-1", {"a": 1})
    parsed = parse(env.to_json())
    assert parsed == env
    assert set(json.loads(env.to_json())) == {"id", "type", "version", "source", "subject", "time",
                                              "correlation_id", "causation_id", "data"}


def test_envelope_json_is_the_dataclass_as_a_compact_dict_in_field_order():
    env = Envelope.new("DirectDeductionApplied", 1, "waiver", "d-1",
                       {"pools": [{"kind": "self", "yuan": "220.00"}], "note": "献血者"})
    expected = json.dumps(dataclasses.asdict(env), ensure_ascii=False, separators=(",", ":")).encode()
    assert env.to_json() == expected


def test_new_envelope_inherits_correlation_and_causation_from_context():
    t1, t2 = context.correlation_id.set("corr-1"), context.causation_id.set("cause-1")
    try:
        env = Envelope.new("X", 1, "s", "k", {})
    finally:
        context.correlation_id.reset(t1)
        context.causation_id.reset(t2)
    assert (env.correlation_id, env.causation_id) == ("corr-1", "cause-1")
    assert dict(env.headers())["correlation_id"] == b"corr-1"


def test_parse_tolerates_unknown_fields_but_rejects_missing_ones():
    payload = json.loads(Envelope.new("X", 1, "s", "k", {}).to_json())
    payload["extra"] = "ignored"
    assert parse(json.dumps(payload)).type == "X"
    del payload["subject"]
    with pytest.raises(ValueError):
        parse(json.dumps(payload))
    with pytest.raises(ValueError):
        parse(b"{not json")


def test_vault_encrypts_reversibly_and_indexes_deterministically():
    vault = PiiVault("k" * 40)
    token = vault.encrypt("11010519491231002X")
    assert "11010519491231002X" not in token
    assert vault.decrypt(token) == "11010519491231002X"
    assert vault.blind_index("11010519491231002x") == vault.blind_index("11010519491231002X")
    assert vault.blind_index("11010519491231002X") != PiiVault("j" * 40).blind_index("11010519491231002X")


def test_mask_keeps_three_and_four():
    assert mask("11010519491231002X") == "110***********002X"
    assert mask("13812345678") == "138****5678"
    assert mask("abc") == "a**"


def test_values_carry_their_key_id_and_older_keys_and_key_less_values_stay_readable():
    import base64
    import hashlib
    import hmac

    import pytest
    from cryptography.fernet import Fernet

    old, new = "o" * 40, "n" * 40
    before_ids = Fernet(base64.urlsafe_b64encode(hmac.new(old.encode(), b"encrypt", hashlib.sha256).digest()))
    legacy = before_ids.encrypt(b"310104199001010011").decode()       # as values were stored before key ids
    under_old = PiiVault(old, key_id="k1").encrypt("13900000000")
    vault = PiiVault(new, key_id="k2", old_keys={"k1": old})
    assert under_old.startswith("k1:") and vault.encrypt("x").startswith("k2:")
    assert vault.decrypt(under_old) == "13900000000" and vault.decrypt(legacy) == "310104199001010011"
    assert vault.key_id_of(vault.reencrypt(under_old)) == "k2"
    with pytest.raises(KeyError):
        PiiVault(new, key_id="k2").decrypt(under_old)                 # an id nobody configured
    # the index key is its own: rotating the encryption key leaves every index value as it was
    assert PiiVault(new, index_secret=old).blind_index("X1") == PiiVault(old).blind_index("X1")
