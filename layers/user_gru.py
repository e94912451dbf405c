"""User-based GRU cells: linear, rectified-linear and attentional user integration.

Donkers, Loepp and Ziegler, "Sequential User-based Recurrent Neural Network Recommendations", RecSys 2017,
section 3.2, Eq. 3-10. Each cell reads, at every step, the embedded item ``E_i i_t`` and the embedded user
``E_v v_t`` besides its previous state ``h_{t-1}``.

Conventions shared by the three cells
-------------------------------------
* **Per-step input.** ``keras.layers.RNN`` hands a cell one tensor per step, so the step input is the
  concatenation ``[E_i i_t ; E_v v_t]`` of shape [batch, item_dim + user_dim], the user embedding **last**,
  with ``user_dim`` given to the constructor (``item_dim`` is what remains). The embeddings and the paper's
  dropout on them (keep 0.8 items, 0.5 users) belong to the model, before the RNN; the user embedding is
  usually the same vector repeated over the steps (the paper: "v^t remains constant"). Masked steps keep the
  state, as ``keras.layers.RNN`` does for any cell.
* **Embedding sizes.** The paper takes both embeddings of the hidden size n "for notational simplicity ...
  this does not necessarily has to be the case"; here ``item_dim``, ``user_dim`` and ``units`` are free,
  except where an equation multiplies vectors element-wise (the rectifier's thresholds have the user
  embedding's size, the attentional gate needs ``item_dim == user_dim``).
* **Affine maps.** ``T_{k,l} x = W x + b``. A map of a concatenation, ``T_{3n,2n} [h; e_i; e_v]``, is
  ``W_h h + W_i e_i + W_v e_v + b``; a sum of three maps (Eq. 4, 8, 10) has three biases that add up to one,
  so one bias is kept (the same function class). The weights are stored per input: ``kernel`` (item),
  ``user_kernel`` (user, so that the paper's L2 "on user side" can be put on it alone with
  ``user_regularizer``) and ``recurrent_kernel``, each with columns ``[u | r | k]`` (3 * units), and ``bias``.
* **Gates and update.** Eq. 3 / 9: ``[u; r] = sigmoid(...)``. Eq. 4 / 10, whose parentheses the typesetting
  lost, are read as the standard GRU candidate (Cho et al. 2014 and Chung et al. 2014, the paper's [5], [6])
  ``k = tanh(U_h (r * h_{t-1}) + U_i x_i + U_v x_v + b)``, with ``x_i``, ``x_v`` the item and user inputs
  after the cell's integration: the reset gate acts on the previous state *before* the recurrent map
  (Keras' ``reset_after=False``), and tanh squashes the whole sum.
  Eq. 5, typeset ``h^t = 1_n - u * h^{t-1} + u * k``, is read as the standard GRU interpolation
  ``h_t = (1 - u) * h_{t-1} + u * k``: ``u`` weighs the *candidate* (Chung et al.'s convention; Keras' GRU
  writes ``z = 1 - u`` weighing the previous state).

Shapes: step input [B, item_dim + user_dim]; state [B, units]; output [B, units] (the attentional cell with
``return_attention=True``: [B, units + dim], the gate ``xi`` appended).
"""

from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

Tensor = Any  # a backend tensor, a NumPy array or a symbolic `keras.KerasTensor`
Shape = tuple[int | None, ...]

THRESHOLD_GRADIENTS = ("surrogate", "exact")


def rectify_user(user: Tensor, kappa1: Tensor, kappa2: Tensor, omega: float = 0.2,
                 threshold_gradient: str = "surrogate", temperature: float = 0.1) -> Tensor:
    """Eq. 6: the user embedding's components filtered by the thresholds ``kappa1``, ``kappa2``.

    Component-wise: 0 where ``e < kappa1``; ``omega * e`` where ``kappa1 <= e < kappa2``; ``e`` where
    ``e >= max(kappa1, kappa2)``. The paper's strict inequalities leave the ties (of measure zero) open;
    they go up: a component equal to ``kappa1`` is scaled, one equal to ``kappa2`` is passed. When
    ``kappa2 <= kappa1`` the middle band is empty and every component not below ``kappa1`` passes, which is
    what the paper's case list gives ("else").

    **Differentiation.** The forward value is always the exact piecewise function. Its derivative in ``e``
    is the band's factor (0, omega or 1) almost everywhere; its derivative in the thresholds is zero almost
    everywhere (the jumps are Dirac terms), so plain automatic differentiation (``"exact"``) would never
    train the parameters of Eq. 7, against the paper's thresholds that "dynamically ensure that only
    relevant parts of the user representation are exploited". ``"surrogate"`` (the default) is a
    straight-through estimator: the backward pass adds the derivative of the smooth relaxation::

        m_soft = sigmoid((e - kappa1) / T) * (omega + (1 - omega) * sigmoid((e - kappa2) / T))

    times ``e``, so that ``d out / d kappa1 = e * d m_soft / d kappa1`` (likewise ``kappa2``) and
    ``d out / d e = m + e * d m_soft / d e``, where ``m`` is the hard factor. The temperature ``T`` is the
    width of the band around a threshold where gradient flows (0.1: the scale of the paper's
    uniform(-0.1, 0.1) embeddings); the paper says nothing on this, the choice is ours. ``"exact"``
    reproduces what autodiff of the comparisons gives (thresholds get no gradient).

    Shapes: ``user``, ``kappa1``, ``kappa2`` [B, user_dim]; output [B, user_dim].
    """
    if threshold_gradient not in THRESHOLD_GRADIENTS:
        raise ValueError(f"threshold_gradient must be one of {THRESHOLD_GRADIENTS}, "
                         f"got {threshold_gradient!r}")
    above1, above2 = user >= kappa1, user >= kappa2
    one, zero = ops.ones_like(user), ops.zeros_like(user)
    factor = ops.where(above1, ops.where(above2, one, omega * one), zero)
    out = user * ops.stop_gradient(factor)
    if threshold_gradient == "surrogate":
        soft = ops.sigmoid((user - kappa1) / temperature) * (
            omega + (1.0 - omega) * ops.sigmoid((user - kappa2) / temperature))
        out = out + ops.stop_gradient(user) * (soft - ops.stop_gradient(soft))  # adds exactly 0 forward
    return out


class _UserGRUCell(keras.layers.Layer):
    """The GRU of Eq. 3-5 with the user's input routed through ``project`` and ``_inputs`` (shared by the
    three cells)."""

    def __init__(self, units: int, user_dim: int,
                 kernel_initializer: str | keras.initializers.Initializer = "glorot_uniform",
                 recurrent_initializer: str | keras.initializers.Initializer = "orthogonal",
                 bias_initializer: str | keras.initializers.Initializer = "zeros",
                 kernel_regularizer: str | keras.regularizers.Regularizer | None = None,
                 user_regularizer: str | keras.regularizers.Regularizer | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if units < 1 or user_dim < 1:
            raise ValueError(f"units and user_dim must be positive, got {units} and {user_dim}")
        self.units = units
        self.user_dim = user_dim
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.user_regularizer = keras.regularizers.get(user_regularizer)
        self.state_size = units
        self.output_size = units

    def build(self, input_shape: Shape) -> None:
        self.item_dim = input_shape[-1] - self.user_dim
        if self.item_dim < 1:
            raise ValueError(f"the step input [item ; user] has {input_shape[-1]} features, which leaves no "
                             f"item features after user_dim={self.user_dim}")
        u3 = 3 * self.units
        self.kernel = self.add_weight(shape=(self.item_dim, u3), name="kernel",
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer)
        self.user_kernel = self.add_weight(shape=(self.user_dim, u3), name="user_kernel",
                                           initializer=self.kernel_initializer,
                                           regularizer=self.user_regularizer)
        self.recurrent_kernel = self.add_weight(shape=(self.units, u3), name="recurrent_kernel",
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.kernel_regularizer)
        self.bias = self.add_weight(shape=(u3,), name="bias", initializer=self.bias_initializer)

    def call(self, inputs: Tensor, states: Tensor | Sequence[Tensor]) -> tuple[Tensor, list[Tensor]]:
        return self.step(self.project(inputs), states)

    def project(self, inputs: Tensor) -> Tensor:
        """Everything of a step that reads only its input ``[e_i ; e_v]`` [..., item_dim + user_dim], for
        one step or a whole sequence (`ProjectedRNN`). Linear cell: the input maps of Eq. 3-4,
        ``W_i e_i + W_v e_v + b`` [..., 3 units]."""
        item, user = inputs[..., :self.item_dim], inputs[..., self.item_dim:]
        return ops.matmul(item, self.kernel) + ops.matmul(user, self.user_kernel) + self.bias

    def recurrent_weights(self) -> list[Tensor]:
        """The state's weights as the step reads them, arranged once per sequence (`ProjectedRNN`):
        ``W_h`` (with, in the rectified and attentional cells, the state's half of Eq. 7 or 8 as further
        columns, so that one product serves both) and ``U_h``."""
        n = self.units
        return [self.recurrent_kernel[:, :2 * n], self.recurrent_kernel[:, 2 * n:]]

    def _inputs(self, projected: Tensor, previous: Tensor, weights: Sequence[Tensor]
                ) -> tuple[Tensor, Tensor, Tensor | None]:
        """The input maps of the gates and the candidate [B, 3 units], the gates' state term
        ``W_h h_{t-1}`` [B, 2 units], and the step's extra output."""
        return projected, ops.matmul(previous, weights[0]), None

    def step(self, projected: Tensor, states: Tensor | Sequence[Tensor],
             weights: Sequence[Tensor] | None = None) -> tuple[Tensor, list[Tensor]]:
        """Eq. 3-5 from `project`'s output, the previous state and `recurrent_weights`."""
        previous = states[0] if isinstance(states, list | tuple) else states
        weights = self.recurrent_weights() if weights is None else weights
        x, from_state, extra = self._inputs(projected, previous, weights)
        n = self.units
        ur = ops.sigmoid(x[:, :2 * n] + from_state)                                              # Eq. 3
        u, r = ur[:, :n], ur[:, n:]
        k = ops.tanh(x[:, 2 * n:] + ops.matmul(r * previous, weights[1]))                         # Eq. 4
        state = (1.0 - u) * previous + u * k                                                      # Eq. 5
        output = state if extra is None else ops.concatenate([state, extra], axis=-1)
        return output, [state]

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """The per-step output shape [B, output_size]: [B, units] (the attentional cell with
        ``return_attention=True``: [B, units + dim])."""
        return (input_shape[0], self.output_size)

    def compute_output_spec(self, inputs: Tensor, states: Tensor | Sequence[Tensor]
                            ) -> tuple[keras.KerasTensor, list[keras.KerasTensor]]:
        """Symbolic ``(output, [state])``, the structure `call` returns."""
        output = keras.KerasTensor(self.compute_output_shape(tuple(inputs.shape)), dtype=self.compute_dtype)
        return output, [keras.KerasTensor((inputs.shape[0], self.units), dtype=self.compute_dtype)]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units, "user_dim": self.user_dim,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": keras.initializers.serialize(self.recurrent_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
                "user_regularizer": keras.regularizers.serialize(self.user_regularizer)}


@keras.saving.register_keras_serializable(package="seqrec")
class LinearUserGRUCell(_UserGRUCell):
    """Linear user integration (section 3.2.1, Eq. 3-5): the user embedding is a third input of the gates
    and of the candidate::

        [u; r] = sigmoid(W_h h_{t-1} + W_i e_i + W_v e_v + b_ur)                      (3)
        k      = tanh(U_h (r * h_{t-1}) + U_i e_i + U_v e_v + b_k)                    (4)
        h_t    = (1 - u) * h_{t-1} + u * k                                            (5)

    with ``e_i = E_i i_t`` and ``e_v = E_v v_t``. Eq. 5 is read as the standard GRU interpolation (the
    typeset ``1_n - u * h`` lost its parentheses); ``u`` weighs the candidate. See the module docstring for
    the reading of Eq. 4 and the one bias per sum of maps.

    The per-step input is ``[e_i ; e_v]`` [B, item_dim + user_dim], the user embedding last; use inside
    ``keras.layers.RNN`` (masked steps keep the state). State and output [B, units].

    Weights, in creation order: ``kernel`` [item_dim, 3 units] (W_i, U_i), ``user_kernel``
    [user_dim, 3 units] (W_v, U_v), ``recurrent_kernel`` [units, 3 units] (W_h, U_h), each with the
    columns ``[u | r | k]``, and ``bias`` [3 units].

    Args:
        units: int. Hidden size n (the paper: 1000).
        user_dim: int. Size of the user embedding, the last ``user_dim`` features of the step input.
        kernel_initializer: initializer of the input kernels (``kernel`` for the item, ``user_kernel``).
        recurrent_initializer: initializer of ``recurrent_kernel``.
        bias_initializer: initializer of ``bias``. The three initialisers default to Keras' GRU's; the
            paper draws every weight from uniform(-0.1, 0.1), which the model passes.
        kernel_regularizer: regularizer of the item and recurrent kernels.
        user_regularizer: regularizer of ``user_kernel`` (the paper's L2 0.01 "on user side", with the
            user embedding).
        **kwargs: other arguments of `keras.layers.Layer` (``name``, ``dtype``, ...).

    Call arguments:
        inputs: the step input ``[e_i ; e_v]``, [B, item_dim + user_dim], the user embedding last.
        states: the previous state h_{t-1}, [B, units], or a one-element list of it.

    Returns:
        ``(h_t, [h_t])``: the output and the new state, [B, units] each. Inside ``keras.layers.RNN``:
        [B, units] (or [B, steps, units] with ``return_sequences=True``).

    Example:

    >>> import numpy as np
    >>> import keras
    >>> from seqrec.layers import LinearUserGRUCell
    >>> rnn = keras.layers.RNN(LinearUserGRUCell(4, user_dim=3), return_sequences=True)
    >>> steps = np.ones((2, 5, 6 + 3))  # item embedding (6) and user embedding (3)
    >>> tuple(rnn(steps).shape)
    (2, 5, 4)

    References:
        - Donkers, Loepp and Ziegler, "Sequential User-based Recurrent Neural Network Recommendations",
          RecSys 2017, section 3.2.1, Eq. 3-5.
    """


@keras.saving.register_keras_serializable(package="seqrec")
class RectifiedLinearUserGRUCell(_UserGRUCell):
    """Rectified-linear user integration (section 3.2.2, Eq. 6-7, then Eq. 3-5)::

        [kappa1; kappa2] = W_kappa [h_{t-1}; e_i; e_v] + b_kappa                       (7)
        e_v'_l = 0 if e_v_l < kappa1_l; omega e_v_l if kappa1_l <= e_v_l < kappa2_l; e_v_l else    (6)

    and then the linear cell's Eq. 3-5 with ``e_v'`` in place of ``e_v``: Eq. 6 is an assignment
    (``E_v v_l <-``), so the filtered user component replaces the raw one in the gates (the paper: "update
    and reset cells are then calculated according to (3) with the filtered user component") *and* in the
    candidate of Eq. 4. The thresholds read the raw user embedding (they decide its filtering). They have the
    user embedding's size (the paper's ``kappa in R^n`` with its embedding size n). See `rectify_user` for
    the ties and for how the piecewise function is differentiated (straight-through sigmoid surrogate by
    default, so that ``W_kappa`` and ``b_kappa`` are trained; ``"exact"`` leaves them without gradient).

    With thresholds at minus infinity every component passes and the cell is the `LinearUserGRUCell`.

    The per-step input is ``[e_i ; e_v]`` [B, item_dim + user_dim]; state and output [B, units].

    Weights, in creation order: those of `LinearUserGRUCell`, then ``threshold_kernel``
    [units + item_dim + user_dim, 2 user_dim] (W_kappa, the columns ``[kappa1 | kappa2]``) and
    ``threshold_bias`` [2 user_dim] (b_kappa). The threshold map uses ``kernel_initializer``,
    ``bias_initializer`` and ``kernel_regularizer``.

    Args:
        units: int. Hidden size n (the paper: 1000).
        user_dim: int. Size of the user embedding, the last ``user_dim`` features of the step input.
        kernel_initializer: initializer of the input kernels (``kernel`` for the item, ``user_kernel``).
        recurrent_initializer: initializer of ``recurrent_kernel``.
        bias_initializer: initializer of ``bias``. The three initialisers default to Keras' GRU's; the
            paper draws every weight from uniform(-0.1, 0.1), which the model passes.
        kernel_regularizer: regularizer of the item and recurrent kernels.
        user_regularizer: regularizer of ``user_kernel`` (the paper's L2 0.01 "on user side", with the
            user embedding).
        omega: float. The middle band's factor, in (0, 1); 0.2 in the paper (grid search).
        threshold_gradient: str. ``"surrogate"`` (default) or ``"exact"``, see `rectify_user`.
        temperature: float. The surrogate's width (default 0.1); unused with ``"exact"``.
        **kwargs: other arguments of `keras.layers.Layer` (``name``, ``dtype``, ...).

    Call arguments:
        inputs: the step input ``[e_i ; e_v]``, [B, item_dim + user_dim], the user embedding last.
        states: the previous state h_{t-1}, [B, units], or a one-element list of it.

    Returns:
        ``(h_t, [h_t])``: the output and the new state, [B, units] each. Inside ``keras.layers.RNN``:
        [B, units] (or [B, steps, units] with ``return_sequences=True``).

    Example:

    >>> import numpy as np
    >>> import keras
    >>> from seqrec.layers import RectifiedLinearUserGRUCell
    >>> cell = RectifiedLinearUserGRUCell(4, user_dim=3, omega=0.2)
    >>> rnn = keras.layers.RNN(cell, return_sequences=True)
    >>> steps = np.ones((2, 5, 6 + 3))  # item embedding (6) and user embedding (3)
    >>> tuple(rnn(steps).shape)
    (2, 5, 4)

    References:
        - Donkers, Loepp and Ziegler, "Sequential User-based Recurrent Neural Network Recommendations",
          RecSys 2017, section 3.2.2, Eq. 6-7 (and 3-5).
    """

    def __init__(self, units: int, user_dim: int, omega: float = 0.2, threshold_gradient: str = "surrogate",
                 temperature: float = 0.1, **kwargs: Any) -> None:
        super().__init__(units, user_dim, **kwargs)
        if not 0.0 <= omega <= 1.0:
            raise ValueError(f"omega must lie in [0, 1] (the paper: (0, 1)), got {omega}")
        if threshold_gradient not in THRESHOLD_GRADIENTS:
            raise ValueError(f"threshold_gradient must be one of {THRESHOLD_GRADIENTS}, got "
                             f"{threshold_gradient!r}")
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        self.omega = float(omega)
        self.threshold_gradient = threshold_gradient
        self.temperature = float(temperature)

    def build(self, input_shape: Shape) -> None:
        super().build(input_shape)
        self.threshold_kernel = self.add_weight(
            shape=(self.units + input_shape[-1], 2 * self.user_dim), name="threshold_kernel",
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer)
        self.threshold_bias = self.add_weight(shape=(2 * self.user_dim,), name="threshold_bias",
                                              initializer=self.bias_initializer)

    def project(self, inputs: Tensor) -> Tensor:
        """``[W_i e_i + b ; the input half of Eq. 7 ; e_v]`` [..., 3 units + 3 user_dim]: the item's maps,
        the thresholds' input part ``[e_i ; e_v] K_x + b_kappa``, and the user embedding, which the step
        rectifies."""
        item, user = inputs[..., :self.item_dim], inputs[..., self.item_dim:]
        kappa = ops.matmul(inputs, self.threshold_kernel[self.units:]) + self.threshold_bias
        return ops.concatenate([ops.matmul(item, self.kernel) + self.bias, kappa, user], axis=-1)

    def recurrent_weights(self) -> list[Tensor]:
        n = self.units
        return [ops.concatenate([self.recurrent_kernel[:, :2 * n], self.threshold_kernel[:n]], axis=1),
                self.recurrent_kernel[:, 2 * n:]]

    def _inputs(self, projected: Tensor, previous: Tensor, weights: Sequence[Tensor]
                ) -> tuple[Tensor, Tensor, None]:
        """Eq. 7 (``kappa = [h_{t-1} ; e_i ; e_v] K + b_kappa``, split into kappa1 and kappa2), Eq. 6's
        rectified user, and the input maps with it."""
        n2, u3, d = 2 * self.units, 3 * self.units, self.user_dim
        from_state = ops.matmul(previous, weights[0])  # [W_h h ; K_h h]
        kappa = projected[:, u3:u3 + 2 * d] + from_state[:, n2:]
        user = rectify_user(projected[:, u3 + 2 * d:], kappa[:, :d], kappa[:, d:], self.omega,
                            self.threshold_gradient, self.temperature)
        return projected[:, :u3] + ops.matmul(user, self.user_kernel), from_state[:, :n2], None

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "omega": self.omega, "threshold_gradient": self.threshold_gradient,
                "temperature": self.temperature}


@keras.saving.register_keras_serializable(package="seqrec")
class AttentionalUserGRUCell(_UserGRUCell):
    """Attentional user integration (section 3.2.3, Eq. 8-10, then Eq. 5)::

        xi     = sigmoid(A_h h_{t-1} + A_i e_i + A_v e_v + b_xi)                                      (8)
        [u; r] = sigmoid(W_h h_{t-1} + W_i ((1 - xi) * e_i) + W_v (xi * e_v) + b_ur)                (9)
        k      = tanh(U_h (r * h_{t-1}) + U_i ((1 - xi) * e_i) + U_v (xi * e_v) + b_k)             (10)
        h_t    = (1 - u) * h_{t-1} + u * k                                                          (5)

    Readings: Eq. 8's sigmoid squashes the whole sum (Figure 3: the inputs are "concatenated and mapped
    with sigmoid squashing"); the typeset ``1_n - xi * E_i i`` is ``(1 - xi) * e_i`` ("low sigmoids increase
    the throughput of item-related components, high sigmoids support the user side"). ``xi`` multiplies
    both embeddings element-wise, so they must have one size ``dim = item_dim = user_dim`` (the paper's n),
    and ``xi`` is [B, dim].

    Initialisation: the paper asks for the gate's parameters "close to zero such that the network behaves
    similar to a standard GRU at the beginning ... [and] will not explicitly focus on the user component
    until it has learned to do so". Taken literally (bias 0 too) that gives ``xi = 0.5``: half the user
    embedding enters every gate, which is not a standard GRU. We keep the stated aim: the kernels
    ``A_h, A_i, A_v`` start near zero (uniform(-0.01, 0.01)), so ``xi`` starts independent of the input,
    and the bias starts at -4, so ``xi ~ sigmoid(-4) ~ 0.018``: the cell starts as a standard GRU on the
    item (to within 2 %). With ``xi = 0`` exactly (bias -> -inf) it *is* a standard GRU step on ``e_i``
    (Cho et al.'s, ``reset_after=False``). ``attention_bias_initializer="zeros"`` gives the literal reading.

    The per-step input is ``[e_i ; e_v]`` [B, 2 * dim]; state [B, units]; output [B, units], or with
    ``return_attention=True`` [B, units + dim]: ``[h_t ; xi]``, the gate appended (the state stays h_t),
    to show how much each step leaned on the user.

    Weights, in creation order: those of `LinearUserGRUCell`, then ``attention_kernel``
    [units + 2 dim, dim] (A_h, A_i, A_v) and ``attention_bias`` [dim] (b_xi). The gate's kernel uses
    ``kernel_regularizer``.

    Args:
        units: int. Hidden size n (the paper: 1000).
        user_dim: int. ``dim``, the size of the user embedding (and of the item embedding), the last
            ``user_dim`` features of the step input.
        kernel_initializer: initializer of the input kernels (``kernel`` for the item, ``user_kernel``).
        recurrent_initializer: initializer of ``recurrent_kernel``.
        bias_initializer: initializer of ``bias``. The three initialisers default to Keras' GRU's; the
            paper draws every weight from uniform(-0.1, 0.1), which the model passes.
        kernel_regularizer: regularizer of the item and recurrent kernels.
        user_regularizer: regularizer of ``user_kernel`` (the paper's L2 0.01 "on user side", with the
            user embedding).
        attention_initializer: initializer of ``attention_kernel`` [units + 2 dim, dim]
            (default uniform(-0.01, 0.01)).
        attention_bias_initializer: initializer of ``attention_bias`` [dim] (default constant -4).
        return_attention: bool. Append ``xi`` to the output.
        **kwargs: other arguments of `keras.layers.Layer` (``name``, ``dtype``, ...).

    Call arguments:
        inputs: the step input ``[e_i ; e_v]``, [B, 2 * dim], the user embedding last.
        states: the previous state h_{t-1}, [B, units], or a one-element list of it.

    Returns:
        ``(output, [h_t])``: the output is h_t [B, units], or with ``return_attention=True``
        ``[h_t ; xi]`` [B, units + dim]; the state h_t is [B, units]. Inside ``keras.layers.RNN``:
        [B, output_size] (or [B, steps, output_size] with ``return_sequences=True``).

    Example:

    >>> import numpy as np
    >>> import keras
    >>> from seqrec.layers import AttentionalUserGRUCell
    >>> cell = AttentionalUserGRUCell(4, user_dim=3, return_attention=True)
    >>> rnn = keras.layers.RNN(cell, return_sequences=True)
    >>> steps = np.ones((2, 5, 3 + 3))  # item and user embeddings of one size
    >>> tuple(rnn(steps).shape)  # [h_t ; xi]
    (2, 5, 7)

    References:
        - Donkers, Loepp and Ziegler, "Sequential User-based Recurrent Neural Network Recommendations",
          RecSys 2017, section 3.2.3, Eq. 8-10 (and 5).
    """

    def __init__(self, units: int, user_dim: int,
                 attention_initializer: str | keras.initializers.Initializer | None = None,
                 attention_bias_initializer: str | keras.initializers.Initializer | None = None,
                 return_attention: bool = False, **kwargs: Any) -> None:
        super().__init__(units, user_dim, **kwargs)
        self.attention_initializer = keras.initializers.get(
            attention_initializer or keras.initializers.RandomUniform(-0.01, 0.01))
        self.attention_bias_initializer = keras.initializers.get(
            attention_bias_initializer or keras.initializers.Constant(-4.0))
        self.return_attention = bool(return_attention)
        self.output_size = units + user_dim if self.return_attention else units

    def build(self, input_shape: Shape) -> None:
        super().build(input_shape)
        if self.item_dim != self.user_dim:
            raise ValueError(f"the attentional gate weighs item and user embeddings element-wise (Eq. 9-10), "
                             f"so they need one size; got item_dim={self.item_dim}, user_dim={self.user_dim}")
        self.attention_kernel = self.add_weight(
            shape=(self.units + input_shape[-1], self.user_dim), name="attention_kernel",
            initializer=self.attention_initializer, regularizer=self.kernel_regularizer)
        self.attention_bias = self.add_weight(shape=(self.user_dim,), name="attention_bias",
                                              initializer=self.attention_bias_initializer)

    def project(self, inputs: Tensor) -> Tensor:
        """``[the input half of Eq. 8 ; e_i ; e_v]`` [..., 3 dim]: ``A_i e_i + A_v e_v + b_xi``, and the two
        embeddings, which the step weighs by xi."""
        attention = ops.matmul(inputs, self.attention_kernel[self.units:]) + self.attention_bias
        return ops.concatenate([attention, inputs], axis=-1)

    def gate(self, inputs: Tensor, previous: Tensor) -> Tensor:
        """Eq. 8's ``xi`` [..., dim] for step inputs ``[e_i ; e_v]`` [..., 2 dim] and the states before
        them ``h_{t-1}`` [..., units]: a whole sequence at once, for inspection (TensorBoard)."""
        return ops.sigmoid(self.project(inputs)[..., :self.user_dim]
                           + ops.matmul(previous, self.attention_kernel[:self.units]))

    def recurrent_weights(self) -> list[Tensor]:
        n = self.units
        return [ops.concatenate([self.recurrent_kernel[:, :2 * n], self.attention_kernel[:n]], axis=1),
                self.recurrent_kernel[:, 2 * n:], ops.concatenate([self.kernel, self.user_kernel], axis=0)]

    def _inputs(self, projected: Tensor, previous: Tensor, weights: Sequence[Tensor]
                ) -> tuple[Tensor, Tensor, Tensor | None]:
        """Eq. 8's ``xi`` and the input maps of Eq. 9-10 with the weighed embeddings,
        ``[(1 - xi) * e_i ; xi * e_v] [W_i ; W_v]`` in one product."""
        n2, d = 2 * self.units, self.user_dim
        from_state = ops.matmul(previous, weights[0])  # [W_h h ; A_h h]
        xi = ops.sigmoid(projected[:, :d] + from_state[:, n2:])
        weighed = ops.concatenate([(1.0 - xi) * projected[:, d:2 * d], xi * projected[:, 2 * d:]], axis=-1)
        x = ops.matmul(weighed, weights[2]) + self.bias
        return x, from_state[:, :n2], (xi if self.return_attention else None)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(),
                "attention_initializer": keras.initializers.serialize(self.attention_initializer),
                "attention_bias_initializer": keras.initializers.serialize(self.attention_bias_initializer),
                "return_attention": self.return_attention}
