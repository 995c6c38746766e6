"""A stand-in test controller (plain python3, no kurtosis_tui) for the engine's own tests.

It produces on purpose what the real controller should never do (crash with
137, hang past every timeout, flood its stdout), so the initializer's handling
of those can be tested. Behaviour is picked by the test's name (KT_TEST_NAME).
"""

import json
import os
import signal
import sys
import time

MARK = "@@kt-event "


def event(kind: str, **fields: object) -> None:
    print(MARK + json.dumps({"kind": kind, **fields}), flush=True)


def main() -> int:
    name = os.environ["KT_TEST_NAME"]
    log = open("/test-volume/controller.log", "a")  # noqa: SIM115

    def say(text: str) -> None:
        print(text, flush=True)
        log.write(text + "\n")
        log.flush()

    signal.signal(signal.SIGTERM, lambda *_: (say("got SIGTERM"), sys.exit(4)))
    say(f"standin controller for {name} attempt {os.environ['KT_ATTEMPT']}")
    log.write("written only to the volume's controller.log\n")
    say("params " + os.environ["KT_PARAMS"])
    event("phase_changed", phase="setup")
    event("service_available", service="svc", seconds=0.1)
    event("phase_changed", phase="run")
    if name == "Passes":
        event("outcome_reported", outcome="PASSED", message="")
        return 0
    if name == "Fails":
        say("AssertionError: 1 != 2")
        event("outcome_reported", outcome="FAILED", message="AssertionError: 1 != 2")
        return 1
    if name == "Crashes":
        say("about to die")
        os.kill(os.getpid(), signal.SIGKILL)
    if name == "Chatty":
        for i in range(3000):
            print(f"line {i}")
        sys.stdout.flush()
        event("outcome_reported", outcome="PASSED", message="")
        return 0
    if name in ("Hangs", "Slow"):
        say("sleeping")
        time.sleep(3600)
    return 2


if __name__ == "__main__":
    sys.exit(main())
