"""A recurrent layer that projects every step's input for the whole sequence at once, then runs only the
recurrence: what fused RNN kernels do, for the suite's cells."""

from collections.abc import Sequence
from typing import Any

import keras

Tensor = Any  # a backend tensor, a NumPy array or a symbolic `keras.KerasTensor`
Shape = tuple[int | None, ...]


class _Step(keras.layers.Layer):
    """The recurrent half of a cell, as a Keras RNN cell: ``call(projected, states)`` is
    ``cell.step(projected, states, weights)`` with the recurrent weights `ProjectedRNN` arranged for the
    sequence (``arranged``, set before each run).

    It holds the cell's bound ``step`` and sizes, not the cell itself, so the cell's weights are tracked
    once, by `ProjectedRNN`."""

    def __init__(self, cell: keras.layers.Layer, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.step = cell.step
        self.state_size, self.output_size = cell.state_size, cell.output_size
        self.arranged = None

    def build(self, input_shape: Shape) -> None:
        self.built = True

    def call(self, inputs: Tensor, states: Tensor | Sequence[Tensor]) -> tuple[Tensor, list[Tensor]]:
        return self.step(inputs, states, self.arranged)

    def compute_output_spec(self, inputs: Tensor, states: Tensor | Sequence[Tensor]
                            ) -> tuple[keras.KerasTensor, list[keras.KerasTensor]]:
        sizes = self.state_size if isinstance(self.state_size, list | tuple) else [self.state_size]
        batch = inputs.shape[0]
        return (keras.KerasTensor((batch, self.output_size), dtype=self.compute_dtype),
                [keras.KerasTensor((batch, size), dtype=self.compute_dtype) for size in sizes])


@keras.saving.register_keras_serializable(package="seqrec")
class ProjectedRNN(keras.layers.Layer):
    """`keras.layers.RNN` for a cell whose step splits into a projection of the step's input and the
    recurrence.

    A cell of the suite that supports it (`TGRUCell`, `TimeLSTMCell`, the user GRU cells) has
    ``project(inputs)``, every computation of a step that reads only that step's input (its input
    kernels, biases, time terms), ``recurrent_weights()``, the weights the step multiplies the state
    with, sliced and concatenated so that one product serves several gates, and ``step(projected,
    states, weights)``, the rest; its ``call`` is ``step(project(inputs), states)``. This layer applies
    ``project`` to the whole sequence at once, one matrix product over batch x steps, arranges the
    recurrent weights once, and runs only ``step`` in ``keras.layers.RNN``: the same equations as
    ``keras.layers.RNN(cell)``, with less work inside the loop.

    Args:
        cell: a cell with ``project`` and ``step`` (and the Keras cell protocol).
        return_sequences: return the output after every step, [B, T, output_size], not only the last.
        return_state: also return the final state(s).
        **kwargs: other arguments of `keras.layers.Layer` (``name``, ``dtype``, ...).

    Call arguments:
        inputs: the step inputs of the whole sequence, [B, T, input_dim].
        mask: optional bool [B, T]; masked steps keep the state, as in ``keras.layers.RNN``.
        initial_state: optional list of initial states.
        training: passed to the recurrent layer.

    Returns:
        As ``keras.layers.RNN(cell, return_sequences, return_state)``: the output [B, output_size] (or
        [B, T, output_size]), followed by the final states when ``return_state``.

    Example:

    >>> import numpy as np
    >>> from seqrec.layers import ProjectedRNN, TGRUCell
    >>> rnn = ProjectedRNN(TGRUCell(4), return_sequences=True)
    >>> steps = np.ones((2, 5, 3 + 1), "float32")  # 3 features and the time since the previous event
    >>> tuple(rnn(steps).shape)
    (2, 5, 4)

    References:
        - The input projection hoisted out of the recurrence, as in cuDNN's fused RNN kernels (Appleyard,
          Kocisky and Blunsom, "Optimizing Performance of Recurrent Neural Networks on GPUs", 2016).
    """

    def __init__(self, cell: keras.layers.Layer, return_sequences: bool = False, return_state: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not all(callable(getattr(cell, m, None)) for m in ("project", "recurrent_weights", "step")):
            raise TypeError(f"{type(cell).__name__} has no project/step split; use keras.layers.RNN")
        self.cell = cell
        self.return_sequences, self.return_state = return_sequences, return_state
        self.rnn = keras.layers.RNN(_Step(cell), return_sequences=return_sequences, return_state=return_state)
        self.supports_masking = True

    def build(self, input_shape: Shape) -> None:
        if not self.cell.built:
            self.cell.build((input_shape[0], input_shape[-1]))
        self.built = True

    def call(self, inputs: Tensor, mask: Tensor | None = None, initial_state: list | None = None,
             training: bool | None = None) -> Tensor | list[Tensor]:
        self.rnn.cell.arranged = self.cell.recurrent_weights()  # once, outside the loop over steps
        return self.rnn(self.cell.project(inputs), mask=mask, initial_state=initial_state, training=training)

    def compute_mask(self, inputs: Tensor, mask: Tensor | None = None) -> Tensor | list | None:
        return self.rnn.compute_mask(inputs, mask)

    def compute_output_shape(self, input_shape: Shape) -> Shape | list[Shape]:
        """[B, output_size] or [B, T, output_size], then [B, size] per state with ``return_state``."""
        batch = input_shape[0]
        output = ((batch, input_shape[1], self.cell.output_size) if self.return_sequences
                  else (batch, self.cell.output_size))
        if not self.return_state:
            return output
        sizes = self.cell.state_size
        sizes = sizes if isinstance(sizes, list | tuple) else [sizes]
        return [output, *[(batch, size) for size in sizes]]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "cell": keras.saving.serialize_keras_object(self.cell),
                "return_sequences": self.return_sequences, "return_state": self.return_state}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "ProjectedRNN":
        config = dict(config)
        config["cell"] = keras.saving.deserialize_keras_object(config["cell"])
        return cls(**config)
