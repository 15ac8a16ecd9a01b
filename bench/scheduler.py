"""Scheduler engine on PostgreSQL: 100,000 recurring schedules, `--per-second` of them
due each second, fired by 1 and by 3 `taskforge scheduler` processes on one database.

    .venv/bin/python -m bench.scheduler [--schedules 100000] [--per-second 500]
        [--seconds 30] [--processes 1,3] [--aligned]

A few schedules are created through the service (schedules.create), the rest are copied
in with the same non-null columns. Every schedule recurs every schedules/per-second
seconds (200 s by default); occurrences are spread evenly over each second (or, with
--aligned, all of a second's on the whole second, like cron).

For each process count: fires/s, lateness fired_at - fire_at (the engine's own stamp,
taken when its tick starts) p50/p99, the lateness until the job was visible (its
transaction committed; polled every 100 ms), duplicate fires, missed occurrences,
each process's CPU time and the database sessions' wait events. Then the idle cost:
one process with nothing due (CPU per tick), `tick()` timed in-process and the EXPLAIN
of the due query.

Targets: lateness p99 < 1 s; 0 duplicates; 0 missed; the due query is an index range
scan of idx_scheduled_jobs_due (no Seq Scan over the schedules).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event

from taskforge.config import Settings
from taskforge.domain.enums import ScheduleKind, Tier
from taskforge.persistence.common import schedules as schedule_repo
from taskforge.runtime import Runtime
from taskforge.services import schedules, tenancy
from taskforge.services.base import Principal
from taskforge.services.scheduler import tick

DSN = os.environ.get("TASKFORGE_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
DB = "taskforge_scheduler_bench"
PG = f"{DSN.rsplit('/', 1)[0]}/{DB}"
URL = PG.replace("postgresql://", "postgresql+asyncpg://", 1)
ROOT = Path(__file__).resolve().parents[1]
LOGS = Path(tempfile.gettempdir()) / "taskforge_bench_scheduler"
RATE_LIMIT = 1_000_000  # per minute (the most a schedule may set): never deferred here
VALIDATED = 3  # schedules created through the service; the rest are bulk-copied
TOLERANCE = 1.0  # seconds: an occurrence this old at the end and not fired is missed
LEAD = 10.0  # seconds between restaging the timetable (4-5 s at 100,000) and its first run
POLL = 0.1  # seconds between the visibility / wait-event samples
CLK_TCK = os.sysconf("SC_CLK_TCK")
PROCS: list[subprocess.Popen[bytes]] = []  # every process started: all stopped at exit


# --- small helpers (synchronous: files and processes) ------------------------------


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))]


def cpu_times(pid: int) -> tuple[float, float]:
    """(utime, stime) of a live process in seconds, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK


def cpu_seconds(pid: int) -> float:
    return sum(cpu_times(pid))


def start_schedulers(n: int, env: dict[str, str], tag: str) -> list[subprocess.Popen[bytes]]:
    LOGS.mkdir(parents=True, exist_ok=True)
    started = []
    for k in range(n):
        with (LOGS / f"{tag}-{k}.log").open("wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "taskforge.cli", "scheduler"],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        PROCS.append(proc)
        started.append(proc)
    return started


def log_text(tag: str, k: int) -> str:
    path = LOGS / f"{tag}-{k}.log"
    return path.read_text(errors="replace") if path.exists() else ""


def stop(procs: list[subprocess.Popen[bytes]], timeout: float = 20) -> None:
    """SIGTERM (the engine finishes its tick), then SIGKILL after ``timeout``."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in procs:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def log_problems(tag: str, n: int) -> dict[str, int]:
    text = "".join(log_text(tag, k) for k in range(n))
    return {
        "tick failures": text.count("scheduler tick failed"),
        "tracebacks": text.count("Traceback"),
    }


# --- database ------------------------------------------------------------------------


async def connect() -> asyncpg.Connection:
    return await asyncpg.connect(
        PG,
        timeout=15,
        server_settings={"statement_timeout": "300000", "lock_timeout": "60000"},
    )


def name_of(i: int) -> str:
    return f"bench-{i:07d}"


async def setup(n: int, interval: int) -> dict[str, Any]:
    """Fresh database, one ENTERPRISE organization and ``n`` ACTIVE schedules."""
    conn = await asyncpg.connect(DSN, timeout=15)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{DB}"')
    finally:
        await conn.close()
    rt = Runtime.create(
        Settings(database_url=URL, secret_key="bench", bootstrap=False), scheduler=False
    )
    await rt.start(migrate=True, engines=False)
    try:
        org = await tenancy.create_organization(
            rt.services, "Bench", "bench@example.com", "bench-password", Tier.ENTERPRISE
        )
        assert org is not None
        admin = Principal(org.organization.id, frozenset({"admin"}))
        for i in range(min(VALIDATED, n)):
            spec = schedules.ScheduleSpec(
                name=name_of(i),
                kind=ScheduleKind.RECURRING,
                expression=f"{interval}s",
                queue_id=org.queue.id,
                job_type="noop",
                rate_limit_per_minute=RATE_LIMIT,
            )
            await schedules.create(rt.services, admin, spec)
    finally:
        await rt.stop()

    conn = await connect()
    try:
        template = dict(await conn.fetchrow("SELECT * FROM scheduled_jobs ORDER BY name LIMIT 1"))
        expected = {
            "kind": "RECURRING",
            "expression": f"{interval}s",
            "status": "ACTIVE",
            "misfire_policy": "FIRE_ONCE",
            "job_type": "noop",
            "timezone": "UTC",
            "priority": 5,
            "runs_count": 0,
            "deferrals": 0,
            "rate_limit_per_minute": RATE_LIMIT,
            "queue_id": org.queue.id,
        }
        wrong = {k: template[k] for k, v in expected.items() if template[k] != v}
        if wrong or json.loads(template["payload"]) != {} or json.loads(template["metadata"]):
            raise SystemExit(f"the service created an unexpected schedule row: {wrong}")
        # the bulk rows carry exactly the columns the service set (its non-null ones)
        columns = [k for k, v in template.items() if v is not None]
        now = datetime.now(UTC)
        fresh = {"created_at": now, "updated_at": now}
        began = time.perf_counter()
        records = [
            tuple(
                uuid.uuid4()
                if c == "id"
                else name_of(i)
                if c == "name"
                else fresh.get(c, template[c])
                for c in columns
            )
            for i in range(min(VALIDATED, n), n)
        ]
        await conn.copy_records_to_table(
            "scheduled_jobs", records=records, columns=columns, timeout=600
        )
        copied = time.perf_counter() - began
        await conn.execute("ANALYZE scheduled_jobs")
        total = await conn.fetchval("SELECT count(*) FROM scheduled_jobs WHERE status = 'ACTIVE'")
    finally:
        await conn.close()
    return {
        "schedules": int(total),
        "created through the service": min(VALIDATED, n),
        "copied": len(records),
        "copy s": copied,
        "columns": len(columns),
    }


async def reset(conn: asyncpg.Connection) -> None:
    """Fires, their jobs and events of earlier runs gone; the tables vacuumed."""
    async with conn.transaction():
        await conn.execute("DELETE FROM schedule_fires")
        await conn.execute("DELETE FROM jobs")
        await conn.execute("DELETE FROM events")
        await conn.execute("DELETE FROM rate_windows")
    for table in ("schedule_fires", "jobs", "events", "rate_windows"):
        await conn.execute(f"VACUUM ANALYZE {table}")


RESTAGE = """
WITH r AS (
    SELECT id,
           CASE WHEN $4 THEN floor((row_number() OVER (ORDER BY name) - 1) / $2::float8)
                ELSE (row_number() OVER (ORDER BY name) - 1) / $2::float8 END AS offs
    FROM scheduled_jobs
)
UPDATE scheduled_jobs s
SET next_run_at = $1::timestamptz + make_interval(secs => r.offs),
    anchor_at = $1::timestamptz + make_interval(secs => r.offs) - make_interval(secs => $3),
    status = 'ACTIVE', pending_fire_at = NULL, runs_count = 0, deferrals = 0,
    last_run_at = NULL, last_deferred_at = NULL, last_error = NULL, updated_at = now()
FROM r
WHERE s.id = r.id
"""


async def restage(
    conn: asyncpg.Connection, lead: float, per_second: int, interval: int, aligned: bool
) -> datetime:
    """Occurrence i at start + i / per_second (its next run, on its anchor's sequence)."""
    start = datetime.now(UTC) + timedelta(seconds=lead)
    if aligned:
        start = start.replace(microsecond=0) + timedelta(seconds=1)
    await conn.execute(RESTAGE, start, float(per_second), float(interval), aligned)
    await conn.execute("VACUUM ANALYZE scheduled_jobs")
    return start


async def wait_ready(procs: list[subprocess.Popen[bytes]], tag: str, within: float) -> float:
    began = time.monotonic()
    while time.monotonic() - began < within:
        for k, proc in enumerate(procs):
            if proc.poll() is not None:
                raise RuntimeError(
                    f"scheduler {tag}-{k} exited ({proc.returncode}):\n{log_text(tag, k)[-3000:]}"
                )
        if all("scheduler running" in log_text(tag, k) for k in range(len(procs))):
            return time.monotonic() - began
        await asyncio.sleep(0.1)
    raise TimeoutError(f"schedulers {tag} not running after {within:.0f}s (logs in {LOGS})")


async def sleep_until(at: datetime) -> None:
    await asyncio.sleep(max(0.0, (at - datetime.now(UTC)).total_seconds()))


async def observe(until: datetime, seen: dict[int, datetime], waits: Counter[str]) -> int:
    """Until ``until``: when each fire transaction (xmin) became visible, and what the
    engines' database sessions were doing. Returns the number of samples."""
    conn = await connect()
    samples = 0
    try:
        while datetime.now(UTC) < until:
            began = datetime.now(UTC)
            rows = await conn.fetch(
                "SELECT DISTINCT xmin::text::bigint AS x FROM schedule_fires WHERE fired_at > $1",
                began - timedelta(seconds=10),
            )
            for r in rows:
                seen.setdefault(r["x"], began)  # committed before this query's snapshot
            for r in await conn.fetch(
                "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid() "
                "AND backend_type = 'client backend'",
                DB,
            ):
                if r["state"] == "active":
                    waits[f"active:{r['wait_event_type'] or 'CPU'}:{r['wait_event'] or '-'}"] += 1
                elif r["state"] == "idle in transaction":
                    waits["idle in transaction (client busy mid-transaction)"] += 1
            samples += 1
            await asyncio.sleep(max(0.0, POLL - (datetime.now(UTC) - began).total_seconds()))
    finally:
        await conn.close()
    return samples


async def run_engines(n: int, args: argparse.Namespace, env: dict[str, str], interval: int):
    """N scheduler processes for --seconds against the staged timetable."""
    tag = f"run{n}"
    conn = await connect()
    try:
        await reset(conn)
        # park everything an hour ahead while the processes start (imports cost CPU)
        await restage(conn, 3600, args.per_second, interval, False)
        procs = start_schedulers(n, env, tag)
        ready_s = await wait_ready(procs, tag, 90)
        await asyncio.sleep(1.0)
        began = time.monotonic()
        start = await restage(conn, LEAD, args.per_second, interval, args.aligned)
        restage_s = time.monotonic() - began
        if datetime.now(UTC) > start - timedelta(seconds=1):
            print(f"  warning: restaging took {restage_s:.1f}s, the first runs may be late")
        await sleep_until(start)
        cpu0 = [cpu_times(p.pid) for p in procs]
        end = start + timedelta(seconds=args.seconds)
        seen: dict[int, datetime] = {}
        waits: Counter[str] = Counter()
        samples = await observe(end, seen, waits)
        await sleep_until(end)
        alive = [p.poll() is None for p in procs]
        nan = (float("nan"), float("nan"))
        cpu1 = [cpu_times(p.pid) if a else nan for p, a in zip(procs, alive, strict=True)]
        stop_at = datetime.now(UTC)
        stop(procs)
        problems = log_problems(tag, n)
        cut = stop_at - timedelta(seconds=TOLERANCE)
        rows = await conn.fetch(
            "SELECT fire_at, fired_at, job_id, xmin::text::bigint AS x FROM schedule_fires"
        )
        in_time = [r for r in rows if r["fired_at"] <= stop_at]
        late = [(r["fired_at"] - r["fire_at"]).total_seconds() * 1000 for r in in_time]
        visible = [
            (seen[r["x"]] - r["fire_at"]).total_seconds() * 1000 for r in in_time if r["x"] in seen
        ]
        expected = await conn.fetchval(
            "SELECT coalesce(sum(floor(extract(epoch FROM $1::timestamptz - first) / $2) + 1), 0)"
            " FROM (SELECT anchor_at + make_interval(secs => $2) AS first FROM scheduled_jobs) s"
            " WHERE first <= $1",
            cut,
            float(interval),
        )
        fired_by_cut = sum(1 for r in in_time if r["fire_at"] <= cut)
        dup_groups = await conn.fetchval(
            "SELECT count(*) FROM (SELECT 1 FROM schedule_fires "
            "GROUP BY schedule_id, fire_at HAVING count(*) > 1) d"
        )
        jobs = await conn.fetchval("SELECT count(*) FROM jobs")
        orphan_jobs = await conn.fetchval(
            "SELECT count(*) FROM jobs j "
            "WHERE NOT EXISTS (SELECT 1 FROM schedule_fires f WHERE f.job_id = j.id)"
        )
        past_due = await conn.fetchval(
            "SELECT count(*) FROM scheduled_jobs WHERE status = 'ACTIVE' "
            "AND coalesce(pending_fire_at, next_run_at) < $1",
            cut,
        )
        not_active, deferrals = await conn.fetchrow(
            "SELECT count(*) FILTER (WHERE status <> 'ACTIVE'), coalesce(sum(deferrals), 0) "
            "FROM scheduled_jobs"
        )
    finally:
        await conn.close()
    window = (stop_at - start).total_seconds()
    cpu = [b[0] + b[1] - a[0] - a[1] for a, b in zip(cpu0, cpu1, strict=True)]
    system = [b[1] - a[1] for a, b in zip(cpu0, cpu1, strict=True)]
    top_waits = {k: v / max(samples, 1) for k, v in waits.most_common(6)}
    return {
        "fires/s": sum(1 for r in in_time if r["fired_at"] >= start) / window,
        "offered/s": args.per_second,
        "occurrences due (to stop - 1 s)": int(expected),
        "fired": len(in_time),
        "lateness p50 ms": pct(late, 0.5),
        "lateness p99 ms": pct(late, 0.99),
        "lateness max ms": max(late, default=float("nan")),
        "visible p50 ms": pct(visible, 0.5),
        "visible p99 ms": pct(visible, 0.99),
        "visible max ms": max(visible, default=float("nan")),
        "fire transactions": len({r["x"] for r in in_time}),
        "duplicate (schedule, fire_at)": int(dup_groups),
        "jobs created": int(jobs),
        "schedule_fires rows": len(rows),
        "jobs without a fire": int(orphan_jobs),
        "fires without a job": sum(1 for r in rows if r["job_id"] is None),
        "duplicate fires": int(dup_groups) + max(0, int(jobs) - len(rows)) + int(orphan_jobs),
        "missed occurrences": int(expected) - fired_by_cut,
        "past due at end": int(past_due),
        "schedules not ACTIVE": int(not_active),
        "rate-limit deferrals": int(deferrals),
        "CPU s per process": cpu,
        "of which system s": system,
        "CPU ms per fire": 1000 * sum(cpu) / max(1, len(in_time)),
        "CPU % of a core, all processes": 100 * sum(cpu) / window,
        "processes alive at stop": sum(alive),
        "start-up s": ready_s,
        "restage s": restage_s,
        "session samples (avg sessions)": top_waits,
        **problems,
    }


# --- idle ------------------------------------------------------------------------------


async def idle_process(env: dict[str, str], interval: int, args: argparse.Namespace, secs: float):
    """One scheduler process with nothing due for ``secs``: its CPU, the DB's xacts."""
    conn = await connect()
    try:
        await reset(conn)
        await restage(conn, 3600, args.per_second, interval, False)
        procs = start_schedulers(1, env, "idle")
        try:
            await wait_ready(procs, "idle", 90)
            await asyncio.sleep(2.0)  # start-up work done
            xact = "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1"
            x0, cpu0, t0 = (
                await conn.fetchval(xact, DB),
                cpu_seconds(procs[0].pid),
                time.monotonic(),
            )
            await asyncio.sleep(secs)
            cpu1, t1 = cpu_seconds(procs[0].pid), time.monotonic()
            x1 = await conn.fetchval(xact, DB)
        finally:
            stop(procs)
    finally:
        await conn.close()
    max_sleep = Settings().scheduler_max_sleep
    elapsed = t1 - t0
    ticks = elapsed / max_sleep
    return {
        "seconds": elapsed,
        "CPU s": cpu1 - cpu0,
        "CPU % of a core": 100 * (cpu1 - cpu0) / elapsed,
        "ticks (seconds / scheduler_max_sleep)": ticks,
        "CPU ms per tick": 1000 * (cpu1 - cpu0) / ticks,
        # the bench's own two statements are included (a handful)
        "DB transactions/s (ticks, next-due probes, relay polls)": (x1 - x0 - 2) / elapsed,
        **log_problems("idle", 1),
    }


async def idle_in_process(samples: int) -> dict[str, Any]:
    """tick() and the next-due probe timed with nothing due; EXPLAIN of both queries."""
    rt = Runtime.create(
        Settings(database_url=URL, secret_key="bench", bootstrap=False), scheduler=False
    )
    captured: dict[str, tuple[str, Any]] = {}

    def capture(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        if "FROM scheduled_jobs" in statement:
            key = "due" if "SKIP LOCKED" in statement else "next due" if "min(" in statement else ""
            if key:
                captured.setdefault(key, (statement, params))

    event.listen(rt.db.engine.sync_engine, "before_cursor_execute", capture)
    svc = rt.services
    try:
        for _ in range(20):  # warm the pool and prepared statements
            assert await tick(svc) == 0, "something is due: the idle timetable is wrong"
            async with svc.read() as session:
                await schedule_repo.next_due_at(session)
        ticks, probes = [], []
        for _ in range(samples):
            began = time.perf_counter()
            await tick(svc)
            ticks.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            async with svc.read() as session:
                await schedule_repo.next_due_at(session)
            probes.append((time.perf_counter() - began) * 1000)
        plans: dict[str, list[str]] = {}
        async with rt.db.engine.connect() as c:
            for key, (statement, params) in captured.items():
                result = await c.exec_driver_sql(
                    f"EXPLAIN (ANALYZE, BUFFERS) {statement}", tuple(params)
                )
                plans[key] = [str(r[0]) for r in result]
                plans[f"{key} SQL"] = [" ".join(statement.split())]
            await c.rollback()
    finally:
        await rt.db.dispose()
    due_plan = "\n".join(plans.get("due", []))
    return {
        "tick p50 ms": pct(ticks, 0.5),
        "tick p99 ms": pct(ticks, 0.99),
        "next-due probe p50 ms": pct(probes, 0.5),
        "due query index range scan": "idx_scheduled_jobs_due" in due_plan
        and "Seq Scan" not in due_plan,
        "plans": plans,
    }


# --- driver ----------------------------------------------------------------------------


async def bench(args: argparse.Namespace, counts: list[int], interval: int) -> dict[str, Any]:
    env = {
        **os.environ,
        "TASKFORGE_DATABASE_URL": URL,
        "TASKFORGE_SECRET_KEY": "bench",
        "TASKFORGE_BOOTSTRAP": "false",
        "TASKFORGE_SCHEDULE_RATE_LIMIT_PER_MINUTE": str(100 * RATE_LIMIT),
    }
    env.pop("TASKFORGE_REDIS_URL", None)
    results: dict[str, Any] = {}
    async with asyncio.timeout(1800):
        results["setup"] = await setup(args.schedules, interval)
    show_setup(results["setup"])
    for n in counts:
        async with asyncio.timeout(args.seconds + 300):
            figures = await run_engines(n, args, env, interval)
        results[f"{n} process{'es' if n > 1 else ''}"] = figures
        show_run(n, figures, args)
    async with asyncio.timeout(300):
        results["idle process"] = await idle_process(env, interval, args, args.idle_seconds)
        results["idle in-process"] = await idle_in_process(args.samples)
    show_idle(results["idle process"], results["idle in-process"], args)
    return results


def show_setup(s: dict[str, Any]) -> None:
    print(
        f"{s['schedules']} ACTIVE schedules: {s['created through the service']} through "
        f"schedules.create, {s['copied']} copied ({s['columns']} columns) in "
        f"{s['copy s']:.1f}s",
        flush=True,
    )


def show_run(n: int, f: dict[str, Any], args: argparse.Namespace) -> None:
    rows: list[tuple[str, str, str]] = [
        ("fires/s", f"{f['fires/s']:.1f}", f"offered {args.per_second}/s"),
        ("occurrences due / fired", f"{f['occurrences due (to stop - 1 s)']}/{f['fired']}", ""),
        ("lateness p50 ms", f"{f['lateness p50 ms']:.1f}", "fired_at - fire_at"),
        ("lateness p99 ms", f"{f['lateness p99 ms']:.1f}", "target < 1000"),
        ("lateness max ms", f"{f['lateness max ms']:.1f}", ""),
        ("visible p50 ms", f"{f['visible p50 ms']:.1f}", "commit seen - fire_at, +-100 ms"),
        ("visible p99 ms", f"{f['visible p99 ms']:.1f}", "target < 1000"),
        ("fire transactions", str(f["fire transactions"]), ""),
        ("duplicate fires", str(f["duplicate fires"]), "target 0"),
        (
            "  jobs / fires / dup groups",
            f"{f['jobs created']}/{f['schedule_fires rows']}/{f['duplicate (schedule, fire_at)']}",
            "",
        ),
        ("missed occurrences", str(f["missed occurrences"]), "target 0"),
        ("past due at end", str(f["past due at end"]), "target 0 (next_run_at < stop - 1 s)"),
        ("schedules not ACTIVE", str(f["schedules not ACTIVE"]), "target 0"),
        ("rate-limit deferrals", str(f["rate-limit deferrals"]), "target 0"),
        ("CPU s per process", ", ".join(f"{c:.1f}" for c in f["CPU s per process"]), ""),
        ("  of which system", ", ".join(f"{c:.1f}" for c in f["of which system s"]), ""),
        ("CPU ms per fire (engines)", f"{f['CPU ms per fire']:.1f}", ""),
        ("CPU % of a core (all)", f"{f['CPU % of a core, all processes']:.0f}", ""),
        ("tick failures in logs", str(f["tick failures"]), "target 0"),
    ]
    print(
        f"\n{n} scheduler process{'es' if n > 1 else ''}, {args.per_second} due/s for "
        f"{args.seconds:g}s (start-up {f['start-up s']:.1f}s, restage {f['restage s']:.1f}s)"
    )
    for name, value, note in rows:
        print(f"  {name:<28}{value:>16}   {note}")
    if f["missed occurrences"] > 0:
        print(
            "  (lateness covers fired occurrences only: the missed ones were due and still "
            "unfired at the stop, i.e. later still)"
        )
    print("  database sessions of the engines, average per sample:")
    for k, v in f["session samples (avg sessions)"].items():
        print(f"    {v:5.2f}  {k}")
    sys.stdout.flush()


def show_idle(p: dict[str, Any], i: dict[str, Any], args: argparse.Namespace) -> None:
    print(f"\nidle (nothing due for an hour), one process for {p['seconds']:.0f}s")
    print(f"  {'CPU s':<28}{p['CPU s']:>16.2f}")
    print(f"  {'CPU % of a core':<28}{p['CPU % of a core']:>16.1f}")
    print(
        f"  {'CPU ms per tick':<28}{p['CPU ms per tick']:>16.1f}   ticks = seconds / max sleep "
        "(includes the relay's polls)"
    )
    db = p["DB transactions/s (ticks, next-due probes, relay polls)"]
    print(f"  {'DB transactions/s':<28}{db:>16.1f}   ticks, next-due probes, relay polls")
    print(f"  in-process, {args.samples} samples:")
    print(f"  {'tick() p50 ms':<28}{i['tick p50 ms']:>16.2f}")
    print(f"  {'tick() p99 ms':<28}{i['tick p99 ms']:>16.2f}")
    print(f"  {'next-due probe p50 ms':<28}{i['next-due probe p50 ms']:>16.2f}")
    verdict = "yes" if i["due query index range scan"] else "NO"
    print(f"  {'due query index range scan':<28}{verdict:>16}   target yes")
    for key in ("due", "next due"):
        plan = i["plans"].get(key)
        if plan:
            print(f"  EXPLAIN ANALYZE ({key} query):")
            for line in plan[:8]:
                print(f"    {line}")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schedules", type=int, default=100_000)
    parser.add_argument("--per-second", type=int, default=500, help="occurrences due per second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--processes", default="1,3", help="scheduler process counts, e.g. 1,3")
    parser.add_argument("--aligned", action="store_true", help="a second's runs all on the second")
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--samples", type=int, default=200, help="idle tick() samples")
    args = parser.parse_args()
    counts = [int(x) for x in args.processes.split(",") if x.strip()]
    if args.schedules < 1 or args.per_second < 1 or not counts or min(counts) < 1:
        parser.error("--schedules, --per-second and --processes must be positive")
    # each schedule recurs once per pass over the timetable: per-second of them each second
    interval = max(1, math.ceil(args.schedules / args.per_second))
    print(
        f"PostgreSQL, {args.schedules} RECURRING schedules every {interval}s, "
        f"{args.per_second} due per second ({'on the second' if args.aligned else 'spread'}), "
        f"{os.cpu_count()} cores shared by the engines, the database and this driver; "
        f"logs in {LOGS}",
        flush=True,
    )
    # `timeout` sends SIGTERM: leave through the finally below, which stops the engines
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        results = asyncio.run(bench(args, counts, interval))
    finally:
        with contextlib.suppress(Exception):
            stop(PROCS)
    summary = []
    for key, f in results.items():
        if "process" in key and "idle" not in key:
            summary.append(
                f"{key}: {f['fires/s']:.0f} fires/s, p99 {f['lateness p99 ms']:.0f} ms "
                f"(target < 1000), visible p99 {f['visible p99 ms']:.0f} ms, "
                f"{f['duplicate fires']} duplicates, {f['missed occurrences']} missed "
                f"(targets 0)"
            )
    print("\n" + "\n".join(summary))
    print(json.dumps(results, default=str))


if __name__ == "__main__":
    main()
