"""Reading the localization models back: the KeypointRegressor, SteeringRegressor or GridDetector in a `.lamina`
file, told apart by the kind saved in its metadata."""
from lamina.models.loading import load_with_metadata
from lamina.vision.grid_detector import GridDetector
from lamina.vision.localization import METADATA_KEY, KeypointRegressor, SteeringRegressor


def load_model(path):
    """The KeypointRegressor, SteeringRegressor or GridDetector saved at `path`."""
    model, settings = load_with_metadata(path, METADATA_KEY, "lamina.vision.localization_files.load_model",
                                         "one saved by KeypointRegressor, SteeringRegressor or GridDetector")
    if settings["kind"] == "keypoints":
        regressor = KeypointRegressor(settings["n_points"], model, None, settings["image_size"], settings["pairs"])
    elif settings["kind"] == "grid":
        regressor = GridDetector(settings["class_names"], settings["image_size"], settings["grid_size"])
    else:
        regressor = SteeringRegressor(model, settings["image_size"])
    regressor.model = model
    return regressor
