"""Slack Web API calls one after another: slack_sdk's own WebClient (a new connection per
call) beside Vigilo's KeepAliveWebClient (integrations/slack/keepalive.py), over HTTP and
over TLS, against the sandbox Slack on loopback.

    .venv/bin/python -m bench.bench_slack_client [--calls 300] [--rounds 2]

Reported per call, the best of `--rounds`: wall time, and the CPU time of the calling thread
alone (the fake Slack answers from threads of its own in this process, so its work is not
counted). Variants take turns, in an order that alternates (ABBA). Loopback has no
round-trip time to speak of: against slack.com each new connection also costs a TCP and a
TLS handshake over the network (two to three round trips), which this bench cannot show.
"""

import argparse
import ssl
import tempfile
import time

from slack_sdk import WebClient

from bench.slack_load import TOKEN, tls_fake_slack
from integrations.slack.keepalive import KeepAliveWebClient
from vigilo.sandbox.slack_api import FakeSlack


def measure(client: WebClient, channel: str, calls: int) -> tuple[float, float]:
    """(wall ms, calling thread's CPU ms) per call."""
    client.chat_postMessage(channel=channel, text="warm")
    wall, cpu = time.perf_counter(), time.thread_time()
    for n in range(calls):
        client.chat_postMessage(channel=channel, text=f"update {n}")
    return ((time.perf_counter() - wall) * 1000 / calls,
            (time.thread_time() - cpu) * 1000 / calls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        secure = tls_fake_slack(f"{folder}/ca.pem")
        tls = ssl.create_default_context(cafile=f"{folder}/ca.pem")
        with FakeSlack(TOKEN) as plain, secure:
            print(f"chat.postMessage x {args.calls}, one thread, sandbox Slack on loopback")
            for label, fake, context in [("HTTP", plain, None), ("TLS", secure, tls)]:
                url = fake.url + "api/"
                kinds = {"slack_sdk WebClient": WebClient, "KeepAliveWebClient":
                         KeepAliveWebClient}
                clients = {name: kind(token=TOKEN, base_url=url, ssl=context)
                           for name, kind in kinds.items()}
                channel = clients["KeepAliveWebClient"].conversations_create(
                    name=f"bench-{label.lower()}")["channel"]["id"]
                results: dict[str, list[tuple[float, float]]] = {name: [] for name in clients}
                order = list(clients)
                for round_ in range(args.rounds):
                    for name in order if round_ % 2 == 0 else order[::-1]:
                        results[name].append(measure(clients[name], channel, args.calls))
                for name, runs in results.items():
                    wall = min(w for w, _ in runs)
                    cpu = min(c for _, c in runs)
                    print(f"  {label:<5} {name:<20} {wall:6.2f} ms/call wall  "
                          f"{cpu:6.2f} ms/call CPU (calling thread)")


if __name__ == "__main__":
    main()
