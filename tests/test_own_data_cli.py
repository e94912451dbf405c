"""Any dataset through the reproduce scripts' shared command line (issue 14, "Your own data, safely"):
``--datasets`` takes the paper's labels and registered names (an unknown one is a usage error naming the
closest), ``--log`` runs your own log (plain or compressed, with a behaviour filter) as an extra dataset,
``--min-user``/``--min-item`` replace the protocol's thresholds as a noted deviation, and a failure's
status is cut at a word boundary. Tiny synthetic logs; one smoke-sized run."""

import bz2
import gzip
import importlib.util
import json
import logging
import re
import zipfile
from types import SimpleNamespace

import pytest
from tests_paths import REPRODUCE

from seqrec.datasets import DataError, LogFormat, ProtocolError, load_log
from seqrec.datasets import __main__ as datasets_cli
from seqrec.datasets.own_log import read_log
from seqrec.experiments import cli, iarn, mtam, usergru
from seqrec.experiments.pipeline import (
    MethodSpec,
    PaperDataset,
    Results,
    RunOptions,
    _run_one,
    open_manifest,
    run,
    shorten,
)

COLUMNS = ("user", "item", "rating", "timestamp", "type", "extra")
USERS, EVENTS, ITEMS = 40, 15, 30


def log_rows():
    """40 users with 15 events each over 30 items, a day apart; every 5th event a "buy", the others
    "pv"; a column no reader uses."""
    return [(f"u{u}", f"i{(u + 3 * k) % ITEMS}", str(1 + (u + k) % 5),
             str(1_500_000_000 + (k * USERS + u) * 86400), "buy" if k % 5 == 4 else "pv", "junk")
            for u in range(USERS) for k in range(EVENTS)]


@pytest.fixture
def write_log(tmp_path):
    """``write_log(name, header=True, rows=None)``: the tiny log as ``tmp_path/name``, compressed by its
    suffix (.gz, .bz2, or .zip holding ``clicks.csv``)."""

    def write(name, header=True, rows=None):
        lines = ([",".join(COLUMNS)] if header else []) + [",".join(r) for r in (rows or log_rows())]
        data = ("\n".join(lines) + "\n").encode()
        path = tmp_path / name
        if name.endswith(".gz"):
            path.write_bytes(gzip.compress(data))
        elif name.endswith(".bz2"):
            path.write_bytes(bz2.compress(data))
        elif name.endswith(".zip"):
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
                archive.writestr("clicks.csv", data)
        else:
            path.write_bytes(data)
        return path

    return write


def script(name):
    """The ``main`` of a reproduce script."""
    spec = importlib.util.spec_from_file_location(name, REPRODUCE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


# --- --datasets: labels and registered names ------------------------------------------------------------

def test_datasets_takes_labels_and_registered_names():
    picked = mtam.paper_datasets(RunOptions(profile="small", datasets=(
        "Electronics", "movielens-latest-small", "movielens-100k")))
    assert [p.label for p in picked] == ["Electronics", "ML-25m", "movielens-100k"]
    electronics, stand_in, extra = picked
    assert not electronics.extra and electronics.candidates == ("amazon-2018-electronics",)
    # a registered name the paper reads: that paper dataset, reading it only (marked as a stand-in)
    assert stand_in.candidates == ("movielens-latest-small",)
    assert stand_in.is_substitute("movielens-latest-small")
    # any other registered name: an extra dataset under the paper's settings, not the paper's
    assert extra.extra and extra.is_substitute("movielens-100k") and extra.min_item == 30
    assert isinstance(extra, mtam.MTAMDataset)


def test_unknown_dataset_is_a_usage_error_naming_the_closest(tmp_path, capsys):
    with pytest.raises(SystemExit) as done:
        script("mtam_table2")(["--profile", "paper", "--datasets", "ML-25", "--out", str(tmp_path)])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert "unknown dataset 'ML-25'" in err and "closest: ML-25m" in err
    assert not list(tmp_path.iterdir())  # no table of "not run in this profile"
    with pytest.raises(ValueError, match="closest: movielens-100k"):
        usergru.paper_datasets(RunOptions(datasets=("movielens-100", "LastFM")))


def test_help_lists_the_papers_labels_and_registered_names(capsys):
    with pytest.raises(SystemExit) as done:
        script("iarn_table2")(["--help"])
    assert done.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Netflix, MovieLens, Electronic, Home, Clothing, Sport" in out
    for name in ("movielens-100k", "amazon-2018-cds-and-vinyl", "tianchi-mobile", "synthetic-small"):
        assert name in out
    for flag in ("--log PATH", "--log-columns", "--log-behavior", "--min-user N", "--min-item N"):
        assert flag in out


# --- --min-user / --min-item ---------------------------------------------------------------------------

def test_thresholds_override_the_paper_and_are_noted_as_deviations(write_log):
    options = RunOptions(profile="small", datasets=("Yoochoose",), min_user=3, min_item=2)
    (paper,) = mtam.paper_datasets(options)
    assert (paper.min_user, paper.min_item, paper.user_fraction) == (3, 2, 0.25)
    manifest = open_manifest("tests.test_own_data_cli", options)
    assert {"deviation from the paper: --min-user 3", "deviation from the paper: --min-item 2"} <= set(
        manifest.notes)
    events = load_log(write_log("clicks.csv"), LogFormat(rating=None)).events
    (extra,) = mtam.paper_datasets(RunOptions(datasets=("movielens-100k",), min_item=2))
    assert "min item 2" in mtam.protocol(events, extra).protocol
    # IARN: one threshold for users and items
    (extra,) = iarn.paper_datasets(RunOptions(datasets=("movielens-100k",), min_user=5, min_item=5))
    assert extra.min_count == 5 and "min_count=5" in iarn.protocol(events, extra).protocol


def test_mtam_min_user_reaches_the_protocol(write_log):
    events = load_log(write_log("clicks.csv"), LogFormat(rating=None)).events
    (extra,) = mtam.paper_datasets(RunOptions(datasets=("movielens-100k",), min_user=3, min_item=2))
    assert "min user 3, min item 2" in mtam.protocol(events, extra).protocol


@pytest.mark.parametrize("paper, argv, message", [
    (iarn, ["--min-user", "5"], "one threshold, min_count, for users and items (the paper: 4): give "
                                "--min-user and --min-item the same value"),
    (mtam, ["--min-user", "0"], "--min-user must be at least 1"),
    (usergru, ["--min-item", "3"], "--min-item: this paper's protocol has no such threshold"),
])
def test_thresholds_the_protocol_cannot_take_are_usage_errors(paper, argv, message, capsys):
    with pytest.raises(SystemExit) as done:
        cli.parse(paper.__doc__, ".", argv, paper=paper)
    assert done.value.code == 2 and message in capsys.readouterr().err


def test_figure3_refuses_thresholds_as_a_usage_error(capsys):
    with pytest.raises(SystemExit) as done:
        script("iarn_figure3")(["--min-item", "5", "--min-user", "5"])
    assert done.value.code == 2
    assert "--min-user 5, --min-item 5: Figure 3 sets the minimum counts itself" in capsys.readouterr().err


# --- --log and its format flags ------------------------------------------------------------------------

def test_log_flags_make_the_log_format(write_log):
    path = write_log("clicks.tsv", header=False)
    args = cli.parse(mtam.__doc__, ".", [
        "--log", str(path), "--log-columns", ",".join(COLUMNS), "--log-user", "user", "--log-item", "item",
        "--log-time", "timestamp", "--log-rating", "none", "--log-sep", ",", "--log-time-format", "unix",
        "--log-behavior", "type", "--log-keep", "pv, cart"], paper=mtam)
    options = RunOptions(**cli.options(args))
    assert options.log == str(path) and options.log_format == LogFormat(
        rating=None, sep=",", time_format="unix", names=COLUMNS, behavior="type", keep=("pv", "cart"))
    (paper,) = mtam.paper_datasets(options)  # only the log: no paper dataset was asked for
    assert (paper.label, paper.extra, paper.log) == ("clicks", True, str(path))
    assert cli.options(cli.parse("", ".", ["--log", str(path), "--log-sep", "\\t"]))["log_format"].sep == "\t"


@pytest.mark.parametrize("argv, message", [
    (["--log-user", "session"], "--log-user: only with --log PATH"),
    (["--log", "nowhere.csv"], "--log nowhere.csv: no such file"),
])
def test_log_flags_that_cannot_work_are_usage_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as done:
        cli.parse(mtam.__doc__, ".", argv, paper=mtam)
    assert done.value.code == 2 and message in capsys.readouterr().err


def test_behaviour_filter_reports_what_it_removed(write_log, caplog):
    with caplog.at_level(logging.INFO, logger="seqrec.datasets.own_log"):
        notes = []
        events, _ = read_log(write_log("clicks.csv"), LogFormat(behavior="type", keep=("pv",)), notes)
    assert len(events) == USERS * EVENTS * 4 // 5
    assert notes == ["columns not used: extra",
                     "kept the 480 rows whose 'type' is one of pv; removed 120 rows of other behaviours"]
    assert "columns not used: extra" in caplog.text and "removed 120 rows" in caplog.text
    with pytest.raises(ValueError, match="behaviour column and the values to keep together"):
        LogFormat(behavior="type")
    with pytest.raises(DataError, match=r"no row has 'type' in \['cart'\]; its values are \['buy', 'pv'\]"):
        read_log(write_log("clicks.csv"), LogFormat(behavior="type", keep=("cart",)))


def test_describe_a_log(write_log, capsys):
    path = write_log("clicks.csv.gz")
    code = datasets_cli.main(["describe", "--log", str(path), "--log-behavior", "type", "--log-keep", "buy"])
    out = capsys.readouterr().out
    assert code == 0
    fields = dict(line.split(None, 1) for line in out.splitlines())
    assert (fields["name"], fields["users"], fields["interactions"]) == ("clicks", "40", "120")
    assert "removed 480 rows of other behaviours" in fields["notes"]
    assert "columns not used: extra" in fields["notes"]
    # the notes survive the cache: a second load reads the prepared records
    again = load_log(path, LogFormat(behavior="type", keep=("buy",)))
    assert again.notes and again.summary()["notes"] == fields["notes"]
    with pytest.raises(SystemExit):
        datasets_cli.main(["describe"])


# --- compressed logs, truncated archives, short lines --------------------------------------------------

@pytest.mark.parametrize("name", ["clicks.csv.gz", "clicks.csv.bz2", "clicks.zip"])
def test_compressed_logs_read_as_plain_ones(write_log, name):
    plain, _ = read_log(write_log("clicks.csv"), LogFormat())
    events, _ = read_log(write_log(name), LogFormat())
    assert events.equals(plain)
    assert load_log(write_log(name)).name == "clicks"


@pytest.mark.parametrize("name", ["clicks.csv.gz", "clicks.csv.bz2", "clicks.zip"])
def test_truncated_archive_is_a_data_error_naming_the_file(write_log, name):
    path = write_log(name)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(DataError, match=re.escape(f"{path}: cannot read the") + ".*truncated or corrupt"):
        read_log(path, LogFormat())


def test_zip_with_two_files_is_refused(tmp_path):
    path = tmp_path / "logs.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.csv", "user,item,rating,timestamp\n")
        archive.writestr("b.csv", "user,item,rating,timestamp\n")
    with pytest.raises(DataError, match=r"must hold exactly one file; it holds \['a.csv', 'b.csv'\]"):
        read_log(path, LogFormat())


@pytest.mark.parametrize("name, sep", [("clicks.csv", ","), ("clicks.tsv", "\t")])
def test_line_with_too_few_fields_names_its_line(tmp_path, name, sep):
    path = tmp_path / name
    path.write_text(sep.join(COLUMNS) + "\n" + sep.join(log_rows()[0]) + "\n\n" + sep.join(log_rows()[1][:3])
                    + "\n")
    with pytest.raises(DataError, match=re.escape(f"line 4 has 3 {sep!r}-separated fields, expected 6")):
        read_log(path, LogFormat())


def test_line_the_csv_module_cannot_split_is_a_data_error(tmp_path):
    """A blank line makes the reader find each row's line with the csv module, which refuses a field
    longer than its limit (131,072 characters): a DataError naming the file, not a raw _csv.Error."""
    path = tmp_path / "clicks.csv"
    path.write_text(f"user,item,rating,timestamp\nu1,{'i' * 200_000},5,100\n\nu1,i2,5,200\n")
    with pytest.raises(DataError, match=re.escape(f"{path}: cannot read the file's lines")):
        read_log(path, LogFormat())


# --- one smoke-sized run: a log as an extra dataset, with a deviation ------------------------------------

def test_log_runs_through_a_reproduce_script(write_log, tmp_path):
    path = write_log("clicks.csv.gz")
    assert script("iarn_table2")([
        "--profile", "smoke", "--out", str(tmp_path), "--log", str(path), "--log-behavior", "type",
        "--log-keep", "pv", "--min-user", "3", "--min-item", "3"]) == 0
    payload = json.loads((tmp_path / "iarn_table2.json").read_text())
    manifest = payload["manifest"]
    (dataset,) = manifest["datasets"]
    assert (dataset["paper_dataset"], dataset["name"], dataset["substitute"]) == ("clicks", "clicks", True)
    assert dataset["extra"] is True
    assert dataset["interactions"] == USERS * EVENTS * 4 // 5  # the "buy" events removed
    assert "min_count=3" in manifest["protocols"]["clicks"]
    notes = "\n".join(manifest["notes"])
    for note in ("deviation from the paper: --min-user 3", "deviation from the paper: --min-item 3",
                 "clicks: not one of the paper's datasets: your log", "clicks: columns not used: extra"):
        assert note in notes
    cells = [c for c in payload["cells"] if c["dataset"] == "clicks"]
    assert {c["method"] for c in cells} >= {"MF", "IARN", "BPR"}  # the paper's rows, without its numbers
    assert all(c["paper"] is None for c in cells) and sum(c["status"] == "ok" for c in cells) >= 6
    status = {(c["method"], c["metric"]): c["status"] for c in cells}
    assert status[("MF", "RMSE")] == "ok" and status[("IARN", "AUC")].startswith("not applicable: no item")
    text = (tmp_path / "iarn_table2.md").read_text()
    assert "## clicks" in text
    assert "`clicks` (not one of the paper's datasets, run under its protocol)" in text


# --- statuses cut at a word boundary -------------------------------------------------------------------

def test_failure_status_is_cut_at_a_word_boundary():
    message = "the optimiser diverged because " + "the embedding of an extraordinarily rare item " * 6

    def broken():
        raise RuntimeError(message)

    results = Results()
    prepared = SimpleNamespace(label="L", name="l", folder="", task=None, data=None)
    _run_one(MethodSpec("Broken", broken), prepared, RunOptions(), None, results, SimpleNamespace(
        step=lambda what: None), None)
    status = results.status("L", "Broken")
    assert status.startswith("failed: RuntimeError: the optimiser") and status.endswith("…")
    words = status.removeprefix("failed: RuntimeError: ").removesuffix("…").split()
    assert words == message.split()[:len(words)] and len(status) <= len("failed: RuntimeError: ") + 120
    assert shorten("short enough", 120) == "short enough" and shorten("x" * 200, 10) == "x" * 9 + "…"


def test_protocol_error_status_is_cut_at_a_word_boundary(write_log):
    message = "the filter removed every user " * 10

    def prepare(paper, name, interactions):
        raise ProtocolError(message)

    paper = PaperDataset(label="mine", own="clicks", log=str(write_log("clicks.csv")), extra=True)
    results = run([paper], prepare, lambda prepared: [], RunOptions(), open_manifest("test", RunOptions()))
    status = results.status("mine")
    assert status.startswith("not applicable: the filter") and status.endswith("…")
    words = status.removeprefix("not applicable: ").removesuffix("…").split()
    assert words == message.split()[:len(words)] and len(words) > 20
    assert results.extra == ["mine"]


def test_preparing_prints_nothing_and_logs_what_tensorflow_datasets_says(write_log, tmp_path, capsys,
                                                                         caplog):
    """tensorflow-datasets printed "Downloading and preparing dataset Unknown size ..." for a local file."""
    with caplog.at_level(logging.INFO, logger="seqrec.datasets.records"):
        load_log(write_log("clicks.csv"), LogFormat(rating=None), cache_dir=tmp_path / "fresh-cache")
    assert "Downloading and preparing" not in capsys.readouterr().out
    assert "tensorflow-datasets: Downloading and preparing dataset" in caplog.text
