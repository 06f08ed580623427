"""ImageClassifier: a labelled folder of photos to a classifier on a pretrained ConvNet, in one call.

The model is one lamina Model: pixel values 0-255 -> ImageNet normalization -> the backbone (pooled) -> dropout
-> a softmax Dense. `fit` trains the head on the frozen backbone's features, computed once per image; `fine_tune`
then trains the backbone too (lamina.vision.fine_tuning). A saved file carries the class names and the image
transform, so `load_model(path).predict("photo.jpg")` needs nothing else.
"""
import numpy as np
import torch
import torch.nn.functional as F

from lamina import config, optimizers
from lamina.applications import imagenet
from lamina.layers import Dense, Dropout, Input, Normalization
from lamina.models import Model
from lamina.models.loading import load_with_metadata
from lamina.predictions import top_predictions
from lamina.vision import fine_tuning
from lamina.vision.fine_tuning import model_data_format
from lamina.vision.backbones import build_backbone, default_transform
from lamina.vision.data import ImageDataset, ImageFiles, image_dataset
from lamina.vision.feature_cache import FeatureCache, backbone_key
from lamina.vision.interpretation import class_evaluation
from lamina.vision.loading import ImageTransform
from lamina.vision.pictures import as_image

METADATA_KEY = "image_classifier"


class ImageClassifier:
    """A classifier of images on a pretrained ConvNet: feature extraction (`fit`) or fine-tuning (`fine_tune`).

    Args:
        backbone: a name in lamina.vision.backbones.BACKBONES ('mobilenet_v2', 'resnet50', 'efficientnet_b0',
            'convnext_tiny', ...), or your own lamina Model from ImageNet-normalized images to (batch, features).
        weights: 'imagenet' (torchvision's weights, downloaded once), None (random: tests, or training from
            scratch), or a path to the backbone's weights.
        image_size: the backbone's input, an int or (height, width); default: its ImageNet crop (224 mostly).
        resize_size: the shorter side before the center crop; default: the crop in the weights' proportion.
        dropout: the rate of the dropout before the classifier.
        cache: None keeps the frozen backbone's features in memory (for this object's lifetime); a folder also
            keeps them on disk, keyed by backbone, weights, transform and file contents.

    Example:
        >>> classifier = ImageClassifier("mobilenet_v2")
        >>> classifier.fit("photos", epochs=10)            # photos/cats/*.jpg, photos/dogs/*.jpg
        >>> classifier.predict("new.jpg")
        [Prediction(label='cats', probability=0.97)]
        >>> classifier.save("pets.lamina")
    """

    def __init__(self, backbone="mobilenet_v2", weights="imagenet", image_size=None, resize_size=None, dropout=0.2,
                 cache=None):
        self.weights, self.dropout = weights, dropout
        if isinstance(backbone, Model):
            self.backbone_name, self.given_backbone = backbone.name, backbone
            self.transform = backbone_transform(backbone, image_size, resize_size)
        else:
            self.backbone_name, self.given_backbone = backbone, None
            self.transform = default_transform(backbone, image_size, resize_size)
        self.data_format = model_data_format(backbone) if self.given_backbone else config.image_data_format()
        self.features_cache = FeatureCache(cache)
        self.class_names = self.model = self.history = None

    # ---------------------------------------------------------------- building
    def _build(self, class_names):
        if self.model is not None:
            if list(class_names) != self.class_names:
                raise ValueError(f"ImageClassifier: this classifier was trained on classes {self.class_names}; the "
                                 f"data has {list(class_names)}. Make a new ImageClassifier for other classes.")
            return
        backbone = self.given_backbone or build_backbone(self.backbone_name, self.weights, self.input_shape())
        features = image_features_model(backbone, self.input_shape(), self.data_format)
        outputs = Dense(len(class_names), activation="softmax", name="predictions")(
            Dropout(self.dropout, name="head_dropout")(features.outputs[0]))
        self._set_model(Model(features.inputs[0], outputs, name=f"{self.backbone_name}_classifier"), list(class_names))

    def input_shape(self):
        """The model's input shape: (3, height, width), or (height, width, 3) for channels_last."""
        return image_input_shape(self.transform.image_size, self.data_format)

    def _set_model(self, model, class_names):
        self.model, self.class_names = model, class_names
        self.head_layers = [model.get_layer("head_dropout"), model.get_layer("predictions")]
        self.features_model = Model(model.inputs[0], self.head_layers[0].input, name="features")
        self.backbone = self.features_model.outputs[0].layer

    def _head(self):
        """A model from backbone features to class probabilities, sharing the classifier's head layers."""
        features = Input((self.features_model.output.shape[-1],), name="features")
        dropout, dense = self.head_layers
        return Model(features, dense(dropout(features)), name="head")

    def _features(self, files, batch_size, verbose):
        """The frozen backbone's features of each file (computed once, then read from the cache)."""
        key = backbone_key(self.backbone_name, self.transform, self.data_format, self.backbone)

        def compute(paths):
            return predicted(self.features_model, ImageFiles(paths, None, None, self.transform), batch_size, verbose,
                             "features")

        return self.features_cache.features(key, files.paths, compute)

    # ---------------------------------------------------------------- training
    def fit(self, data, epochs=10, batch_size=32, learning_rate=1e-3, validation_split=0.2, seed=0, verbose=1):
        """Trains the classifier's head on the frozen backbone's features (computed once per image).

        Args:
            data: a folder of class folders (or with train/ and val/), a CSV of (path, label), or an ImageDataset
                (lamina.vision.image_dataset).
            epochs, batch_size, learning_rate: of the head's training (Adam).
            validation_split, seed: the seeded, stratified split of a folder or CSV without a given one.
            verbose: 0 silent, 1 progress bars, 2 one line per epoch.

        Returns:
            The History of the head's training (loss, accuracy, val_loss, val_accuracy per epoch).
        """
        dataset = self._dataset(data, validation_split, seed)
        self._build(dataset.class_names)
        train = self._features(dataset.train, batch_size, verbose)
        validation = None
        if len(dataset.validation):
            validation = (self._features(dataset.validation, batch_size, verbose), dataset.validation.labels)
        head = self._head()
        head.compile(optimizer=optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                     metrics=["accuracy"])
        self.history = head.fit(train, dataset.train.labels, batch_size=batch_size, epochs=epochs,
                                validation_data=validation, verbose=verbose)
        return self.history

    def fine_tune(self, data, epochs=5, freeze_epochs=1, learning_rate=2e-3, unfreeze=None, batch_size=32,
                  augment=True, validation_split=0.2, seed=0, verbose=1, device=None):
        """fastai's `fine_tune`: the head on the frozen backbone for `freeze_epochs`, then the backbone too.

        The frozen epochs train the head on cached features (fit). Then the top `unfreeze` weighted layers of the
        backbone (None: all) train with the head, on augmented batches, with AdamW and a one-cycle schedule
        whose peak learning rates fall by 10x per group: the head at `learning_rate`, the upper half of the
        unfrozen backbone at learning_rate / 10, the lower half at learning_rate / 100. Frozen layers keep
        their batch normalization in inference mode.

        Returns:
            The History of the unfrozen epochs.
        """
        dataset = self._dataset(data, validation_split, seed)
        if freeze_epochs:
            self.fit(dataset, epochs=freeze_epochs, batch_size=batch_size, learning_rate=learning_rate,
                     verbose=verbose)
        else:
            self._build(dataset.class_names)
        self.history = fine_tuning.train(self.model, self.backbone, self.head_layers, dataset, epochs=epochs,
                                         learning_rate=learning_rate, unfreeze=unfreeze, batch_size=batch_size,
                                         augment=augment, seed=seed, verbose=verbose, device=device)
        return self.history

    # ---------------------------------------------------------------- using
    def evaluate(self, data, batch_size=32, verbose=1):
        """{'loss', 'accuracy', 'report', 'probabilities'} on labelled images: a folder's val/ part if it has one,
        else all of it (or the ImageFiles given). 'report' is a lamina.vision.interpretation.ClassReport
        (per-class precision, recall and the confusion matrix); 'probabilities' is (images, classes)."""
        files = self.labelled_files(data)
        return class_evaluation(files.labels, predicted(self.model, files, batch_size, verbose, "evaluate"),
                                self.class_names)

    def labelled_files(self, data):
        """The ImageFiles to evaluate in `data` (an ImageFiles as is; a folder's val/ part, else all of it)."""
        self._require_model("evaluate")
        if isinstance(data, ImageFiles):
            return data
        dataset = data if isinstance(data, ImageDataset) else image_dataset(
            data, self.transform.image_size, self.transform.resize_size, validation_split=0,
            class_names=self.class_names, interpolation=self.transform.interpolation)
        return dataset.validation if len(dataset.validation) else dataset.train

    def predict_proba(self, images, batch_size=32, verbose=0):
        """(N, classes) probabilities of images: file paths, PIL images or uint8 arrays (one or a list)."""
        self._require_model("predict")
        return predicted(self.model, self._batches(images, batch_size), batch_size, verbose, "predict")

    def features(self, images, batch_size=32, verbose=0):
        """(N, features) float32, L2-normalised: the input of the classifier's Dense layer for each image (file
        paths, PIL images or uint8 arrays), for similarity search and clustering."""
        self._require_model("features")
        outputs = predicted(self.features_model, self._batches(images, batch_size), batch_size, verbose, "features")
        return F.normalize(torch.from_numpy(outputs), dim=1).numpy()

    def predict(self, images, batch_size=32, verbose=0):
        """One Prediction(label, probability) per image (a file path, PIL image or uint8 array, or a list)."""
        return top_predictions(self.predict_proba(images, batch_size, verbose), self.class_names)

    def save(self, path):
        """Writes the model, its class names and image transform to one `.lamina` file (atomically)."""
        self._require_model("save")
        self.model.metadata = {METADATA_KEY: {"backbone": self.backbone_name, "class_names": self.class_names,
                                              "transform": self.transform.get_config(),
                                              "data_format": self.data_format, "dropout": self.dropout}}
        self.model.save(path, include_optimizer=False)

    # ---------------------------------------------------------------- helpers
    def _dataset(self, data, validation_split, seed):
        if isinstance(data, ImageDataset):
            return data
        return image_dataset(data, self.transform.image_size, self.transform.resize_size, validation_split, seed,
                             interpolation=self.transform.interpolation)

    def _batches(self, images, batch_size):
        items = [images] if not isinstance(images, (list, tuple)) else images
        return [torch.stack([self.pixels(item) for item in items[start:start + batch_size]])
                for start in range(0, len(items), batch_size)]

    def pixels(self, item):
        """An image as the model's uint8 input (the transform: upright, RGB, resized, center-cropped)."""
        pixels = self.transform(as_image(item))
        return pixels if self.data_format == "channels_first" else pixels.permute(1, 2, 0)

    def _require_model(self, method):
        if self.model is None:
            raise ValueError(f"ImageClassifier.{method}: the classifier has no model yet; call fit(data) or "
                             f"fine_tune(data) first, or load one with lamina.vision.load_model(path).")


def image_input_shape(image_size, data_format):
    """(3, height, width) for channels_first, (height, width, 3) for channels_last."""
    height, width = image_size
    return (3, height, width) if data_format == "channels_first" else (height, width, 3)


def image_features_model(backbone, input_shape, data_format):
    """A Model: pixel values 0-255 (any dtype) -> ImageNet normalization -> `backbone` -> its features."""
    images = Input(input_shape, name="images")
    normalized = Normalization(axis=1 if data_format == "channels_first" else -1,
                               mean=[255 * mean for mean in imagenet.MEAN],
                               variance=[(255 * std) ** 2 for std in imagenet.STD], name="imagenet_normalization")(images)
    return Model(images, backbone(normalized), name="features")


def backbone_transform(backbone, image_size, resize_size):
    """The transform to a given backbone's input: its image size (which `image_size` must equal, if given)."""
    shape = tuple(backbone.inputs[0].shape[1:])
    if len(shape) != 3 or len(backbone.outputs[0].shape) != 2:
        raise ValueError(f"ImageClassifier: a backbone model must take images (3-D samples) and give feature vectors "
                         f"(batch, features); '{backbone.name}' maps {shape} to {tuple(backbone.outputs[0].shape[1:])}. "
                         f"Build it with pooling='avg' or end it with GlobalAveragePooling2D.")
    size = shape[1:] if model_data_format(backbone) == "channels_first" else shape[:2]
    if image_size is not None and ImageTransform(image_size).image_size != size:
        raise ValueError(f"ImageClassifier: image_size={image_size!r} differs from backbone '{backbone.name}''s "
                         f"input {size}; leave image_size out.")
    return ImageTransform(size, resize_size)


def predicted(model, batches, batch_size, verbose, description):
    """The model's outputs (float32 numpy) on ImageFiles (decoded in threads) or on a list of input batches."""
    if isinstance(batches, ImageFiles):
        batches = batches.batches(batch_size, data_format=model_data_format(model))
    device = next(model.parameters()).device
    outputs = []
    with torch.inference_mode():
        for batch in fine_tuning.progress(batches, description, verbose):
            images = batch[0] if isinstance(batch, (tuple, list)) else batch
            outputs.append(model(images.to(device), training=False).float().cpu())
    return torch.cat(outputs).numpy() if outputs else np.zeros((0, model.output.shape[-1]), np.float32)


def load_model(path):
    """The ImageClassifier saved at `path` by ImageClassifier.save."""
    model, settings = load_with_metadata(path, METADATA_KEY, "lamina.vision.load_model",
                                         "an ImageClassifier (no class names or image transform)")
    classifier = ImageClassifier.__new__(ImageClassifier)
    classifier.backbone_name, classifier.weights, classifier.given_backbone = settings["backbone"], None, None
    classifier.dropout, classifier.data_format = settings["dropout"], settings["data_format"]
    classifier.transform = ImageTransform(**settings["transform"])
    classifier.features_cache, classifier.history = FeatureCache(), None
    classifier._set_model(model, settings["class_names"])
    return classifier
