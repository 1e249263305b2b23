"""Keeping TensorFlow's own start-up log lines (oneDNN, cpu_feature_guard, absl) off the
terminal of a pysynth command, so that its stderr holds pysynth's progress and errors."""

from __future__ import annotations

import os
import re
import sys
import tempfile

#: What TensorFlow's C++ side prints at import that a user cannot act on: absl's notice that
#: logging is not initialized yet, and info (I) and warning (W) lines in absl's format. Those
#: come from static initializers, before TF_CPP_MIN_LOG_LEVEL is read, so only catching the
#: file descriptor hides them. Errors (E, F) and anything else are shown.
NOISE = re.compile(r"WARNING: All log messages before absl::InitializeLog\(\)|[IW]\d{4} "
                   r"|To enable the following instructions")


def import_tensorflow_quietly() -> None:
    """Import TensorFlow (if installed and not yet imported) with its C++ logging off
    (``TF_CPP_MIN_LOG_LEVEL=3`` unless set) and its start-up lines filtered out.

    Level 3, not 2: TensorFlow logs harmless lines at error level while training (tf.data's
    "NodeDef mentions attribute ... not in the op definition"), and a real failure reaches
    Python as an exception, which the CLI reports. ``--debug`` keeps all of it.

    Writes at the file-descriptor level (what the C++ side writes to) go to a temporary
    file for the duration of the import; what :data:`NOISE` does not match is written
    back to stderr afterwards, so a real problem still shows.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:
            import tensorflow  # noqa: F401
        except ImportError:
            pass  # the command says what is missing when it needs it
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            kept = [line for line in caught.read().decode(errors="replace").splitlines()
                    if line.strip() and not NOISE.match(line)]
    if kept:
        print("\n".join(kept), file=sys.stderr, flush=True)
