"""The `lamina` command: `lamina demo`, and the commands of lamina's applications."""
import argparse
import sys

import lamina


def build_parser():
    parser = argparse.ArgumentParser(prog="lamina", description="lamina: Keras-style deep learning on PyTorch.")
    parser.add_argument("--version", action="version", version=f"lamina {lamina.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser("demo", help="train two small models on data that ships with lamina")
    demo.add_argument("--quick", action="store_true", help="fewer epochs (a smoke test)")
    demo.set_defaults(func=_run_demo)
    return parser


def _run_demo(args):
    from lamina.demo import run

    return run(quick=args.quick)


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
