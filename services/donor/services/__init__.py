"""Use cases of the donor service, one transaction each: donors (register, read, find), donations (record,
eligibility, awards), notifications (what other services' events tell donors)."""
