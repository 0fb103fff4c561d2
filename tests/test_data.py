# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Tests of hf_jepa.data: every source kind, column detection, transforms, bad samples, shipped datasets."""

import os
import pickle

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import datasets  # noqa: E402
import numpy as np  # noqa: E402
import PIL.Image  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from hf_jepa import data  # noqa: E402

datasets.disable_progress_bars()
HAVE_DEBIAN_FASHION_MNIST = os.path.isfile(os.path.join(data.shipped.FASHION_MNIST_DIR, "t10k-images-idx3-ubyte.gz"))
needs_debian_files = pytest.mark.skipif(not HAVE_DEBIAN_FASHION_MNIST, reason="needs Debian's dataset-fashion-mnist")
IDENTITY = dict(image_mean=[0.0], image_std=[1.0])


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("hf_cache"))


@pytest.fixture(scope="module")
def small_train(cache_dir) -> datasets.Dataset:
    return data.load_media_dataset(cache_dir=cache_dir)


def _fashion_image(index: int = 0) -> np.ndarray:
    return data.load_small_arrays("test")[0][index]


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory) -> str:
    """Real image files of several modes in two class folders, plus a truncated JPEG and garbage bytes."""
    folder = tmp_path_factory.mktemp("images")
    gray = PIL.Image.fromarray(_fashion_image(0))
    rgb = PIL.Image.merge(
        "RGB", (gray, gray.transpose(PIL.Image.FLIP_LEFT_RIGHT), gray.transpose(PIL.Image.FLIP_TOP_BOTTOM))
    )
    for name in ("shirt", "shoe"):
        (folder / name).mkdir()
    rgb.save(folder / "shirt" / "rgb.jpg", quality=95)
    gray.save(folder / "shirt" / "gray.png")
    rgba = rgb.copy()
    rgba.putalpha(PIL.Image.fromarray(np.full((28, 28), 80, np.uint8)))
    rgba.save(folder / "shirt" / "rgba.png")
    rgb.convert("P", palette=PIL.Image.ADAPTIVE, colors=16).save(folder / "shoe" / "palette.png")
    rgb.convert("CMYK").save(folder / "shoe" / "cmyk.jpg")
    PIL.Image.fromarray(np.arange(15, dtype=np.uint8).reshape(3, 5) * 16).save(folder / "shoe" / "tiny.png")
    jpeg = (folder / "shirt" / "rgb.jpg").read_bytes()
    (folder / "shoe" / "truncated.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    (folder / "shoe" / "garbage.png").write_bytes(np.random.default_rng(0).bytes(300))
    return str(folder)


@pytest.fixture(scope="module")
def moving_videos(cache_dir) -> datasets.Dataset:
    return data.make_moving_fashion_mnist(4, num_frames=16, image_size=32, seed=1, cache_dir=cache_dir)


@pytest.fixture(scope="module")
def video_folder(tmp_path_factory, moving_videos) -> str:
    pytest.importorskip("torchcodec")
    folder = str(tmp_path_factory.mktemp("videos"))
    data.write_video_folder(moving_videos, folder, fps=8)
    return folder


# ---------------------------------------------------------------------------------------------------------------
# Shipped datasets
# ---------------------------------------------------------------------------------------------------------------


def test_fashion_mnist_small_is_balanced_with_image_and_classlabel(small_train, cache_dir):
    test = data.load_media_dataset("fashion_mnist_small", split="test", cache_dir=cache_dir)
    assert (len(small_train), len(test)) == (5000, 1000)
    assert isinstance(small_train.features["image"], datasets.Image)
    assert small_train.features["label"].names == list(data.FASHION_MNIST_CLASSES)
    assert np.bincount(small_train["label"]).tolist() == [500] * 10
    assert np.bincount(test["label"]).tolist() == [100] * 10
    image = small_train[0]["image"]
    assert (image.mode, image.size) == ("L", (28, 28))
    assert np.array_equal(np.asarray(image), data.load_small_arrays("train")[0][0])
    # The order is shuffled: the first 100 rows hold every class, not one.
    assert len(set(small_train.select(range(100))["label"])) == 10
    assert os.path.getsize(data.small_dataset_path()) < 5e6


@needs_debian_files
def test_fashion_mnist_small_is_rebuilt_identically_from_the_idx_files(tmp_path):
    sizes = data.build_fashion_mnist_small(tmp_path / "rebuilt.npz")
    assert sizes == {"train": 5000, "test": 1000}
    with np.load(tmp_path / "rebuilt.npz") as rebuilt, np.load(data.small_dataset_path()) as shipped:
        assert sorted(rebuilt) == sorted(shipped)
        for key in shipped:
            assert np.array_equal(rebuilt[key], shipped[key]), key
        test_images, test_labels = data.load_fashion_mnist_arrays("test")
        assert np.array_equal(shipped["test_images"], test_images[shipped["test_indices"]])
        assert np.array_equal(shipped["test_labels"], test_labels[shipped["test_indices"]])
        assert len(np.unique(shipped["train_indices"])) == 5000


@needs_debian_files
def test_full_fashion_mnist_and_max_samples(cache_dir):
    test = data.load_media_dataset("fashion_mnist", split="test", cache_dir=cache_dir)
    assert len(test) == 10000
    assert np.bincount(test["label"]).tolist() == [1000] * 10
    idx_images = data.read_idx(os.path.join(data.shipped.FASHION_MNIST_DIR, "t10k-images-idx3-ubyte.gz"))
    assert np.array_equal(np.asarray(test[123]["image"]), idx_images[123])

    subset = data.load_media_dataset("fashion_mnist", split="test", max_samples=50, cache_dir=cache_dir, seed=0)
    again = data.load_media_dataset("fashion_mnist", split="test", max_samples=50, cache_dir=cache_dir, seed=0)
    other = data.load_media_dataset("fashion_mnist", split="test", max_samples=50, cache_dir=cache_dir, seed=1)
    assert len(subset) == 50
    assert subset["label"] == again["label"]
    assert subset._indices.column(0).to_pylist() != other._indices.column(0).to_pylist()


def test_full_fashion_mnist_missing_files_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(data.shipped, "FASHION_MNIST_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        data.load_media_dataset("fashion_mnist")


def test_read_idx_rejects_other_files(tmp_path):
    (tmp_path / "bad.idx").write_bytes(b"\x00\x00\x0d\x01\x00\x00\x00\x02\x00\x00")
    with pytest.raises(ValueError, match="not an IDX file of unsigned bytes"):
        data.read_idx(tmp_path / "bad.idx")
    (tmp_path / "short.idx").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x05\x01\x02")
    with pytest.raises(ValueError, match="truncated"):
        data.read_idx(tmp_path / "short.idx")


def test_moving_fashion_mnist_is_deterministic_and_moves(tmp_path):
    def make(seed, split="train", cache="a"):
        dataset = data.make_moving_fashion_mnist(
            12, num_frames=10, image_size=32, seed=seed, split=split, max_items=1, cache_dir=str(tmp_path / cache)
        )
        assert dataset.features["video"] == datasets.Array4D(shape=(10, 32, 32, 3), dtype="uint8")
        return np.stack(dataset.with_format("numpy")["video"]), dataset["label"]

    videos, labels = make(seed=3)
    again, again_labels = make(seed=3, cache="b")  # a fresh cache: generated again, not read back
    assert videos.shape == (12, 10, 32, 32, 3) and videos.max() <= 255
    assert np.array_equal(videos, again) and labels == again_labels
    assert not np.array_equal(videos, make(seed=4)[0])
    assert not np.array_equal(videos, make(seed=3, split="test")[0])
    assert np.array_equal(videos[..., 0], videos[..., 2])  # grey frames

    # One item per video, always fully inside the canvas: every frame holds the same pixels, moved.
    frames = videos[..., 0].astype(np.float64)
    sums = frames.sum(axis=(2, 3))
    assert np.allclose(sums, sums[:, :1])
    grid = np.arange(32)
    centre_y = (frames.sum(axis=3) * grid).sum(axis=2) / sums
    centre_x = (frames.sum(axis=2) * grid).sum(axis=2) / sums
    steps = np.hypot(np.diff(centre_y, axis=1), np.diff(centre_x, axis=1))
    assert steps.max() <= 3.0 + 1.5  # speed_range (1, 3) px per frame, plus rounding
    assert (steps.mean(axis=1) > 0.5).all()


def test_moving_fashion_mnist_shipped_and_two_items(cache_dir):
    videos = data.load_media_dataset("moving_fashion_mnist", split="test", cache_dir=cache_dir)
    assert len(videos) == 200
    assert videos.features["video"].shape == (16, 32, 32, 3)
    assert data.find_media_column(videos) == ("video", "video")
    assert data.find_label_column(videos) == "label"
    # With up to 2 items some videos show more ink than any single item could bring.
    two = data.make_moving_fashion_mnist(20, num_frames=2, max_items=2, cache_dir=cache_dir).with_format("numpy")
    one = data.make_moving_fashion_mnist(20, num_frames=2, max_items=1, cache_dir=cache_dir).with_format("numpy")
    assert (np.stack(two["video"]) > 0).sum(axis=(1, 2, 3, 4)).max() > (np.stack(one["video"]) > 0).sum(
        axis=(1, 2, 3, 4)
    ).max()
    with pytest.raises(ValueError, match="num_videos must be at least 1"):
        data.make_moving_fashion_mnist(0)
    with pytest.raises(ValueError, match=r"high <= 4 pixels per frame .* got \(1.0, 6.0\)"):
        data.make_moving_fashion_mnist(1, image_size=8, speed_range=(1.0, 6.0))


def test_unknown_splits_list_the_available_ones(cache_dir, image_folder, tmp_path):
    with pytest.raises(ValueError, match=r"Unknown split 'validation'.*\['train', 'test'\]"):
        data.load_media_dataset("fashion_mnist_small", split="validation", cache_dir=cache_dir)
    with pytest.raises(ValueError, match=r"\['train', 'test'\]"):
        data.load_media_dataset("moving_fashion_mnist", split="validation", cache_dir=cache_dir)
    with pytest.raises(ValueError, match=r"test.*\['train'\]"):
        data.load_media_dataset(train_dir=image_folder, split="test", cache_dir=cache_dir)
    saved = datasets.DatasetDict({"train": datasets.Dataset.from_dict({"x": [1]})})
    saved.save_to_disk(tmp_path / "dict")
    with pytest.raises(ValueError, match=r"Unknown split 'test'.*\['train'\]"):
        data.load_media_dataset(str(tmp_path / "dict"), split="test")


def test_bad_arguments_of_load_media_dataset(tmp_path, cache_dir):
    with pytest.raises(ValueError, match="max_samples must be a positive"):
        data.load_media_dataset(max_samples=0)
    with pytest.raises(FileNotFoundError, match="is not a directory"):
        data.load_media_dataset(train_dir=str(tmp_path / "missing"))
    (tmp_path / "notes.txt").write_text("no images here")
    with pytest.raises(ValueError, match="holds no image or video files"):
        data.load_media_dataset(train_dir=str(tmp_path))
    with pytest.raises(ValueError, match="takes neither train_dir nor dataset_config_name"):
        data.load_media_dataset("fashion_mnist_small", dataset_config_name="x", cache_dir=cache_dir)


# ---------------------------------------------------------------------------------------------------------------
# Other sources
# ---------------------------------------------------------------------------------------------------------------


def test_save_to_disk_folders(small_train, tmp_path):
    subset = small_train.select(range(20))
    subset.save_to_disk(tmp_path / "single")
    for loaded in (
        data.load_media_dataset(str(tmp_path / "single")),
        data.load_media_dataset(train_dir=str(tmp_path / "single")),
    ):
        assert loaded["label"] == subset["label"]
        assert np.array_equal(np.asarray(loaded[5]["image"]), np.asarray(subset[5]["image"]))
    datasets.DatasetDict({"train": subset, "test": small_train.select(range(20, 27))}).save_to_disk(tmp_path / "dict")
    test = data.load_media_dataset(str(tmp_path / "dict"), split="test")
    assert test["label"] == small_train.select(range(20, 27))["label"]
    streamed = data.load_media_dataset(str(tmp_path / "dict"), split="test", streaming=True)
    assert isinstance(streamed, datasets.IterableDataset)
    assert [row["label"] for row in streamed] == test["label"]


def test_imagefolder_of_many_modes_with_corrupt_files(image_folder, cache_dir):
    dataset = data.load_media_dataset(train_dir=image_folder, cache_dir=cache_dir)
    assert len(dataset) == 8
    assert data.find_media_column(dataset) == ("image", "image")
    assert data.find_label_column(dataset) == "label"
    assert dataset.features["label"].names == ["shirt", "shoe"]

    transform = data.build_transform(16, **IDENTITY, train=False)
    items = data.MediaDataset(dataset, "image", transform, label_column="label")
    paths = [row["path"] for row in dataset.cast_column("image", datasets.Image(decode=False))["image"]]
    by_name = {os.path.basename(path): items[index] for index, path in enumerate(paths)}
    good = {name: item for name, item in by_name.items() if "skipped" not in item}
    assert sorted(good) == ["cmyk.jpg", "gray.png", "palette.png", "rgb.jpg", "rgba.png", "tiny.png"]
    for item in good.values():
        assert item["pixel_values"].shape == (3, 16, 16) and item["pixel_values"].dtype == torch.float32
        assert 0.0 <= item["pixel_values"].min() and item["pixel_values"].max() <= 1.0
    assert good["gray.png"]["labels"] == 0 and good["tiny.png"]["labels"] == 1
    gray = good["gray.png"]["pixel_values"]
    assert torch.equal(gray[0], gray[1]) and torch.equal(gray[0], gray[2])
    expected_gray = PIL.Image.fromarray(_fashion_image(0)).resize((16, 16), PIL.Image.BILINEAR)
    assert (gray[0] - torch.from_numpy(np.asarray(expected_gray) / 255.0)).abs().mean() < 0.03
    # RGBA drops the alpha; the palette image keeps the colours of its RGB source, up to the 16-colour quantisation.
    assert (good["rgba.png"]["pixel_values"] - good["rgb.jpg"]["pixel_values"]).abs().mean() < 0.05
    assert (good["palette.png"]["pixel_values"] - good["rgb.jpg"]["pixel_values"]).abs().mean() < 0.1
    assert not torch.equal(good["palette.png"]["pixel_values"][0], good["palette.png"]["pixel_values"][1])
    assert torch.equal(pickle.loads(pickle.dumps(items))[2]["pixel_values"], items[2]["pixel_values"])
    assert len(data.load_media_dataset("imagefolder", train_dir=image_folder, cache_dir=cache_dir)) == 8

    bad = {name: item for name, item in by_name.items() if "skipped" in item}
    assert sorted(bad) == ["garbage.png", "truncated.jpg"]
    assert all(item["id"].endswith(name) and item["error"] for name, item in bad.items())

    batch = data.collate_skipping_bad([items[index] for index in range(len(items))])
    assert batch["pixel_values"].shape == (6, 3, 16, 16)
    assert batch["labels"].tolist() == [good[name]["labels"] for name in by_name if name in good]
    assert batch["num_skipped"] == 2
    assert sorted(os.path.basename(sample_id) for sample_id in batch["skipped_ids"]) == sorted(bad)


def test_streaming_imagefolder_skips_corrupt_files_and_splits_by_process(image_folder, cache_dir):
    stream = data.load_media_dataset(train_dir=image_folder, streaming=True, cache_dir=cache_dir)
    assert isinstance(stream, datasets.IterableDataset)
    transform = data.build_transform(8, **IDENTITY, train=True)
    items = list(data.StreamingMediaDataset(stream, "image", transform, label_column="label"))
    assert len(items) == 8
    skipped = sorted(os.path.basename(item["id"]) for item in items if item.get("skipped"))
    assert skipped == ["garbage.png", "truncated.jpg"]
    assert all(item["pixel_values"].shape == (3, 8, 8) for item in items if "pixel_values" in item)

    parts = [data.split_by_process(stream.decode(False), rank, 2) for rank in (0, 1)]
    paths = [sorted(row["image"]["path"] for row in part) for part in parts]
    assert len(paths[0]) + len(paths[1]) == 8 and not set(paths[0]) & set(paths[1])
    # each process's part counts its positions from 0: the process index keeps the sample keys (and masks) apart
    readers = [
        data.StreamingMediaDataset(data.split_by_process(stream, rank, 2), "image", transform, process_index=rank)
        for rank in (0, 1)
    ]
    keys = [{item["sample_key"] for item in reader} for reader in readers]
    assert keys[0] and keys[1] and not keys[0] & keys[1]
    with pytest.raises(ValueError, match="rank=2, world_size=2"):
        data.split_by_process(stream, 2, 2)


def test_streaming_parquet_through_a_dataloader(small_train, tmp_path):
    subset = small_train.select(range(24))
    subset.to_parquet(str(tmp_path / "parquet" / "train.parquet"))
    stream = data.load_media_dataset(str(tmp_path / "parquet"), streaming=True, cache_dir=str(tmp_path / "cache"))
    assert data.find_media_column(stream) == ("image", "image")
    assert data.find_label_column(stream) == "label"
    transform = data.build_transform(32, [0.5] * 3, [0.5] * 3, train=True, horizontal_flip=True)
    loader = torch.utils.data.DataLoader(
        data.StreamingMediaDataset(stream, "image", transform, "label"),
        batch_size=8,
        collate_fn=data.collate_skipping_bad,
    )
    batches = list(loader)
    assert [batch["pixel_values"].shape for batch in batches] == [(8, 3, 32, 32)] * 3
    assert torch.cat([batch["labels"] for batch in batches]).tolist() == subset["label"]
    assert sum(batch["num_skipped"] for batch in batches) == 0
    assert -1.0 <= min(batch["pixel_values"].min() for batch in batches)


def test_video_folder_written_and_decoded(video_folder, moving_videos, cache_dir, tmp_path):
    names = sorted(os.listdir(video_folder))
    assert names == ["000000.mp4", "000001.mp4", "000002.mp4", "000003.mp4", "metadata.csv"]
    dataset = data.load_media_dataset(train_dir=video_folder, cache_dir=cache_dir)
    assert isinstance(dataset.features["video"], datasets.Video)
    assert data.find_media_column(dataset) == ("video", "video")
    assert data.find_label_column(dataset) == "label"
    assert dataset["label"] == moving_videos["label"]

    transform = data.build_transform(32, **IDENTITY, train=False, num_frames=4, frame_step=4)
    items = data.MediaDataset(dataset, "video", transform, label_column="label")
    originals = moving_videos.with_format("numpy")["video"]
    indices = data.clip_indices(16, 4, 4, train=False)
    assert indices == [1, 5, 9, 13]
    processor = data.build_eval_processor(32, **IDENTITY, video=True)  # what evaluation makes of the lossless frames
    for index in range(len(items)):
        clip = items[index]["pixel_values"]
        assert clip.shape == (4, 3, 32, 32) and clip.dtype == torch.float32
        expected = data.apply_processor(processor, torch.from_numpy(originals[index][indices]).permute(0, 3, 1, 2))
        assert (clip - expected).abs().mean() < 0.03  # H.264 is lossy
        assert items[index]["labels"] == moving_videos[index]["label"]

    with pytest.raises(ValueError, match=r"uint8 arrays \[T, H, W, 3\] with an even height"):
        data.write_video_folder(data.make_moving_fashion_mnist(1, image_size=15, cache_dir=cache_dir), tmp_path)
    with pytest.raises(ValueError, match="Column 'clip' is not in the dataset"):
        data.write_video_folder(moving_videos, tmp_path, video_column="clip")

    stream = data.load_media_dataset(train_dir=video_folder, streaming=True, cache_dir=cache_dir)
    streamed = list(data.StreamingMediaDataset(stream, "video", transform, label_column="label"))
    assert [item["labels"] for item in streamed] == moving_videos["label"]
    assert all(torch.equal(item["pixel_values"], items[index]["pixel_values"]) for index, item in enumerate(streamed))


def test_video_decoder_decodes_only_the_clip(tmp_path):
    decoders = pytest.importorskip("torchcodec.decoders")
    encoders = pytest.importorskip("torchcodec.encoders")
    frames = torch.arange(120, dtype=torch.uint8).mul(2).view(120, 1, 1, 1).expand(120, 3, 16, 16).contiguous()
    encoders.VideoEncoder(frames, frame_rate=30).to_file(str(tmp_path / "long.mp4"))

    class RecordingDecoder(decoders.VideoDecoder):
        requested: list = []

        def get_frames_at(self, indices):
            self.requested.append(list(indices))
            return super().get_frames_at(indices)

    decoder = RecordingDecoder(str(tmp_path / "long.mp4"))
    clip = data.build_transform(16, **IDENTITY, train=False, num_frames=4, frame_step=10)(decoder)
    assert decoder.requested == [[44, 54, 64, 74]]  # centred: (120 - 31) // 2 = 44
    assert torch.allclose(clip[:, 0, 8, 8] * 255, torch.tensor([88.0, 108.0, 128.0, 148.0]), atol=4)


def test_corrupt_video_is_skipped(video_folder, tmp_path, cache_dir):
    folder = tmp_path / "videos"
    folder.mkdir()
    (folder / "good.mp4").write_bytes(open(os.path.join(video_folder, "000000.mp4"), "rb").read())
    (folder / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(200))
    dataset = data.load_media_dataset(train_dir=str(folder), cache_dir=cache_dir)
    items = data.MediaDataset(dataset, "video", data.build_transform(16, **IDENTITY, train=True, num_frames=4))
    batch = data.collate_skipping_bad([items[0], items[1]])
    assert batch["pixel_values"].shape == (1, 4, 3, 16, 16)
    assert batch["num_skipped"] == 1 and batch["skipped_ids"][0].endswith("broken.mp4")
    assert "labels" not in batch


# ---------------------------------------------------------------------------------------------------------------
# Columns
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mixed_columns() -> datasets.Dataset:
    image = _fashion_image(1)
    return datasets.Dataset.from_dict(
        {"caption": ["a", "b"], "thumb": [image, image], "img": [image, image], "target": [3, 4], "size": [1, 2]},
        features=datasets.Features(
            {
                "caption": datasets.Value("string"),
                "thumb": datasets.Image(),
                "img": datasets.Image(),
                "target": datasets.Value("int32"),
                "size": datasets.Value("int64"),
            }
        ),
    )


def test_column_detection(mixed_columns, small_train):
    assert data.find_media_column(mixed_columns) == ("img", "image")  # the common name wins over the first column
    assert data.find_media_column(mixed_columns, image_column_name="thumb") == ("thumb", "image")
    assert data.find_label_column(mixed_columns) == "target"
    assert data.find_label_column(mixed_columns, "size") == "size"
    assert data.find_label_column(mixed_columns.remove_columns("target")) is None
    assert data.find_label_column(small_train) == "label"


def test_column_errors(mixed_columns, moving_videos):
    text_only = mixed_columns.select_columns(["caption", "target"])
    with pytest.raises(ValueError, match=r"no image or video column.*caption \(Value\('string'\)\), target"):
        data.find_media_column(text_only)
    with pytest.raises(ValueError, match=r"image_column_name='photo' is not a column.*caption"):
        data.find_media_column(mixed_columns, image_column_name="photo")
    with pytest.raises(ValueError, match=r"image_column_name='caption' is a column of type Value\('string'\)"):
        data.find_media_column(mixed_columns, image_column_name="caption")
    with pytest.raises(ValueError, match=r"video_column_name='img' .* not videos \(Video / Array4D\)"):
        data.find_media_column(mixed_columns, video_column_name="img")
    with pytest.raises(ValueError, match="not both"):
        data.find_media_column(mixed_columns, image_column_name="img", video_column_name="img")
    with pytest.raises(ValueError, match=r"label_column_name='caption' .* must be a ClassLabel or an integer"):
        data.find_label_column(mixed_columns, "caption")
    with pytest.raises(ValueError, match="label_column_name='kind' is not a column"):
        data.find_label_column(mixed_columns, "kind")
    unknown = datasets.IterableDataset.from_generator(lambda: iter([{"image": np.zeros((4, 4), np.uint8)}]))
    with pytest.raises(ValueError, match="does not declare its features"):
        data.find_media_column(unknown)
    image_transform = data.build_transform(32, **IDENTITY, train=False)
    with pytest.raises(ValueError, match=r"Column 'video' holds videos but the transform is for images"):
        data.MediaDataset(moving_videos, "video", image_transform)
    with pytest.raises(ValueError, match="holds neither images nor videos"):
        data.MediaDataset(mixed_columns, "caption", image_transform)
    with pytest.raises(ValueError, match="label_column='kind' is not a column"):
        data.MediaDataset(mixed_columns, "img", image_transform, label_column="kind")


# ---------------------------------------------------------------------------------------------------------------
# Transforms
def test_16_bit_and_float_images_are_scaled_not_clipped(tmp_path, cache_dir):
    """Real 16-bit PNG, 32-bit integer and float TIFF files, read from a train_dir, give the pixels of the 8-bit image
    they encode; float values outside [0, 1] are refused with the mode and the file."""
    image = _fashion_image(3)
    PIL.Image.fromarray(image).save(tmp_path / "grey8.png")
    PIL.Image.fromarray(image.astype(np.uint16) * 257).save(tmp_path / "grey16.png")
    PIL.Image.fromarray(image.astype(np.int32) * 257).save(tmp_path / "grey32.tiff")
    PIL.Image.fromarray(image.astype(np.float32) / 255).save(tmp_path / "float.tiff")
    PIL.Image.fromarray(image.astype(np.float32)).save(tmp_path / "float255.tiff")
    dataset = data.load_media_dataset(train_dir=str(tmp_path), cache_dir=cache_dir)
    paths = [row["path"] for row in dataset.cast_column("image", datasets.Image(decode=False))["image"]]
    items = data.MediaDataset(dataset, "image", data.ImageTransform(lambda pixels: pixels))
    by_name = {os.path.basename(path): items[index] for index, path in enumerate(paths)}
    assert [by_name[name]["pixel_values"].dtype for name in ("grey16.png", "float.tiff")] == [torch.uint8] * 2
    for name in ("grey8.png", "grey16.png", "grey32.tiff", "float.tiff"):
        assert torch.equal(by_name[name]["pixel_values"], torch.from_numpy(image).expand(3, -1, -1)), name
    refused = by_name["float255.tiff"]
    assert refused["skipped"] and refused["id"].endswith("float255.tiff")
    assert "mode 'F' has values in [0, 255]; this mode needs values in [0, 1]" in refused["error"]


# ---------------------------------------------------------------------------------------------------------------


def test_image_inputs_of_every_kind():
    image = _fashion_image(2)
    transform = data.build_transform(20, **IDENTITY, train=False)
    reference = transform(PIL.Image.fromarray(image))
    rgb = np.repeat(image[..., None], 3, axis=-1)
    same = [
        np.asarray(image),
        rgb,
        np.concatenate([rgb, np.full((28, 28, 1), 7, np.uint8)], axis=-1),  # RGBA array
        torch.from_numpy(rgb).permute(2, 0, 1),  # tensor [C, H, W]
        torch.from_numpy(image)[None],  # tensor [1, H, W]
        image.astype(np.int64),
        PIL.Image.fromarray(rgb).convert("RGBA"),
    ]
    for value in same:
        assert torch.allclose(transform(value), reference, atol=1e-6), type(value)
    as_float = transform(torch.from_numpy(rgb).permute(2, 0, 1).float() / 255)
    assert as_float.dtype == torch.float32 and (as_float - reference).abs().max() < 2 / 255
    assert transform(PIL.Image.fromarray(rgb).convert("CMYK")).shape == (3, 20, 20)
    tiny = transform(PIL.Image.fromarray(np.full((3, 5), 200, np.uint8)))
    assert tiny.shape == (3, 20, 20) and torch.allclose(tiny, torch.full_like(tiny, 200 / 255))
    with pytest.raises(ValueError, match=r"values in \[0, 300\]"):
        transform(np.array([[0, 300]], dtype=np.int32))
    with pytest.raises(ValueError, match=r"2 or 3 dimensions, got shape \(1, 1, 4, 4\)"):
        transform(np.zeros((1, 1, 4, 4), np.uint8))
    with pytest.raises(ValueError, match=r"channels of an image of shape \(5, 6, 7\)"):
        transform(np.zeros((5, 6, 7), np.uint8))
    with pytest.raises(TypeError, match="got str"):
        transform("image.png")


def test_normalisation_statistics(small_train):
    images = [small_train[index]["image"] for index in range(256)]
    raw = torch.stack([data.build_transform(28, **IDENTITY, train=False)(image) for image in images])
    mean, std = raw.mean(dim=(0, 2, 3)).tolist(), raw.std(dim=(0, 2, 3)).tolist()
    normalised = torch.stack([data.build_transform(28, mean, std, train=False)(image) for image in images])
    assert normalised.dtype == torch.float32 and normalised.shape == (256, 3, 28, 28)
    assert normalised.mean(dim=(0, 2, 3)).abs().max() < 1e-4
    assert (normalised.std(dim=(0, 2, 3)) - 1).abs().max() < 1e-4
    # At the native size evaluation is exactly (pixel / 255 - mean) / std.
    pixel = np.asarray(images[0])[10, 12] / 255
    assert normalised[0, 0, 10, 12].item() == pytest.approx((pixel - mean[0]) / std[0], abs=1e-5)


def test_train_crops_and_flips_are_random():
    image = np.zeros((64, 64), np.uint8)
    image[:32] = 255  # top half white: a crop's mean tells where it was taken
    transform = data.build_transform(16, **IDENTITY, train=True, crop_scale=(0.1, 0.2))
    means = {round(transform(image).mean().item(), 3) for _ in range(20)}
    assert len(means) > 5
    image = np.zeros((64, 64), np.uint8)
    image[:, :32] = 255  # left half white; crop_scale (1, 1) keeps the whole image
    flipping = data.build_transform(16, **IDENTITY, train=True, crop_scale=(1.0, 1.0), horizontal_flip=True)
    left_white = {bool(flipping(image)[0, 8, 0] > 0.5) for _ in range(20)}
    assert left_white == {True, False}
    not_flipping = data.build_transform(16, **IDENTITY, train=True, crop_scale=(1.0, 1.0))
    assert {bool(not_flipping(image)[0, 8, 0] > 0.5) for _ in range(20)} == {True}


def test_transform_arguments_are_checked():
    with pytest.raises(ValueError, match="crop_scale"):
        data.build_transform(32, [0.5], [0.5], train=True, crop_scale=(0.5, 0.2))
    with pytest.raises(ValueError, match="image_std must be positive"):
        data.build_transform(32, [0.5], [0.0], train=True)
    with pytest.raises(ValueError, match="1 or 3 values"):
        data.build_transform(32, [0.5, 0.5], [0.5, 0.5], train=True)
    with pytest.raises(ValueError, match="num_frames and frame_step must be positive"):
        data.build_transform(32, [0.5], [0.5], train=True, num_frames=4, frame_step=0)


def test_clip_indices():
    assert data.clip_indices(40, 4, 4, train=False) == [13, 17, 21, 25]
    assert data.clip_indices(5, 4, 4, train=False) == [0, 4, 4, 4]  # too short: padded with the last frame
    torch.manual_seed(0)
    starts = set()
    for _ in range(50):
        indices = data.clip_indices(40, 4, 4, train=True)
        assert np.diff(indices).tolist() == [4, 4, 4] and 0 <= indices[0] and indices[-1] < 40
        starts.add(indices[0])
    assert len(starts) > 10
    with pytest.raises(ValueError, match="no frames"):
        data.clip_indices(0, 4, 4, train=True)


def test_one_crop_for_all_frames_of_a_clip():
    base = np.random.default_rng(0).integers(0, 128, size=(40, 48, 3), dtype=np.uint8)
    video = np.stack([base + 10 * t for t in range(8)]).astype(np.uint8)  # frame t = base + 10 t
    transform = data.build_transform(
        16, **IDENTITY, train=True, crop_scale=(0.2, 0.5), horizontal_flip=True, num_frames=8, frame_step=1
    )
    clips = [transform(video) for _ in range(4)]
    for clip in clips:
        assert clip.shape == (8, 3, 16, 16)
        # Interpolation is linear, so the same crop of every frame differs by exactly the frame's offset.
        offsets = clip - clip[:1]
        assert torch.allclose(offsets, (10 * torch.arange(8.0) / 255).view(8, 1, 1, 1).expand_as(offsets), atol=1e-5)
    assert not all(torch.equal(clips[0], clip) for clip in clips[1:])  # the crop itself is random


def test_video_arrays_and_tensors():
    video = np.random.default_rng(1).integers(0, 256, size=(10, 12, 12, 3), dtype=np.uint8)
    transform = data.build_transform(12, **IDENTITY, train=False, num_frames=3, frame_step=2)
    expected = torch.from_numpy(video[[2, 4, 6]]).permute(0, 3, 1, 2) / 255
    assert torch.allclose(transform(video), expected)
    assert torch.allclose(transform(torch.from_numpy(video)), expected)
    assert torch.allclose(transform(torch.from_numpy(video).permute(0, 3, 1, 2)), expected)
    gray = transform(video[..., 0])
    assert gray.shape == (3, 3, 12, 12) and torch.equal(gray[:, 0], gray[:, 2])
    with pytest.raises(ValueError, match=r"\[T, H, W, C\] or \[T, H, W\], got shape \(12, 12\)"):
        transform(video[0, ..., 0])


# ---------------------------------------------------------------------------------------------------------------
# Bad samples
# ---------------------------------------------------------------------------------------------------------------


def test_collate_when_every_example_was_skipped():
    skipped = [{"skipped": True, "id": "7", "error": "OSError: broken"}] * 2
    batch = data.collate_skipping_bad(skipped)
    assert batch["pixel_values"].numel() == 0 and batch["num_skipped"] == 2
    assert batch["skipped_ids"] == ["7", "7"] and batch["skipped_errors"][0] == "OSError: broken"


def test_check_bad_fraction():
    data.check_bad_fraction(1, 100, 0.05, "image", "3")
    data.check_bad_fraction(2, 10, 0.05, "image", "3")  # too few seen to judge
    with pytest.raises(ValueError, match=r"10 of the 100 samples .* column 'image' .* For example img_7.jpg: OSError"):
        data.check_bad_fraction(10, 100, 0.05, "image", "img_7.jpg", error="OSError: truncated")
    with pytest.raises(ValueError, match=r"4 of the 4 samples"):  # all bad: no need to wait for min_seen
        data.check_bad_fraction(4, 4, 0.05, "video", "0")
    with pytest.raises(ValueError, match="max_bad_fraction must be in"):
        data.check_bad_fraction(0, 1, 1.5, "image", "0")
    with pytest.raises(ValueError, match="num_bad <= num_seen"):
        data.check_bad_fraction(5, 4, 0.1, "image", "0")
