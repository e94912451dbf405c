"""The one early-stopping path: Keras' EarlyStopping, comparing validation scores exactly."""

import operator

import keras
import numpy as np

from seqrec.models.base import early_stopping
from seqrec.training import FitContext, selection_callbacks


def drive(stopping, values):
    """Feed ``values`` as the epochs' monitored scores; returns the epochs run."""
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    stopping.set_model(model)
    model.stop_training = False  # as fit leaves it
    stopping.on_train_begin()
    for epoch, value in enumerate(values):
        model.layers[0].kernel.assign(np.full((1, 1), float(epoch), "float32"))  # the epoch's weights
        stopping.on_epoch_end(epoch, {"val_score": value})
        if model.stop_training:
            break
    stopping.on_train_end()
    return epoch + 1, float(model.layers[0].kernel.numpy()[0, 0])


def test_a_gain_below_float32_precision_is_an_improvement():
    """Keras' own comparison (float32) would take 0.7000000001 for a tie with 0.7 and keep epoch 1."""
    epochs, restored = drive(early_stopping("val_score", "max", patience=2),
                             [0.7, 0.7000000001, 0.69, 0.69, 0.69])
    assert epochs == 4 and restored == 1.0  # stopped 2 epochs after the best, the best (epoch 2) restored
    assert not keras.ops.greater(0.7000000001, 0.7)  # why: Keras' tensor comparison is float32


def test_min_mode_and_the_trainers_use_it():
    epochs, restored = drive(early_stopping("val_score", "min", patience=1), [0.5, 0.4, 0.45, 0.3])
    assert epochs == 3 and restored == 1.0
    context = FitContext(validate=lambda: 0.0, monitor="ndcg@10", mode="max")
    stopping = [c for c in selection_callbacks("m", {}, context, 3)
                if isinstance(c, keras.callbacks.EarlyStopping)]
    assert len(stopping) == 1 and stopping[0].monitor_op is operator.gt and stopping[0].patience == 3
