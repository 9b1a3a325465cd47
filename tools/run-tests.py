#!/usr/bin/env python3
"""Runs every Tandem test and ends with one line: `N passed, N failed`.

  tools/run-tests.py [--build DIR] [--unit-only | --integration-only] [-k SUBSTRING] [--timeout S]

Host unit tests: every BUILD/unit/test_* binary, run with CMOCKA_MESSAGE_OUTPUT=TAP; each
`ok`/`not ok` line counts, and a binary that crashes or exits non-zero without reporting a
failure counts as one more failure.
Integration tests: every tests/integration/test_*.py, run as `python3 FILE --build BUILD`; they
print `ok - ...`/`not ok - ...` lines (tests/integration/harness.py), counted the same way. A
script that times out or exits non-zero without a `not ok` line counts as one failure.
Exit status: 0 only if nothing failed.
"""
import argparse
import glob
import os
import re
import signal
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OK_RE = re.compile(r"^(not ok|ok)(?:\s+\d+)?(?:\s+-)?(?:\s+(.*))?$")


def declared_timeout(script):
    """A test file that needs longer than the default says so in a line of its own,
    `# run-tests: timeout SECONDS` (e.g. test_failover's 20 failovers in one boot)."""
    with open(script, encoding="utf-8") as f:
        m = re.search(r"^# run-tests: timeout (\d+)$", f.read(), re.M)
    return int(m.group(1)) if m else 0


def run_one(cmd, env, timeout):
    """Runs a test program; returns (returncode or None on timeout, output lines, seconds)."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                            cwd=TOP, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        rc = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        rc = None
    return rc, out.decode("utf-8", errors="replace").splitlines(), time.monotonic() - start


def count(label, rc, lines, secs, verbose):
    """Prints one line per test case; returns (passed, failed)."""
    passed = failed = 0
    for line in lines:
        m = OK_RE.match(line.strip())
        if m:
            status, what = m.groups()
            what = what or ""
            if re.search(r"#\s*skip", what, re.I):
                print("SKIP  %s: %s" % (label, what))
            elif status == "ok":
                passed += 1
                print("PASS  %s: %s" % (label, what))
            else:
                failed += 1
                print("FAIL  %s: %s" % (label, what))
        elif verbose or line.startswith("# console log") or (failed and line.startswith("# ")):
            print("      %s" % line)
    if rc is None:
        failed += 1
        print("FAIL  %s: timed out after %.0f s" % (label, secs))
    elif rc != 0 and failed == 0:
        failed += 1
        how = "killed by signal %d" % -rc if rc < 0 else "exit status %d" % rc
        print("FAIL  %s: %s without reporting a failure" % (label, how))
        for line in lines[-20:]:
            print("      %s" % line)
    elif passed == 0 and failed == 0:
        passed += 1
        print("PASS  %s (no test cases reported)" % label)
    print("      %s: %d passed, %d failed in %.1f s" % (label, passed, failed, secs))
    sys.stdout.flush()
    return passed, failed


def main():
    ap = argparse.ArgumentParser(description="Run Tandem's unit and integration tests.")
    ap.add_argument("--build", default="build")
    ap.add_argument("--unit-only", action="store_true")
    ap.add_argument("--integration-only", action="store_true")
    ap.add_argument("-k", dest="pattern", default="", help="only tests whose name contains this")
    ap.add_argument("--timeout", type=int, default=int(os.environ.get("TANDEM_TEST_TIMEOUT", 900)),
                    help="seconds per integration test file (default 900)")
    ap.add_argument("-v", "--verbose", action="store_true", help="show all test output")
    args = ap.parse_args()
    build = os.path.abspath(os.path.join(TOP, args.build))

    passed = failed = 0
    if not args.integration_only:
        env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="TAP")
        for binary in sorted(glob.glob(os.path.join(build, "unit", "test_*"))):
            name = os.path.basename(binary)
            if not os.access(binary, os.X_OK) or os.path.splitext(name)[1] or args.pattern not in name:
                continue
            rc, lines, secs = run_one([binary], env, 120)
            p, f = count("unit/" + name, rc, lines, secs, args.verbose)
            passed += p
            failed += f
    if not args.unit_only:
        for script in sorted(glob.glob(os.path.join(TOP, "tests", "integration", "test_*.py"))):
            name = os.path.splitext(os.path.basename(script))[0]
            if args.pattern not in name:
                continue
            print("RUN   integration/%s" % name)
            sys.stdout.flush()
            rc, lines, secs = run_one([sys.executable, script, "--build", build], dict(os.environ),
                                      max(args.timeout, declared_timeout(script)))
            p, f = count("integration/" + name, rc, lines, secs, args.verbose)
            passed += p
            failed += f
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
