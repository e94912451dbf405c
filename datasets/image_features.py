"""Region features of item images (Ante-RNN section 3.2: each image is M region vectors F), computed once
and cached in one array file with a manifest.

The paper's regions are bottom-up-attention features (Faster R-CNN on ResNet-101, 36 regions x 2048,
Anderson et al. 2018), which have no Keras port. Two kinds of regions are computed here instead, on a
``grid x grid`` grid over the image (36 regions by default, as many as the paper's):

* **a Keras CNN backbone** (``backbone`` one of `BACKBONES`, from `keras.applications`): the image is
  resized to ``32 grid`` pixels square, so that the backbone's last convolutional map is ``grid x grid``
  cells, each a region vector (2048 wide for the ResNets). ``weights="imagenet"`` (the default)
  downloads ImageNet weights; ``weights=PATH`` reads a local weights file; ``weights=None`` leaves the
  backbone untrained (for tests only: random features describe nothing).
* **hand-crafted descriptors** (``backbone="handcrafted"``), which need no weights: per grid cell a joint
  RGB colour histogram (4 x 4 x 4 bins), a histogram of gradient orientations weighted by magnitude
  (8 bins, HOG-like) and the cell's mean and standard deviation of intensity: 74 numbers describing the
  real poster's colours and edges in that region. This is the offline substitute used where no
  pretrained weights can be downloaded; every output made from it says so in its manifest.

**Cache format** (`save_features`, `load_features`): ``features.npz`` with ``ids`` (str [n], the item
ids, e.g. MovieLens movieIds from the file names) and ``features`` (float32 [n, M, F]), and
``manifest.json`` beside it (backbone, weights, grid, image folder, count, skipped files, seconds,
versions). Features computed elsewhere (e.g. 36 x 2048 bottom-up features) load through the same format.

    python -m seqrec.datasets image-features IMAGES_DIR OUT [--backbone handcrafted] [--weights PATH]
"""

import json
import logging
import os
import platform
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

from . import atomic
from .errors import DataError, DatasetNotFoundError

log = logging.getLogger(__name__)

BACKBONES = {  # name -> (keras.applications constructor, its preprocessing module)
    "resnet101": ("ResNet101", "resnet"),
    "resnet50": ("ResNet50", "resnet"),
    "mobilenet_v2": ("MobileNetV2", "mobilenet_v2"),
}
HANDCRAFTED = "handcrafted"
EXTENSIONS = (".jpg", ".jpeg", ".png")
COLOUR_BINS, ORIENTATION_BINS = 4, 8


def image_files(folder: str | os.PathLike) -> list[Path]:
    """The image files of ``folder`` (``.jpg``, ``.jpeg``, ``.png``), sorted by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetNotFoundError(f"{folder}: no such folder of images (one file per item, named by the "
                                   "item id, e.g. 1.jpg)")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in EXTENSIONS)
    if not files:
        raise DataError(f"{folder}: no .jpg, .jpeg or .png file; name each item's image by its id")
    return files


def decode(path: Path, size: int) -> tf.Tensor:
    """The image as float32 RGB [size, size, 3] in [0, 255]; the content decides the format (a PNG named
    .jpg decodes), greyscale becomes RGB."""
    try:
        image = tf.io.decode_image(tf.io.read_file(str(path)), channels=3, expand_animations=False)
    except tf.errors.InvalidArgumentError as err:
        raise DataError(f"{path}: not a readable JPEG or PNG image ({err.message.splitlines()[0]}); "
                        "replace or remove the file") from err
    return tf.image.resize(tf.cast(image, tf.float32), (size, size))


def handcrafted(images: tf.Tensor, grid: int) -> tf.Tensor:
    """Per grid cell: joint RGB histogram, gradient-orientation histogram, intensity mean and standard
    deviation; images [B, S, S, 3] in [0, 255] with S divisible by ``grid`` -> [B, grid^2, 74]."""
    batch, size = tf.shape(images)[0], images.shape[1]
    cell = size // grid

    def cells(x):  # [B, S, S, C] -> [B, grid^2, cell^2, C]
        channels = x.shape[-1]
        x = tf.reshape(x, (batch, grid, cell, grid, cell, channels))
        return tf.reshape(tf.transpose(x, (0, 1, 3, 2, 4, 5)), (batch, grid * grid, cell * cell, channels))

    levels = tf.cast(tf.minimum(images // (256 // COLOUR_BINS), COLOUR_BINS - 1), tf.int32)
    code = (levels[..., 0] * COLOUR_BINS + levels[..., 1]) * COLOUR_BINS + levels[..., 2]
    colour = tf.reduce_mean(tf.one_hot(cells(code[..., None])[..., 0], COLOUR_BINS ** 3), axis=2)
    grey = tf.image.rgb_to_grayscale(images) / 255.0
    dy, dx = tf.image.image_gradients(grey)
    magnitude, angle = tf.sqrt(dx ** 2 + dy ** 2), tf.math.atan2(dy, dx) % np.pi  # unsigned orientation
    bins = tf.cast(tf.minimum(angle / np.pi * ORIENTATION_BINS, ORIENTATION_BINS - 1), tf.int32)
    weighted = tf.one_hot(bins[..., 0], ORIENTATION_BINS) * magnitude
    edges = tf.reduce_sum(cells(weighted), axis=2)
    edges = edges / tf.maximum(tf.reduce_sum(edges, -1, keepdims=True), 1e-6)
    mean, variance = tf.nn.moments(cells(grey)[..., 0], axes=[2])
    return tf.concat([colour, edges, mean[..., None], tf.sqrt(variance)[..., None]], axis=-1)


def backbone_model(name: str, weights: str | None, grid: int) -> tuple[tf.keras.Model, object]:
    """``(model, preprocess)``: the ``keras.applications`` backbone without its top, for ``32 grid``-pixel
    images."""
    import keras

    if name not in BACKBONES:
        raise ValueError(f"unknown backbone {name!r}; choose {HANDCRAFTED!r} or one of {sorted(BACKBONES)}")
    constructor, module = BACKBONES[name]
    if weights not in (None, "imagenet") and not Path(weights).is_file():
        raise DatasetNotFoundError(f"{weights}: no such weights file for {name}")
    try:
        model = getattr(keras.applications, constructor)(include_top=False, weights=weights,
                                                         input_shape=(32 * grid, 32 * grid, 3))
    except Exception as err:  # a failed download surfaces as several exception types
        if weights != "imagenet":
            raise
        raise DataError(f"could not get the ImageNet weights of {name} ({type(err).__name__}: {err}); "
                        f"without internet pass --weights PATH to a local weights file, or --backbone "
                        f"{HANDCRAFTED} for descriptors that need no weights") from err
    return model, getattr(keras.applications, module).preprocess_input


def compute_features(images_dir: str | os.PathLike, backbone: str = HANDCRAFTED,
                     weights: str | None = "imagenet", grid: int = 6, batch_size: int = 32
                     ) -> tuple[np.ndarray, np.ndarray, dict]:
    """``(ids, features [n, grid^2, F], manifest)`` for every image of ``images_dir``."""
    files = image_files(images_dir)
    start = time.time()
    if backbone == HANDCRAFTED:
        size, extract = 32 * grid, lambda x: handcrafted(x, grid)
    else:
        model, preprocess = backbone_model(backbone, weights, grid)
        size = 32 * grid

        def extract(x):
            maps = model(preprocess(x), training=False)  # [B, grid, grid, F]
            return tf.reshape(maps, (tf.shape(maps)[0], grid * grid, maps.shape[-1]))

    chunks = []
    for first in range(0, len(files), batch_size):
        batch = tf.stack([decode(p, size) for p in files[first:first + batch_size]])
        chunks.append(np.asarray(extract(batch), np.float32))
    features = np.concatenate(chunks)
    ids = np.array([p.stem for p in files])
    manifest = {"images": str(Path(images_dir).resolve()), "count": len(files), "grid": grid,
                "regions": grid * grid, "width": int(features.shape[-1]), "backbone": backbone,
                "weights": None if backbone == HANDCRAFTED else weights,
                "substitute": ("hand-crafted grid descriptors (RGB histogram, gradient orientations, "
                               "intensity), not the paper's bottom-up-attention regions")
                if backbone == HANDCRAFTED else
                f"{backbone} grid regions, not the paper's bottom-up-attention regions",
                "seconds": round(time.time() - start, 1), "tensorflow": tf.__version__,
                "python": platform.python_version()}
    return ids, features, manifest


def save_features(out: str | os.PathLike, ids: np.ndarray, features: np.ndarray, manifest: dict) -> Path:
    """Write ``out/features.npz`` and ``out/manifest.json``; returns ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with atomic.replacing(out / "features.npz") as temporary:
        np.savez(temporary, ids=np.asarray(ids, dtype=str), features=np.asarray(features, np.float32))
    atomic.write_text(out / "manifest.json", json.dumps(manifest, indent=1))
    return out


def load_features(folder: str | os.PathLike) -> tuple[np.ndarray, np.ndarray, dict]:
    """``(ids, features [n, M, F], manifest)`` from a cache folder (`save_features`' format)."""
    folder = Path(folder)
    path = folder / "features.npz"
    if not path.is_file():
        raise DatasetNotFoundError(f"{path}: no such file; compute it with python -m seqrec.datasets "
                                   f"image-features IMAGES_DIR {folder}")
    with np.load(path) as data:
        missing = [k for k in ("ids", "features") if k not in data.files]
        if missing:
            raise DataError(f"{path}: no array {', '.join(missing)}; the cache holds 'ids' [n] and "
                            "'features' [n, regions, width]")
        ids, features = data["ids"].astype(str), data["features"]
    if features.ndim != 3 or len(ids) != len(features):
        raise DataError(f"{path}: features must be [n, regions, width] with one row per id; got "
                        f"{features.shape} for {len(ids)} ids")
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else {}
    return ids, features.astype(np.float32), manifest
