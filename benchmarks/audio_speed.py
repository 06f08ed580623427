"""The audio workflows against what a user would write instead, side by side in one run.

- mel: log-mel spectrograms of --clips one-second float32 clips at 16 kHz (noise and tones): lamina's
  `MelSpectrogram(sample_rate=16000, n_fft=512, hop_length=160, n_mels=64, to_db=True)` on batches of
  --batch-size clips under inference_mode, against librosa clip by clip
  (`power_to_db(feature.melspectrogram(...))`, the same parameters). Also the largest difference in dB between
  the two, and of each against librosa on the clips in float64.
- train: `AudioClassifier(sample_rate=8000, duration=1.0, n_mels=32, augment=False).fit(waveforms, labels,
  validation_split=0)` against the same model as an nn.Module (its own torch.stft mel spectrogram in dB, lamina's
  mel filterbank matrix) in a hand-written loop: batches by index of a torch.randperm, cross_entropy, Adam
  (learning rate 0.001, epsilon 1e-7, as lamina's), batch 32, Keras's initializers and BatchNorm epsilon. Both
  train on the same waveforms, read once (outside the time) from lamina.datasets.sounds' generated recordings
  (8 kHz, 3 classes); each time runs from building the model to the end of the last epoch. Training accuracy
  is the running accuracy of the last epoch, as Keras reports it.

Every timing is the best of --rounds after one warm-up round; the two sides alternate, round after round.

    .venv/bin/python benchmarks/audio_speed.py                    # both
    .venv/bin/python benchmarks/audio_speed.py --quick            # smoke run: small sizes, 1 round
    .venv/bin/python benchmarks/audio_speed.py --only train --epochs 10
"""
import argparse
import tempfile
import time

import librosa
import numpy as np
import torch
from torch import nn

from lamina.audio import AudioClassifier, read_clips
from lamina.datasets import sounds
from lamina.layers import MelSpectrogram
from lamina.layers.spectrogram import mel_filters
from lamina.utils import set_random_seed

MEL = dict(n_fft=512, hop_length=160, n_mels=64)


def timed_rounds(rounds, runs):
    """{name: (best time of `rounds` after a warm-up, the last result)} of {name: run()}, alternating."""
    times, results = {name: [] for name in runs}, {}
    for round_ in range(1 + rounds):
        for name, run in runs.items():
            start = time.perf_counter()
            results[name] = run()
            times[name] += [time.perf_counter() - start] if round_ else []
    return {name: (min(times[name]), results[name]) for name in runs}


def noise_and_tones(count, rate=16000):
    """(count, rate) float32 one-second clips: noise under two to four tones of random pitch and level."""
    rng = np.random.default_rng(0)
    seconds = np.arange(rate) / rate
    clips = 0.05 * rng.standard_normal((count, rate))
    for clip in clips:
        for _ in range(rng.integers(2, 5)):
            clip += rng.uniform(0.05, 0.4) * np.sin(2 * np.pi * rng.uniform(50, 7000) * seconds + rng.uniform(0, 6.3))
    return clips.astype(np.float32)


def librosa_mel(clip):
    return librosa.power_to_db(librosa.feature.melspectrogram(y=clip, sr=16000, **MEL))


def mel(args):
    clips = noise_and_tones(args.clips)
    layer = MelSpectrogram(sample_rate=16000, to_db=True, **MEL)
    batches = torch.from_numpy(clips).split(args.batch_size)

    def lamina_run():
        with torch.inference_mode():
            return torch.cat([layer(batch) for batch in batches]).numpy()

    results = timed_rounds(args.rounds, {"lamina": lamina_run,
                                         "librosa": lambda: np.stack([librosa_mel(clip) for clip in clips])})
    (ours_time, ours), (theirs_time, theirs) = results["lamina"], results["librosa"]
    exact = np.stack([librosa_mel(clip.astype(np.float64)) for clip in clips])
    print(f"\nlog-mel spectrograms {ours.shape[1:]} of {args.clips:,} one-second clips at 16 kHz, float32, "
          f"{torch.get_num_threads()} torch threads, best of {args.rounds}:")
    print(f"  {'':<42} {'clips/s':>9} {'lamina / peer':>14}")
    print(f"  {f'lamina MelSpectrogram, {args.batch_size} clips a call':<42} {args.clips / ours_time:9,.0f}")
    print(f"  {'librosa, clip by clip':<42} {args.clips / theirs_time:9,.0f} {theirs_time / ours_time:13.1f}x")
    print(f"  largest |difference| in dB: lamina - librosa {np.abs(ours - theirs).max():.1e}; against librosa in "
          f"float64: lamina {np.abs(ours - exact).max():.1e}, librosa float32 {np.abs(theirs - exact).max():.1e}")


class TorchAudioCNN(nn.Module):
    """AudioClassifier's cnn2d model, augment=False: waveforms (batch, samples) to class logits."""

    def __init__(self, sample_rate, n_fft, hop_length, n_mels, classes):
        super().__init__()
        self.n_fft, self.hop_length = n_fft, hop_length
        self.register_buffer("window", torch.hann_window(n_fft))
        filters = mel_filters(sample_rate, n_fft, n_mels, 0.0, sample_rate / 2)
        self.register_buffer("filters", torch.from_numpy(filters).float())
        layers, channels = [nn.BatchNorm2d(1, eps=1e-3)], 1
        for filters in (32, 64, 128):
            layers += [nn.Conv2d(channels, filters, 3, padding="same"), nn.ReLU(), nn.BatchNorm2d(filters, eps=1e-3),
                       nn.MaxPool2d(2)]
            channels = filters
        self.features = nn.Sequential(*layers)
        self.dropout = nn.Dropout(0.3)
        self.classifier = nn.Linear(channels, classes)
        for layer in self.modules():  # Keras's initializers, as lamina's layers
            if isinstance(layer, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(layer.weight)
                nn.init.zeros_(layer.bias)

    def forward(self, waveforms):
        stft = torch.stft(waveforms, self.n_fft, self.hop_length, window=self.window, center=True,
                          pad_mode="constant", return_complex=True)
        decibels = 10 * torch.log10((self.filters @ stft.abs().square()).clamp_min(1e-10))
        decibels = torch.maximum(decibels, decibels.amax(dim=(1, 2), keepdim=True) - 80)  # top_db per clip
        features = self.features(decibels[:, None]).mean(dim=(2, 3))
        return self.classifier(self.dropout(features))


def lamina_train(waveforms, labels, args):
    set_random_seed(args.seed)
    classifier = AudioClassifier(sample_rate=8000, duration=1.0, n_mels=32, augment=False)
    history = classifier.fit(waveforms, labels, epochs=args.epochs, batch_size=32, validation_split=0,
                             seed=args.seed, verbose=0)
    return history.history["accuracy"][-1]


def torch_train(waveforms, labels, args):
    torch.manual_seed(args.seed)
    model = TorchAudioCNN(8000, 256, 80, 32, 3)  # AudioClassifier's n_fft and hop_length at 8 kHz: 32 ms, 10 ms
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001, eps=1e-7)
    x, y = torch.from_numpy(waveforms), torch.from_numpy(labels)
    model.train()
    for _ in range(args.epochs):
        correct = torch.zeros((), dtype=torch.int64)
        for index in torch.randperm(len(x)).split(32):
            optimizer.zero_grad(set_to_none=True)
            logits = model(x[index])
            loss = nn.functional.cross_entropy(logits, y[index])
            loss.backward()
            optimizer.step()
            correct += (logits.argmax(1) == y[index]).sum()
    return correct.item() / len(x)


def train(args):
    with tempfile.TemporaryDirectory() as folder:
        paths, labels = sounds.make_folder(folder, per_class=args.per_class)
        waveforms, kept = read_clips(paths, 8000, 8000)
    assert len(kept) == len(paths)
    results = timed_rounds(args.rounds, {"lamina AudioClassifier.fit": lambda: lamina_train(waveforms, labels, args),
                                         "hand-written PyTorch": lambda: torch_train(waveforms, labels, args)})
    samples, lamina_time = len(waveforms) * args.epochs, results["lamina AudioClassifier.fit"][0]
    print(f"\nAudioClassifier cnn2d, augment=False, {len(waveforms)} clips (8 kHz, 1 s, 3 classes), "
          f"{args.epochs} epochs, batch 32, {torch.get_num_threads()} torch threads, best of {args.rounds}:")
    print(f"  {'':<28} {'clips/s':>7} {'training accuracy':>18} {'lamina / peer':>14}")
    for position, (name, (seconds, accuracy)) in enumerate(results.items()):
        ratio = f"{seconds / lamina_time:13.2f}x" if position else ""
        print(f"  {name:<28} {samples / seconds:7.1f} {accuracy:18.3f} {ratio}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=("mel", "train"), default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clips", type=int, default=1000, help="clips for the mel benchmark")
    parser.add_argument("--batch-size", type=int, default=100, help="clips per MelSpectrogram call")
    parser.add_argument("--per-class", type=int, default=200, help="recordings per class for training")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1 round, 100 clips, 20 recordings "
                                                             "per class, 1 epoch (overrides those)")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.clips, args.per_class, args.epochs = 1, 100, 20, 1
    for section in (mel, train):
        if args.only in (None, section.__name__):
            section(args)


if __name__ == "__main__":
    main()
