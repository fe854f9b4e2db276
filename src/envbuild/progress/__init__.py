"""A solve's status: events as plain values (`events`), folded into one `Trace` (`trace`), shown by the
display the CLI picks (`display`: auto, tty, plain, quiet, rawjson). The BuildKit client only emits events;
nothing here talks to BuildKit."""

MODES = ("auto", "tty", "plain", "quiet", "rawjson")  # what `--progress` accepts; display.py implements each
