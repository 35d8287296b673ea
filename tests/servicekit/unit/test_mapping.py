"""Mapping the domain classes happens once per process, and no thread uses a half-mapped class.

A gunicorn worker serves with several threads from its first request. The mappers used to be started by
the first unit of work, behind a flag set before the mapping was done: a second thread saw the flag, went
on, and failed inside SQLAlchemy ("'Mapper' object has no attribute 'primary_key'", seen as a 500 in the
bench). Each case runs in a fresh interpreter, so the mapping really happens under the race.
"""
import subprocess
import sys

import pytest

RACE = """
import threading
import sqlalchemy
from {service} import model, orm

threads, errors = 16, []
start = threading.Barrier(threads)

def first_request():
    start.wait()
    try:
        orm.start_mappers()
        mapper = sqlalchemy.inspect(model.{cls})
        assert mapper.primary_key and mapper.configured
        sqlalchemy.select(model.{cls}).compile()
    except Exception as exc:
        errors.append(repr(exc))

workers = [threading.Thread(target=first_request) for _ in range(threads)]
for w in workers:
    w.start()
for w in workers:
    w.join()
print(len(errors), errors[:1])
"""


@pytest.mark.parametrize("service, cls", [("donor", "Donor"), ("inventory", "Site"), ("waiver", "LedgerDonor")])
def test_threads_racing_the_first_request_all_see_finished_mappers(service, cls):
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", RACE.format(service=service, cls=cls)],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert out.stdout.startswith("0 "), out.stdout


@pytest.mark.parametrize("service", ["donor", "inventory", "waiver"])
def test_mapping_twice_is_a_no_op(service):
    out = subprocess.run([sys.executable, "-c", f"from {service} import orm\norm.start_mappers()\norm.start_mappers()\n"
                          "print('ok')"], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "ok", out.stderr
