"""doctor's fault probe names its owner, so a probe its process never removed is swept.

Found on this machine: a ``doctor`` stopped as its probe's create was in flight
left ``kt-doctorXXXX-probe`` (Created) with a run label and no owner, which no
sweep may touch (an ownerless run is another tool's).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from kurtosis_tui import protocol
from kurtosis_tui.backend.docker_backend import DockerBackend
from kurtosis_tui.engine import cleanup

pytestmark = pytest.mark.docker

# A doctor whose process ends before it removes its probe (as a kill would).
LEAVES_ITS_PROBE = textwrap.dedent(
    """
    import sys
    from kurtosis_tui.backend.docker_backend import DockerBackend
    from kurtosis_tui.engine.fault_support import fresh_fault_support

    class NeverRemoves(DockerBackend):
        def remove_container(self, container, *args, **kwargs):
            pass

    print(fresh_fault_support(NeverRemoves(), sys.argv[1]) is not None)
    """
)


def test_a_doctor_probe_left_behind_is_swept_once_its_process_is_gone() -> None:
    backend = DockerBackend()
    run_id = "doctorprobe" + str(id(backend) % 10_000)
    done = subprocess.run([sys.executable, "-c", LEAVES_ITS_PROBE, run_id],
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "True", done.stderr  # the probe ran
    try:
        left = backend.find_labelled(protocol.LABEL_RUN, run_id)
        assert [o.kind for o in left] == ["container"]
        assert left[0].labels.get(protocol.LABEL_OWNER)  # its process's token
        swept = cleanup.sweep(backend)
        assert run_id in swept.cleaned
        assert backend.find_labelled(protocol.LABEL_RUN, run_id) == []
    finally:
        cleanup.remove_run(backend, run_id)
