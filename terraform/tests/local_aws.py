"""The local AWS emulator: moto's threaded server on loopback only, with SQS's clock made cheap.

moto's SQS computes the current time through timezone-aware datetime arithmetic once per message
on every receive, so a queue a few hundred deep costs the emulator more CPU than the functions it
feeds. The replacement returns the same value (milliseconds since the epoch) from time.time().
Usage: python local_aws.py PORT
"""

import signal
import sys
import time

import moto.sqs.models as sqs_models
from moto.core.utils import unix_time_millis as exact_unix_time_millis
from moto.server import ThreadedMotoServer


def cheap_unix_time_millis(dt=None):
    return time.time() * 1000.0 if dt is None else exact_unix_time_millis(dt)


def main() -> None:
    port = int(sys.argv[1])
    sqs_models.unix_time_millis = cheap_unix_time_millis
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    # Blocked before the server thread starts, so that only sigwait below receives them.
    stop_signals = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    server.start()
    signal.sigwait(stop_signals)
    server.stop()


if __name__ == "__main__":
    main()
