"""Time features against hand-computed values."""

import numpy as np
import pandas as pd

from seqrec.datasets import time_features

DAY = 86400


def test_day_buckets_are_powers_of_two():
    days = np.array([0, 0.5, 1, 1.9, 2, 3.9, 4, 7.9, 8, 1000, 10**6])
    got = time_features.day_bucket(days * DAY, n_buckets=12).numpy().tolist()
    assert got == [0, 0, 1, 1, 2, 2, 3, 3, 4, 10, 11]


def test_hour_of_week_starts_on_monday_utc():
    monday = int(pd.Timestamp("2024-01-01 00:00", tz="UTC").timestamp())  # a Monday
    stamps = [monday, monday + 3599, monday + 3600, monday + 6 * DAY + 23 * 3600, monday + 7 * DAY,
              0]
    # 1970-01-01 was a Thursday
    assert time_features.hour_of_week(stamps).numpy().tolist() == [0, 0, 1, 167, 0, 72]
    reference = monday + 7 * DAY
    got = time_features.hour_of_week([monday, monday + 2 * 3600], reference=reference + 3600).numpy().tolist()
    assert got == [168, 2]  # 169 hours old -> the last value; 167 hours old -> its hour


def test_hour_interval_and_one_hot():
    seconds = [0, 3599, 3600, 167 * 3600 + 3599, 168 * 3600, 10**9]
    idx = time_features.hour_interval(seconds)
    assert idx.numpy().tolist() == [0, 0, 1, 167, 168, 168]
    hot = time_features.one_hot(idx).numpy()
    assert hot.shape == (6, 169) and (hot.sum(1) == 1).all() and hot[4, 168] == 1


def test_log_interval():
    got = time_features.log_interval([0, (np.e - 1) * 3600, -5]).numpy()
    assert np.allclose(got, [0.0, 1.0, 0.0], atol=1e-6)
    assert np.isclose(time_features.log_interval([59.0], unit=1.0).numpy()[0], np.log(60))
