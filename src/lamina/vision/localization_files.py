"""Reading the localization models back: the KeypointRegressor, SteeringRegressor, BoxRegressor or GridDetector in
a `.lamina` file, told apart by the kind saved in its metadata."""
from lamina.models.loading import load_with_metadata
from lamina.vision.box_regressor import BoxRegressor
from lamina.vision.grid_detector import GridDetector
from lamina.vision.localization import METADATA_KEY, KeypointRegressor, SteeringRegressor


def load_model(path):
    """The KeypointRegressor, SteeringRegressor, BoxRegressor or GridDetector saved at `path`."""
    model, settings = load_with_metadata(path, METADATA_KEY, "lamina.vision.localization_files.load_model",
                                         "one saved by KeypointRegressor, SteeringRegressor, BoxRegressor or "
                                         "GridDetector")
    if settings["kind"] == "keypoints":
        regressor = KeypointRegressor(settings["n_points"], model, None, settings["image_size"], settings["pairs"])
    elif settings["kind"] == "grid":
        regressor = GridDetector(settings["class_names"], settings["image_size"], settings["grid_size"], None)
    elif settings["kind"] == "box":
        regressor = BoxRegressor(settings["class_names"], model, None, settings["image_size"], None)
    else:
        regressor = SteeringRegressor(model, settings["image_size"])
    regressor.model = model
    return regressor
