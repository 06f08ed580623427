"""lamina's imports, module-level and inside functions, form levels without cycles (docs/design.md)."""
import ast
import pathlib
import re
import subprocess
import sys

SOURCE = pathlib.Path(__file__).parents[1] / "src"
DESIGN = pathlib.Path(__file__).parents[1] / "docs" / "design.md"

# Bottom to top. A module may import modules of its own level or below, never above. Modules not listed (backend,
# saving, explain, preprocessing, utils, datasets, word2vec, cli, the Keras 1 import paths...) sit on top.
LEVELS = [
    ("foundations", ("lamina.version", "lamina.config", "lamina.naming", "lamina.identifiers", "lamina.structure",
                     "lamina.serialization", "lamina.legacy", "lamina.files", "lamina.activations",
                     "lamina.initializers", "lamina.regularizers", "lamina.constraints", "lamina.losses",
                     "lamina.metrics", "lamina.optimizers")),
    ("engine", ("lamina.engine.base_layer", "lamina.engine.layout", "lamina.engine.lambda_layer",
                "lamina.engine.symbolic", "lamina.engine.input_layer", "lamina.engine.graph",
                "lamina.engine.serialization")),
    ("layers", ("lamina.layers",)),
    ("model file", ("lamina.model_file", "lamina.exporting")),
    ("callbacks", ("lamina.callbacks",)),
    ("training", ("lamina.training",)),
    ("models", ("lamina.models",)),
]


def _modules():
    modules = {}
    for path in (SOURCE / "lamina").rglob("*.py"):
        name = ".".join(path.relative_to(SOURCE).with_suffix("").parts)
        modules[name.removesuffix(".__init__")] = path
    return modules


def _imported(module, node, is_package, modules):
    """The lamina modules an import statement loads: `from lamina import config` is lamina.config, and
    `from lamina.models import Model` the package lamina.models (its __init__). A package's own parents, which
    Python initialises first, are not counted: they only re-export."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name in modules]
    base = module if node.level == 0 else ".".join(module.split(".")[:len(module.split(".")) - node.level
                                                                       + is_package])
    source = node.module if node.level == 0 else ".".join(filter(None, [base, node.module]))
    targets = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source for alias in node.names]
    return [target for target in targets if target in modules]


def import_graph():
    """{module: set of lamina modules it imports anywhere in its code}."""
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        is_package = path.name == "__init__.py"
        graph[name] = {target for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                       for target in _imported(name, node, is_package, modules) if target != name}
    return graph


def cycles(graph):
    """The strongly connected components with more than one module (Tarjan's algorithm, iteratively)."""
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], [0]
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return set(found)


def documented_cycles():
    """The cycles docs/design.md names under 'Import cycles': lines `- \\`lamina.a\\` <-> \\`lamina.b\\`: why`."""
    section = DESIGN.read_text().split("### Import cycles", 1)[1].split("\n#", 1)[0]
    return {frozenset(re.findall(r"`(lamina[\w.]*)`", line.split(":", 1)[0]))
            for line in section.splitlines() if line.startswith("- `lamina")}


def level_of(module):
    for position, (_, prefixes) in enumerate(LEVELS):
        if any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes):
            return position
    return len(LEVELS)


def test_the_only_import_cycles_are_the_documented_ones():
    graph = import_graph()
    assert "lamina.engine.symbolic" in graph and "lamina.engine.base_layer" in graph["lamina.engine.symbolic"]
    assert cycles(graph) == documented_cycles()


def test_each_level_imports_only_levels_below_it():
    upward = sorted(f"{module} ({LEVELS[level_of(module)][0]}) imports {target}"
                    for module, targets in import_graph().items() if level_of(module) < len(LEVELS)
                    for target in targets if level_of(target) > level_of(module))
    assert upward == []


def test_the_checker_sees_cycles_and_function_level_imports():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == {frozenset("abc")}
    tree = ast.parse("def f():\n    from lamina.models import Model\n")
    node = tree.body[0].body[0]
    assert _imported("lamina.layers.core", node, False, {"lamina.models": None}) == ["lamina.models"]


def test_each_application_package_imports_first_in_a_fresh_interpreter():
    """The static graph above counts a package's own parents as already loaded; importing each application
    package first, alone, is what catches a cycle through package __init__ files (lamina.utils -> lamina.audio
    -> lamina.vision -> lamina.preprocessing -> lamina.utils once did)."""
    packages = ["lamina.vision", "lamina.text", "lamina.audio", "lamina.utils", "lamina.datasets",
                "lamina.preprocessing", "lamina.explain", "lamina.tasks", "lamina.vision.target_augment"]
    runs = [subprocess.Popen([sys.executable, "-c", f"import {name}"], stderr=subprocess.PIPE, text=True)
            for name in packages]
    errors = [run.communicate()[1] for run in runs]
    failures = {name: error.strip().splitlines()[-1:] for name, run, error in zip(packages, runs, errors)
                if run.returncode != 0}
    assert failures == {}
