"""Runs the `mailtrace` 0.2.0 command line from PyPI unchanged, except for
where its SSH connections go.

That tool connects with paramiko to the host name it reads from a log line
(`relay=NAME[IP]:25`) on port 22, with no port setting and no ssh_config.
The benchmark's hosts are names in its logs that all live on one loopback
sshd, so the dialled address and port are rewritten here:

  BENCH_SSH_PORT=2233
  BENCH_HOSTMAP=h00.bench.example.edu=127.0.0.10,h01...=127.0.0.11,...

A name missing from the map is refused, so nothing is looked up in DNS.
Configuration, remote commands, parsing and tracing are the tool's own.
"""

import os
import sys

import paramiko

PORT = int(os.environ["BENCH_SSH_PORT"])
HOSTS = dict(
    pair.split("=", 1) for pair in os.environ["BENCH_HOSTMAP"].split(",") if pair
)
_connect = paramiko.SSHClient.connect


def connect(self, hostname, *args, **kwargs):
    address = HOSTS.get(hostname)
    if address is None:
        raise paramiko.SSHException(f"{hostname} is not a benchmark host")
    kwargs["port"] = PORT
    kwargs.setdefault("allow_agent", False)
    kwargs.setdefault("look_for_keys", False)
    return _connect(self, address, *args, **kwargs)


paramiko.SSHClient.connect = connect

from mailtrace.__main__ import cli  # noqa: E402  (after the patch)

if __name__ == "__main__":
    sys.argv[0] = "mailtrace"
    cli()
