"""A small HTTP file server on 127.0.0.1 for download tests: serves bytes by path, honours Range requests, records
what it was asked, and can cut a response short to simulate a dropped connection."""
import http.server
import threading


class FileServer:
    """Serves `files` ({'/path': bytes}) until stopped. `cut_after` ({'/path': n}) sends the full Content-Length
    but only n bytes, then closes the connection; `honour_range=False` ignores Range headers (answers 200)."""

    def __init__(self):
        self.files = {}
        self.cut_after = {}
        self.honour_range = True
        self.requests = []  # (path, Range header or None)
        self.running = False
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"

    def start(self):
        self._thread.start()
        self.running = True
        return self

    def stop(self):
        if not self.running:
            return
        self.running = False
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _handler_class(self):
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                byte_range = self.headers.get("Range")
                server.requests.append((self.path, byte_range))
                data = server.files.get(self.path)
                if data is None:
                    self.send_error(404, "Not Found")
                    return
                start = 0
                if byte_range and server.honour_range:
                    start = int(byte_range.removeprefix("bytes=").split("-")[0])
                    if start >= len(data):
                        self.send_error(416, "Range Not Satisfiable")
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                cut = server.cut_after.get(self.path)
                self.wfile.write(body if cut is None else body[:max(cut - start, 0)])

            def log_message(self, *args):
                pass

        return Handler
