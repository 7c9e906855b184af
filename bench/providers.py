"""The SendGrid and Twilio stand-ins as a process of their own, for benchmarks.

In production the providers are other machines; run inside the benchmarked process, their HTTP servers
would take its CPU and its interpreter lock, and the dispatch rate would measure both at once.

    python bench/providers.py --sendgrid-port 8201 --twilio-port 8202 --twilio-number +15125550100

Serves until killed; `/health` is not needed: the caller waits for the ports to accept connections.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from leadorch.adapters.standins.sendgrid import SendGridStandIn
from leadorch.adapters.standins.server import serve_in_thread
from leadorch.adapters.standins.twilio import TwilioStandIn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sendgrid-port", type=int, required=True)
    parser.add_argument("--twilio-port", type=int, required=True)
    parser.add_argument(
        "--twilio-number",
        action="append",
        default=[],
        help="a number the Twilio account owns (a shop's sender; the stand-in refuses any other From)",
    )
    args = parser.parse_args()
    serve_in_thread(SendGridStandIn().app, port=args.sendgrid_port)
    serve_in_thread(TwilioStandIn(phone_numbers=args.twilio_number).app, port=args.twilio_port)
    print("providers ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
