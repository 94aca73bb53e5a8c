"""The local AWS emulator: moto's threaded server on loopback only, with three costs removed
that made the emulator use as much CPU as the functions it feeds (seen with py-spy):

- SQS computes the current time through timezone-aware datetime arithmetic once per message on
  every receive; the replacement returns the same value from time.time().
- Every request finds its service by listing moto's package folder on disk, twice, under a lock
  all requests share; the answer for a host never changes, so it is computed once per host.
- Every request is logged by werkzeug, through colorama; only errors are logged here.

Usage: python local_aws.py PORT
"""

import functools
import logging
import signal
import sys
import time

import moto.sqs.models as sqs_models
from moto.core.utils import unix_time_millis as exact_unix_time_millis
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.server import ThreadedMotoServer


def cheap_unix_time_millis(dt=None):
    return time.time() * 1000.0 if dt is None else exact_unix_time_millis(dt)


def main() -> None:
    port = int(sys.argv[1])
    sqs_models.unix_time_millis = cheap_unix_time_millis
    find_backend = DomainDispatcherApplication.get_backend_for_host
    DomainDispatcherApplication.get_backend_for_host = functools.lru_cache(maxsize=None)(find_backend)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    # Blocked before the server thread starts, so that only sigwait below receives them.
    stop_signals = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    server.start()
    signal.sigwait(stop_signals)
    server.stop()


if __name__ == "__main__":
    main()
