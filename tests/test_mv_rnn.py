"""MV-RNN (`seqrec.models.MVRNN`, an Ante-RNN baseline): one causal pass equals every prefix alone, the
fused view reads the item's image and text features, the autoencoder loss and the denoising act in
training only, a saved model reloads; trained with BPR's pairwise loss it reads a planted image pattern
that popularity cannot."""

import keras
import numpy as np
import pandas as pd
from test_ante_rnn_planted import planted

from seqrec.datasets import protocols
from seqrec.datasets.negatives import NegativeSampler
from seqrec.datasets.pipelines import SequenceData
from seqrec.evaluation.tasks import NextItemTask
from seqrec.models import MVRNN, TopPop
from seqrec.training import FactorAdapter, FitContext, KerasNextItem, PairwiseRanking, set_seed

RNG = np.random.default_rng(5)
N_ITEMS, F, G = 12, 6, 3


def built(**kwargs):
    keras.utils.set_random_seed(0)
    model = MVRNN(N_ITEMS, visual_width=F, text_width=G, dim=8, **kwargs)
    visual, text = RNG.normal(size=(N_ITEMS, F)), RNG.normal(size=(N_ITEMS, G))
    visual[0], text[0] = 0, 0
    model.set_item_content(visual, text)
    return model


def batch(b=3, length=5):
    items = RNG.integers(1, N_ITEMS, (b, length)).astype("int32")
    return {"items": items, "mask": np.ones((b, length), bool)}


def test_one_pass_equals_every_prefix_and_reads_the_content(tmp_path):
    model = built(all_positions=True)
    x = batch()
    every = model(x).numpy()  # [B, L, n_items]
    prefix = model.with_mode(False, 5)
    for j in range(5):
        padded = {"items": np.pad(x["items"][:, :j + 1], ((0, 0), (4 - j, 0))),
                  "mask": np.pad(x["mask"][:, :j + 1], ((0, 0), (4 - j, 0)))}
        np.testing.assert_allclose(prefix(padded).numpy(), every[:, j], rtol=1e-4, atol=1e-5)
    changed = built(all_positions=True)
    changed.visual.assign(changed.visual.numpy() * 2.0)
    assert not np.allclose(changed(x).numpy(), every)  # the image view reaches the scores
    model.save(tmp_path / "m.keras")
    np.testing.assert_allclose(keras.models.load_model(tmp_path / "m.keras")(x).numpy(), every, rtol=1e-5)


def test_autoencoder_loss_and_denoising_in_training_only():
    model = built(corruption=0.5, reconstruction=1.0, l2=0.0)
    x = batch()
    inference = model(x).numpy()
    assert not model.losses  # no autoencoder loss outside training (and no L2 here)
    np.testing.assert_allclose(model(x).numpy(), inference)  # no corruption outside training
    model(x, training=True)
    assert len(model.losses) == 1 and float(model.losses[0]) > 0

    def views(m):
        return m.visual.numpy()[x["items"]], m.text.numpy()[x["items"]]

    dropped = built(corruption=1.0, reconstruction=1.0, l2=0.0)  # every view zeroed: m = 0
    dropped(x, training=True)
    f, g = views(dropped)
    targets = np.mean((np.mean(f ** 2, -1) + np.mean(g ** 2, -1)) / 2)
    np.testing.assert_allclose(float(dropped.losses[0]), targets, rtol=1e-5)  # the clean features as targets
    clean = built(corruption=0.0, reconstruction=1.0, l2=0.0)
    clean(x, training=True)
    f, g = views(clean)
    f_hat = f @ clean.encode_visual.kernel.numpy() + g @ clean.encode_text.kernel.numpy()
    expected = np.mean((np.mean((f - f_hat @ clean.encode_visual.kernel.numpy().T) ** 2, -1)
                        + np.mean((g - f_hat @ clean.encode_text.kernel.numpy().T) ** 2, -1)) / 2)
    np.testing.assert_allclose(float(clean.losses[0]), expected, rtol=1e-4)  # tied decoder E^T, V^T


def test_pairwise_ranking_is_bpr_on_the_gathered_scores():
    logits = np.array([[2.0, 0.5, -1.0], [0.0, 1.0, 3.0]], "float32")
    pairs = np.array([[0, 2], [1, 2]])
    expected = np.mean([np.log1p(np.exp(-(2.0 + 1.0))), np.log1p(np.exp(-(1.0 - 3.0)))])
    np.testing.assert_allclose(float(PairwiseRanking()(pairs, logits)), expected, rtol=1e-5)


def test_mv_rnn_with_bpr_reads_a_planted_image_pattern():
    events, _, image_ids, regions = planted()
    data = SequenceData.encode(protocols.leave_last_out(events))
    row = pd.Series(np.arange(len(image_ids)), index=image_ids)[data.items.tokens[1:]].to_numpy()
    visual = np.zeros((data.items.size, regions.shape[2]), np.float32)
    visual[1:] = regions.mean(1)[row]

    def build(d):
        model = MVRNN(d.items.size, visual_width=visual.shape[1], text_width=1, dim=16, l2=0.0,
                      all_positions=True)
        model.set_item_content(visual, np.zeros((d.items.size, 1), np.float32))
        return model

    task = NextItemTask(ks=(10,), with_auc=True)
    auc = {}
    for method in (KerasNextItem("MV-RNN", build, max_len=12, batch_size=120, epochs=4, patience=4,
                                 learning_rate=1e-2, windows=True, jit_compile=False, objective="bpr"),
                   FactorAdapter("TopPop", TopPop)):
        set_seed(0)
        method.fit(data, FitContext(0))
        auc[method.name] = task.evaluate(method, data, "test").mean()["auc"]
    assert auc["MV-RNN"] > auc["TopPop"] + 0.1, auc


def test_bpr_negatives_are_items_the_user_never_had_redrawn_every_epoch():
    events, _, _, _ = planted(n_users=20, length=6)
    data = SequenceData.encode(protocols.leave_last_out(events))
    train = data.pairs("train")
    sampler = NegativeSampler(train["user"], train["item"], data.items.size)
    for windows in (False, True):
        method = KerasNextItem("GRU", None, max_len=4, batch_size=8, windows=windows, objective="bpr")
        method.keys = ["items", "mask", "user"]

        def epoch(ds):
            return [(x["user"].numpy(), y.numpy(), (w[0].numpy() if w else None)) for x, y, *w in ds]

        ds = method.train_dataset(data, seed=0)
        first, second = epoch(ds), epoch(ds)  # two epochs of one dataset, as `fit` iterates it
        for users, pairs, weights in first:
            real = np.ones(pairs.shape[:-1], bool) if weights is None else weights > 0
            owners = np.broadcast_to(users.reshape(-1, *([1] * (pairs.ndim - 2))), pairs.shape[:-1])
            assert ((pairs[..., 1] >= 1) & (pairs[..., 1] < data.items.size)).all()
            assert not sampler.is_positive(owners[real], pairs[..., 1][real]).any()  # never a positive
        assert not all(np.array_equal(a[1], b[1]) for a, b in zip(first, second, strict=True))
        again = KerasNextItem("GRU", None, max_len=4, batch_size=8, windows=windows, objective="bpr")
        again.keys = method.keys
        replay = epoch(again.train_dataset(data, seed=0))
        assert all(np.array_equal(a[1], b[1]) for a, b in zip(first, replay, strict=True))  # one seed
