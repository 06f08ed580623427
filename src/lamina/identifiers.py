"""Resolving user-given names to objects, with errors that list valid names and suggest the nearest."""
import difflib


def nearest_suggestion(name, valid_names):
    """Returns ' Did you mean 'x'?' for the closest valid name, or '' when none is close."""
    matches = difflib.get_close_matches(str(name).lower(), [str(v).lower() for v in valid_names], n=1, cutoff=0.6)
    if not matches:
        return ""
    original = next(v for v in valid_names if str(v).lower() == matches[0])
    return f" Did you mean '{original}'?"


def unknown_name_error(kind, name, valid_names):
    """A ValueError for an unknown identifier, naming the nearest valid one and listing all."""
    valid = sorted(valid_names)
    return ValueError(
        f"Unknown {kind} '{name}'.{nearest_suggestion(name, valid)} Valid: {', '.join(valid)}."
    )


def check_choice(argument, value, choices, owner=None):
    """Returns value if it is one of choices, else raises a ValueError naming the argument (and its owner, e.g.
    the layer)."""
    if value in choices:
        return value
    problem = f"{owner}: invalid" if owner else "Invalid"
    raise ValueError(
        f"{problem} {argument}={value!r}.{nearest_suggestion(value, choices)} "
        f"Expected one of: {', '.join(map(repr, choices))}."
    )


def lookup(table, name):
    """table[name], ignoring case and underscores ('GlorotUniform' finds 'glorot_uniform'); None if absent."""
    key = str(name).lower()
    if key in table:
        return table[key]
    squashed = key.replace("_", "")
    return next((value for table_key, value in table.items() if table_key.replace("_", "") == squashed), None)


def resolve(kind, identifier, table, base_class=None):
    """Turns a string (case-insensitive), class, instance, dict config or callable into an object.

    Args:
        kind: what is being resolved, for error messages ('activation', 'initializer').
        identifier: the user's value.
        table: maps lower-case names to classes or functions.
        base_class: if given, classes in the table are instantiated with no arguments and dict configs
            ({'class_name': ..., 'config': ...}) are supported.
    """
    if isinstance(identifier, str):
        entry = lookup(table, identifier)
        if entry is None:
            raise unknown_name_error(kind, identifier, table.keys())
        if isinstance(entry, type):
            return entry()
        return entry
    if isinstance(identifier, dict) and base_class is not None:
        name = identifier.get("class_name")
        entry = lookup(table, name)
        if not isinstance(entry, type):
            raise unknown_name_error(kind, name, table.keys())
        return entry.from_config(identifier.get("config", {}))
    if isinstance(identifier, type) and base_class is not None and issubclass(identifier, base_class):
        return identifier()
    if callable(identifier):
        return identifier
    raise TypeError(
        f"Could not interpret {kind} {identifier!r} of type {type(identifier).__name__}. "
        f"Pass a name such as '{sorted(table)[0]}', an object or a callable."
    )
