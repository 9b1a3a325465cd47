"""The RTOS's latency line, shared by the integration tests (not a test itself).

`LAT irq min=.. avg=.. max=.. p99=.. task min=.. avg=.. max=.. p99=.. n=.. unit=ns ticks k=v ...`
(guests/rtos/latency.c).
"""
import re


def parse_lat(line):
    """Parses `LAT irq min=.. avg=.. max=.. p99=.. task min=.. ... n=.. unit=ns ticks k=v ...`;
    returns (fields, problem): problem is None when the line is well formed and consistent."""
    m = re.fullmatch(r"LAT irq (.*) task (.*) n=(\S+) unit=ns ticks (.*)", line.strip())
    if not m:
        return None, "not of the form 'LAT irq ... task ... n=.. unit=ns ticks ...'"
    fields = {}
    for group, part in (("irq", m.group(1)), ("task", m.group(2)), ("ticks", m.group(4))):
        for word in part.split():
            kv = re.fullmatch(r"([a-z0-9_]+)=(\d+)", word)
            if not kv:
                return None, "%s: %r is not key=<number>" % (group, word)
            key = kv.group(1) if group == "ticks" else "%s_%s" % (group, kv.group(1))
            fields[("t_" if group == "ticks" else "") + key] = int(kv.group(2))
    if not re.fullmatch(r"\d+", m.group(3)):
        return None, "n=%r is not a number" % m.group(3)
    fields["n"] = int(m.group(3))
    for g in ("irq", "task"):
        need = ["%s_%s" % (g, k) for k in ("min", "avg", "max", "p99")]
        missing = [k for k in need if k not in fields]
        if missing:
            return fields, "missing %s" % ", ".join(missing)
        mn, avg, mx, p99 = (fields[k] for k in need)
        if not mn <= avg <= mx:
            return fields, "%s: not min <= avg <= max (%d, %d, %d)" % (g, mn, avg, mx)
        if not mn <= p99 <= mx:
            return fields, "%s: p99 %d outside [min %d, max %d]" % (g, p99, mn, mx)
    need = ["t_irq_min", "t_irq_avg", "t_irq_max", "t_task_min", "t_task_max"]
    missing = [k for k in need if k not in fields]
    if missing:
        return fields, "raw ticks missing %s" % ", ".join(missing)
    if not fields["t_irq_min"] <= fields["t_irq_avg"] <= fields["t_irq_max"]:
        return fields, "ticks: not irq_min <= irq_avg <= irq_max"
    if not fields["t_task_min"] <= fields["t_task_max"]:
        return fields, "ticks: task_min > task_max"
    if fields["n"] <= 0:
        return fields, "n=%d" % fields["n"]
    return fields, None
