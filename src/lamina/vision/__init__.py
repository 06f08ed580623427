"""Image workflows: classify a folder of photos, search similar images, cluster them, with pictures; find
keypoints, boxes and angles (docs/localization.md).

Example:
    >>> from lamina.vision import ImageClassifier, load_model
    >>> classifier = ImageClassifier("mobilenet_v2")          # ImageNet weights, frozen
    >>> classifier.fit("photos", epochs=10)                   # photos/<class>/*.jpg
    >>> classifier.save("photos.lamina")
    >>> load_model("photos.lamina").predict("new.jpg")
"""
from lamina.predictions import Prediction
from lamina.vision.augment import Augmentation
from lamina.vision.box_regressor import BoxRegressor
from lamina.vision.classifier import ImageClassifier, load_model
from lamina.vision.clustering import cluster, cluster_scores, compare_with_pixels, map_2d
from lamina.vision.data import ImageDataset, ImageFiles, UnreadableImagesWarning, image_dataset, image_list
from lamina.vision.features import extract_features
from lamina.vision.grid_detector import GridDetector
from lamina.vision.loading import ImageTransform, UnreadableImageError
from lamina.vision.localization import KeypointRegressor, SteeringRegressor
from lamina.vision.pictures import cluster_sheets, contact_sheet, map_picture
from lamina.vision.similarity import SimilarityIndex, near_duplicates
from lamina.vision.target_augment import TargetAugmentation

__all__ = ["Augmentation", "BoxRegressor", "GridDetector", "ImageClassifier", "ImageDataset", "ImageFiles",
           "ImageTransform", "KeypointRegressor", "Prediction", "SimilarityIndex", "SteeringRegressor",
           "TargetAugmentation", "UnreadableImageError", "UnreadableImagesWarning", "cluster", "cluster_scores",
           "cluster_sheets", "compare_with_pixels", "contact_sheet", "extract_features", "image_dataset",
           "image_list", "load_model", "map_2d", "map_picture", "near_duplicates"]
