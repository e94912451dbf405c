"""Downloads through tensorflow-datasets that fail fast without a network.

TFDS retries a failed request ten times with exponential back-off, so without a network a download
took three and a half minutes to fail. `download` first opens a TCP connection to each URL's host (or
to the proxy the environment names for it) with a short timeout, and raises `DownloadError` at once
when none can be made.
"""

import socket
import urllib.parse
import urllib.request

from .errors import DatasetNotFoundError

TIMEOUT = 10.0  # seconds to wait for a host to accept a connection


class DownloadError(DatasetNotFoundError):
    """A dataset's public download cannot be reached."""


def check_reachable(url: str, timeout: float = TIMEOUT) -> None:
    """Raise `DownloadError` unless the host serving ``url`` (or its proxy) accepts a TCP connection
    within ``timeout`` seconds."""
    parts = urllib.parse.urlsplit(url)
    proxy = urllib.request.getproxies().get(parts.scheme)
    if proxy and not urllib.request.proxy_bypass(parts.hostname or ""):
        parts = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            pass
    except OSError as err:
        raise DownloadError(
            f"Cannot reach {parts.hostname}:{port} to download {url} ({err}; waited at most {timeout:g} s): "
            "no network here, or the host is down. Download the file on a machine with a network and "
            "put it in the dataset's folder.") from err


def download(dl_manager, urls: str | dict[str, str], timeout: float = TIMEOUT):
    """``dl_manager.download(urls)`` after `check_reachable` on every URL."""
    for url in [urls] if isinstance(urls, str) else urls.values():
        check_reachable(url, timeout)
    return dl_manager.download(urls)
