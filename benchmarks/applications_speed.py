"""CPU inference speed of lamina.applications against torchvision's own model with the same weights.

Batch of 32 images at 224x224, random weights (the speed does not depend on them), eval mode and
no gradients for both; each round runs lamina's `predict` then torchvision's forward; images/s of the median round.

    .venv/bin/python benchmarks/applications_speed.py                      # every model, 3 rounds
    .venv/bin/python benchmarks/applications_speed.py --models vgg16 --rounds 5 --batch 8
"""
import argparse
import statistics
import time

import torch
from torchvision import models as tv

from lamina import applications

# name: (lamina constructor, torchvision builder); every model at 224x224, as the issue asks
MODELS = {"vgg16": (applications.VGG16, tv.vgg16), "vgg19": (applications.VGG19, tv.vgg19),
          **{f"resnet{n}": (getattr(applications, f"ResNet{n}"), getattr(tv, f"resnet{n}"))
             for n in (18, 34, 50, 101, 152)},
          "mobilenet_v2": (applications.MobileNetV2, tv.mobilenet_v2),
          "mobilenet_v3_small": (applications.MobileNetV3Small, tv.mobilenet_v3_small),
          "mobilenet_v3_large": (applications.MobileNetV3Large, tv.mobilenet_v3_large),
          **{f"efficientnet_b{n}": (getattr(applications, f"EfficientNetB{n}"), getattr(tv, f"efficientnet_b{n}"))
             for n in range(8)},
          **{f"densenet{n}": (getattr(applications, f"DenseNet{n}"), getattr(tv, f"densenet{n}"))
             for n in (121, 169, 201)},
          "inception_v3": (applications.InceptionV3, lambda: tv.inception_v3(aux_logits=False, init_weights=False)),
          **{f"convnext_{size}": (getattr(applications, f"ConvNeXt{size.title()}"), getattr(tv, f"convnext_{size}"))
             for size in ("tiny", "small", "base")}}
SIZE = 224


def seconds(run):
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    print(f"batch {args.batch}, {torch.get_num_threads()} threads, median of {args.rounds} rounds (images/s)")
    print(f"{'model':14} {'lamina':>8} {'torchvision':>11} {'ratio':>6}")
    for name in args.models.split(","):
        build, reference_build = MODELS[name]
        reference = reference_build().eval()
        model = build(weights=None, input_shape=(3, SIZE, SIZE))
        x = torch.randn(args.batch, 3, SIZE, SIZE)
        ours_run = lambda: model.predict(x, batch_size=args.batch, verbose=0)  # noqa: E731
        with torch.no_grad():
            theirs_run = lambda: reference(x)  # noqa: E731
            ours_run(), theirs_run()  # warm-up
            times = [(seconds(ours_run), seconds(theirs_run)) for _ in range(args.rounds)]
        ours = args.batch / statistics.median(t[0] for t in times)
        theirs = args.batch / statistics.median(t[1] for t in times)
        ratios = [t[1] / t[0] for t in times]
        print(f"{name:14} {ours:8.1f} {theirs:11.1f} {statistics.median(ratios):5.2f}x "
              f"[{min(ratios):.2f}-{max(ratios):.2f}]", flush=True)


if __name__ == "__main__":
    main()
