"""One QEMU process: its console read line by line in a thread, written to a log, with deadlines."""
import os
import queue
import signal
import subprocess
import threading
import time


class Qemu:
    def __init__(self, argv, log_path):
        self.argv = argv
        self.log = open(log_path, "w", encoding="utf-8", errors="replace")
        self.log.write("# " + " ".join(argv) + "\n")
        self.lines = queue.Queue()
        self.started = time.monotonic()
        # Own session: stop() ends QEMU and only what it started (run-qemu.sh execs QEMU).
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        buf = b""
        while True:
            chunk = self.proc.stdout.read1(4096) if hasattr(self.proc.stdout, "read1") \
                else self.proc.stdout.read(1)
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                line = raw.decode("utf-8", "replace").replace("\r", "")
                self.log.write(line + "\n")
                self.lines.put(line)
        if buf:
            line = buf.decode("utf-8", "replace").replace("\r", "")
            self.log.write(line + "\n")
            self.lines.put(line)
        self.lines.put(None)  # end of output

    def next_line(self, deadline):
        """The next console line, or None at end of output or when the deadline passes."""
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        try:
            return self.lines.get(timeout=left)
        except queue.Empty:
            return None

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait()
        self.reader.join(timeout=5)
        self.log.write("# wall %.1f s\n" % (time.monotonic() - self.started))
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
