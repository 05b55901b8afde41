"""Every subcommand's help says what it does, shows its defaults, and gives an example."""

import argparse

import pytest

from medxtract_lab.cli import build_parser


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_help_has_a_description_defaults_and_an_example(name) -> None:
    parser = _subcommands()[name]
    text = parser.format_help()
    assert parser.description and len(parser.description) > 20
    assert f"examples:\n  medxtract {name}" in text
    for action in parser._actions:
        if action.option_strings and action.help != argparse.SUPPRESS:
            assert action.help, f"{name} {action.option_strings[0]} has no help"
            has_default = action.default is not None and action.default is not False
            if has_default and not isinstance(action, argparse._HelpAction):
                assert "(default" in parser.formatter_class("x")._get_help_string(action)
