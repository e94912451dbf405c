"""Runs sharing a cache prepare one dataset one at a time (`seqrec.datasets.locations.exclusive`): two table
runs started together once both wrote the same records, and the second failed renaming its finished folder."""

import threading
import time

from seqrec.datasets import load
from seqrec.datasets.locations import exclusive


def test_load_waits_while_another_run_prepares_the_same_records(tmp_path):
    done = threading.Event()

    def other_run():
        load("synthetic-small", cache_dir=tmp_path)
        done.set()

    with exclusive(tmp_path / "tfds" / "synthetic-small" / "generated"):  # as a run preparing it holds it
        thread = threading.Thread(target=other_run)
        thread.start()
        time.sleep(1.0)
        assert not done.is_set()  # waits for the lock
    thread.join(timeout=120)
    assert done.is_set()
    assert len(load("synthetic-small", cache_dir=tmp_path).events)  # and both read the same records
