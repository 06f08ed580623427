"""Batched image transforms on torch tensors: affine resampling with Keras's fill modes, channel shift, brightness.

Every function takes a batch `(batch, channels, height, width)` and per-sample parameters, and works on the whole
batch at once (one grid_sample call for all affine transforms, elementwise tensor ops for the rest; no Python loop
over pixels). The arithmetic follows what Keras's legacy ImageDataGenerator does through
`scipy.ndimage.affine_transform(order=1)` and Pillow, so results agree with Keras to float32 rounding; see
docs/preprocessing.md.
"""
import numpy as np
import torch
import torch.nn.functional as F

FILL_MODES = ("constant", "nearest", "reflect", "wrap")


def affine_matrix(shape, theta=0.0, tx=0.0, ty=0.0, shear=0.0, zx=1.0, zy=1.0):
    """The 2x3 matrix mapping output (row, col) to input (row, col) for Keras's transform parameters, or None.

    Args:
        shape: (height, width) of the image.
        theta: rotation in degrees; tx, ty: shifts in pixels along rows and columns; shear: shear angle in
            degrees; zx, zy: zoom factors along rows and columns (values above 1 zoom out).

    Returns:
        A float64 array of shape (2, 3) (input = matrix[:, :2] @ output + matrix[:, 2]), or None for the identity.

    Example:
        >>> affine_matrix((4, 4), theta=90).round(6)
        array([[ 0.,  1.,  0.],
               [-1.,  0.,  3.]])
    """
    parts = []
    if theta != 0:
        angle = np.deg2rad(theta)
        parts.append(np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]]))
    if tx != 0 or ty != 0:
        parts.append(np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]]))
    if shear != 0:
        angle = np.deg2rad(shear)
        parts.append(np.array([[1, -np.sin(angle), 0], [0, np.cos(angle), 0], [0, 0, 1]]))
    if zx != 1 or zy != 1:
        parts.append(np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]]))
    if not parts:
        return None
    matrix = parts[0]
    for part in parts[1:]:
        matrix = np.dot(matrix, part)
    # Transform about the centre (height / 2 - 0.5, width / 2 - 0.5), then swap the two axes as Keras does before
    # calling scipy. For non-square images this puts the centre off the image's centre: Keras's own behaviour,
    # kept so that results stay equal (docs/preprocessing.md).
    center_row, center_col = float(shape[0]) / 2 - 0.5, float(shape[1]) / 2 - 0.5
    to_center = np.array([[1, 0, center_row], [0, 1, center_col], [0, 0, 1]])
    from_center = np.array([[1, 0, -center_row], [0, 1, -center_col], [0, 0, 1]])
    matrix = np.dot(np.dot(to_center, matrix), from_center)
    swap = [1, 0, 2]
    return matrix[swap][:, swap][:2]


def affine_transform(images, matrices, fill_mode="nearest", cval=0.0, order=1):
    """Resamples each image of a batch through its own affine matrix, with bilinear (or nearest) interpolation.

    Matches `scipy.ndimage.affine_transform(order=order, mode=fill_mode, cval=cval)` on each channel, which is
    what Keras uses: 'constant' fills points outside the image with `cval` (no blending with it at the edge);
    'nearest' repeats the edge pixel; 'reflect' mirrors about the pixel edge (d c b a | a b c d | d c b a);
    'wrap' is scipy's periodic extension in which the first and last pixels coincide (period size - 1).
    One torch.nn.functional.grid_sample call resamples the whole batch, in float64 as scipy does.

    Args:
        images: float tensor (batch, channels, height, width).
        matrices: sequence of `batch` 2x3 arrays from affine_matrix, or None for samples left unchanged.
        fill_mode: 'constant', 'nearest', 'reflect' or 'wrap'.
        cval: fill value for 'constant'.
        order: 1 for bilinear interpolation, 0 for the nearest pixel.

    Returns:
        A tensor of the same shape and dtype as `images`.
    """
    if all(matrix is None for matrix in matrices):
        return images
    batch, _, height, width = images.shape
    identity = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    device = images.device
    stacked = torch.as_tensor(np.stack([identity if m is None else m for m in matrices]), dtype=torch.float64)
    rows = torch.arange(height, dtype=torch.float64, device=device).view(1, height, 1)
    cols = torch.arange(width, dtype=torch.float64, device=device).view(1, 1, width)

    def source(axis):
        coefficients = stacked[:, axis].view(batch, 3, 1, 1).to(device)
        # scipy's summation order (offset first), so that points on the image edge fall on the same side.
        return coefficients[:, 2] + rows * coefficients[:, 0] + cols * coefficients[:, 1]

    if fill_mode == "wrap":
        source_rows, source_cols = _wrap(source(0), height), _wrap(source(1), width)
        # grid_sample's coordinates with align_corners=False: -1 and 1 are the outer edges of the edge pixels.
        grid = torch.stack([(2 * source_cols + 1) / width - 1, (2 * source_rows + 1) / height - 1], dim=-1)
    else:
        grid = F.affine_grid(_normalized_matrices(stacked, height, width).to(device), [batch, 1, height, width],
                             align_corners=False)
    if fill_mode == "constant":
        source_rows, source_cols = source(0), source(1)
        outside = (source_rows < 0) | (source_rows > height - 1) | (source_cols < 0) | (source_cols > width - 1)
    result = F.grid_sample(images.to(torch.float64), grid, mode="bilinear" if order == 1 else "nearest",
                           padding_mode="reflection" if fill_mode == "reflect" else "border",
                           align_corners=False).to(images.dtype)
    if fill_mode == "constant":
        result = torch.where(outside.unsqueeze(1), torch.as_tensor(cval, dtype=images.dtype, device=device), result)
    unchanged = [index for index, matrix in enumerate(matrices) if matrix is None]
    if unchanged:
        result[unchanged] = images[unchanged]
    return result


def _normalized_matrices(matrices, height, width):
    """(batch, 2, 3) pixel matrices (row, col) as affine_grid's: (x, y) in [-1, 1] with align_corners=False."""
    batch = len(matrices)
    pixel = torch.zeros(batch, 3, 3, dtype=torch.float64)
    pixel[:, 0, 0], pixel[:, 0, 1], pixel[:, 0, 2] = matrices[:, 1, 1], matrices[:, 1, 0], matrices[:, 1, 2]
    pixel[:, 1, 0], pixel[:, 1, 1], pixel[:, 1, 2] = matrices[:, 0, 1], matrices[:, 0, 0], matrices[:, 0, 2]
    pixel[:, 2, 2] = 1
    to_unit = torch.tensor([[2 / width, 0, 1 / width - 1], [0, 2 / height, 1 / height - 1], [0, 0, 1]],
                           dtype=torch.float64)
    from_unit = torch.tensor([[width / 2, 0, (width - 1) / 2], [0, height / 2, (height - 1) / 2], [0, 0, 1]],
                             dtype=torch.float64)
    return (to_unit @ pixel @ from_unit)[:, :2]


def _wrap(coordinates, length):
    """scipy's 'wrap' for out-of-range coordinates: periodic with period length - 1."""
    if length <= 1:
        return torch.zeros_like(coordinates)
    period = length - 1
    below = coordinates + period * (torch.trunc(-coordinates / period) + 1)
    above = coordinates - period * torch.trunc(coordinates / period)
    return torch.where(coordinates < 0, below, torch.where(coordinates > length - 1, above, coordinates))


def channel_shift(images, intensities):
    """Adds one intensity per sample to every channel, clipped to that sample's original min and max.

    Args:
        images: tensor (batch, channels, height, width).
        intensities: one float per sample, or None for samples left unchanged.
    """
    if all(value is None for value in intensities):
        return images
    shifts, keep = _per_sample(intensities, 0.0, images)
    low, high = _sample_range(images)
    shifted = torch.minimum(torch.maximum(images + shifts, low), high)
    return torch.where(keep, images, shifted)


def flip(images, horizontal, vertical):
    """Mirrors the samples whose flag is set: horizontal flips the columns, vertical the rows."""
    if not any(horizontal) and not any(vertical):
        return images
    images = images.clone()
    for flags, axis in ((horizontal, 3), (vertical, 2)):
        selected = [index for index, flag in enumerate(flags) if flag]
        if selected:
            images[selected] = images[selected].flip(axis)
    return images


def brightness(images, factors):
    """Scales brightness as Keras does through Pillow: 8-bit quantized, multiplied, truncated, clipped to 255.

    Samples whose values lie outside [0, 255] are first stretched to [0, 255] and mapped back afterwards
    (Keras's `apply_brightness_shift(scale=False)`); an alpha channel (4 channels) keeps its value.

    Args:
        images: float tensor (batch, channels, height, width).
        factors: one float per sample (1.0 keeps the brightness), or None for samples left unchanged.
    """
    if all(value is None for value in factors):
        return images
    low, high = _sample_range(images)
    stretched = (low < 0) | (high > 255)
    shifted = images - low
    shifted_max = shifted.reshape(len(images), -1).amax(1).view(-1, 1, 1, 1)
    scaled = torch.where(shifted_max != 0, shifted / torch.where(shifted_max != 0, shifted_max, 1), shifted) * 255
    pixels = torch.trunc(torch.where(stretched, scaled, images)).clamp(0, 255)
    scale, keep = _per_sample(factors, 1.0, images)
    scale = scale.expand(-1, images.shape[1], 1, 1).clone()
    if images.shape[1] == 4:
        scale[:, 3] = 1.0
    pixels = torch.floor(pixels * scale).clamp(0, 255)
    pixels = torch.where(stretched, pixels / 255 * (high - low) + low, pixels)
    return torch.where(keep, images, pixels)


def _per_sample(values, default, images):
    """(one value per sample as a (batch, 1, 1, 1) tensor of images' dtype, None read as `default`;
    the (batch, 1, 1, 1) mask of the samples whose value is None)."""
    filled = torch.tensor([default if value is None else value for value in values], dtype=images.dtype,
                          device=images.device)
    missing = torch.tensor([value is None for value in values], device=images.device)
    return filled.view(-1, 1, 1, 1), missing.view(-1, 1, 1, 1)


def _sample_range(images):
    """(minimum, maximum) of each sample of a batch, each of shape (batch, 1, 1, 1)."""
    flat = images.reshape(len(images), -1)
    return flat.amin(1).view(-1, 1, 1, 1), flat.amax(1).view(-1, 1, 1, 1)
