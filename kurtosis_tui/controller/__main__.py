"""``python -m kurtosis_tui.controller``: the test controller image's entrypoint."""

from kurtosis_tui.controller.main import main

if __name__ == "__main__":
    main()
