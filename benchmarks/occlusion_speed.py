"""Occlusion speed: lamina.explain.occlusion vs Captum's Occlusion, same model, input, window and stride.

The model is a ResNet-18 written here (torchvision's architecture: 11.7 M parameters, 10 classes); the input a
3x64x64 image, window 8 and stride 4 (225 windows), scored on softmax probabilities. Captum runs with
perturbations_per_eval 1, 16 and 64, lamina with its default batch_size=64 (or --batch-size); they alternate for
several rounds in one run, the best round of each is reported, and the ratio is lamina's time over Captum's best.
The largest difference between the results is printed too (they are equal up to float round-off).

    .venv/bin/python benchmarks/occlusion_speed.py                      # CPU, one image
    .venv/bin/python benchmarks/occlusion_speed.py --model linear       # the overhead around the forward passes
    .venv/bin/python benchmarks/occlusion_speed.py --device cuda --images 64 --perturbations-per-eval 64 \
        --batch-size 1024
"""
import argparse
import time

import torch
from torch import nn

PERTURBATIONS_PER_EVAL = (1, 16, 64)


class BasicBlock(nn.Module):
    def __init__(self, channels_in, channels, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(channels_in, channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.shortcut = nn.Sequential()
        if stride != 1 or channels_in != channels:
            self.shortcut = nn.Sequential(nn.Conv2d(channels_in, channels, 1, stride, bias=False),
                                          nn.BatchNorm2d(channels))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


def resnet18(classes=10):
    layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    channels_in = 64
    for channels, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        layers += [BasicBlock(channels_in, channels, stride), BasicBlock(channels, channels, 1)]
        channels_in = channels
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, classes))


def linear(classes=10):
    """A model whose forward pass costs almost nothing: the time left is each library's own overhead."""
    return nn.Sequential(nn.Flatten(), nn.Linear(3 * 64 * 64, classes))


MODELS = {"resnet18": resnet18, "linear": linear}


def timed(function, device):
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    result = function()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start, result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--model", choices=list(MODELS), default="resnet18",
                        help="resnet18, or linear to time the libraries' own overhead")
    parser.add_argument("--images", type=int, default=1, help="batch of images explained in one call (1)")
    parser.add_argument("--batch-size", type=int, default=64, help="lamina's windows per forward pass (64)")
    parser.add_argument("--perturbations-per-eval", type=int, nargs="+", default=list(PERTURBATIONS_PER_EVAL),
                        help="Captum's settings to time (1 16 64)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    args = parser.parse_args()
    from captum.attr import Occlusion

    from lamina import explain

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.manual_seed(0)
    model = MODELS[args.model]().to(device).eval()
    x = torch.rand(args.images, 3, 64, 64, device=device)
    target = torch.zeros(args.images, dtype=torch.long, device=device)
    captum = Occlusion(lambda inputs: model(inputs).softmax(dim=1))
    runs = {"lamina": lambda: explain.occlusion(model, x, target=target, window=8, stride=4,
                                                batch_size=args.batch_size, progress=False)}
    for ppe in args.perturbations_per_eval:
        runs[f"captum ppe={ppe}"] = (lambda ppe=ppe: captum.attribute(
            x, sliding_window_shapes=(3, 8, 8), strides=(3, 4, 4), baselines=0.0, target=target,
            perturbations_per_eval=ppe))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {device}, {args.model}, "
          f"{args.images} x 3x64x64, window 8, stride 4 (225 windows)")
    best, results = {name: float("inf") for name in runs}, {}
    for round_index in range(args.rounds + 1):  # the first round warms up and is dropped
        for name, run in runs.items():
            elapsed, results[name] = timed(run, device)
            if round_index > 0:
                best[name] = min(best[name], elapsed)
    difference = max(float((results["lamina"] - result).abs().max()) for result in results.values())
    captum_best = min(value for name, value in best.items() if name != "lamina")
    for name, value in best.items():
        print(f"{name:16} {value * 1000:9.1f} ms")
    print(f"lamina / best captum: {best['lamina'] / captum_best:.2f}x   (largest difference {difference:.1e})")


if __name__ == "__main__":
    main()
