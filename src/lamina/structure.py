"""Flattening and rebuilding nested lists, tuples and dicts of tensors."""


def flatten(structure):
    """The leaves of a nested list/tuple/dict, in order (dicts by sorted key)."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in flatten(structure[key])]
    return [structure]


def map_structure(function, structure):
    """The same nesting with function applied to every leaf."""
    if isinstance(structure, list):
        return [map_structure(function, item) for item in structure]
    if isinstance(structure, tuple):
        return tuple(map_structure(function, item) for item in structure)
    if isinstance(structure, dict):
        return {key: map_structure(function, value) for key, value in structure.items()}
    return function(structure)


def pack_like(structure, leaves):
    """Rebuilds `structure`'s nesting from a flat list of leaves (the inverse of flatten)."""
    iterator = iter(leaves)

    def rebuild(item):
        if isinstance(item, list):
            return [rebuild(child) for child in item]
        if isinstance(item, tuple):
            return tuple(rebuild(child) for child in item)
        if isinstance(item, dict):
            rebuilt = {key: rebuild(item[key]) for key in sorted(item)}
            return {key: rebuilt[key] for key in item}
        return next(iterator)

    return rebuild(structure)
