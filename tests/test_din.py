"""The DIN/ATRank-preprocessed reader (`seqrec.datasets.din`): the real shared folder against its MANIFEST,
the test tuples as arrays a candidate model scores (the paper's one-vs-one AUC), and malformed copies (each
error names the file and the line)."""

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seqrec.datasets import DataError, DatasetNotFoundError, din
from seqrec.evaluation.metrics import pair_auc

FOLDER = "amazon-electronics-din-preprocessed"


@pytest.fixture(scope="module")
def real(shared_data):
    folder = shared_data / FOLDER
    if not folder.is_dir():
        pytest.skip(f"{folder} is not present")
    return din.read_din(folder)


def test_real_folder_matches_manifest(real):
    assert real.n_items == 63_001 and real.n_categories == 801
    assert real.categories.dtype == np.int32 and set(np.unique(real.categories)) == set(range(801))
    assert list(real.categories[:5]) == [738, 157, 571, 707, 714]
    train, test = real.train, real.test
    assert len(train) == 10_000 and len(np.unique(train.users)) == 9_472
    assert (train.labels == 1).sum() == 4_980 and (train.labels == 0).sum() == 5_020
    assert train.lengths.min() == 1 and train.lengths.max() == 331 and round(train.lengths.mean(), 1) == 8.8
    assert len(test) == 5_000 and len(np.unique(test.users)) == 5_000
    assert test.lengths.min() == 4 and test.lengths.max() == 230 and round(test.lengths.mean(), 1) == 7.9
    assert len(np.intersect1d(train.users, test.users)) == 232
    # line 1: 104760,"[3737, 19450]",18486,1 ; line 5: 176475,[13150],41455,1 (an unquoted one-item history)
    assert (train.users[0], list(train.history(0)), train.targets[0], train.labels[0]) == (
        104760, [3737, 19450], 18486, 1)
    assert (train.users[4], list(train.histories[4]), train.targets[4]) == (176475, [13150], 41455)
    # test line 1: 91788,"[16942, ..., 54422]","(57905, 11716)"
    assert test.users[0] == 91788 and test.history(0)[0] == 16942 and test.history(0)[-1] == 54422
    assert (test.positives[0], test.negatives[0]) == (57905, 11716)


def test_category_list_agrees_with_an_independent_sample(real, shared_data):
    """The torch-rechub rows (same DIN remap, with times) give the same category for every item."""
    sample = pd.read_csv(shared_data / "amazon-2014-electronics-ratings-head"
                         / "amazon_electronics_sample.csv")
    assert len(sample) == 100
    assert (real.categories[sample["item_id"].to_numpy()] == sample["cate_id"].to_numpy()).all()


def test_test_pairs_in_suite_ids_score_the_one_vs_one_auc(real):
    pairs = din.din_test_pairs(real, max_len=50)
    test = real.test
    assert pairs.items.shape == (5_000, 50) and pairs.mask.shape == (5_000, 50)
    assert pairs.n_items == 63_002 and pairs.categories[0] == 0
    np.testing.assert_array_equal(pairs.categories[1:], real.categories + 1)
    np.testing.assert_array_equal(pairs.candidates, np.stack([test.positives, test.negatives], 1) + 1)
    np.testing.assert_array_equal(pairs.mask.sum(1), np.minimum(test.lengths, 50))
    row = int(np.argmax(test.lengths))  # 230 items: the latest 50, oldest first, ending at the right
    np.testing.assert_array_equal(pairs.items[row], test.history(row)[-50:] + 1)
    short = int(np.argmin(test.lengths))  # 4 items, left-padded
    assert list(pairs.items[short, :-4]) == [0] * 46 and list(pairs.items[short, -4:]) == list(
        test.history(short) + 1)
    # a popularity scorer (training histories and positive targets) on the two candidates: the paper's AUC
    train = real.train
    counts = np.bincount(np.r_[train.history_items, train.targets[train.labels == 1]] + din.ITEM_OFFSET,
                         minlength=pairs.n_items).astype(np.float32)
    scores = counts[pairs.candidates]
    auc = pair_auc(scores, np.zeros(len(scores), np.int32), np.ones(len(scores), np.int32))
    wins = (scores[:, 0] > scores[:, 1]) + 0.5 * (scores[:, 0] == scores[:, 1])
    assert auc.mean() == pytest.approx(wins.mean())
    assert auc.mean() > 0.6  # random negatives are rarer than the users' items: the ids line up


def test_pad_histories():
    items, offsets = np.array([1, 2, 3, 4, 5, 6], np.int32), np.array([0, 3, 3, 6])  # [1,2,3], [], [4,5,6]
    padded, mask = din.pad_histories(items, offsets, max_len=2)
    np.testing.assert_array_equal(padded, [[2, 3], [0, 0], [5, 6]])
    np.testing.assert_array_equal(mask, [[True, True], [False, False], [True, True]])
    padded, mask = din.pad_histories(items[:4], np.array([0, 1, 4]), padding="right")
    np.testing.assert_array_equal(padded, [[1, 0, 0], [2, 3, 4]])
    with pytest.raises(ValueError, match="padding"):
        din.pad_histories(items, offsets, padding="middle")


# ---------------------------------------------------------------- small copies, good and malformed

CATEGORIES = "3\n0\n2\n1\n0\n"  # five items, four categories
TRAIN = ('7,"[0, 1]",2,1\n'
         '7,"[0, 1]",4,0\n'
         "8,[3],0,1\n"
         "\n"  # a blank line is skipped (later lines keep their numbers)
         '8,"[ 3 ,0 ]",1,0\n')
TEST = ('7,"[0, 1, 2]","(3, 4)"\n'
        '8,"[3, 0]","(1,2)"\n')


def write(folder: Path, files: dict[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return folder


GOOD = {din.CATEGORIES_FILE: CATEGORIES, din.TRAIN_FILE: TRAIN, din.TEST_FILE: TEST}


def test_small_copy(tmp_path):
    data = din.read_din(write(tmp_path, GOOD))
    assert list(data.categories) == [3, 0, 2, 1, 0] and data.n_categories == 4
    assert [list(h) for h in data.train.histories] == [[0, 1], [0, 1], [3], [3, 0]]
    assert list(data.train.users) == [7, 7, 8, 8] and list(data.train.targets) == [2, 4, 0, 1]
    assert list(data.train.labels) == [1, 0, 1, 0]
    assert [list(h) for h in data.test.histories] == [[0, 1, 2], [3, 0]]
    assert list(data.test.positives) == [3, 1] and list(data.test.negatives) == [4, 2]
    pairs = din.din_test_pairs(data)
    np.testing.assert_array_equal(pairs.items, [[1, 2, 3], [0, 4, 1]])
    np.testing.assert_array_equal(pairs.candidates, [[4, 5], [2, 3]])
    np.testing.assert_array_equal(pairs.categories, [0, 4, 1, 3, 2, 1])


def test_other_names_gzip_and_skipping_a_file(tmp_path):
    folder = write(tmp_path, {"cats.csv.gz": gzip.compress(CATEGORIES.encode()), "test.csv": TEST})
    data = din.read_din(folder, categories_file="cats.csv.gz", train_file=None, test_file="test.csv")
    assert data.train is None and list(data.test.positives) == [3, 1]
    with pytest.raises(DataError, match="no test tuples were read"):
        din.din_test_pairs(din.read_din(folder, categories_file="cats.csv.gz", train_file=None,
                                        test_file=None))


@pytest.mark.parametrize("missing", [din.CATEGORIES_FILE, din.TRAIN_FILE, din.TEST_FILE])
def test_missing_file(tmp_path, missing):
    folder = write(tmp_path, {k: v for k, v in GOOD.items() if k != missing})
    with pytest.raises(DatasetNotFoundError) as err:
        din.read_din(folder)
    message = str(err.value)
    for part in (f"{folder / missing}: file not found", "read_din(folder, categories_file=...",
                 "None to skip"):
        assert part in message, message


BROKEN = {
    "a history that is not a list": (
        din.TRAIN_FILE, TRAIN.replace('"[ 3 ,0 ]"', '"[3, x]"'),
        ["line 5", "the history '[3, x]' is not a list of item ids"]),
    "a label other than 0 or 1": (
        din.TRAIN_FILE, TRAIN.replace("4,0\n", "4,2\n"), ["line 2", "the label is 2, not 0 or 1"]),
    "a row without its label": (
        din.TRAIN_FILE, TRAIN.replace("8,[3],0,1", "8,[3],0"), ["column 'label'", "empty", "line 3"]),
    "an unquoted history of two items": (
        din.TRAIN_FILE, TRAIN.replace('"[0, 1]",4', "[0, 1],4"),
        ["malformed line", "line 2, saw 5", "quote fields that contain the separator"]),
    "a history item beyond the category list": (
        din.TRAIN_FILE, TRAIN.replace('"[ 3 ,0 ]"', '"[3, 5]"'),
        ["line 5: item 5 in the history is beyond the category list, which lists 5 items (ids 0-4)",
         "same preprocessing run"]),
    "a target beyond the category list": (
        din.TRAIN_FILE, TRAIN.replace("8,[3],0,1", "8,[3],9,1"), ["line 3: item 9 in the target"]),
    "candidates that are not a pair": (
        din.TEST_FILE, TEST.replace('"(1,2)"', '"(1 2)"'),
        ["line 2", "the candidates '(1 2)' are not a pair of item ids", "the positive, then the negative"]),
    "a negative beyond the category list": (
        din.TEST_FILE, TEST.replace('"(1,2)"', '"(1,5)"'), ["line 2: item 5 in the negative"]),
    "a blank line in the category list": (
        din.CATEGORIES_FILE, "3\n0\n\n1\n0\n", ["line 3 is '', not a category id", "no line may be blank"]),
    "a header line in the category list": (
        din.CATEGORIES_FILE, "cate_id\n" + CATEGORIES, ["line 1 is 'cate_id', not a category id"]),
    "an empty category list": (din.CATEGORIES_FILE, "", ["the file is empty"]),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_malformed_names_file_and_line(tmp_path, case):
    name, content, parts = BROKEN[case]
    folder = write(tmp_path, {**GOOD, name: content})
    with pytest.raises(DataError) as err:
        din.read_din(folder)
    message = str(err.value)
    for part in [str(folder / name), *parts]:
        assert part in message, message
