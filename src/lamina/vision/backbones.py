"""The pretrained ConvNets an ImageClassifier can stand on, by torchvision's names, with their ImageNet transforms."""
from lamina import applications
from lamina.applications import convnext, efficientnet, imagenet, mobilenet_v2, mobilenet_v3, resnet
from lamina.identifiers import check_choice
from lamina.vision.loading import ImageTransform

INCEPTION = {"resize": 342, "crop": 299, "interpolation": "bilinear"}
# name: (the lamina.applications function, its ImageNet weights' evaluation transform)
BACKBONES = {
    "mobilenet_v2": ("MobileNetV2", mobilenet_v2.TRANSFORM),
    "mobilenet_v3_small": ("MobileNetV3Small", mobilenet_v3.TRANSFORMS["MobileNetV3Small"]),
    "mobilenet_v3_large": ("MobileNetV3Large", mobilenet_v3.TRANSFORMS["MobileNetV3Large"]),
    **{f"resnet{depth}": (f"ResNet{depth}", resnet.TRANSFORMS[f"resnet{depth}"]) for depth in (18, 34, 50, 101, 152)},
    **{f"efficientnet_b{size}": (f"EfficientNetB{size}", efficientnet.TRANSFORMS[f"efficientnetb{size}"])
       for size in range(8)},
    **{f"convnext_{size}": (f"ConvNeXt{size.title()}", convnext.TRANSFORMS[f"convnext_{size}"])
       for size in ("tiny", "small", "base")},
    **{f"densenet{depth}": (f"DenseNet{depth}", imagenet.STANDARD) for depth in (121, 169, 201)},
    "vgg16": ("VGG16", imagenet.STANDARD),
    "vgg19": ("VGG19", imagenet.STANDARD),
    "inception_v3": ("InceptionV3", INCEPTION),
}


def build_backbone(name, weights, input_shape, pooling="avg"):
    """The backbone `name` without its classifier, globally average-pooled (or with pooling=None, its last feature
    map): a lamina Model (images -> features)."""
    check_choice("backbone", name, tuple(BACKBONES), owner="ImageClassifier")
    function = getattr(applications, BACKBONES[name][0])
    return function(include_top=False, weights=weights, input_shape=input_shape, pooling=pooling)


def default_transform(name, image_size=None, resize_size=None):
    """The backbone's ImageNet evaluation transform; `image_size` (and `resize_size`) replace its crop (and
    resize: by default, the crop enlarged in the weights' proportion, e.g. 232/224)."""
    check_choice("backbone", name, tuple(BACKBONES), owner="ImageClassifier")
    transform = BACKBONES[name][1]
    if image_size is None:
        return ImageTransform(transform["crop"], resize_size or transform["resize"], transform["interpolation"])
    size = ImageTransform(image_size).image_size
    resize = resize_size or round(max(size) * transform["resize"] / transform["crop"])
    return ImageTransform(size, resize, transform["interpolation"])
