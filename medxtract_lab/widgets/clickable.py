"""HTML whose marked parts can be clicked, as an anywidget: an ipywidgets HTML cannot say what
was clicked. Any element with a ``data-pick`` attribute sends its value to Python."""

from __future__ import annotations

from collections.abc import Callable

import anywidget
import traitlets

_ESM = """
export default {
  render({ model, el }) {
    const show = () => { el.innerHTML = model.get("value"); };
    el.addEventListener("click", (event) => {
      const picked = event.target.closest("[data-pick]");
      if (picked && el.contains(picked)) model.send({ pick: picked.dataset.pick });
    });
    model.on("change:value", show);
    show();
  },
};
"""


class ClickableHtml(anywidget.AnyWidget):
    """Shows ``value`` (HTML); a click on an element with ``data-pick="x"`` calls
    ``on_pick(x)``."""

    _esm = _ESM
    value = traitlets.Unicode("").tag(sync=True)

    def __init__(self, on_pick: Callable[[str], object]) -> None:
        super().__init__()
        self.on_pick = on_pick
        self.on_msg(lambda _widget, content, _buffers: self.pick(str(content.get("pick", ""))))

    def pick(self, name: str) -> None:
        """What a click on ``data-pick=name`` does (tests call it directly)."""
        if name:
            self.on_pick(name)
