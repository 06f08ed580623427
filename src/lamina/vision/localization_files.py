"""Reading the localization models back: the KeypointRegressor, SteeringRegressor or GridDetector in a `.lamina`
file, told apart by the kind saved in its metadata."""
from lamina.models import load_model as load_lamina_model
from lamina.vision.grid_detector import GridDetector
from lamina.vision.localization import METADATA_KEY, KeypointRegressor, SteeringRegressor


def load_model(path):
    """The KeypointRegressor, SteeringRegressor or GridDetector saved at `path`."""
    model = load_lamina_model(path, compile=False)
    settings = (model.metadata or {}).get(METADATA_KEY)
    if settings is None:
        raise ValueError(f"lamina.vision.localization_files.load_model: '{path}' holds a lamina model but not one "
                         f"saved by KeypointRegressor, SteeringRegressor or GridDetector; load it with "
                         f"lamina.models.load_model.")
    if settings["kind"] == "keypoints":
        regressor = KeypointRegressor(settings["n_points"], model, None, settings["image_size"], settings["pairs"])
    elif settings["kind"] == "grid":
        regressor = GridDetector(settings["class_names"], settings["image_size"], settings["grid_size"])
    else:
        regressor = SteeringRegressor(model, settings["image_size"])
    regressor.model = model
    return regressor
