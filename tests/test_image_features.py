"""`seqrec.datasets.image_features` and ``python -m seqrec.datasets image-features``: grid-region features
of real posters (a PNG under a .jpg name and a greyscale JPEG among them), hand-crafted descriptors checked
on drawn images, a Keras backbone's grid, the cache format, and clear errors."""

import json
import shutil

import keras
import numpy as np
import pytest
import tensorflow as tf

from seqrec.datasets import __main__ as cli
from seqrec.datasets import image_features as fx
from seqrec.datasets.errors import DataError, DatasetNotFoundError

POSTERS = ("1", "2", "1789", "3575")  # 1789: greyscale JPEG; 3575: a PNG named .jpg


@pytest.fixture(scope="module")
def posters(shared_data, tmp_path_factory):
    folder = tmp_path_factory.mktemp("posters")
    for movie in POSTERS:
        shutil.copy(shared_data / "movielens-1m-posters" / "MovieImages" / f"{movie}.jpg", folder)
    return folder


def test_handcrafted_descriptors_of_real_posters_and_the_cache(posters, tmp_path):
    ids, features, manifest = fx.compute_features(posters, fx.HANDCRAFTED, grid=6)
    assert sorted(ids) == sorted(POSTERS) and features.shape == (4, 36, 74)
    colour, edges = features[..., :64], features[..., 64:72]
    np.testing.assert_allclose(colour.sum(-1), 1.0, rtol=1e-5)  # a histogram per region
    assert np.all((np.abs(edges.sum(-1) - 1) < 1e-4) | (edges.sum(-1) == 0))
    assert not np.allclose(features[0], features[1])  # two posters, two descriptions
    assert manifest["backbone"] == "handcrafted" and "not the paper's" in manifest["substitute"]
    out = fx.save_features(tmp_path / "cache", ids, features, manifest)
    again = fx.load_features(out)
    np.testing.assert_array_equal(again[0], ids)
    np.testing.assert_allclose(again[1], features)
    assert again[2] == json.loads((out / "manifest.json").read_text())


def test_handcrafted_descriptors_see_colour_and_edges():
    image = np.zeros((1, 64, 64, 3), np.float32)
    image[0, :32, :, 0] = 255.0  # red top half
    image[0, 32:, ::2] = 255.0  # white vertical stripes below: horizontal gradients
    features = np.asarray(fx.handcrafted(tf.constant(image), grid=2))
    red = (3 * fx.COLOUR_BINS + 0) * fx.COLOUR_BINS + 0
    np.testing.assert_allclose(features[0, 0, red], 1.0)  # top-left cell: all red
    assert features[0, 3, 64 + 0] > 0.9  # bottom-right cell: orientation bin 0 (gradient along x)
    np.testing.assert_allclose(features[0, 0, 72:], [76.0 / 255, 0.0], atol=0.01)  # flat red intensity


def test_keras_backbone_grid(posters):
    _, features, manifest = fx.compute_features(posters, "mobilenet_v2", weights=None, grid=2)
    assert features.shape == (4, 4, 1280) and manifest["weights"] is None


def test_cli_and_errors(posters, tmp_path, monkeypatch, capsys):
    assert cli.main(["image-features", str(posters), str(tmp_path / "out"), "--backbone", "handcrafted",
                     "--grid", "3"]) == 0
    assert "4 images" in capsys.readouterr().out
    assert fx.load_features(tmp_path / "out")[1].shape == (4, 9, 74)

    def offline(**kwargs):
        raise Exception("URL fetch failure")

    monkeypatch.setattr(keras.applications, "ResNet101", offline)
    assert cli.main(["image-features", str(posters), str(tmp_path / "x")]) == 2
    assert "--weights PATH to a local weights file, or --backbone handcrafted" in capsys.readouterr().err
    with pytest.raises(DatasetNotFoundError, match="no such weights file"):
        fx.compute_features(posters, "resnet50", weights=str(tmp_path / "w.h5"))
    with pytest.raises(DatasetNotFoundError, match="no such folder of images"):
        fx.image_files(tmp_path / "none")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"no \.jpg, \.jpeg or \.png file"):
        fx.image_files(tmp_path / "empty")
    (tmp_path / "empty" / "7.jpg").write_bytes(b"not an image")
    with pytest.raises(DataError, match=r"7\.jpg: not a readable JPEG or PNG image"):
        fx.compute_features(tmp_path / "empty", fx.HANDCRAFTED)
    np.savez(tmp_path / "empty" / "features.npz", ids=np.array(["1"]))
    with pytest.raises(DataError, match="no array features"):
        fx.load_features(tmp_path / "empty")
    with pytest.raises(DatasetNotFoundError, match="image-features IMAGES_DIR"):
        fx.load_features(tmp_path / "nothing")
