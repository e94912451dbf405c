"""What a run writes to TensorBoard beyond Keras' epoch scalars.

* `log_hyperparameters`: the run's settings for the HParams dashboard;
* `log_history`: the per-epoch values of a trainer without a Keras TensorBoard callback (the classical
  baselines), in Keras' layout, so every method's curves sit side by side;
* `log_final`: the selected model's validation and test metrics, which the HParams dashboard lists as
  metrics beside the settings, so runs compare in its table view;
* `AttentionImages`: per epoch, a model's attention for a few fixed validation examples as a heatmap
  image (rows: examples, columns: the steps of their histories, latest on the right) and a text summary
  of the most-attended steps, named by item title where the data has titles.

Open them with ``tensorboard --logdir <logdir>``: Scalars, HParams, Images and Text tabs.
"""

import io
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from matplotlib.figure import Figure

from seqrec.datasets.pipelines import SequenceData, next_item_dataset


def log_hyperparameters(logdir: Path, hyperparameters: dict) -> None:
    """Record a run's hyper-parameters for TensorBoard's HParams dashboard."""
    from tensorboard.plugins.hparams import api as hp

    clean = {k: v if isinstance(v, bool | int | float | str) else str(v) for k, v in hyperparameters.items()}
    with tf.summary.create_file_writer(str(logdir)).as_default():
        hp.hparams(clean)


def log_history(logdir: Path, history: Mapping[str, Sequence[float]]) -> None:
    """Per-epoch values in Keras' layout: ``loss`` as ``epoch_loss`` under ``logdir/train``, every other
    key ``k`` (a validation metric) as ``epoch_k`` under ``logdir/validation``; epochs count from 0."""
    for key, values in history.items():
        part, tag = ("train", "epoch_loss") if key == "loss" else ("validation", f"epoch_{key}")
        with tf.summary.create_file_writer(str(Path(logdir) / part)).as_default():
            for epoch, value in enumerate(values):
                if value is not None and np.isfinite(value):
                    tf.summary.scalar(tag, float(value), step=epoch)


def log_final(logdir: Path, metrics: Mapping[str, float]) -> None:
    """The selected model's metrics (``valid/...``, ``test/...``) as scalars at step 0 under ``logdir``,
    beside its hyper-parameters."""
    with tf.summary.create_file_writer(str(logdir)).as_default():
        for name, value in metrics.items():
            if value is not None and np.isfinite(value):
                tf.summary.scalar(name, float(value), step=0)


def item_names(data: SequenceData, width: int = 28) -> Callable[[int], str]:
    """``index -> name`` of an encoded item: its title where the data has titles, else its id."""
    titles = {}
    if data.item_info is not None and "title" in data.item_info:
        titles = data.item_info["title"].astype(str).to_dict()

    def name(index: int) -> str:
        raw = str(data.items.decode(index))
        title = titles.get(raw, "") or raw
        return title if len(title) <= width else title[:width - 1] + "…"

    return name


def validation_examples(data: SequenceData, max_len: int, padding: str, examples: int = 8
                        ) -> tuple[dict, list[str], Callable[[int], str]]:
    """``(batch, labels, names)``: the first ``examples`` validation prefixes as one pipeline batch (the
    latest ``max_len`` events, padded on ``padding``'s side), a row label ``user -> target`` for each and
    `item_names`: what a trainer's attention images show."""
    targets = data.targets("valid")[:examples]
    batch = next(iter(next_item_dataset(data.by_user, targets, max_len=max_len, batch_size=examples,
                                        padding=padding)))
    names = item_names(data)
    labels = [f"{u} -> {names(i)}" for u, i in zip(data.users.decode(batch["user"].numpy()),
                                                   batch["target"].numpy(), strict=True)]
    return batch, labels, names


Probe = Callable[[], Mapping[str, tuple[np.ndarray, np.ndarray]]]


class AttentionImages(keras.callbacks.Callback):
    """Writes, after every epoch, each attention of ``probe()`` for the same examples.

    Args:
      logdir: the run's folder (images and text go to ``logdir/attention``).
      probe: ``() -> {name: (weights [U, T], ids [U, T])}`` (names as TensorFlow accepts them, e.g.
        ``user_history``): the attention of each of U fixed examples
        over the T steps of its history, and the item (or user) index at each step (0 = padding).
      rows: a label per example (e.g. ``user 42 -> item 7``).
      names: ``index -> str`` for the ids (titles), used by the text summary; ``names_by_key`` overrides
        it for some attentions (e.g. one over users).
      top: the most-attended steps listed per example.
    """

    def __init__(self, logdir: Path, probe: Probe, rows: Sequence[str], names: Callable[[int], str],
                 names_by_key: Mapping[str, Callable[[int], str]] | None = None, top: int = 3):
        super().__init__()
        self.probe, self.rows, self.names, self.top = probe, list(rows), names, top
        self.names_by_key = dict(names_by_key or {})
        self.writer = tf.summary.create_file_writer(str(Path(logdir) / "attention"))

    def on_epoch_end(self, epoch, logs=None):
        with self.writer.as_default():
            for name, (weights, ids) in self.probe().items():
                weights, ids = np.asarray(weights, np.float32), np.asarray(ids)
                image = heatmap(weights, ids, self.rows, name)
                tf.summary.image(f"attention/{name}", image[None], step=epoch)
                tf.summary.text(f"attention/{name}", self.summary(name, weights, ids), step=epoch)
        self.writer.flush()

    def summary(self, key: str, weights: np.ndarray, ids: np.ndarray) -> str:
        """A markdown table: each example's most-attended steps with their weights."""
        names = self.names_by_key.get(key, self.names)
        lines = ["| example | most attended (weight) |", "|---|---|"]
        for row, w, i in zip(self.rows, weights, ids, strict=True):
            order = [k for k in np.argsort(-w, kind="stable") if i[k] > 0][:self.top]
            lines.append(f"| {row} | " + "; ".join(f"{names(int(i[k]))} ({w[k]:.3f})" for k in order)
                         + " |")
        return "\n".join(lines)


def heatmap(weights: np.ndarray, ids: np.ndarray, rows: Sequence[str], title: str) -> tf.Tensor:
    """An RGBA image [H, W, 4] (uint8) of ``weights`` [U, T], padding steps blank."""
    shown = np.ma.masked_where(ids <= 0, weights)
    figure = Figure(figsize=(max(4.0, 0.12 * weights.shape[1] + 2.5), 0.35 * len(rows) + 1.2), dpi=80)
    axes = figure.subplots()
    image = axes.imshow(shown, aspect="auto", cmap="viridis", interpolation="nearest")
    axes.set_yticks(range(len(rows)), rows, fontsize=7)
    axes.set_xlabel("history step (latest on the right)", fontsize=8)
    axes.set_title(title, fontsize=9)
    figure.colorbar(image, ax=axes)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return tf.image.decode_png(buffer.getvalue(), channels=4)
