"""`python manage.py deliver`: the deliverer process (events.deliverer). SIGTERM or Ctrl-C stops it after the
sends under way; a kill loses nothing (another deliverer, or this one restarted, sends again after the lease)."""

import signal
import threading

from django.core.management.base import BaseCommand

from events.deliverer import Deliverer


class Command(BaseCommand):
    help = "Deliver events to webhook endpoints and MQTT, with retries; end events whose worker died; prune snapshots."

    def add_arguments(self, parser) -> None:  # noqa: ANN001 - argparse parser
        parser.add_argument("--name", default="", help="This deliverer's name in the delivery log.")

    def handle(self, *args: object, **options: object) -> None:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        Deliverer.init(name=str(options["name"])).run(stop)
