"""Which parts of a recording's spectrogram a prediction rests on: occlusion of time-frequency patches, or Grad-CAM
on the spectrogram classifier's last convolution, drawn over the spectrogram (low frequencies at the bottom)."""
import numpy as np
from PIL import Image

from lamina.explain import grad_cam, occlusion, overlay
from lamina.identifiers import check_choice
from lamina.vision.pictures import save_png

METHODS = ("occlusion", "grad_cam")
SCALE = 4  # pixels per spectrogram cell in the picture


def spectrogram_heatmap(classifier, recording, method="occlusion", target=None, window=(1, 4, 8), stride=(1, 2, 4)):
    """(heatmap (mels, frames), the spectrogram (mels, frames) in dB, the class explained).

    Args:
        classifier: a trained lamina.audio.AudioClassifier.
        recording: a file path or a waveform at the classifier's sample rate.
        method: 'occlusion' (the probability drop when a patch of `window` (channel, mels, frames) cells is set to
            the spectrogram's minimum) or 'grad_cam'.
        target: the class index to explain; None: the predicted class.
    """
    check_choice("method", method, METHODS, owner="spectrogram_heatmap")
    spectrogram = classifier.spectrogram(recording)
    if target is None:
        target = int(classifier.classifier.predict(spectrogram[None])[0].argmax())
    if method == "occlusion":
        heatmap = occlusion(classifier.classifier, spectrogram, target=target, window=window, stride=stride,
                            baseline=float(spectrogram.min()), progress=False)[0]
    else:
        heatmap = grad_cam(classifier.classifier, spectrogram, target=target)
    return np.asarray(heatmap), spectrogram[0], target


def spectrogram_picture(spectrogram, heatmap=None, path=None, alpha=0.5):
    """A PIL image of a spectrogram (grey, low frequencies at the bottom, SCALE pixels per cell), with the
    heatmap's colours blended over it when given; written as PNG (atomically) when `path` is given."""
    values = np.asarray(spectrogram, dtype=np.float64)
    span = values.max() - values.min()
    grey = ((values - values.min()) / (span if span > 0 else 1.0))[::-1]
    picture = Image.fromarray((grey * 255).astype(np.uint8)).convert("RGB")
    picture = picture.resize((picture.width * SCALE, picture.height * SCALE), Image.Resampling.NEAREST)
    if heatmap is not None:
        picture = overlay(picture, np.asarray(heatmap, dtype=np.float64)[::-1].copy(), alpha=alpha)
    if path is not None:
        save_png(picture, path)
    return picture
