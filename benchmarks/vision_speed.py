"""The image workflows against what a user would write instead, side by side in one run.

- features: MobileNetV2 features of a folder of JPEGs (400x300, decoded, resized to --resize, cropped to 224):
  `extract_features(model, image_list(folder))` against torchvision's ImageFolder + DataLoader(--workers
  processes) + the same torchvision model under inference_mode. Both build their loader inside the timed run.
- transfer: frozen-backbone transfer learning, 10 epochs of head training on one folder (random ResNet50
  weights: nothing is downloaded): `ImageClassifier.fit` against Keras 3's transfer-learning guide (the frozen
  base called inside the model every epoch) and fastai's `vision_learner` + `fit_one_cycle` (frozen body).
- similarity: 100 queries against 100,000 random 512-d vectors, top 10: `SimilarityIndex` add + search against a
  numpy loop (and faiss's IndexFlatIP when installed); top-10 agreement with numpy's.

Every timing is the best of --rounds after one warm-up run, except transfer (one run each).

    .venv/bin/python benchmarks/vision_speed.py                          # all three
    .venv/bin/python benchmarks/vision_speed.py --quick                  # smoke run: small sizes, 1 round
    .venv/bin/pip install --target /tmp/peers fastai faiss-cpu            # optional peers, outside the venv
    .venv/bin/python benchmarks/vision_speed.py --only transfer --peers /tmp/peers
"""
import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from lamina.applications import MobileNetV2  # noqa: E402
from lamina.datasets import shapes  # noqa: E402
from lamina.vision import ImageClassifier, SimilarityIndex, extract_features, image_list  # noqa: E402


def best_of(rounds, run):
    """(the shortest of `rounds` timed runs after one warm-up, the last run's result)."""
    result = run()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def photo_folder(root, count):
    """`count` JPEGs of 400x300 noise over gradients, in two class folders."""
    rng = np.random.default_rng(0)
    ramp = np.linspace(0, 255, 400)[None, :, None]
    for index in range(count):
        folder = os.path.join(root, f"class_{index % 2}")
        os.makedirs(folder, exist_ok=True)
        pixels = np.clip(ramp * rng.random(3) + rng.normal(0, 40, (300, 400, 3)), 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(os.path.join(folder, f"{index:04d}.jpg"), quality=90)
    return root


def features(args):
    import torchvision
    from torchvision import transforms

    folder = photo_folder(os.path.join(args.work, "photos"), args.images)
    ours = MobileNetV2(weights=None, include_top=False, pooling="avg", input_shape=(3, 224, 224))
    reference = torchvision.models.mobilenet_v2(weights=None).eval()
    transform = transforms.Compose([transforms.Resize(args.resize), transforms.CenterCrop(224), transforms.ToTensor(),
                                    transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])

    def lamina_run():
        return extract_features(ours, image_list(folder, 224, args.resize, check=False), batch_size=32, verbose=0)

    def torchvision_run():
        loader = torch.utils.data.DataLoader(torchvision.datasets.ImageFolder(folder, transform), batch_size=32,
                                             num_workers=args.workers)
        with torch.inference_mode():
            return torch.cat([reference.features(x).mean(dim=(2, 3)) for x, _ in loader]).numpy()

    ours_time, ours_rows = best_of(args.rounds, lamina_run)
    theirs_time, theirs_rows = best_of(args.rounds, torchvision_run)
    assert ours_rows.shape == theirs_rows.shape, (ours_rows.shape, theirs_rows.shape)
    print(f"\nfeatures of {args.images} JPEGs (400x300 -> {args.resize} -> 224), MobileNetV2, batch 32, "
          f"{torch.get_num_threads()} threads, best of {args.rounds}; both give {ours_rows.shape}:")
    print(f"  {'lamina extract_features(image_list)':<51} {args.images / ours_time:7.1f} images/s")
    peer = f"torchvision ImageFolder + DataLoader({args.workers} workers)"
    print(f"  {peer:<51} {args.images / theirs_time:7.1f} images/s")
    print(f"  lamina / torchvision {theirs_time / ours_time:.2f}x")


def transfer(args):
    import keras

    folder = os.path.join(args.work, "shapes")
    shapes.make_folder(folder, per_class=args.transfer_images // 4, size=args.size, seed=0)
    rows = []
    start = time.perf_counter()
    classifier = ImageClassifier("resnet50", weights=None, image_size=args.size)
    history = classifier.fit(folder, epochs=args.epochs, verbose=0)
    lamina_seconds = time.perf_counter() - start
    rows.append((f"lamina ImageClassifier.fit, {args.epochs} epochs", lamina_seconds,
                 history.history["val_accuracy"][-1]))
    rows.append(("Keras 3 guide (frozen base every epoch)", *keras_recipe(keras, folder, args.size, args.epochs)))
    try:
        rows.append(("fastai vision_learner + fit_one_cycle", *fastai_recipe(folder, args.size, args.epochs)))
    except ImportError as error:
        print(f"fastai: not importable ({error}); pass --peers")
    target, epochs = max(accuracy for _, _, accuracy in rows[1:]), args.epochs
    start = time.perf_counter()
    while history.history["val_accuracy"][-1] < target and epochs < 50 * args.epochs:
        history = classifier.fit(folder, epochs=args.epochs, verbose=0)  # the head goes on; features are cached
        epochs += args.epochs
    rows.insert(1, (f"lamina, on to the best peer's accuracy: {epochs} epochs", lamina_seconds +
                    time.perf_counter() - start, history.history["val_accuracy"][-1]))
    print(f"\nfrozen ResNet50 (random weights), {args.transfer_images} images of {args.size}x{args.size}, "
          f"{args.epochs} epochs of head training, batch 32, wall time from the folder:")
    for name, seconds, accuracy in rows:
        print(f"  {name:<52} {seconds:7.1f} s  val_accuracy {accuracy:.3f}  {seconds / rows[0][1]:5.1f}x")


def keras_recipe(keras, folder, size, epochs):
    """The Keras 3 guide's model, fed arrays (image_dataset_from_directory needs TensorFlow, absent here)."""
    start = time.perf_counter()
    names = sorted(os.listdir(folder))
    paths = [(os.path.join(folder, name, file), label) for label, name in enumerate(names)
             for file in sorted(os.listdir(os.path.join(folder, name)))]
    images = np.stack([keras.utils.img_to_array(keras.utils.load_img(path, target_size=(size, size)))
                       for path, _ in paths])
    labels = np.array([label for _, label in paths])
    order = np.random.default_rng(0).permutation(len(paths))
    train, validation = order[:int(len(order) * 0.8)], order[int(len(order) * 0.8):]
    base = keras.applications.ResNet50(weights=None, include_top=False, input_shape=(size, size, 3))
    base.trainable = False
    inputs = keras.Input((size, size, 3))
    pooled = keras.layers.GlobalAveragePooling2D()(base(keras.applications.resnet50.preprocess_input(inputs),
                                                        training=False))
    model = keras.Model(inputs, keras.layers.Dense(len(names))(keras.layers.Dropout(0.2)(pooled)))
    model.compile(keras.optimizers.Adam(), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    history = model.fit(images[train], labels[train], validation_data=(images[validation], labels[validation]),
                        epochs=epochs, batch_size=32, verbose=0)
    return time.perf_counter() - start, history.history["val_accuracy"][-1]


def fastai_recipe(folder, size, epochs):
    """fastai's vision_learner (body frozen) and fit_one_cycle: the frozen phase of its fine_tune."""
    from fastai.vision.all import ImageDataLoaders, Resize, accuracy, resnet50, vision_learner

    start = time.perf_counter()
    loaders = ImageDataLoaders.from_folder(folder, valid_pct=0.2, seed=0, item_tfms=Resize(size), bs=32,
                                           num_workers=0)
    learner = vision_learner(loaders, resnet50, pretrained=False, metrics=accuracy)
    with learner.no_bar(), learner.no_logging():
        learner.fit_one_cycle(epochs)
        accuracy = float(learner.validate()[1])
    return time.perf_counter() - start, accuracy


def unit_rows(matrix):
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def similarity(args):
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((args.vectors, 512), dtype=np.float32)
    queries = rng.standard_normal((100, 512), dtype=np.float32)

    def numpy_loop(matrix):
        found = []
        for query in queries:
            scores = matrix @ (query / np.linalg.norm(query))
            top = np.argpartition(-scores, 10)[:10]
            found.append(top[np.argsort(-scores[top], kind="stable")])
        return np.array(found)

    peers = [("lamina SimilarityIndex", lambda: SimilarityIndex().add(vectors),
              lambda index: index.search(queries, 10)[0]),
             ("numpy loop (normalise, dot, argpartition, sort)", lambda: unit_rows(vectors), numpy_loop)]
    try:
        import faiss

        def faiss_index():
            flat = faiss.IndexFlatIP(512)
            flat.add(unit_rows(vectors))
            return flat

        def faiss_blas(flat):  # faiss's default threshold (128000 in 1.15) keeps 100 queries off its BLAS path
            faiss.cvar.distance_compute_blas_threshold = 20
            return flat.search(unit_rows(queries), 10)[1]

        peers += [("faiss IndexFlatIP", faiss_index, lambda flat: flat.search(unit_rows(queries), 10)[1]),
                  ("faiss IndexFlatIP, BLAS from 20 queries", faiss_index, faiss_blas)]
    except ImportError:
        print("\nfaiss: not importable, skipped (pip install --target /tmp/peers faiss-cpu, then --peers /tmp/peers)")
    rows = []
    for name, build, search in peers:
        add_time, built = best_of(args.rounds, build)
        search_time, ids = best_of(args.rounds, lambda: search(built))
        rows.append((name, add_time, search_time, ids))
    numpy_ids = rows[1][3]
    print(f"\n100 queries, top 10 of {args.vectors:,} 512-d vectors, {torch.get_num_threads()} torch threads, best of "
          f"{args.rounds} (ms; add: normalise and store the vectors):")
    print(f"  {'':<48} {'add':>7} {'search':>7} {'search / lamina':>16} {'top-10 = numpy':>15}")
    for name, add_time, search_time, ids in rows:
        agreement = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids.tolist(), numpy_ids.tolist())])
        print(f"  {name:<48} {1000 * add_time:7.1f} {1000 * search_time:7.1f} {search_time / rows[0][2]:15.2f}x "
              f"{agreement:15.3f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=("features", "transfer", "similarity"), default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--images", type=int, default=256, help="JPEGs for the features benchmark")
    parser.add_argument("--resize", type=int, default=232, help="the shorter side before the 224 crop")
    parser.add_argument("--workers", type=int, default=2, help="the DataLoader's worker processes")
    parser.add_argument("--transfer-images", type=int, default=400)
    parser.add_argument("--size", type=int, default=128, help="image side of the transfer benchmark")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--vectors", type=int, default=100_000)
    parser.add_argument("--peers", default="", help="folders holding fastai and faiss (pip install --target), "
                                                    "separated by ':'")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1 round, 32 images, 40 transfer "
                                                             "images, 2 epochs, 10,000 vectors (overrides those)")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.images, args.transfer_images, args.epochs, args.vectors = 1, 32, 40, 2, 10_000
    sys.path.extend(filter(None, args.peers.split(":")))  # after the venv's packages: its numpy and torch stay
    with tempfile.TemporaryDirectory() as work:
        args.work = work
        for section in (features, transfer, similarity):
            if args.only in (None, section.__name__):
                section(args)


if __name__ == "__main__":
    main()
