"""Distribution strategies for the Keras trainers (``--strategy``), and what a manifest says about them.

* ``default``: TensorFlow's default strategy, one device (a GPU when one is visible, else the CPU).
* ``mirrored``: `tf.distribute.MirroredStrategy`, synchronous data parallelism over every GPU of the
  machine (or over the logical CPU devices a test configures).
* ``multi-worker``: `tf.distribute.MultiWorkerMirroredStrategy` over the machines that ``TF_CONFIG``
  names (each machine runs the same command with its own ``task.index``; worker 0 writes the outputs).

A trainer builds and compiles its model inside ``scope(context.strategy)``; Keras' ``fit`` then splits
each batch over the replicas and all-reduces the gradients, so a batch size is the **global** batch (the
manifest states it with the replicas, `describe`). A ``tf.data`` pipeline made in memory has no files to
shard, so `for_replicas` sets its auto-shard policy to DATA (each worker keeps its share of every batch)
instead of letting TensorFlow try FILE and warn.

A strategy is made once per process (`get`): ``MultiWorkerMirroredStrategy`` must exist before any other
TensorFlow op runs, so the command line makes it first (`seqrec.experiments.cli.parse`).
"""

import contextlib
import functools
import json
import os

import keras
import tensorflow as tf

STRATEGIES = ("default", "mirrored", "multi-worker")
_MADE: dict[str, tf.distribute.Strategy] = {}


def get(name: str = "default") -> tf.distribute.Strategy | None:
    """The process's strategy of that name (made on first use); ``default`` is None, nothing to enter."""
    if name not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {name!r}")
    if name == "default":
        return None
    if name not in _MADE:
        if name == "mirrored":
            _MADE[name] = tf.distribute.MirroredStrategy()
        else:
            if "TF_CONFIG" not in os.environ:
                raise ValueError("--strategy multi-worker reads the cluster from the TF_CONFIG environment "
                                 "variable, which is not set: see the README's 'Several GPUs, several "
                                 "machines'")
            _MADE[name] = tf.distribute.MultiWorkerMirroredStrategy()
    return _MADE[name]


def scope(strategy: tf.distribute.Strategy | None):
    """The strategy's scope (None: the default strategy, nothing to enter)."""
    return strategy.scope() if strategy is not None else contextlib.nullcontext()


def in_scope(fit):
    """Decorate a trainer's ``fit(self, data, context)``: it runs (building, compiling and training its
    model) inside ``context.strategy``'s scope."""
    @functools.wraps(fit)
    def fit_in_scope(self, data, context):
        with scope(context.strategy):
            return fit(self, data, context)
    return fit_in_scope


class _Prebuilt(keras.Model):
    """``model`` as ``fit`` trains it under a strategy, built before ``fit`` (`compiled`). Keras 3.15's
    ``fit`` would build a model under a strategy from its first batch averaged over the replicas
    (``Trainer._maybe_symbolic_build``), which fails on boolean masks (no average of bool), on a batch
    that splits unevenly over the replicas, and on item ids (their average is a float no embedding can
    look up); this wrapper skips that step, its model, loss and optimizer being built on a real batch
    already. It holds no weights of its own: training it trains ``model``."""

    def __init__(self, model: keras.Model, **kwargs):
        super().__init__(**{"name": "prebuilt", **kwargs})  # not "_prebuilt": no valid TensorFlow scope
        self.model = model

    def call(self, inputs, training=False):
        return self.model(inputs, training=training)

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        """Nothing to build: `compiled` built the model, its loss and its optimizer."""

    def train_step(self, data):
        return _reducible(self, super().train_step(data))

    def test_step(self, data):
        return _reducible(self, super().test_step(data))


def _reducible(model: keras.Model, logs: dict) -> dict:
    """A step's logs as Keras 3.15 can reduce them over a multi-worker cluster: it reduces each with
    ``strategy.reduce("MEAN", value, axis=0)``, which fails on a scalar ("Invalid reduction dimension 0",
    tensorflow/tensorflow#72388), so each scalar gets that axis (the reduction then returns a scalar)."""
    if not isinstance(model.distribute_strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return logs
    return {k: tf.reshape(v, [1]) if v.shape.rank == 0 else v for k, v in logs.items()}


def compiled(model: keras.Model, train: tf.data.Dataset, strategy, **compile_args
             ) -> tuple[keras.Model, tf.data.Dataset]:
    """``(what fit trains, the training dataset it reads)``: ``model`` compiled with ``compile_args`` (under
    a strategy, wrapped in `_Prebuilt` first) and built with its loss and optimizer on one replica's share
    of the first batch, the batch size each replica's model sees in ``fit`` (UserGRU's per-replica carry
    takes it), so that its variables exist before ``fit`` (a per-epoch checkpoint restores into them,
    `seqrec.training.checkpoints`); the dataset with the DATA auto-shard policy (`for_replicas`)."""
    train = for_replicas(train)
    trained = model if strategy is None else _Prebuilt(model)
    trained.compile(**compile_args)
    batch = next(iter(train))
    share = tf.nest.flatten(batch[1])[0].shape[0] // replicas(strategy)
    x, y, *weights = tf.nest.map_structure(lambda t: t[:share], batch)
    trained.compute_loss(x, y, trained(x, training=False), weights[0] if weights else None, training=False)
    trained.optimizer.build(trained.trainable_variables)
    return trained, train


def replicas(strategy: tf.distribute.Strategy | None) -> int:
    return 1 if strategy is None else strategy.num_replicas_in_sync


def for_replicas(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """``dataset`` with the DATA auto-shard policy (an in-memory pipeline has no files to shard)."""
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def task_name() -> str:
    """This process's task in ``TF_CONFIG`` (``worker-1``), or ``""`` without a cluster: each task keeps
    its own per-epoch checkpoints."""
    task = json.loads(os.environ.get("TF_CONFIG") or "{}").get("task")
    return f"{task.get('type', 'worker')}-{int(task.get('index', 0))}" if task else ""


def is_chief() -> bool:
    """Whether this process writes the run's outputs: without ``TF_CONFIG``, always; on a cluster, the
    task of type ``chief`` if the cluster has one, else worker 0."""
    config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    task = config.get("task")
    if not task:
        return True
    if "chief" in config.get("cluster", {}):
        return task.get("type") == "chief"
    return task.get("type") == "worker" and int(task.get("index", 0)) == 0


def describe(strategy: tf.distribute.Strategy | None) -> dict:
    """What a manifest records: the strategy and its replicas (batch sizes are global, a note says)."""
    return {"strategy": type(strategy).__name__ if strategy is not None else "default",
            "replicas": replicas(strategy)}
