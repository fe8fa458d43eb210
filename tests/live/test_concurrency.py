"""Concurrent writers to one session get unique, gap-free sequence numbers (PostgreSQL)."""

import threading

import pytest
from django.db import connection, transaction

from convenor.live.events import emit
from convenor.live.models import LiveEvent, LiveState
from convenor.workshops.models import Session


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_emits_number_events_without_gaps_or_duplicates(session: Session) -> None:
    assert connection.vendor == "postgresql", "run with DATABASE_URL pointing at PostgreSQL"
    writers, each = 6, 20
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(worker: int) -> None:
        try:
            start.wait()
            for i in range(each):
                with transaction.atomic():
                    emit(session, "presence", {"participant": f"{worker}-{i}", "present": True})
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    seqs = list(LiveEvent.objects.filter(session=session).values_list("seq", flat=True))
    assert seqs == list(range(1, writers * each + 1))
    assert LiveState.objects.get(session=session).last_seq == writers * each
