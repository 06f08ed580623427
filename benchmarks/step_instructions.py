"""Instructions per training step, lamina's fit vs the hand-written PyTorch loop, counted by callgrind.

Wall-clock ratios of a small model's step wander by 10% on a shared machine; instruction counts do not depend on
what else the machine runs, so they show a Python-overhead change of a few percent reliably. One epoch of each
seed model from fit_speed.py (after two warm-up epochs) runs under valgrind's callgrind with instrumentation only
around it, less the instructions of building and compiling the model (fit_speed's clock excludes them); the
script compiles a 4-line shim for callgrind's client requests with the system C compiler.

    .venv/bin/python benchmarks/step_instructions.py            # the XOR MLP (about 2 minutes)
    .venv/bin/python benchmarks/step_instructions.py --model gru
"""
import argparse
import ctypes
import os
import pathlib
import re
import subprocess
import sys
import tempfile

SHIM = """#include <valgrind/callgrind.h>
void start(void) { CALLGRIND_START_INSTRUMENTATION; CALLGRIND_ZERO_STATS; }
void dump(const char *name) { CALLGRIND_DUMP_STATS_AT(name); }
void stop(void) { CALLGRIND_STOP_INSTRUMENTATION; }
"""


def measure(model, shim):
    """Runs inside valgrind: one epoch of lamina's fit and of the PyTorch loop, each counted separately."""
    sys.path.insert(0, str(pathlib.Path(__file__).parent))
    import torch

    import fit_speed

    torch.set_num_threads(1)
    callgrind = ctypes.CDLL(shim)
    make_data, samples, batch_size, loss_name, build_lamina, build_torch, _ = fit_speed.MODELS[model]
    x, y = make_data(samples)
    def build_lamina_only():  # what fit_speed's lamina run does before its clock starts
        module = fit_speed.importlib.import_module("lamina")
        build_lamina(module).compile(optimizer=module.optimizers.SGD(learning_rate=0.01), loss=loss_name,
                                     metrics=["accuracy"])

    def build_torch_only():
        torch.optim.SGD(build_torch().parameters(), lr=0.01)

    for name, run, build, setup in (("lamina", fit_speed.run_lamina, build_lamina, build_lamina_only),
                                    ("pytorch", fit_speed.run_torch, build_torch, build_torch_only)):
        for _ in range(2):
            run(build, x, y, batch_size, loss_name)
            setup()
        callgrind.start()
        torch.manual_seed(0)
        run(build, x, y, batch_size, loss_name)
        callgrind.dump(f"{name}_run".encode())
        setup()  # counted apart and subtracted: fit_speed times the epoch only
        callgrind.dump(f"{name}_setup".encode())
        callgrind.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="xor", choices=["xor", "vgg", "gru", "lstm"])
    parser.add_argument("--inside", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        return measure(args.model, args.inside)
    folder = pathlib.Path(tempfile.mkdtemp(prefix="lamina-callgrind-"))
    (folder / "shim.c").write_text(SHIM)
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", folder / "shim.so", folder / "shim.c"], check=True)
    output = folder / "callgrind.out"
    subprocess.run(["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={output}",
                    sys.executable, __file__, "--model", args.model, "--inside", str(folder / "shim.so")],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ})
    counts = {}
    for dump in folder.glob("callgrind.out.*"):
        text = dump.read_text()
        name = re.search(r"^desc: Trigger: Client Request: (\w+)", text, re.MULTILINE)
        if name:
            counts[name.group(1)] = int(re.search(r"^summary: (\d+)", text, re.MULTILINE).group(1))
    sys.path.insert(0, str(pathlib.Path(__file__).parent))
    import fit_speed

    _, samples, batch_size, *_ = fit_speed.MODELS[args.model]
    steps = -(-samples // batch_size)
    lamina, pytorch = ((counts[f"{name}_run"] - counts[f"{name}_setup"]) / steps for name in ("lamina", "pytorch"))
    print(f"{args.model}: lamina {lamina:,.0f} instructions per step, hand-written PyTorch {pytorch:,.0f}; "
          f"PyTorch / lamina = {pytorch / lamina:.3f}")


if __name__ == "__main__":
    main()
