"""The dashboard in headless Chromium against a loaded server: how soon pages are usable,
and whether frames stay short while a workflow changes under the viewer's eyes.

    .venv/bin/python -m bench.web [--postgres] [--jobs 100000] [--nodes 1000]
                                  [--rate 100] [--seconds 10] [--runs 5]

Setup (in-process, before the server starts): a fresh database (SQLite in a temporary
data folder; with --postgres the database taskforge_bench_web on
TASKFORGE_BENCH_PG_DSN, default postgresql://postgres@127.0.0.1:5432/test) with one
organization, --jobs jobs on its default queue (1,000 through the jobs service, the rest
copied from them in bulk with SQLAlchemy Core: a backlog, all PENDING, no worker) and a
started workflow of --nodes jobs on queue `wf` (levels of 100, each job depending on two
of the level above).

Measured, in the system's Chromium (never a downloaded one), signed in as the admin:
1. the jobs page: from navigation start to the first frame painted after the first job
   row is in the DOM (a MutationObserver installed before the page's own scripts, then
   requestAnimationFrame + setTimeout: after the frame). Cold: a fresh browser context
   (nothing cached); warm: the same context again, median of --runs. One unmeasured
   visit first, so that the server has answered each operation once. Target < 1 s.
2. the workflow page: the same, up to the first frame with the graph drawn (an SVG in
   the main region with its nodes). Target < 1 s.
3. the same workflow page while a driver (a thread, through the GraphQL API as a worker
   would: claimJobs + completeJobs on `wf` every 100 ms) makes --rate status changes a
   second for --seconds: the longest frame (requestAnimationFrame deltas in the page),
   its 99th percentile, and the long tasks (PerformanceObserver `longtask`) seen.
   The same figures with no change arriving come first: what the machine alone costs
   (frames are whole vsyncs of 16.7 ms: a 50 ms frame is two missed). A long task is
   the page's own main-thread work over 50 ms; a long frame with no long task is the
   browser's other processes starved (a busy machine), not the page. Also counted: the
   GraphQL requests the page made meanwhile (refetches prompted by the changes).
   Target: longest frame < 50 ms.
Beside each page: the GraphQL requests it made during the navigation, as the browser
timed them (request start to response end) and replayed --replays times with httpx
(median): the server's own time for the same queries.
"""
