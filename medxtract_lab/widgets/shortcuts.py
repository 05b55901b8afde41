"""Keyboard shortcuts for a widget, as an anywidget: Alt+key anywhere on the page.

Key events go to whichever input has the focus, so a shortcut cannot be bound to one widget;
this listens on the document for Alt with a key (typing in a field never uses Alt) while its
view is on the page, and sends the shortcut's name to Python. It also shows the list.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping

import anywidget
import traitlets

_ESM = """
export default {
  render({ model, el }) {
    const onKey = (event) => {
      if (!event.altKey || event.ctrlKey || event.metaKey || !el.isConnected) return;
      const name = model.get("bindings")[event.code];
      if (!name) return;
      event.preventDefault();
      event.stopPropagation();
      model.send({ shortcut: name });
    };
    document.addEventListener("keydown", onKey, true);
    const show = () => { el.innerHTML = model.get("legend"); };
    model.on("change:legend", show);
    show();
    return () => document.removeEventListener("keydown", onKey, true);
  },
};
"""


def _key_name(code: str) -> str:
    """``KeyS`` -> ``S``, ``Period`` -> ``.``: how the key is printed on the keyboard."""
    return {"Period": ".", "Comma": ","}.get(code, code.removeprefix("Key"))


class Shortcuts(anywidget.AnyWidget):
    """Alt+key shortcuts: ``bindings`` maps a key code (``KeyS``) to a name, ``actions`` a name to
    what it does and how the legend describes it."""

    _esm = _ESM
    bindings = traitlets.Dict().tag(sync=True)
    legend = traitlets.Unicode().tag(sync=True)

    def __init__(self, actions: Mapping[str, tuple[str, str, Callable[[], object]]]) -> None:
        """``actions``: name -> (key code, description, callback)."""
        super().__init__(
            bindings={code: name for name, (code, _, _) in actions.items()},
            legend="<small><b>Keys:</b> "
            + " · ".join(
                f"<kbd>Alt+{_key_name(code)}</kbd> {html.escape(text)}"
                for code, text, _ in actions.values()
            )
            + "</small>",
        )
        self.actions = {name: run for name, (_, _, run) in actions.items()}
        self.on_msg(lambda _widget, content, _buffers: self.press(content.get("shortcut", "")))

    def press(self, name: str) -> None:
        """Run the shortcut ``name`` (what a key press does; tests call it directly)."""
        if name in self.actions:
            self.actions[name]()
