"""PyInstaller runtime hook: the frozen executable started as ``vt`` is the headless CLI.

The bundle has one executable, ``VideoTranslator`` (the window, and its workers as
``VideoTranslator --worker …``). The .deb links both ``/usr/bin/videotranslator`` and
``/usr/bin/vt`` to it; this hook runs before the window's entry script and, when the name the
process was started under is ``vt``, runs the CLI instead and exits with its code. Workers are
started through ``sys.executable`` (the real path), so they never take this branch.
"""

import os
import sys

if os.path.basename(sys.argv[0]) == "vt":
    from vt_desktop.cli import main as _vt_main

    sys.exit(_vt_main(sys.argv[1:]))
