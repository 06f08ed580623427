import subprocess
import sys

from lamina import cli


def test_quick_demo_solves_xor_and_classifies_digits(capsys):
    assert cli.main(["demo", "--quick"]) == 0
    output = capsys.readouterr().out
    assert "XOR solved: 4/4 correct." in output
    assert "Held-out accuracy: 0.9" in output and "images the model never saw" in output


def test_cli_without_a_command_prints_help():
    result = subprocess.run([sys.executable, "-m", "lamina.cli"], capture_output=True, text=True, check=True)
    assert "demo" in result.stdout
