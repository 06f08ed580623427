"""Fine-tuning a classifier's backbone: one readable loop with discriminative learning rates and a one-cycle schedule.

Peak learning rates fall by 10x per group (head, upper half of the unfrozen backbone, lower half), as fastai's
`fine_tune` spreads `slice(lr / 100, lr)`; torch.optim.lr_scheduler.OneCycleLR warms each group up over the
first 30% of the steps, then anneals it (cosine) to near zero. Layers left frozen are not trainable, which also
keeps their batch normalization in inference mode (Keras's rule).
"""
import time

import torch
from tqdm.auto import tqdm

from lamina import losses
from lamina.callbacks import History
from lamina.layers.core import check_positive_int
from lamina.vision.augment import Augmentation

RATE_FALL = 10  # between neighbouring groups' peak learning rates
WARM_UP = 0.3  # the fraction of the steps whose learning rate rises


def train(model, backbone, head_layers, dataset, epochs=5, learning_rate=2e-3, unfreeze=None, batch_size=32,
          augment=True, seed=0, verbose=1, device=None):
    """Trains the head and the top `unfreeze` weighted layers of `backbone` (None: all) on `dataset`'s images.

    Returns:
        A History: loss and accuracy (and val_loss, val_accuracy) per epoch, means over the epoch's samples.
    """
    epochs = check_positive_int("fine_tune", "epochs", epochs)
    device = torch.device(device) if device is not None else next(model.parameters()).device
    model.to(device)
    augment = Augmentation() if augment is True else augment or None
    data_format = model_data_format(model)
    generator = torch.Generator(device="cpu").manual_seed(seed)
    batches = dataset.train.batches(batch_size, shuffle=True, augment=augment, seed=generator, dtype=torch.float32,
                                    data_format=data_format, device=device)
    frozen = _freeze_below(backbone, unfreeze)
    optimizer = torch.optim.AdamW(_parameter_groups(backbone, head_layers, learning_rate))
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, [group["lr"] for group in optimizer.param_groups],
                                                   total_steps=epochs * len(batches), pct_start=WARM_UP)
    history = History()
    history.set_model(model)
    history.on_train_begin()
    try:
        for epoch in range(epochs):
            start = time.perf_counter()
            totals = torch.zeros(3, dtype=torch.float64, device=device)  # loss sum, correct, samples
            for images, labels in progress(batches, f"epoch {epoch + 1}/{epochs}", verbose):
                probabilities = model(images, training=True)
                loss = losses.sparse_categorical_crossentropy(labels, probabilities).mean()
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                schedule.step()
                totals += _sums(loss.detach() * len(labels), probabilities.detach(), labels)
            logs = _means(totals)
            if len(dataset.validation):
                logs.update({f"val_{name}": value for name, value in
                             evaluate(model, dataset.validation, batch_size, data_format, device).items()})
            history.on_epoch_end(epoch, logs)
            if verbose:
                print(f"epoch {epoch + 1}/{epochs} - " + " - ".join(f"{k}: {v:.4f}" for k, v in logs.items()) +
                      f" - {time.perf_counter() - start:.1f} s")
    finally:
        for layer in frozen:
            layer.trainable = True
    return history


def evaluate(model, files, batch_size, data_format, device):
    """{'loss', 'accuracy'} of the model on labelled ImageFiles, in inference mode."""
    totals = torch.zeros(3, dtype=torch.float64, device=device)
    with torch.inference_mode():
        for images, labels in files.batches(batch_size, data_format=data_format, device=device):
            probabilities = model(images, training=False)
            loss = losses.sparse_categorical_crossentropy(labels, probabilities)
            totals += _sums(loss.sum(), probabilities, labels)
    return _means(totals)


def model_data_format(model):
    """'channels_first' when the model's image input has 3 channels first, else 'channels_last'."""
    return "channels_first" if model.inputs[0].shape[1] == 3 else "channels_last"


def progress(batches, description, verbose):
    """The batches with a tqdm bar when verbose == 1."""
    return tqdm(batches, desc=description, unit="batch", leave=False, disable=verbose != 1)


def _freeze_below(backbone, unfreeze):
    """Makes all but the top `unfreeze` weighted layers of the backbone untrainable; returns those frozen."""
    weighted = [layer for layer in backbone.layers if layer.weights]
    count = len(weighted) if unfreeze is None else check_positive_int("fine_tune", "unfreeze", unfreeze)
    frozen = [layer for layer in weighted[:max(len(weighted) - count, 0)] if layer.trainable]
    for layer in frozen:
        layer.trainable = False
    return frozen


def _parameter_groups(backbone, head_layers, learning_rate):
    """[lower half of the trainable backbone, upper half, head], at learning_rate / 100, / 10 and * 1."""
    trainable = [weight for layer in backbone.layers for weight in layer.trainable_weights]
    half = len(trainable) // 2
    head = [weight for layer in head_layers for weight in layer.trainable_weights]
    groups = [(trainable[:half], RATE_FALL ** 2), (trainable[half:], RATE_FALL), (head, 1)]
    return [{"params": weights, "lr": learning_rate / fall} for weights, fall in groups if weights]


def _sums(loss_sum, probabilities, labels):
    correct = (probabilities.argmax(dim=1) == labels).sum()
    return torch.stack([loss_sum.double(), correct.double(), torch.tensor(float(len(labels)), dtype=torch.float64,
                                                                        device=labels.device)])


def _means(totals):
    loss, correct, samples = totals.tolist()
    return {"loss": loss / samples, "accuracy": correct / samples}
