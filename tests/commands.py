"""Running the `lamina` command in a test: the JSON it prints."""
import json

from lamina.cli import main


def run_json(capsys, *arguments):
    """main([*arguments, '--json']), which must return 0, and the JSON object it printed."""
    capsys.readouterr()
    assert main([*arguments, "--json"]) == 0
    return json.loads(capsys.readouterr().out)
