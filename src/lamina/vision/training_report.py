"""The report folder of `lamina train`: training curves, confusion matrix, worst-classified grid, report.html."""
import os

import torch

from lamina.explain.layers import channels_first_maps, convolution_layers
from lamina.vision.interpretation import (confusion_matrix_picture, training_curves_picture, worst_classified,
                                          worst_classified_grid)
from lamina.vision.report import write_report

WORST = 12  # images in the worst-classified grid
SMALLEST_MAP = 7  # Grad-CAM's layer: the last convolution with maps at least this wide (the last one at 224 pixels)


def write_training_report(classifier, dataset, folder, seconds):
    """Evaluates `classifier` on the validation images (the training ones when there are none), writes the
    pictures and `folder/report.html`, and returns the evaluation ({'loss', 'accuracy', 'report', ...})."""
    os.makedirs(folder, exist_ok=True)
    files, part = (dataset.validation, "validation") if len(dataset.validation) else (dataset.train, "training")
    evaluation = classifier.evaluate(files, verbose=0)
    pictures = {}
    if classifier.history is not None:
        pictures["Training curves"] = os.path.join(folder, "training_curves.png")
        training_curves_picture(classifier.history.history, pictures["Training curves"])
    pictures["Confusion matrix"] = os.path.join(folder, "confusion_matrix.png")
    confusion_matrix_picture(evaluation["report"], pictures["Confusion matrix"])
    probabilities = evaluation["probabilities"]
    worst = worst_classified(probabilities, files.labels, WORST)
    paths = [files.paths[index] for index in worst]
    caption = f"The {len(worst)} {part} images with the lowest probability of their class, with Grad-CAM"
    pictures[caption] = os.path.join(folder, "worst_classified.png")
    inputs = torch.stack([classifier.pixels(path) for path in paths])  # what the model saw: resized and cropped
    worst_classified_grid(classifier.model, inputs.float(), list(inputs.numpy()), files.labels[worst],
                          probabilities[worst], classifier.class_names, pictures[caption], count=len(worst),
                          layer=grad_cam_layer(classifier.model, inputs[:1].float()))
    summary = {"backbone": classifier.backbone_name, "classes": len(classifier.class_names),
               "training images": len(dataset.train), "validation images": len(dataset.validation),
               "skipped files": len(dataset.skipped), "training seconds": round(seconds, 1),
               f"{part} accuracy": round(evaluation["accuracy"], 4), f"{part} loss": round(evaluation["loss"], 4)}
    write_report(folder, f"{classifier.backbone_name} on {', '.join(classifier.class_names)}", summary,
                 evaluation["report"], pictures)
    return evaluation


def grad_cam_layer(model, sample):
    """The name of the last convolutional layer whose maps are at least SMALLEST_MAP pixels on each side for
    `sample` (for small images the last layer's maps are 1x1, which Grad-CAM cannot place), else the first."""
    convolutions = convolution_layers(model)
    sizes = {}
    def record(name):
        def hook(module, inputs, output):
            sizes.setdefault(name, channels_first_maps(output, module).shape[2:])  # returns None: output unchanged

        return hook

    hooks = [module.register_forward_hook(record(name)) for name, module in convolutions]
    try:
        with torch.inference_mode():
            model(sample, training=False)
    finally:
        for hook in hooks:
            hook.remove()
    wide = [name for name, _ in convolutions if name in sizes and min(sizes[name]) >= SMALLEST_MAP]
    return wide[-1] if wide else convolutions[0][0]
