"""Integration-test harness: boots QEMU through tools/run-qemu.sh and drives its console.

Only the standard library. A test script looks like:

    import harness
    t = harness.Test(__file__)
    with t.boot("default", config="configs/default.dts", smp=4, mem="2G") as vm:
        vm.login()
        t.check("nproc is 2 [issue 2: ...]", vm.run("nproc").strip() == "2")
    t.done()

With several VMs Tandem prefixes each console line with "[name] " and sends input to one VM at a
time (Ctrl-A three times moves it). login() notices the prefix of the Linux VM's lines; from then on
run() types into that VM (moving the input focus there first if needed) and returns only that VM's
output, prefixes removed (vm_output() does the same for any VM). focus(name) moves the input.

Every wait has a timeout. t.check() prints TAP lines (`ok - ...` / `not ok - ...`) that
tools/run-tests.py counts. The console of every boot streams to BUILD/test-logs/<test>-<label>.log,
which is kept when anything in that boot failed (or always with TANDEM_KEEP_LOGS=1).
"""
import argparse
import codecs
import os
import re
import select
import signal
import subprocess
import sys
import time
import traceback

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LINUX_READY = r"TANDEM-LINUX-READY"
PROMPT = r"# $"
DEFAULT_CPU = "max,pauth-impdef=on"
DEFAULT_MACHINE = "virt,virtualization=on,gic-version=3"
ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
BOOT_TIMEOUT = int(os.environ.get("TANDEM_BOOT_TIMEOUT", "120"))
# What login() types first: no echo, no kernel messages on the console, and a shell that
# survives its background jobs (see login()).
QUIET_SHELL = "stty -echo; dmesg -n 1; set -o ignoreeof"
IGNOREEOF_NOTE = 'Use "exit" to leave shell.\n'
# ash's notice that a background job ended ("[1]+  Terminated  (cat >/tmp/x)"): it prints it before
# the next command runs, so it lands in that command's output although the command never wrote it.
JOB_NOTICE = re.compile(r"^\[\d+\][+-]? +(Done|Terminated|Killed|Stopped|Exit \d+|Hangup|Interrupt)\b.*\n",
                        re.M)


class Timeout(Exception):
    pass


class Exited(Exception):
    pass


class Console:
    """One QEMU process and its console (stdin/stdout pipes, stderr merged)."""

    def __init__(self, cmd, log_path):
        self.cmd = cmd
        self.log_path = log_path
        self.log = open(log_path, "w", encoding="utf-8", errors="replace")
        self.log.write("# " + " ".join(cmd) + "\n")
        self.log.flush()
        self.text = ""  # everything read so far, \r removed
        self.pos = 0  # expect() searches from here
        self.start_time = time.monotonic()
        # QEMU stays in our process group: a runner that kills the test's group on a timeout
        # takes QEMU with it.
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, cwd=TOP)
        os.set_blocking(self.proc.stdout.fileno(), False)
        self._seq = 0
        self.shell_vm = None  # with several VMs: the VM whose shell run() talks to
        self.prompt_text = None  # then: its shell prompt
        self.focused = None  # the VM receiving input, once known
        self._pending = ""
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def _read(self, timeout):
        """Reads what is available within timeout seconds; returns False at EOF."""
        fd = self.proc.stdout.fileno()
        r, _, _ = select.select([fd], [], [], max(0.0, timeout))
        if not r:
            return True
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return True
        if not data:
            return False
        chunk = self._pending + self._decoder.decode(data).replace("\r", "")
        # Terminal control sequences (busybox's line editing asks for the cursor position) are
        # dropped; one cut in half by the read waits for its end.
        chunk = ANSI_RE.sub("", chunk)
        esc = chunk.rfind("\x1b")
        if esc >= 0 and re.fullmatch(r"\x1b(\[[0-9;?]*)?", chunk[esc:]):
            chunk, self._pending = chunk[:esc], chunk[esc:]
        else:
            self._pending = ""
        self.text += chunk
        self.log.write(chunk)
        self.log.flush()
        return True

    def mark(self):
        """A position in the console text, for expect(since=...)."""
        return len(self.text)

    def expect(self, pattern, timeout=30, since=None):
        """Waits for a regex (multiline) after the last match (or after position `since`);
        returns the match object and moves the match point past it."""
        rx = re.compile(pattern, re.M)
        deadline = time.monotonic() + timeout
        if since is not None:
            self.pos = since
        while True:
            m = rx.search(self.text, self.pos)
            if m:
                self.pos = m.end()
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout("no /%s/ within %ss; last output:\n%s" % (pattern, timeout, self.tail()))
            if not self._read(min(left, 0.5)):
                m = rx.search(self.text, self.pos)
                if m:
                    self.pos = m.end()
                    return m
                raise Exited("QEMU exited (status %s) before /%s/; last output:\n%s"
                             % (self.proc.wait(), pattern, self.tail()))

    def expect_not(self, pattern, duration):
        """Reads for `duration` seconds and fails if the regex shows up after the last match."""
        rx = re.compile(pattern, re.M)
        deadline = time.monotonic() + duration
        while time.monotonic() < deadline:
            if not self._read(min(0.5, deadline - time.monotonic())):
                break
        m = rx.search(self.text, self.pos)
        if m:
            raise AssertionError("unexpected /%s/: %r" % (pattern, m.group(0)))

    def drain(self, duration):
        """Reads for `duration` seconds; returns the new text (does not move the match point)."""
        start = len(self.text)
        deadline = time.monotonic() + duration
        while time.monotonic() < deadline:
            if not self._read(min(0.5, deadline - time.monotonic())):
                break
        return self.text[start:]

    def send(self, line, newline=True):
        data = (line + ("\n" if newline else "")).encode()
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise Exited("QEMU exited (status %s)" % self.proc.poll())

    def login(self, timeout=BOOT_TIMEOUT):
        """Waits for the guest's shell and turns its echo off (busybox ash then reads plain
        lines, without line editing): afterwards run() sees exactly what a command prints.
        It also sets the kernel's console log level to 1 (emergencies only): a kernel message
        on a loaded host ("hrtimer: interrupt took ...") must not read as command output
        (issue 12 item 6; dmesg still has every message).
        And it sets ignoreeof: with echo off, busybox ash reads its line with plain fgets(), and
        a SIGCHLD (any background job ending) while it waits at the prompt interrupts that
        read; ash takes the EINTR for end of file and exits, /init respawns it in a new session,
        and the console's hangup at the old shell's exit drops whatever the harness typed
        meanwhile. With ignoreeof it prints 'Use "exit" to leave shell.' and reads on.
        If the marker line carries a "[name] " prefix (several VMs), run() is tied to that VM."""
        m = self.expect(r"^(\[([^\]\n]+)\] )?.*" + LINUX_READY, timeout)
        if m.group(2):
            self.shell_vm = m.group(2)
            if self.focused is None:
                self.focused = self.shell_vm  # Tandem's first VM has the input at boot
        ready_end = m.end()
        self.focus(self.shell_vm)
        if self.shell_vm:
            # The shell's own prompt line, searched from the marker: focus() may already have
            # stepped past it (its switch message can come before the shell printed the prompt,
            # and then no redraw follows), and another VM's prompt must not stand in for it.
            m = self.expect(r"^\[%s\] [^\n]*# $" % re.escape(self.shell_vm), 60,
                            since=ready_end)
        else:
            m = self.expect(PROMPT, 60)
        if self.shell_vm:
            # The prompt's text, which run() strips: with other VMs printing, the console may
            # redraw the prompt after a command was sent, and echo off glues output to it.
            line = self.text[self.text.rfind("\n", 0, m.start()) + 1:m.end()]
            self.prompt_text = line[len("[%s] " % self.shell_vm):]
            self.run(QUIET_SHELL)
        else:
            self.send(QUIET_SHELL)
            self.expect(PROMPT, 30)

    def focus(self, name, timeout=30):
        """Moves Tandem's console input to VM `name` (Ctrl-A three times, as often as needed)."""
        if name is None or self.focused == name:
            return
        for _ in range(8):
            self.send("\x01\x01\x01", newline=False)
            # Up to the newline: a message read in two pieces must not match its first half
            # ("vm li" would read as a VM named "li" and send another switch).
            m = self.expect(r"tandem: console input -> vm (\S+)\n", timeout)
            self.focused = m.group(1)
            if self.focused == name:
                if name == self.shell_vm and self.pos:
                    # Tandem redraws the shell's pending prompt after the message: step past it
                    # so that run() sees only what its command prints.
                    try:
                        self.expect(PROMPT, 5)
                    except Timeout:
                        pass
                return
        raise Timeout("console input never reached vm %s" % name)

    def vm_output(self, name, start=0, end=None):
        """The text VM `name` printed in self.text[start:end]: its lines only, "[name] " removed.
        A line the console broke off to print another source's line and then redrew in full
        appears once. `start` may be mid-line (after a prompt): that line counts from there."""
        end = len(self.text) if end is None else end
        line_start = self.text.rfind("\n", 0, start) + 1
        lines = self.text[line_start:end].split("\n")
        prefix = "[%s] " % name
        pieces = []  # [body, broken off (the next console line is another source's), skip]
        for i, line in enumerate(lines):
            if not line.startswith(prefix):
                continue
            body = line[len(prefix):]
            skip = max(0, start - line_start - len(prefix)) if i == 0 else 0
            broken = i + 1 < len(lines) and not lines[i + 1].startswith(prefix)
            if pieces and pieces[-1][1] and body.startswith(pieces[-1][0]):
                skip = pieces.pop()[2]  # that piece was this line's start, redrawn here in full
            pieces.append([body, broken, skip])
        text = "\n".join(b[k:] for b, _, k in pieces)
        return text + "\n" if pieces and lines[-1] == "" else text

    def settle_prompt(self):
        """Waits (briefly) for a redraw of the shell's prompt that has only partly arrived, e.g.
        after a Ctrl-A dump: a command sent mid-redraw would read the rest of the prompt
        ("ndem-guest:/# ") as its output."""
        if not (self.shell_vm and self.prompt_text):
            return
        full = "[%s] %s" % (self.shell_vm, self.prompt_text)
        line_start = self.text.rfind("\n") + 1
        tail = self.text[line_start:]
        if tail and tail != full and full.startswith(tail):
            try:
                self.expect(PROMPT, 5, since=line_start)
            except Timeout:
                pass

    def run(self, cmd, timeout=30):
        """Runs a shell command in the guest; returns its output."""
        out, _ = self.run_status(cmd, timeout)
        return out

    def run_status(self, cmd, timeout=30):
        """Runs a shell command in the guest; returns (output, exit status)."""
        self._seq += 1
        n = self._seq
        self.focus(self.shell_vm)
        self.settle_prompt()
        # The shell computes the marker ($((...))), so an echo of the command line never matches.
        start, sent = self.pos, self.mark()
        self.send("%s; echo \"@@END-%d-$((%d+1))-$?@@\"" % (cmd, n, n - 1))
        try:
            m = self.expect(r"@@END-%d-%d-(\d+)@@" % (n, n), timeout)
        except Timeout:
            self.hang_report()
            raise
        if self.shell_vm:
            # Everything the VM printed since the command went out, up to the marker's end:
            # pieces of lines that the console broke off and redrew are dropped by vm_output;
            # then the marker line goes, and a prompt printed or redrawn after sending.
            body = self.vm_output(self.shell_vm, sent, m.end())
            body = body[:body.rfind("\n") + 1] if "\n" in body else ""
            # A prompt the shell printed after sending (a job notice's redraw: a background
            # job ended at the prompt) glues the command's next line to it: strip it at the
            # start of every line, not only the first (a command never prints ash's prompt).
            if self.prompt_text:
                body = re.sub("^" + re.escape(self.prompt_text), "", body, flags=re.M)
        else:
            body = self.text[start:m.start()]
        # ash's answer to a SIGCHLD at its prompt (ignoreeof, see login()), if it raced the send.
        body = body.replace("\n" + IGNOREEOF_NOTE, "\n").replace(IGNOREEOF_NOTE, "")
        if not re.search(r"\bjobs\b", cmd):
            body = JOB_NOTICE.sub("", body)
        # If the terminal echoed the command line anyway, drop everything up to its end.
        echo = body.rfind('$?@@"')
        if echo >= 0:
            nl = body.find("\n", echo)
            body = body[nl + 1:] if nl >= 0 else ""
        try:
            self.expect(PROMPT, 5)
        except Timeout:
            pass
        return body, int(m.group(1))

    def hang_report(self):
        """A guest stopped answering: asks Tandem for its interrupt, scheduling and statistics
        dumps (Ctrl-A g, s, d), which land in the console log kept for the failed boot."""
        if not self.alive():
            return
        pos = self.pos
        self.log.write("\n# harness: the guest did not answer; Tandem's dumps follow\n")
        for key in "gsd":
            try:
                self.send("\x01" + key, newline=False)
            except Exited:
                return
            self.drain(2)
        self.pos = pos

    def elapsed(self):
        return time.monotonic() - self.start_time

    def tail(self, n=1500):
        return self.text[-n:]

    def alive(self):
        return self.proc.poll() is None

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()  # run-qemu.sh execs QEMU: this is QEMU
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.log.closed:
            self.log.close()


class Boot:
    """Context manager around one Console: failures inside are reported, not propagated."""

    def __init__(self, test, label, cmd):
        self.test = test
        self.label = label
        self.cmd = cmd
        self.console = None
        self.failed_before = test.failed

    def __enter__(self):
        os.makedirs(self.test.log_dir, exist_ok=True)
        log = os.path.join(self.test.log_dir, "%s-%s.log" % (self.test.name, self.label))
        self.console = Console(self.cmd, log)
        return self.console

    def __exit__(self, kind, exc, tb):
        c = self.console
        c.close()  # first: whatever happens next, QEMU must not outlive the test
        if kind is not None and issubclass(kind, (KeyboardInterrupt, SystemExit)):
            return False
        if exc is not None:
            self.test.fail("%s: %s: %s" % (self.label, kind.__name__, exc))
            # Where in the test it was raised: the test's own frames, innermost last.
            for line in traceback.format_tb(tb):
                print("# " + line.rstrip().replace("\n", "\n# "))
        if self.test.failed == self.failed_before and not os.environ.get("TANDEM_KEEP_LOGS"):
            os.unlink(c.log_path)
        else:
            print("# console log: %s" % os.path.relpath(c.log_path, TOP))
        return True  # swallow: the failure is counted, later boots still run


class Test:
    def __init__(self, path):
        ap = argparse.ArgumentParser()
        ap.add_argument("--build", default=os.environ.get("BUILD", "build"))
        args = ap.parse_args()
        self.build = args.build if os.path.isabs(args.build) else os.path.join(TOP, args.build)
        self.name = os.path.splitext(os.path.basename(path))[0]
        self.log_dir = os.path.join(self.build, "test-logs")
        self.passed = 0
        self.failed = 0
        # `timeout` and friends send SIGTERM: unwind, so that QEMU is stopped and logs are kept.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    def qemu_cmd(self, config=None, smp=4, mem="2G", cpu=DEFAULT_CPU, machine=DEFAULT_MACHINE,
                 bare=False, append=None, extra=()):
        cmd = [os.path.join(TOP, "tools/run-qemu.sh"), "--build", self.build, "--smp", str(smp),
               "--mem", str(mem), "--cpu", cpu, "--machine", machine]
        if bare:
            cmd.append("--bare")
            if append:
                cmd += ["--append", append]
        else:
            cmd += ["--config", os.path.join(TOP, config)]
        return cmd + ["--"] + list(extra)

    def boot(self, label, **kw):
        """Boots QEMU (see qemu_cmd for the options); use in a `with` block."""
        return Boot(self, label, self.qemu_cmd(**kw))

    def check(self, what, ok, detail=""):
        if ok:
            self.passed += 1
            print("ok - %s" % what)
        else:
            self.fail("%s%s" % (what, (": " + detail) if detail else ""))
        sys.stdout.flush()
        return ok

    def expect_check(self, console, pattern, timeout, what, since=None):
        """Like console.expect(), but a timeout is one failed check instead of an exception."""
        try:
            m = console.expect(pattern, timeout, since)
        except (Timeout, Exited) as e:
            self.fail("%s: %s" % (what, e))
            return None
        self.check(what, True)
        return m

    def note(self, text):
        """A diagnostic line (TAP comment)."""
        print("# %s" % text)
        sys.stdout.flush()

    def fail(self, what):
        self.failed += 1
        msg = str(what).replace("\n", "\n# ")
        print("not ok - %s" % msg)
        sys.stdout.flush()

    def done(self):
        sys.exit(1 if self.failed else 0)
