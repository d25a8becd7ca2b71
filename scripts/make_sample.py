#!/usr/bin/env python3
"""Write the bundled offline sample recording ``data/sample/`` (format ``hn-recording/1``).

Everything here -- story titles, comments, article pages, user names and URLs -- is original text
written for the streamrag project. The domains are fictional; no page was copied from the web.
The output is deterministic: running the script twice gives byte-identical files.

    python scripts/make_sample.py            # writes data/sample/
    python scripts/make_sample.py --out DIR  # somewhere else

Plain Python standard library only. See docs/recording-format.md for the format.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import random
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "data" / "sample"
FIRST_ID = 46000001
BASE_TIME = 1794319200  # 2026-11-10 14:00:00 UTC
SEED = 46000001

STORIES: list[dict] = []
QUERIES: list[tuple[str, str]] = []  # (query, story key)


def C(by: str, text: str, *kids: dict) -> dict:
    """A comment: author, text in a tiny markup (see ``hn_html``), replies."""
    return {"by": by, "text": text, "kids": list(kids)}


def S(key, topic, title, by, *, url=None, fetch="ok", tpl="A", article=None, text=None,
      comments=(), charset="utf-8", page_title=None, site=None):
    """A story. ``fetch``: ok | 404 | 500 | timeout | pdf | missing (not in pages.jsonl)."""
    STORIES.append(dict(key=key, topic=topic, title=title, by=by, url=url, fetch=fetch, tpl=tpl,
                        article=article, text=text, comments=list(comments), charset=charset,
                        page_title=page_title, site=site))


def Q(query: str, key: str) -> None:
    QUERIES.append((query, key))


# =====================================================================================
# Topic 1: databases / PostgreSQL
# =====================================================================================

S("db_vacuum", "databases", "How we cut Postgres vacuum stalls by tuning autovacuum per table", "mkowalski_db",
  url="https://engineering.ledgerloop.dev/posts/autovacuum-per-table-tuning", tpl="A", site="Ledgerloop Engineering",
  article="""
At Ledgerloop our busiest table, payments_events, takes around 9,000 updates per second at peak. For most of 2025 it also produced our worst latency spikes: every few hours autovacuum fell behind, dead tuples piled up past 180 million, and p99 latency on the checkout path jumped from 40 ms to more than 2 seconds.

## Why the defaults failed
The default autovacuum_vacuum_scale_factor of 0.2 means a table is vacuumed only once 20 percent of its rows are dead. On a 900-million-row table that is 180 million dead tuples before anything happens, and by then the vacuum itself takes 50 minutes and competes with live traffic for I/O. Meanwhile the global autovacuum_vacuum_cost_limit of 200 throttled the worker so hard that it could never catch up.

## Per-table storage parameters
Raising the global settings would have made vacuum aggressive on hundreds of small tables that did not need it, so we set storage parameters on the three hot tables only:

```
ALTER TABLE payments_events SET (
  autovacuum_vacuum_scale_factor = 0.0,
  autovacuum_vacuum_threshold = 500000,
  autovacuum_vacuum_cost_limit = 2000,
  autovacuum_vacuum_insert_threshold = 1000000
);
```

A scale factor of zero with a fixed threshold of 500,000 dead tuples makes vacuum run small and often: it now triggers roughly every 6 minutes and finishes in under 40 seconds.

## What we measured
- Peak dead tuples: 180 million down to 0.6 million
- Vacuum duration: 50 minutes down to 35 seconds
- Checkout p99 latency during vacuum: 2.1 s down to 48 ms
- Table bloat after a month: 38 percent down to 4 percent

## Things to watch
Raising autovacuum_max_workers does not help on its own, because the cost limit is shared and divided among the active workers. We also alert on n_dead_tup from pg_stat_user_tables and on the age of the oldest open transaction: a single long-running analytics query that holds back the xmin horizon makes every vacuum useless, however well it is tuned.
""",
  comments=[
      C("pgwrangler", """Fixed thresholds per table are the single most underrated Postgres setting. One thing I'd add: watch *autovacuum_naptime* too. With the default of 1 minute and 500 databases on one cluster, each database only gets looked at every so often.""",
        C("mkowalski_db", """Author here. Good point, we only have 3 databases on that cluster so naptime never showed up for us. The bigger surprise was the xmin horizon: a BI tool kept a transaction open for 9 hours.""",
          C("sre_tomasz", """We kill those automatically now:

```
ALTER ROLE reporting SET idle_in_transaction_session_timeout = '15min';
ALTER ROLE reporting SET statement_timeout = '30min';
```

Saved us from exactly this twice.""",
            C("pgwrangler", """Also look at *old_snapshot_threshold*... except it was removed in Postgres 17, so timeouts on the role really are the way to go now.""")))),
      C("dbre_anya", """Did you consider partitioning payments_events by month instead? Dropping old partitions is free, and vacuum on the current partition is small by construction."""),
  ])

S("db_brin", "databases", "BRIN indexes saved us 40 GB on a 2-billion-row events table", "hollis_data",
  url="https://blog.tidepool-analytics.io/brin-indexes-events-table", tpl="B", site="Tidepool Analytics Blog",
  article="""
Our clickstream table holds 2.1 billion rows, appended strictly in time order, and the B-tree index on created_at alone had grown to 44 GB. Replacing it with a BRIN index shrank that to a few megabytes, and most of our dashboard queries got no noticeably slower.

## How BRIN works
A Block Range INdex stores only a summary, the minimum and maximum value, for each range of consecutive table pages. With the default pages_per_range of 128, one summary covers about 1 MB of heap. A query for last Tuesday checks the summaries, skips every range whose min-max window cannot match, and reads only the candidate blocks. That only works when the physical order of rows correlates with the indexed column, which is naturally true for append-only event data.

## Our numbers
| Index | Size | Build time | Query for one day |
| B-tree on created_at | 44 GB | 41 min | 120 ms |
| BRIN, 128 pages per range | 3.8 MB | 2 min 10 s | 310 ms |
| BRIN, 32 pages per range | 15 MB | 2 min 30 s | 160 ms |

We settled on pages_per_range = 32, which trades a few extra megabytes for one-day queries within 40 ms of the B-tree.

```
CREATE INDEX events_created_brin ON events
  USING brin (created_at) WITH (pages_per_range = 32, autosummarize = on);
```

## Where it breaks down
- Updates and out-of-order backfills destroy correlation; check pg_stats.correlation and keep it above 0.95.
- New pages are not summarized until vacuum runs or you call brin_summarize_new_values, so turn on autosummarize.
- Point lookups by user_id still need a B-tree; BRIN is for range scans over correlated columns only.

## Takeaway
If a table is append-only and queried by time range, a BRIN index is almost free. We freed 40 GB of disk, relieved about 11 percent of the pressure on shared_buffers, and write throughput rose by 7 percent because inserts no longer maintain a huge B-tree.
""",
  comments=[
      C("columnar_carl", """At 2 billion rows of clickstream, why not a columnar store? ClickHouse would compress that table 10x and the one-day query would be single-digit milliseconds."""),
      C("hollis_data", """Author: we looked at it, but everything else lives in Postgres and the team is four people. BRIN got us 90% of the benefit with a one-line migration.""",
        C("columnar_carl", """Fair. Boring tech that the team already knows beats a second database nobody is on call for.""")),
  ])

S("db_slots", "databases", "Logical replication slots that never advance: a postmortem", "quill_ops",
  url="https://ops.quillstack.com/postmortems/2026-10-replication-slot", fetch="404",
  comments=[
      C("walsender", """The page is 404 for me, but the gist from the earlier draft: a CDC consumer was decommissioned, its logical replication slot stayed, and the primary retained WAL until the disk hit 100% after 11 days."""),
      C("pg_hazel", """Set *max_slot_wal_keep_size* (Postgres 13+). It caps how much WAL a slot may hold back; past the limit the slot is invalidated instead of filling your disk. Losing a CDC consumer is bad, losing the primary is worse. Docs: https://www.postgresql.org/docs/current/runtime-config-replication.html""",
        C("walsender", """And monitor it. This query is in every runbook I write now:

```
SELECT slot_name, active,
       pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)) AS retained
FROM pg_replication_slots ORDER BY 3 DESC;
```""")),
  ])

S("db_queue", "databases", "Show HN: pgqueue-lite – a job queue built on SKIP LOCKED", "rafa_builds",
  url="https://pgqueue-lite.dev/docs/introduction", tpl="C", site="pgqueue-lite docs",
  page_title="pgqueue-lite: background jobs inside PostgreSQL",
  text="""Hi HN, I built pgqueue-lite because I was tired of running Redis just for background jobs. It is one SQL file plus a 600-line Python worker.

Jobs are rows; workers claim them with SELECT ... FOR UPDATE SKIP LOCKED, so two workers never grab the same job and nobody blocks. Retries use exponential backoff stored in a run_at column, and LISTEN/NOTIFY wakes idle workers so polling is rare. On a 4-vCPU Postgres it sustains about 4,000 jobs per second.

Feedback welcome, especially on the visibility-timeout design.""",
  article="""
pgqueue-lite is a background job queue that lives entirely inside PostgreSQL 13 or newer. There is no broker to operate: jobs are rows in a table, and workers are ordinary database clients that claim, run and acknowledge them.

## The schema
```
CREATE TABLE pgq_jobs (
  id bigserial PRIMARY KEY,
  queue text NOT NULL DEFAULT 'default',
  payload jsonb NOT NULL,
  run_at timestamptz NOT NULL DEFAULT now(),
  attempts int NOT NULL DEFAULT 0,
  locked_until timestamptz
);
CREATE INDEX ON pgq_jobs (queue, run_at) WHERE locked_until IS NULL;
```

## Claiming a job
A worker claims the oldest runnable job with a single statement. FOR UPDATE SKIP LOCKED makes concurrent workers skip rows that another worker has already locked instead of waiting for them, so throughput grows with the number of workers until the partial index becomes the bottleneck.

```
UPDATE pgq_jobs SET locked_until = now() + interval '5 minutes', attempts = attempts + 1
WHERE id = (SELECT id FROM pgq_jobs
            WHERE queue = $1 AND run_at <= now() AND locked_until IS NULL
            ORDER BY run_at FOR UPDATE SKIP LOCKED LIMIT 1)
RETURNING id, payload;
```

## Visibility timeout and retries
The locked_until column acts as a visibility timeout: if a worker crashes, its job becomes claimable again after five minutes. A failed job is rescheduled with run_at set to now plus 2 to the power of attempts seconds, capped at one hour, and after 8 attempts it is moved to the pgq_dead table for inspection.

## Waking workers
Idle workers run LISTEN pgq_new, and the enqueue function calls pg_notify, so a worker wakes within milliseconds instead of polling every second.

## Benchmarks
- 4 vCPU, 16 GB RAM, Postgres 16: about 4,000 jobs per second with 32 workers
- Median claim latency: 1.8 ms
- Keep the jobs table small: we recommend autovacuum_vacuum_scale_factor = 0.01 on it, and deleting finished jobs rather than flagging them
""",
  comments=[
      C("queue_skeptic", """How does it behave when a job runs longer than the 5 minute visibility timeout? Sounds like two workers can end up running the same job.""",
        C("rafa_builds", """Yes, that's the classic at-least-once caveat. Long jobs should call *pgq.heartbeat(job_id)* which pushes locked_until forward; I'll make that more prominent in the docs. Jobs should be idempotent regardless."""),
        C("dbre_anya", """Alternatively hold the row lock for the whole job in one transaction. Then a crash releases the lock immediately, no timeout needed. The cost is one open transaction per running job, which hurts vacuum if jobs are long.""")),
  ])

S("db_uuid", "databases", "Why your UUIDv4 primary keys are fragmenting your B-tree", "index_ines",
  url="https://www.datagarden-notes.net/uuidv4-btree-fragmentation", tpl="D", site="Datagarden Notes",
  article="""
Random UUIDv4 keys are convenient for generating IDs on many machines without coordination, but every insert lands on a random leaf page of the primary key index. We measured what that costs on a 300-million-row orders table and compared it with time-ordered UUIDv7 keys.

## The problem with random keys
A B-tree keeps its keys sorted. When new keys increase monotonically, inserts always touch the rightmost leaf page, which stays hot in shared_buffers. Random UUIDv4 keys scatter inserts across every leaf, so the working set becomes the whole index. Pages split at random positions and settle around 69 percent full instead of nearly 100 percent, and after every checkpoint the first change to each page writes a full-page image to the WAL.

## Our benchmark
We inserted 50 million rows into three otherwise identical tables on Postgres 17 with 8 GB of shared_buffers.

| Key type | Index size | Inserts per second | WAL generated |
| UUIDv4 | 3.1 GB | 11,200 | 61 GB |
| UUIDv7 | 2.0 GB | 27,900 | 19 GB |
| bigint identity | 1.1 GB | 31,500 | 14 GB |

UUIDv7 puts a 48-bit Unix timestamp in milliseconds in the high bits, so keys generated close together in time sort close together. It sustained 2.5 times the insert rate of UUIDv4 and wrote less than a third of the WAL.

## Migrating an existing table
1. Generate new keys as UUIDv7 in the application, or with the uuidv7() function that ships with Postgres 18.
2. Leave existing v4 keys alone; both are valid uuid values and compare without problems.
3. Run REINDEX CONCURRENTLY on the primary key once to recover the bloat left by past page splits.

## Caveats
UUIDv7 reveals the creation time of a row, which may matter for identifiers that appear in public URLs. And if you need strict ordering across many writers, remember that two servers with skewed clocks will still interleave their keys.
""",
  comments=[
      C("ulid_fan", """We used ULIDs for the same reason back in 2019. Nice to see UUIDv7 standardised in RFC 9562 so the database has a native type for it."""),
      C("index_ines", """Author here. Several people asked about the 69% fill figure: that is the typical steady state for random inserts into a B-tree, roughly ln(2). Sequential inserts get ~90%+ because Postgres uses a fillfactor of 90 for the rightmost-split case."""),
  ])

# =====================================================================================
# Topic 2: Rust & systems programming
# =====================================================================================

S("rust_logshipper", "rust-systems", "Rewriting our log shipper in Rust cut memory use from 1.2 GB to 90 MB", "ferris_at_nw",
  url="https://tech.northwind-freight.com/blog/rust-log-shipper", tpl="A", site="Northwind Freight Tech",
  article="""
Every one of our 1,400 hosts runs an agent that tails application logs, parses them and ships them to our collectors. The old agent was a JVM service that idled at 1.2 GB of resident memory. Its replacement, written in Rust over four months by two engineers, idles at 90 MB and uses about a fifth of the CPU.

## Why the old agent was heavy
The JVM agent reserved a 512 MB heap for buffering, used a general-purpose JSON library that allocated a map for every log line, and ran one thread per tailed file. On hosts with 300 log files that meant 300 threads, each with a 1 MB stack.

## The new design
- One tokio runtime with four worker threads, no matter how many files are tailed
- inotify-based tailing through the notify crate instead of polling every 250 ms
- Zero-copy parsing: lines are borrowed string slices into a reused buffer, and serde deserializes only the six fields we index
- A bounded channel of 10,000 batches provides back-pressure instead of an unbounded heap buffer
- Batches are compressed with zstd at level 3 before sending

```
let (tx, mut rx) = tokio::sync::mpsc::channel::<Batch>(10_000);
while let Some(batch) = rx.recv().await {
    let body = zstd::encode_all(&batch.bytes[..], 3)?;
    client.post(&endpoint).body(body).send().await?;
}
```

## Results across the fleet
| Metric | JVM agent | Rust agent |
| Resident memory when idle | 1.2 GB | 90 MB |
| CPU at 20,000 lines per second | 1.4 cores | 0.28 cores |
| Startup time | 11 s | 40 ms |

Across the fleet that freed roughly 1.5 TB of RAM, enough to retire 22 machines.

## What was hard
The hardest part was not the borrow checker but log rotation: copytruncate rotation loses lines unless you track the inode and offset carefully. We wrote a property test with proptest that rotates files at random points and asserts that no line is lost or duplicated. It found three bugs before the first canary.
""",
  comments=[
      C("jvm_defender", """To be fair to the JVM, a 512 MB heap for a log agent was a configuration choice. Vector or Fluent Bit would also have gotten you under 100 MB without writing your own.""",
        C("ferris_at_nw", """We benchmarked Fluent Bit, it was close on memory. The deciding factor was our custom redaction rules, which were much easier to express in Rust than as Lua filters.""")),
      C("rotation_pain", """+1 on copytruncate being the real enemy. Tell your ops folks to switch logrotate to *create* mode and the whole problem class goes away."""),
  ])

S("rust_pin", "rust-systems", "Understanding Pin in async Rust without the pain", "borrowck_bea",
  url="https://rustacean-notes.dev/posts/pin-without-pain", tpl="C", site="Rustacean Notes",
  article="""
Pin is the type people most often give up on when they learn async Rust. The idea behind it is small: some values must not move in memory once they start being used, and Pin is how the type system keeps that promise.

## Why futures can be self-referential
An async fn compiles to a state machine, an anonymous enum with one variant per await point. If a local variable borrows another local across an .await, both live inside that enum, so the enum contains a pointer into itself. Moving the enum to a new address would leave that pointer dangling.

## What Pin actually guarantees
Pin wraps a pointer such as Box of T or a mutable reference to T. Once a value is pinned, safe code can no longer obtain a plain mutable reference to it, so it cannot mem::swap or mem::replace the value out of its place. Future::poll takes self as Pin of mutable Self, which is why an executor must pin a future before it can poll it.

## Unpin: the escape hatch
Most types do not care about being moved. They implement the auto trait Unpin, and for them a pinned mutable reference behaves exactly like an ordinary one. Only compiler-generated futures and hand-written self-referential types are not Unpin.

## Pinning in practice
- Box::pin(fut) pins on the heap; simple, and it always works.
- The std::pin::pin! macro pins on the stack and has been stable since Rust 1.68.
- Using tokio::select! in a loop needs a pinned future that you can poll by mutable reference.

```
let sleep = tokio::time::sleep(Duration::from_secs(5));
tokio::pin!(sleep);
loop {
    tokio::select! {
        _ = &mut sleep => break,
        msg = rx.recv() => handle(msg),
    }
}
```

## Projection
When you write your own future that wraps another one, you need pin projection: turning a pinned wrapper into a pinned reference to the wrapped field. Do not write that by hand with unsafe code; the pin-project-lite crate generates a safe project() method for you.
""",
  comments=[
      C("async_andy", """The stack-pinning macro was the thing that finally made it click for me. Before 1.68 everybody reached for Box::pin and paid an allocation per future."""),
      C("unsafe_ursula", """> Once a value is pinned, safe code can no longer obtain a plain mutable reference to it

Small correction: pinning doesn't stop moves of the *pointer*, only of the pointee. You can move a Pin<Box<T>> around all day, the T stays put on the heap."""),
  ])

S("rust_iouring", "rust-systems", "io_uring for the impatient: a file server in 400 lines", "ringbuf_rui",
  url="https://lowlevel.kestrel-systems.org/io-uring-file-server", tpl="B", site="Kestrel Systems Low-Level",
  article="""
io_uring is the Linux interface, added in kernel 5.1, that lets a program submit I/O requests and collect their completions through two ring buffers shared with the kernel. This walkthrough builds a static file server in about 400 lines of C with liburing and compares it with an epoll version of the same server.

## Two rings
The submission queue holds entries that describe operations such as read, write, accept or send. The completion queue receives one entry per finished operation, tagged with the user_data value you supplied. Because both rings are mapped into the process with mmap, a busy server can submit and reap thousands of operations per io_uring_enter system call, or none at all in SQPOLL mode, where a kernel thread polls the submission queue.

## The server loop
```
struct io_uring ring;
io_uring_queue_init(4096, &ring, 0);
add_accept(&ring, listen_fd);
for (;;) {
    io_uring_submit_and_wait(&ring, 1);
    unsigned head, count = 0;
    struct io_uring_cqe *cqe;
    io_uring_for_each_cqe(&ring, head, cqe) {
        handle(io_uring_cqe_get_data(cqe), cqe->res);
        count++;
    }
    io_uring_cq_advance(&ring, count);
}
```

Each connection is a small state machine: ACCEPT, READ_REQUEST, OPEN_FILE, SPLICE to the socket, CLOSE. We use multishot accept, available since kernel 5.19, so a single submission keeps producing new connections.

## Benchmark
On an 8-core machine serving 4 KB files to wrk with 512 connections:
- epoll with read and write calls: 182,000 requests per second
- io_uring in default mode: 241,000 requests per second
- io_uring with SQPOLL and registered buffers: 268,000 requests per second

## Gotchas
1. Check cqe->res for negative errno values; there is no errno variable.
2. Short reads happen; resubmit with an updated offset.
3. Many container runtimes block io_uring through seccomp because it has had a series of privilege-escalation bugs, so check before you deploy.
""",
  comments=[
      C("kernel_kim", """Worth noting Google disabled io_uring on production servers and ChromeOS back in 2023 because of the bug bounty numbers. The performance is real but so is the attack surface."""),
      C("ringbuf_rui", """Author: the code is about 400 lines because I skipped HTTP parsing beyond the request line. A real server needs a proper parser; I used picohttpparser in a later version."""),
  ])

S("rust_schedext", "rust-systems", "A tour of the Linux kernel's sched_ext schedulers", "tux_tamsin",
  url="https://www.kernelchronicle.net/articles/sched-ext-tour", fetch="timeout",
  comments=[
      C("bpf_benedikt", """Site seems to be hugged to death. Short version: sched_ext (merged in 6.12) lets you write a CPU scheduler as a BPF program and load it at runtime. If it misbehaves or stalls a task for 30 seconds, the kernel kicks it out and falls back to the default scheduler.""",
        C("gamer_gwen", """scx_lavd is the one people use on the Steam Deck style handhelds: it tries to detect latency-critical tasks (the game's render thread) and boosts them. Noticeably smoother 1% lows for me.""",
          C("bpf_benedikt", """And scx_rusty splits the scheduling policy: the hot path is in BPF, load balancing runs in userspace Rust. That split is the clever bit of the whole framework."""))),
  ])

S("rust_ask", "rust-systems", "Ask HN: Is it worth learning Rust for embedded work in 2026?", "c_firmware_fe",
  text="""I'm a firmware engineer with about eight years of C on STM32 and nRF52 parts. Our team is starting a new product (a battery-powered soil moisture sensor, LoRaWAN, nRF52840) and a colleague wants to write it in Rust with Embassy.

My worries: vendor HALs and BLE stacks are C-first, certification tooling assumes C, and hiring.

For those who shipped Rust firmware: how did the async executor compare with FreeRTOS, what did binary size look like, and would you do it again?""",
  comments=[
      C("embassy_eli", """We shipped two products on nRF52840 with Embassy, so here is a long answer.

Executor vs FreeRTOS: Embassy's executor is cooperative and statically allocated. Each task is an async fn whose state machine size is known at compile time, so there are no per-task stacks to size by guesswork. On our sensor node we went from 7 FreeRTOS tasks with hand-tuned stacks (about 9 KB of RAM) to 9 Embassy tasks using about 3 KB. The trade-off is that a task which never awaits starves everyone else; we had one bug where a CRC loop over a 64 KB flash region blocked the radio for 40 ms. In FreeRTOS preemption would have hidden it.

Power: the executor puts the chip into WFE sleep whenever no task is ready, and the embassy-nrf time driver uses the RTC, so idle current was 2.1 uA, basically the same as our tuned C build.

Binary size: our release build with opt-level "z", LTO and panic = "abort" was 88 KB of flash versus 71 KB for the C version. Most of the difference was core::fmt; using the defmt crate for logging instead of formatted strings won back about 11 KB.

BLE: we used nrf-softdevice, which wraps Nordic's binary SoftDevice. That worked but it is a C blob behind an unsafe boundary, so do not expect a pure-Rust stack. For LoRaWAN we used the lorawan-device crate with an SX1262 and it was fine.

Certification: radio certification does not care about the language; it tests the device. Functional safety (IEC 61508 and friends) is a different story, but a soil moisture sensor probably isn't in scope. Ferrocene exists now if you ever need a qualified compiler.

Hiring: honestly the weakest point. We trained two C engineers; it took each of them about three months to be productive and both say they would not go back.

Would I do it again? Yes, mostly because of the type-state HAL APIs: a pin configured as an input simply has no set_high method, and a whole class of bring-up bugs disappeared.""",
        C("c_firmware_fe", """This is incredibly useful, thank you. The 88 KB vs 71 KB figure is reassuring; we have 1 MB of flash so it is a non-issue.""",
          C("embassy_eli", """One more tip: start with probe-rs and defmt-rtt from day one. The debugging workflow is better than anything I had with vendor IDEs."""))),
      C("grumpy_greybeard", """Counterpoint: your product will outlive the hype. If your team is all C people, write it in C, use static analysis and MISRA, and ship. Rust is fine, changing languages mid-career of a team is the risk."""),
  ])

# =====================================================================================
# Topic 3: space exploration
# =====================================================================================

S("space_clipper", "space", "How Europa Clipper's ice-penetrating radar will measure the ice shell", "orbit_olu",
  url="https://www.deepspace-dispatch.com/2026/11/europa-clipper-reason-radar", tpl="B", site="Deep Space Dispatch",
  article="""
When Europa Clipper reaches Jupiter in 2030 it will fly past Europa about 50 times, dipping as low as 25 kilometres above the surface. On every pass one instrument will try to answer the mission's central question more directly than any other: how thick is the ice, and is there liquid water inside it? That instrument is REASON, the Radar for Europa Assessment and Sounding: Ocean to Near-surface.

## Two frequencies, two jobs
REASON transmits at two frequencies. The 9 MHz high-frequency band penetrates deepest, potentially through 30 kilometres of cold, clean ice, and is meant to find the boundary between the ice shell and the ocean below. The 60 MHz very-high-frequency band has finer vertical resolution, roughly 10 metres, and maps the upper few kilometres, where scientists hope to find pockets of briny water perched inside the shell.

## Reading the echoes
A radar pulse reflects wherever the electrical properties of the material change. Pure ice is nearly transparent at these frequencies, while liquid water, especially salty water, is a strong reflector. The team will look for:
- bright, flat reflectors that would mark a water layer or the ocean interface
- the rate at which the signal fades with depth, which reveals the temperature and salt content of the ice
- rough or scattered returns near chaos terrain, where the shell may have melted and refrozen

## The Jupiter noise problem
Jupiter is itself a powerful radio source at decametre wavelengths. On the side of Europa facing Jupiter the 9 MHz band is swamped, so the deepest soundings are planned for the anti-Jovian hemisphere, where the moon shields the antenna.

## What the numbers could show
Current models put the shell anywhere from under 10 to more than 30 kilometres thick. A thin shell would make exchange between the surface and the ocean far more likely, which matters for habitability: oxidants produced by radiation at the surface would need a path down to the water. REASON's long high-frequency dipoles, each about 17.6 metres long, fold against the spacecraft and deploy after launch, along with the very-high-frequency antennas mounted on the solar arrays.
""",
  comments=[
      C("icy_moons", """The plan to sound the anti-Jovian side to dodge Jupiter's radio noise is such a neat constraint. Same thing MARSIS and SHARAD had to deal with on Mars, just with the Sun instead of a gas giant."""),
      C("orbit_olu", """Submitter here. Mission timeline, since people asked: launched October 2024, Mars flyby March 2025, Earth flyby December 2026, Jupiter arrival April 2030."""),
  ])

S("space_gateway", "space", "How the lunar Gateway's power and propulsion element works", "hall_thruster_hana",
  url="https://spaceflight-explainers.org/gateway-power-propulsion-element", tpl="A", site="Spaceflight Explainers",
  article="""
The Power and Propulsion Element is the first module of the planned lunar Gateway station, and it is unusual among crewed-program hardware because it moves with electricity instead of chemistry. It uses solar electric propulsion to keep the station in its lunar orbit for years on a few tonnes of xenon.

## Sixty kilowatts of solar power
Two large roll-out solar arrays give the element about 60 kW of electrical power, several times what a typical communications satellite carries. Most of that power feeds the thrusters; the rest supplies the attached habitation module and communications.

## Hall thrusters
A Hall thruster ionizes xenon gas and accelerates the ions through an electric field, reaching exhaust speeds of around 20 kilometres per second, roughly five times faster than the best chemical engines. The thrust is tiny, a fraction of a newton per thruster, but it can run for thousands of hours.
- Three 12 kW advanced electric propulsion thrusters provide most of the thrust
- Four smaller 6 kW class thrusters add redundancy and attitude control
- Xenon capacity is about 2,000 to 2,500 kilograms, enough for 15 years of orbit maintenance

## Near-rectilinear halo orbit
Gateway will fly a near-rectilinear halo orbit, a long, stretched path that passes about 3,000 kilometres above the lunar north pole and swings out to about 70,000 kilometres over the south pole, once every 6.5 days. The orbit is nearly stable, so keeping it costs only a few metres per second of velocity change per year, which is exactly the kind of gentle, continuous job electric propulsion is suited for. It also keeps the station in almost constant view of Earth, avoiding communication blackouts behind the Moon.

## Why not chemical propulsion
A chemical system delivering the same total impulse would need roughly ten times more propellant mass. Since every kilogram delivered to lunar orbit is expensive, the higher efficiency of Hall thrusters pays for their low thrust many times over.

## Launch plans
The element is to launch together with the Habitation and Logistics Outpost on a single heavy-lift rocket and then spiral out to lunar orbit under its own electric power, a trip of about a year.
""",
  comments=[
      C("delta_v_dan", """Spiralling out for a year under electric propulsion also means a long time in the Van Allen belts. Radiation-hardening the solar arrays for that is not trivial."""),
      C("hall_thruster_hana", """The 20 km/s exhaust velocity figure is the key number here. That's an Isp around 2,000 s versus ~450 s for a hydrogen/oxygen engine."""),
  ])

S("space_amateur", "space", "Amateur radio astronomers recover the beacon of a satellite lost since 1974", "sdr_sabine",
  url="https://www.southernskies-radio.org.au/news/aurora-w2-beacon-recovered", tpl="D", site="Southern Skies Radio Club",
  article="""
On the night of 3 November 2026, members of the Southern Skies Radio Club in Hobart, Tasmania, decoded a faint telemetry beacon from Aurora-W2, an experimental weather satellite that stopped answering ground controllers in 1974. The solar panels of the 52-year-old spacecraft are apparently still producing enough power, at least in full sunlight, to key its 136.9 MHz transmitter.

## How the signal was found
Club member Rowan Tait had been scanning old satellite frequencies with a software-defined radio and a 12-element Yagi antenna on an az-el rotator. The signal appeared as a weak carrier drifting by about 3 kHz across the pass, exactly the Doppler shift expected for an object in the satellite's catalogued orbit. Matching the drift curve against published two-line orbital elements narrowed the candidates to a single object.

## Decoding the telemetry
The beacon uses a 1970s scheme: frequency-shift keying at 100 baud, carrying 60-word frames of 8-bit sensor readings. The club wrote a GNU Radio flowgraph to demodulate it and a small Python decoder that matched the frame sync word described in a 1972 technical memo found in a university library.
1. Record the pass at 48 kHz complex samples.
2. Correct Doppler using the predicted range rate.
3. Demodulate the FSK and search for the sync word.
4. Split frames into channels and compare with the memo's channel list.

## What the satellite says
Four channels still produce plausible values: two panel temperatures that swing between minus 40 and plus 35 degrees Celsius as the satellite tumbles, a bus voltage around 13.1 volts in sunlight, and a counter that increments every frame. The tumble period, measured from panel temperature cycles and signal fading, is about 7.4 minutes.

## Why it matters
Zombie satellites like this are a reminder that old hardware can stay partly alive for decades. The club has shared its recordings and decoder so other stations can help track the tumble rate, and it has asked the spacecraft's original operators for any remaining documentation.
""",
  comments=[
      C("ham_hugo", """Love this. For anyone wanting to try: an RTL-SDR dongle, a cheap handheld Yagi and SatDump will get you NOAA APT images in an afternoon. Zombie sats are the advanced level.""",
        C("sdr_sabine", """Submitter and club member here. The 12-element Yagi matters: with a 3-element handheld we could not pull the carrier out of the noise at all."""),
        C("ham_hugo", """Makes sense, it's ~10 dB of gain difference. Did you try coherent integration over multiple passes?""",
          C("sdr_sabine", """Yes, stacking five passes was how we confirmed the sync word before we could decode a single frame live."""))),
  ])

S("space_heatshield", "space", "Reusable second stages: the heat shield problem explained", "reentry_rosa",
  url="https://papers.orbitalworks-institute.org/reusable-upper-stage-tps.pdf", fetch="pdf",
  comments=[
      C("tps_theo", """It's a PDF, so here's the summary: an upper stage comes back from orbital velocity, ~7.8 km/s, compared with ~2 km/s for a booster. Heating scales roughly with velocity cubed, so the second stage sees an order of magnitude more heat load and needs a real thermal protection system, which eats directly into payload because every kilogram of shield is a kilogram less to orbit."""),
      C("reentry_rosa", """Exactly. The paper estimates a 1:1 trade: 1 kg of tile or ablator costs about 1 kg of payload on the upper stage, whereas on a booster it is more like 1 kg per 10 kg of structure.""",
        C("tps_theo", """Which is why the hexagonal ceramic tile approach is so interesting: if the tiles are reusable without refurbishment, the payload hit is paid once per design, not per flight.""")),
  ])

S("space_ingenuity", "space", "What Ingenuity's 72 flights taught Mars helicopter designers", "rotorcraft_rai",
  url="https://aerolab-journal.net/mars/ingenuity-lessons", tpl="C", site="Aerolab Journal",
  article="""
Ingenuity was supposed to fly five times in 30 days. It flew 72 times over nearly three years, covering about 17 kilometres and more than two hours of total flight time, before a damaged rotor blade ended the mission in January 2024. Engineers designing the next generation of Mars rotorcraft have been mining that record for lessons.

## Flying in thin air
Mars' atmosphere has about one percent of Earth's density at sea level. To generate lift, Ingenuity's two coaxial, counter-rotating rotors, each 1.2 metres across, spun at around 2,400 to 2,700 revolutions per minute, about five times faster than a typical helicopter rotor. The whole vehicle weighed only 1.8 kilograms on Earth.

## Off-the-shelf electronics survived
The flight computer used a Qualcomm Snapdragon 801 smartphone processor, not a radiation-hardened part. It ran Linux and handled vision-based navigation at 30 frames per second. Over 72 flights it recovered from several resets without losing the vehicle, which has encouraged designers to accept commercial components for non-critical roles.

## Navigation over featureless terrain
The visual odometry assumed flat ground and needed surface texture to track. Flight 72 ended over smooth, sloping sand ripples where the algorithm lost track, and the helicopter likely landed hard, breaking its blades. Lessons:
- add a laser or radar altimeter that does not depend on texture
- plan routes over terrain with known visual features
- allow the vehicle to abort and hover when tracking confidence drops

## The dust and cold problem
Winter nights at Jezero crater dropped below minus 80 degrees Celsius, and dust on the solar panel reduced charging. In late 2022 the helicopter began browning out overnight, losing its clock each night and waking with the sun. The team adapted by rebooting into a known state every morning.

## Next generation
Concepts for the Mars Science Helicopter scale the design to about 30 kilograms with six rotors, carrying up to 5 kilograms of science instruments and flying up to 10 kilometres per sortie. Ingenuity's flight record is the evidence that makes those plans credible.
""",
  comments=[
      C("rotorcraft_rai", """The Snapdragon 801 detail still blows my mind. A 2014 phone chip doing 30 fps visual navigation on another planet."""),
      C("featureless_fred", """The terrain-texture lesson generalises: every visual odometry system I have worked with on Earth fails over snow, water and fresh sand for exactly the same reason."""),
  ])

# =====================================================================================
# Topic 4: climate & energy storage
# =====================================================================================

S("en_sodium", "energy", "Sodium-ion cells hit 175 Wh/kg in a grid storage pilot", "gridwatch_greta",
  url="https://www.storagebeat.energy/news/sodium-ion-grid-pilot-vestmark", tpl="B", site="StorageBeat",
  article="""
A 20 MWh battery built entirely from sodium-ion cells has completed its first six months of service at the Vestmark Energy substation outside Aarhus, and the utility says the cells are meeting their datasheet: 175 watt-hours per kilogram at the cell level and 92 percent round-trip efficiency at the container level.

## Why sodium
Sodium-ion cells work like lithium-ion cells, shuttling ions between two electrodes, but sodium is about a thousand times more abundant in the Earth's crust and can be extracted from ordinary salt. The cells in the pilot use a Prussian white cathode, an iron and manganese compound with no nickel or cobalt, and a hard carbon anode made from processed coconut shells. Because sodium does not alloy with aluminium, both current collectors can be aluminium foil instead of using copper on the anode side, which cuts cost and weight.

## Performance in the pilot
- Cell energy density: 175 Wh/kg, compared with about 165 Wh/kg for the lithium iron phosphate cells Vestmark uses elsewhere
- Container round-trip efficiency: 92 percent
- Capacity retained at minus 20 degrees Celsius: 90 percent, where lithium iron phosphate typically keeps around 70 percent
- Cycle life target: 6,000 full cycles to 80 percent capacity

## Safety and logistics
Sodium-ion cells can be discharged completely to zero volts for shipping and storage without damage, which removes a major fire risk during transport. In nail-penetration tests run by the supplier, cells reached a maximum of 190 degrees Celsius without thermal runaway.

## The catch
Volumetric energy density is still about 20 percent lower than lithium iron phosphate, so the sodium containers take more land for the same energy. For grid sites that is usually acceptable; for cars it is harder. Supply chains are also young: the pilot's cells came from a single factory, and prices are only competitive at volumes that do not yet exist.

## What happens next
Vestmark plans a 200 MWh second phase in 2028 if the cells keep their capacity through the first winter. The utility is publishing monthly degradation data, with the first 180 days showing 1.1 percent capacity fade.
""",
  comments=[
      C("chem_eng_chloe", """The aluminium current collector point is underappreciated. Copper foil is a surprisingly large chunk of LFP cell cost, and it's also why you can't take Li-ion to 0 V: the copper dissolves."""),
      C("gridwatch_greta", """Submitter. Note the 175 Wh/kg is at cell level; at container level it's more like 100 Wh/kg after racking, cooling and power electronics."""),
  ])

S("en_ironair", "energy", "Iron-air batteries: 100-hour storage from rust", "multiday_mo",
  url="https://longduration-notes.com/posts/iron-air-100-hour-storage", tpl="A", site="Long Duration Notes",
  article="""
Lithium-ion batteries are excellent at shifting solar energy from noon to evening, but they become uneconomic beyond about four to eight hours of storage. Iron-air batteries target a different job: delivering power for 100 hours or more, long enough to ride through several windless, overcast days.

## How rusting stores energy
An iron-air cell discharges by letting iron pellets react with oxygen from the air, forming iron oxide: rust. Charging runs the reaction backwards, using electricity to strip the oxygen off and return the oxide to metallic iron. The electrolyte is a water-based potassium hydroxide solution, which is not flammable.

## The economics
Iron is among the cheapest metals on Earth. Developers claim system costs below 20 US dollars per kilowatt-hour of storage capacity, compared with more than 150 dollars for lithium-ion systems. That difference only matters because the batteries are sized for so many hours: a 10 MW, 1,000 MWh installation is mostly iron and tanks.

## The trade-offs
| Property | Iron-air | Lithium iron phosphate |
| Duration | 100 hours | 2 to 8 hours |
| Round-trip efficiency | about 40 to 45 percent | about 88 to 92 percent |
| Energy per litre | low | high |
| Storage cost per kWh | under 20 dollars (claimed) | over 150 dollars |

Losing more than half of the energy on each cycle sounds terrible, but a multi-day battery cycles only a few dozen times per year, so efficiency matters less than the capital cost per kilowatt-hour.

## Where it fits
- Replacing gas peaker plants that run only during long cold, dark spells
- Firming wind-heavy grids through multi-day lulls
- Islanded grids and mines that must survive a week of bad weather

## Open questions
The pellets swell and change shape as they rust and un-rust, so cycle life over 20 years is not yet proven in the field. The cells also need careful water and carbon-dioxide management, since carbon dioxide from the air slowly turns the electrolyte into carbonate. The first utility-scale units began operating in 2025 and will provide the first multi-year data.
""",
  comments=[
      C("thermo_thea", """40% round trip is fine for this use case but people keep comparing it with pumped hydro (~80%). The comparison that matters is against burning gas in a peaker, which is zero round trip and a carbon bill.""",
        C("multiday_mo", """Right, and pumped hydro needs two reservoirs and a mountain. Iron-air needs a warehouse-sized building next to a substation."""),
        C("skeptical_sam", """The carbonate issue worries me more than efficiency. CO2 scrubbing on a battery that breathes air for 20 years sounds like a maintenance nightmare.""")),
  ])

S("en_heatpump", "energy", "Why heat pumps still work at -25 °C", "kelvin_kaisa",
  url="https://warmhome-engineering.se/articles/heat-pumps-at-minus-25", tpl="D", site="Warmhome Engineering",
  article="""
A persistent myth says heat pumps stop working when it gets properly cold. Field data from Sweden, Norway and Finland, where heat pumps heat more than half of detached houses, says otherwise. Modern cold-climate air-source units keep delivering heat at minus 25 degrees Celsius, and some are rated down to minus 30.

## Heat is still there at minus 25
A heat pump does not create heat; it moves it. Air at minus 25 degrees Celsius still holds plenty of thermal energy relative to absolute zero, 248 kelvin of it. The outdoor coil only needs to be colder than the air around it, so the refrigerant evaporates at perhaps minus 35 and absorbs heat from the air.

## Coefficient of performance
The coefficient of performance, or COP, is heat delivered divided by electricity used. It falls as the temperature gap grows, but stays above one:
- plus 7 degrees outside: COP around 4.5
- minus 7 degrees: COP around 2.8
- minus 15 degrees: COP around 2.2
- minus 25 degrees: COP around 1.6

Even at 1.6, every kilowatt-hour of electricity delivers 1.6 kilowatt-hours of heat, 60 percent better than resistive heating.

## The technologies that make it work
Vapour injection, also called enhanced vapour injection, feeds part of the refrigerant back into the compressor halfway through compression. That cools the compressor and raises capacity at low temperatures. Variable-speed inverter compressors let the unit run at high speed on the coldest days. And newer units use R290, propane, as refrigerant, which works well at high temperature lifts and has a global warming potential of just 3.

## Defrosting
Below about plus 5 degrees, moisture freezes on the outdoor coil. The unit periodically reverses the cycle for a few minutes to melt it, which costs roughly 5 to 10 percent of seasonal efficiency. Raising the outdoor unit 30 centimetres above the ground so meltwater can drain and snow cannot bury it matters more than most installers admit.

## Sizing for the cold snap
Size the heat pump for the design temperature of your location, for example minus 22 in Stockholm, and accept that a small electric backup heater may run for a few hours each winter.
""",
  comments=[
      C("retrofit_rob", """I've installed heat pumps in about 140 older houses in the Nordics over the last decade, so let me add the practical side, because the physics in the article is right but the failures I see are almost never about outdoor temperature.

The number one problem is emitters. A heat pump is efficient when it makes low-temperature water, say 35 to 45 degrees. Old houses often have radiators sized for an oil boiler running at 70 degrees. If you keep those radiators, the heat pump has to produce hot water at a much higher temperature on the coldest days and the COP collapses, sometimes below 2 even at a mild minus 5. The fix is boring: replace the three or four smallest radiators in the coldest rooms with larger ones or fan convectors, and the flow temperature drops by 10 to 15 degrees. That change alone often improves seasonal COP by 20 percent.

Number two is oversizing. Installers are afraid of callbacks in January, so they fit a 12 kW unit where 7 kW would do. An oversized inverter unit short-cycles in spring and autumn, which is most of the heating season, and wears the compressor. Do a proper heat loss calculation; for most 1970s houses I see 40 to 60 W per square metre at design temperature.

Number three is the weather compensation curve. Almost every unit ships with a curve that is too steep. Lower it until the house is just barely warm enough on a cold day, then leave it. People who set the room thermostat to 23 degrees and then turn it down at night waste a lot, because the heat pump then has to sprint in the morning with the electric backup heater on.

Number four is the outdoor unit placement, exactly as the article says: raised off the ground, away from roof drips that freeze into ice sheets over the coil, and not in a corner where cold air recirculates.

Get those four right and a heat pump at minus 25 is unremarkable. Get them wrong and it disappoints at zero degrees.""",
        C("kelvin_kaisa", """Author here: this comment is better than my article. The radiator point especially. May I quote it in a follow-up?""",
          C("retrofit_rob", """Of course, go ahead."""))),
      C("minnesota_matt", """Can confirm from Minnesota: -31 °C last January, our cold-climate unit kept the house at 20 °C with the backup strip heat running about 3 hours total."""),
  ])

S("en_secondlife", "energy", "Second-life EV packs as home storage: what our teardown found", "pack_builder_pete",
  url="https://garage.voltwrights.co.uk/teardown-second-life-pack", fetch="500",
  comments=[
      C("bms_bella", """Their server is throwing a 500, but I saw the video version. The pack had 71% of its original capacity, yet one module of 24 was at 58% and limited the whole string. Rebalancing or replacing that module is the whole game with second-life packs."""),
      C("insurance_ivan", """The other half of the story: try getting home insurance with a DIY second-life battery in the garage. Mine refused unless it's installed by a certified installer with a certified BMS.""",
        C("pack_builder_pete", """Yep, that's covered at the end of the article. We ended up putting it in a detached shed with a fire-rated wall.""")),
  ])

S("en_ask", "energy", "Ask HN: How do you size a home battery for a 6kW solar array?", "solar_newbie_ana",
  text="""We just got a 6 kW rooftop solar array (south-facing, 40 degrees latitude) and the installer is pushing a 20 kWh battery. Our average consumption is 18 kWh per day, mostly evenings, no EV yet.

How do you actually size a battery? Is there a rule of thumb, or do I need to look at hourly data from my meter?""",
  comments=[
      C("pv_pragmatist", """Get the hourly data, it's the only honest way. Size the battery to cover the overnight load on a typical day, not the worst day. For 18 kWh/day with most of it in the evening, the overnight part is probably 8-10 kWh. A 20 kWh battery will sit half empty most of the year.""",
        C("solar_newbie_ana", """Pulled the data: evening plus overnight averages 9.4 kWh. So ~10 kWh usable?""",
          C("pv_pragmatist", """Roughly, plus ~10% for round-trip losses and the fact that you shouldn't run it to 0%. A 10-13 kWh pack is the sweet spot."""))),
      C("winter_realist", """Also check winter: at 40° latitude a 6 kW array might make only 8-10 kWh on a December day, so in winter you won't have surplus to fill even a 10 kWh battery. Don't pay for capacity that only fills in June."""),
  ])

# =====================================================================================
# Topic 5: machine learning / LLMs
# =====================================================================================

S("ml_specdec", "machine-learning", "Speculative decoding explained with a tiny draft model", "tokens_per_sec",
  url="https://mlsystems-digest.ai/posts/speculative-decoding-tiny-draft", tpl="C", site="ML Systems Digest",
  article="""
Large language models generate text one token at a time, and each step needs a full forward pass through billions of parameters. On a GPU that step is limited by memory bandwidth, not arithmetic: reading the weights dominates, so checking five tokens costs almost the same as generating one. Speculative decoding exploits that.

## The idea
A small, fast draft model proposes the next k tokens, for example k = 5. The large target model then scores all five positions in a single forward pass. Each draft token is accepted if the target model agrees with it; at the first disagreement the target's own token is used and the rest are thrown away. In the sampling version, a token is accepted with probability min(1, p_target / p_draft), and rejected tokens are resampled from a corrected distribution, which guarantees the output has exactly the distribution of the large model.

## Our setup
We paired a 70-billion-parameter target with a 1-billion-parameter draft model from the same family, so both share a tokenizer, which is a hard requirement.

```
for step in range(max_steps):
    draft = draft_model.generate(ctx, k=5)
    logits = target_model.forward(ctx + draft)
    n_ok = accept_prefix(draft, logits, temperature=0.7)
    ctx += draft[:n_ok] + [sample(logits[n_ok])]
```

## Results
| Task | Acceptance rate | Tokens per second | Speed-up |
| Code completion | 0.81 | 74 | 2.9x |
| Chat | 0.64 | 52 | 2.1x |
| Translation | 0.58 | 47 | 1.9x |
| Baseline, no draft | not applicable | 25 | 1.0x |

Code gets the biggest gain because it is predictable: closing brackets, repeated variable names and boilerplate are easy for a small model to guess.

## Tuning k
- A larger k helps only when the acceptance rate is high; at 0.6 acceptance the expected accepted run is short and long drafts waste work.
- Batch size matters: at large batch sizes the GPU becomes compute-bound and the free verification disappears.
- Variants such as self-speculation with extra prediction heads avoid a separate draft model entirely.
""",
  comments=[
      C("cuda_cora", """Good explainer. One nit: at batch size 64+ on an H100 you're mostly compute-bound and speculative decoding can make throughput *worse*. It's a latency optimisation for small batches.""",
        C("tokens_per_sec", """Author: agreed, that's the last bullet but I should have put it first. Our numbers are batch size 1 interactive latency.""")),
      C("lossless_larry", """The part people miss is that it's lossless: with the min(1, p/q) acceptance rule you provably sample from the target distribution. It's not an approximation like quantization."""),
  ])

S("ml_finetune", "machine-learning", "We fine-tuned a 7B model on support tickets and regretted it", "helpdesk_hamid",
  url="https://blog.ticketly-support.com/engineering/fine-tuning-regrets", tpl="A", site="Ticketly Engineering",
  article="""
In spring 2026 we fine-tuned an open 7-billion-parameter model on 180,000 resolved support tickets, hoping it would draft replies in our tone and with our product knowledge. Three months later we switched it off and went back to a general model with retrieval. This is what went wrong.

## What we did
We used LoRA with rank 16 on all attention projections, trained for three epochs on pairs of customer message and agent reply, and served the merged model on two L4 GPUs. Offline, the model looked great: BLEU against real agent replies rose from 0.12 to 0.31.

## Problem one: it learned our old product
Tickets are a record of the past. About 30 percent of the training replies described features, prices or menus that had since changed. The model confidently told customers to click a Settings tab that had been removed in January. Fine-tuning baked those facts into the weights, and there was no simple way to update them short of retraining.

## Problem two: it learned our worst habits
Agents under pressure write short replies that close tickets: "Please clear your cache and try again." The model reproduced that reply for 11 percent of all incoming tickets, including ones about billing.

## Problem three: evaluation lied
BLEU rewards sounding like past replies, not solving the problem. When we finally had agents grade 500 drafts blind, only 41 percent were usable without edits, against 58 percent for a general model given the top five help-centre articles from retrieval.

## What we do now
- A general instruction-tuned model, unchanged
- Retrieval over the current help centre and the last 90 days of resolved tickets, re-indexed nightly
- A short style guide in the system prompt instead of style learned from data
- Human grading of 200 drafts per week as the main metric

## When fine-tuning does make sense
Fine-tuning is good at form: output formats, classification labels, tone. It is a poor way to teach facts that change. If your knowledge has a shelf life, keep it in an index you can update, not in the weights.
""",
  comments=[
      C("rag_realist", """This matches our experience almost exactly, but I want to push back a little on the conclusion, because I think "fine-tuning bad, RAG good" is the wrong lesson and people will take it away from this post.

We run support automation for a mid-sized SaaS company. We also tried fine-tuning a 7B model on tickets in 2025 and hit the same three problems: stale facts, learned laziness, and a misleading offline metric. But when we dug into it, all three were data problems, not fine-tuning problems.

Stale facts: we filtered the training set to tickets whose referenced help-centre articles still existed and had not been edited since the ticket closed. That removed 38 percent of the data, and the model stopped recommending removed menus. You could argue that is just retrieval with extra steps, and that is fair, but the remaining set was still useful for teaching the model how our product is structured.

Learned laziness: we scored replies by outcome, not by presence. A reply only went into the training set if the customer did not reopen the ticket within 14 days and gave a satisfaction rating of 4 or 5. The one-line "clear your cache" replies almost all failed that filter, because customers reopened them.

Metric: we never used BLEU. We had a grading rubric with four questions (correct, complete, safe, on-brand) and had two agents grade every draft in a weekly sample of 300. That was expensive, but it is the only metric we trusted.

Where we ended up is a hybrid: a small LoRA adapter that teaches format and tone, trained only on filtered high-outcome tickets, plus retrieval for every fact. The adapter is retrained monthly, which takes about 40 minutes on one GPU. Usable-without-edit rate is 66 percent, against 57 percent for the general model with the same retrieval.

So: fine-tuning for form, retrieval for facts, and most of the work is curating data by outcome. The article's final section says the first part; I would add the second.""",
        C("helpdesk_hamid", """Author here. The outcome-based filtering is a great idea and we never tried it. Reopen-within-14-days is such a cheap signal, too.""")),
      C("bleu_hater", """BLEU for generation quality in 2026. I'm not even surprised any more."""),
  ])

S("ml_int8", "machine-learning", "Quantizing embeddings to int8 with almost no recall loss", "vector_vik",
  url="https://www.vectorcraft.dev/blog/int8-embedding-quantization", tpl="B", site="Vectorcraft Blog",
  article="""
A float32 embedding of 768 dimensions takes 3 KB. At 100 million documents that is 307 GB of vectors before any index overhead, which is why quantization is usually the first thing to try when a vector search bill gets out of hand. We tested scalar int8 quantization and binary quantization on three retrieval benchmarks.

## Scalar quantization to int8
For each dimension we compute the minimum and maximum value over a calibration sample of 100,000 vectors, then map that range linearly onto the 256 values of a signed 8-bit integer. Memory drops by a factor of four. Using percentiles 0.5 and 99.5 instead of the true minimum and maximum makes the mapping robust to outliers and gave noticeably better recall.

```
lo, hi = np.percentile(calib, [0.5, 99.5], axis=0)
scale = (hi - lo) / 255.0
q = np.clip(np.round((x - lo) / scale) - 128, -128, 127).astype(np.int8)
```

## Binary quantization
Binary quantization keeps only the sign of each dimension, one bit per dimension, a 32-fold reduction. Distances become Hamming distances computed with popcount instructions, which are extremely fast. Recall suffers, so we always rescore: retrieve the top 200 candidates with binary codes, then rerank them with the int8 or float32 vectors.

## Results
| Method | Memory for 10M vectors | Recall at 10 | Query latency |
| float32 | 30.7 GB | 0.962 | 14 ms |
| int8 | 7.7 GB | 0.958 | 9 ms |
| binary with int8 rescoring | 1.0 GB plus 7.7 GB on disk | 0.949 | 4 ms |
| binary, no rescoring | 1.0 GB | 0.871 | 2 ms |

Int8 lost only 0.004 recall at 10 while cutting memory by 75 percent and latency by a third, because more of the index fits in CPU cache.

## Advice
- Calibrate on a sample of your own data, not on a public dataset.
- Normalize vectors before quantizing if you use cosine similarity.
- Binary quantization works well for models with 1,024 or more dimensions and poorly for small 384-dimension models.
- Always measure recall against exact float32 search on your own queries.
""",
  comments=[
      C("minilm_mia", """The note about 384-dim models matters. We tried binary quantization with all-MiniLM-L6-v2 embeddings and recall at 10 dropped to 0.71 even with rescoring of the top 100. Int8 was fine though."""),
      C("vector_vik", """Author: thanks for the data point. With 384 bits there just isn't enough information left in the sign bits; rescoring can only fix ordering, not candidates that never made the shortlist."""),
  ])

S("ml_evals", "machine-learning", "Retrieval evals: why recall@10 lied to us", "eval_esme",
  url="https://notes.groundtruth-labs.io/retrieval-evals-recall-lied", tpl="D", site="Groundtruth Labs Notes",
  article="""
For six months our retrieval-augmented assistant had a recall at 10 of 0.93 on our evaluation set, and for six months users kept complaining that it could not find things. The metric was not wrong; our evaluation set was. Here are the four ways it misled us.

## 1. Queries written by the people who wrote the documents
Our 400 evaluation queries were written by the documentation team while looking at the documents. They reused the exact terms in the text, so lexical overlap made retrieval easy. Real user queries used different words: "money back" instead of "refund policy", "can't log in" instead of "authentication failure". When we sampled 300 real queries from logs and labelled them, recall at 10 fell to 0.71.

## 2. Only one relevant document per query
Each query was labelled with a single correct document. In reality, about a third of questions were answered equally well by two or three documents. Recall therefore punished correct answers, and we tuned the system towards the labeller's favourite page rather than towards usefulness.

## 3. Recall at 10 versus what the model reads
The generator only saw the top 4 chunks because of the context budget. A relevant document at rank 9 counted as a hit in the metric and did nothing for the answer. We now report recall at the number of chunks actually placed in the prompt, along with mean reciprocal rank.

## 4. Stale index, fresh queries
The evaluation ran against a snapshot from January. Production indexed new documents continuously and some old ones were deleted, so evaluation and reality drifted apart.

## What we changed
- Evaluation queries are sampled from production logs every month and labelled by two annotators
- Queries may have several relevant documents, with graded relevance from 0 to 3
- The headline metric is nDCG at 4, matching the prompt budget
- The evaluation index is rebuilt from production the same day the evaluation runs

Our headline number dropped from 0.93 to 0.64 overnight. It has since climbed to 0.79, and this time the complaints dropped with it.
""",
  comments=[
      C("ir_professor", """Point 1 is the oldest lesson in information retrieval: TREC used pooled, independently written topics for exactly this reason. Nice to see it rediscovered, less nice that everyone has to rediscover it."""),
      C("eval_esme", """Author: very true. We now also keep a small set of adversarial paraphrases, queries that deliberately share no keywords with the answer document."""),
  ])

S("ml_claims", "machine-learning", "New 'Hyperformer' architecture beats every LLM benchmark, paper claims", "hype_harvester",
  url="https://aibreakthrough-daily.com/hyperformer-beats-all-benchmarks", tpl="B", site="AI Breakthrough Daily",
  article="""
A preprint posted this week claims that a new architecture called the Hyperformer outperforms every published large language model on 31 benchmarks while using one tenth of the training compute. The paper, from a previously unknown lab, has been shared widely on social media, but researchers who tried to reproduce it say important details are missing.

## The claims
The authors say their 13-billion-parameter model replaces attention with a mechanism they call recursive hyper-routing, which selects a small subset of past tokens at every layer. They report:
- state-of-the-art scores on 31 of 31 benchmarks, including coding and math
- training on 400 billion tokens, about a tenth of comparable models
- a context length of 10 million tokens with constant memory

## What is missing
The preprint includes no code, no weights and no training data description beyond a single sentence. The benchmark tables list scores but not the prompts, the number of samples or the decoding settings. Several independent researchers noted that a handful of the reported scores exceed the known label-noise ceiling of the benchmarks themselves, which usually points to test data leaking into training.

## Reactions
Researchers contacted for this article were cautious. One evaluation specialist said that claims of winning everything at once, from a small model trained on little data, historically turn out to be contamination or evaluation mistakes far more often than breakthroughs. The authors have promised to release code next month.

## How to read claims like this
1. Look for released weights or at least an API that others can test.
2. Check whether the benchmarks are contamination-resistant or recently created.
3. Wait for independent replication before believing an order-of-magnitude efficiency gain.
""",
  comments=[
      C("contamination_cat", """Scores above the label-noise ceiling is about as clear a contamination signal as you can get. Flagging this."""),
      C("hype_harvester", """Fair enough, I submitted it because everyone on my feed was sharing it. Will delete if it turns out to be nothing."""),
  ])

# =====================================================================================
# Topic 6: cooking & food science
# =====================================================================================

S("ck_maillard", "cooking", "The Maillard reaction, explained by a pastry chef", "sucre_et_sel",
  url="https://www.patisserie-brunot.fr/journal/reaction-de-maillard-pour-patissiers", tpl="D", charset="iso-8859-1",
  site="Pâtisserie Brunôt, Lyon", page_title="The Maillard reaction, explained by a pastry chef",
  article="""
Hélène Marchetti has run the kitchen at Pâtisserie Brunôt in Lyon for eighteen years, and she says the most important technique in her pastry kitchen is one most bakers never name: the Maillard reaction, the browning that happens when amino acids from proteins react with reducing sugars under heat. It is why a croissant crust tastes of toast and butter rather than just of flour.

## Browning is not caramelisation
Caramelisation is sugar alone breaking down, and table sugar only starts to caramelise at around 160 °C. The Maillard reaction needs both a sugar and an amino acid, starts noticeably around 120 to 140 °C, and produces hundreds of aroma compounds, including the pyrazines that smell roasted and nutty. The crust of a crème brûlée is caramel; the colour of a pâte à choux shell is mostly Maillard.

## The chef's four levers
- Temperature: the surface must be dry and hot, which is why choux pastry bakes at 200 °C before the oven is lowered to 170 °C.
- Water: the reaction barely happens while the surface is wet, because evaporation pins the temperature near 100 °C.
- pH: a slightly alkaline surface browns much faster. Marchetti brushes pretzel-style brioche knots with a weak baking-soda solution.
- Sugar type: glucose and fructose are reducing sugars and brown quickly; sucrose must first split into them.

## Beurre noisette
Brown butter, or beurre noisette, is Maillard chemistry in a pan: the milk solids, which contain both proteins and lactose, brown at the bottom while the butterfat stays clear. Marchetti adds 5 per cent milk powder to the butter before browning it, which gives more solids to brown and a deeper hazelnut flavour for her financiers.

## The egg wash test
In the kitchen she demonstrates with three egg washes on identical pastries: whole egg, yolk with a pinch of salt, and yolk with cream. The yolk and cream version browns darkest, because it adds both protein and lactose to the surface. The whole-egg wash gives a lighter, shinier colour suitable for a tarte Tatin lid.

## Too much of a good thing
Browning past deep amber turns flavours bitter and produces acrylamide in starchy foods. Marchetti pulls her tarts when the edges reach the colour of café au lait, not of espresso.
""",
  comments=[
      C("food_chemist_fay", """Nice piece. The baking soda trick is the same reason pretzels are dipped in lye: raising surface pH speeds Maillard browning dramatically. Lye is much stronger, hence the deep mahogany colour."""),
      C("home_baker_hugo", """Tried the milk powder in brown butter trick after reading this. Huge difference, it smells like roasted hazelnuts. Two tablespoons per 250 g of butter."""),
  ])

S("ck_resting", "cooking", "Why resting steak is mostly a myth", "thermo_probe_tess",
  url="https://www.kitchen-physics.net/resting-steak-myth-tested", tpl="C", site="Kitchen Physics",
  article="""
Almost every recipe tells you to rest a steak for five to ten minutes after cooking, so the juices can redistribute. We cooked 48 ribeye steaks, each 3 centimetres thick, weighed them before and after, and measured how much liquid ended up on the board depending on how long they rested.

## The experiment
Half of the steaks were seared in a cast-iron pan to an internal temperature of 52 degrees Celsius and the other half were cooked sous vide at 54 degrees and then seared for 45 seconds per side. Each group was split into four rest times: zero, two, five and ten minutes. We sliced every steak into 1 centimetre strips on a pre-weighed board and weighed the liquid released.

## Results
| Rest time | Pan-seared juice loss | Sous vide juice loss |
| 0 minutes | 3.1 percent | 1.2 percent |
| 2 minutes | 2.4 percent | 1.1 percent |
| 5 minutes | 2.0 percent | 1.1 percent |
| 10 minutes | 1.8 percent | 1.0 percent |

Resting did reduce juice loss for pan-seared steak, but the difference between no rest and ten minutes was about 1.3 percent of the steak's weight, roughly 5 grams on a 400 gram ribeye. Blind tasters could not tell the rested and unrested steaks apart for juiciness.

## What is really going on
The popular explanation, that the juices are pushed to the centre by heat and flow back out, is mostly wrong. Meat fibres contract when heated and squeeze out water regardless. What resting does is let the outer layers cool slightly, which makes the remaining juice a little more viscous as dissolved gelatin and proteins thicken it. Meanwhile the steak keeps cooking: carryover raised the centre by 3 to 5 degrees in the pan-seared steaks.

## Practical advice
- Rest if you like, but account for carryover: pull the steak 4 degrees early.
- Sous vide steaks do not need resting because their temperature gradient is almost flat.
- Resting ruins the crust as steam softens it; if you rest, do it on a rack, not on a plate.
- Pour the board juices back over the sliced steak, which recovers most of what was lost.
""",
  comments=[
      C("chef_on_the_line", """In a restaurant we rest steaks mostly for timing, not juice. It lets the grill cook ahead and plate the whole table together."""),
      C("thermo_probe_tess", """Author: the carryover numbers surprised me most. 5 degrees is the difference between medium-rare and medium.""",
        C("sous_vide_sven", """Which is the best argument for sous vide plus a hard sear: no gradient, no carryover, no resting debate.""")),
  ])

S("ck_sourdough", "cooking", "Sourdough starter microbiology: what's actually living in the jar", "levain_lars",
  url="https://fermentation-field-notes.org/sourdough-starter-microbiology", tpl="A", site="Fermentation Field Notes",
  article="""
A sourdough starter is flour and water, but after a week of feeding it becomes a stable community of wild yeasts and lactic acid bacteria. Sequencing studies of hundreds of starters from bakers around the world have shown what lives in the jar and why each starter tastes slightly different.

## The bacteria do most of the work
Lactic acid bacteria outnumber yeasts by roughly 100 to 1. The most common species is Fructilactobacillus sanfranciscensis, named after the San Francisco bakeries where it was first described, though it turns up on every continent. These bacteria produce lactic acid, which gives a mild, yoghurt-like sourness, and acetic acid, which tastes sharper, like vinegar.

## The yeasts make it rise
The dominant yeast is often Kazachstania humilis or Saccharomyces cerevisiae, the same species as baker's yeast. Yeast ferments sugars into carbon dioxide and ethanol; the gas is trapped by gluten and leavens the bread. K. humilis cannot use maltose, the main sugar released from flour starch, which leaves maltose for the bacteria. The two avoid competing, one reason the community is so stable.

## Controlling flavour
- Temperature: warm fermentation around 30 degrees Celsius favours lactic acid and a milder bread; cool fermentation around 20 degrees gives relatively more acetic acid and more sourness.
- Hydration: a stiff starter at 50 to 60 percent hydration produces more acetic acid than a liquid one at 100 percent.
- Flour: whole grain and rye flours carry more microbes and more nutrients, so starters made with them ferment faster.
- Feeding ratio: feeding 1 part starter to 5 parts flour and 5 parts water dilutes the acid and gives the yeast a head start.

## Where the microbes come from
Most of the microbes arrive with the flour itself. A 2021 study found that bakers' hands also carry starter bacteria, suggesting a two-way exchange between baker and jar. Starters made by different people from the same bag of flour still ended up with measurably different communities.

## Starting and rescuing a starter
A new starter often bubbles vigorously on day two and then goes quiet. That early rise comes from bacteria like Leuconostoc that die off as the acidity rises; keep feeding daily and the real community takes over within a week. A neglected starter with grey liquid on top, called hooch, is usually fine: pour off the liquid and feed it twice.
""",
  comments=[
      C("microbe_maya", """The maltose detail is my favourite bit of food microbiology: the yeast and the bacteria effectively divide the food supply. Makes the starter a textbook example of a stable mutualism."""),
      C("levain_lars", """Submitter: I keep mine at 60% hydration in the fridge and it gets noticeably more sour over a week, exactly as described.""",
        C("rye_rita", """Try switching the feed to 20% rye. Faster rise and a more complex sourness without it getting vinegary.""")),
  ])

S("ck_showhn", "cooking", "Show HN: I built a smoker thermometer logger with an ESP32", "brisket_bytes",
  text="""I smoke a lot of brisket and got tired of waking up at 3am to check the temperature, so I built a logger: an ESP32, two MAX31855 thermocouple amplifiers (one probe in the meat, one at grate level) and a tiny web UI served from the chip. It posts readings every 10 seconds over MQTT to a Raspberry Pi running InfluxDB and Grafana.

The fun part was detecting the stall: when the brisket sits at ~70 °C for hours because of evaporative cooling, the logger notices the slope dropping below 0.5 °C/hour and texts me to wrap it in butcher paper. Parts cost about 35 dollars. Code and wiring diagram are at https://brisket-bytes.dev/smoker-logger""",
  comments=[
      C("pitmaster_paulo", """The stall detector is genius. Most people panic at the stall and crank the heat. A slope threshold is exactly how I'd describe what an experienced pitmaster is watching for."""),
      C("embedded_emma", """Nice build. Watch out for the MAX31855 and grounded thermocouple probes: if the probe tip touches the grill body you'll get garbage readings or a short-to-GND fault. Ungrounded probes fixed it for me.""",
        C("brisket_bytes", """Yes! I hit exactly that on the first cook. The fault bit in the MAX31855 register is your friend:

```
uint32_t v = read_max31855();
if (v & 0x7) { report_fault(v & 0x7); }  // OC, SCG, SCV bits
```""")),
  ])

S("ck_brine", "cooking", "Salt timing: brining vs dry-brining chicken, tested on 60 birds", "poultry_prof",
  url="https://www.saltandsmoke-lab.com/dry-brine-vs-wet-brine-60-chickens", fetch="missing",
  comments=[
      C("crispy_skin_kai", """Their results: wet-brined birds gained about 6% weight in water and tasted juicier in the breast, but the skin was leathery. Dry-brined birds (1% salt by weight, 24 h uncovered in the fridge) had the crispiest skin and were rated best overall by the tasting panel."""),
      C("poultry_prof", """Submitter. The key mechanism: salt dissolves some myosin, so the muscle holds more water during cooking. Dry brining gets that effect without adding water to the skin.""",
        C("crispy_skin_kai", """And leaving the bird uncovered in the fridge dries the skin. That's half the crispiness right there.""")),
  ])

# =====================================================================================
# Topic 7: security & cryptography
# =====================================================================================

S("sec_pqtls", "security", "Post-quantum TLS: what ML-KEM hybrid handshakes cost in practice", "lattice_lena",
  url="https://netsec-measurements.com/posts/ml-kem-hybrid-handshake-cost", tpl="B", site="NetSec Measurements",
  article="""
Browsers and large content delivery networks now negotiate a hybrid post-quantum key exchange by default. The hybrid, called X25519MLKEM768, combines classic elliptic-curve Diffie-Hellman with ML-KEM-768, the lattice-based key encapsulation mechanism standardized by NIST as FIPS 203 in 2024. We measured what it costs across 2 million TLS 1.3 handshakes to our own servers.

## Why hybrid
Harvest-now, decrypt-later attacks record encrypted traffic today and wait for a quantum computer capable of breaking elliptic curves. A hybrid key exchange derives the session key from both X25519 and ML-KEM, so an attacker must break both. If a flaw is found in the young lattice scheme, X25519 still protects the session.

## Bigger messages
The client's ML-KEM-768 encapsulation key is 1,184 bytes, and the server's ciphertext is 1,088 bytes, compared with 32 bytes each for X25519 alone. With X25519 shares included, the client key share grows to 1,216 bytes and the ClientHello to roughly 1,750 bytes, which no longer fits in a single 1,500-byte packet.

## Measurements
| Metric | X25519 only | X25519MLKEM768 |
| ClientHello size | about 520 bytes | about 1,750 bytes |
| Server CPU per handshake | 0.09 ms | 0.13 ms |
| Median handshake latency | 48 ms | 49 ms |
| 99th percentile latency | 210 ms | 236 ms |

The median barely changed. The tail grew because a two-packet ClientHello is more exposed to packet loss, and a few network paths added a full round trip.

## Middlebox trouble
About 0.06 percent of connections failed with the hybrid group but succeeded without it. Almost all of them passed through old firewalls and TLS-inspecting proxies that assumed a ClientHello fits in one packet or one TCP segment read. Clients retry without the post-quantum share, which costs a round trip but keeps sites reachable.

## Recommendations
- Enable the hybrid group on servers now; the CPU cost is negligible.
- Monitor handshake failure rates by client network, not just globally.
- Update TLS-inspecting appliances; vendors have had fixes available since 2024.
- Post-quantum signatures for certificates are a separate and harder problem: ML-DSA signatures are around 2.4 KB, and certificate chains would grow by more than 10 KB.
""",
  comments=[
      C("pki_pavel", """The signatures point at the end is the real problem. Key exchange was the easy half. Nobody wants a 15 KB certificate chain on every handshake, hence all the work on Merkle tree certificates."""),
      C("lattice_lena", """Author: 0.06% sounds small until you realise it's concentrated in a few enterprise networks, where it's 100% broken for everyone behind that proxy."""),
  ])

S("sec_passkeys", "security", "Passkeys in the enterprise: a year of rollout lessons", "iam_ingrid",
  url="https://www.identity-ops-journal.com/passkeys-enterprise-rollout-year-one", tpl="A", site="Identity Ops Journal",
  article="""
Twelve months ago our 6,500-person company began replacing passwords and SMS codes with passkeys, the FIDO2 WebAuthn credentials that are bound to a device and unlocked with a fingerprint, face or PIN. Today 84 percent of employees sign in with a passkey, phishing-driven account takeovers have dropped to zero, and help-desk password resets fell by 71 percent. It was not smooth.

## Why passkeys stop phishing
A passkey is a key pair created for one specific website. The browser will only use it on the domain it was registered for, so a convincing fake login page on a look-alike domain simply gets no credential. Unlike a one-time code, there is nothing for the user to type or read out to an attacker.

## Synced versus device-bound
Synced passkeys are stored in a platform account such as an iCloud Keychain or Google Password Manager and follow the user across devices. Device-bound passkeys live on one hardware security key or one laptop's TPM and never leave it. We chose:
- device-bound hardware keys for 400 administrators and finance staff, two keys each
- synced passkeys for everyone else, because lost-phone recovery is much easier

## What went wrong
1. Account recovery became the new weakest link. Attackers who cannot phish a passkey call the help desk instead, so we now require a video call with a manager present to re-enrol someone.
2. Shared workstations on the factory floor have no personal biometric. We issued NFC security keys for those 900 users.
3. Some older single sign-on integrations used embedded web views that did not support WebAuthn, which took three months to replace.
4. Users with both a password and a passkey kept using the password. Removing the password entirely was the step that made the phishing numbers drop.

## Metrics after a year
| Metric | Before | After |
| Phishing-driven account takeovers per quarter | 7 | 0 |
| Password reset tickets per month | 1,900 | 550 |
| Median sign-in time | 12 seconds | 4 seconds |

## Advice
Start with the administrators, make recovery the hardest part of your threat model, and set a date on which passwords are switched off.
""",
  comments=[
      C("helpdesk_hank", """Item 1 is so real. After we rolled out FIDO keys, the only successful attack we had was a vishing call to the help desk impersonating a VP whose key was 'in the car'."""),
      C("synced_skeptic", """Synced passkeys mean your security depends on the employee's personal Apple or Google account. For a company that's a strange trust boundary.""",
        C("iam_ingrid", """Author: yes, and it's a deliberate trade-off. Managed Apple IDs and enterprise attestation narrow it, but for most staff the usability win was worth it. Admins got hardware keys for exactly that reason.""")),
  ])

S("sec_npm", "security", "Anatomy of a supply-chain attack through a typosquatted npm package", "sbom_sofia",
  url="https://threatlens-research.io/reports/typosquat-fast-json-parze", tpl="C", site="Threatlens Research",
  article="""
On 14 October 2026 our scanner flagged a new npm package named fast-json-parze, one letter away from a popular parsing library. Within 36 hours it had been downloaded 2,300 times. This report walks through how it worked, who installed it and how to protect a build pipeline.

## The lure
The package copied the real library's README, version history and keywords, so it looked identical in search results. The only visible difference was the z in the name. Many downloads came from a single line in a tutorial repository where the author had made the same typo, and from automated dependency bots that copied that line.

## The payload
The malicious code ran at install time through a postinstall script declared in package.json:

```
"scripts": {
  "postinstall": "node lib/telemetry.js"
}
```

The script, obfuscated with a string-array rotation, did three things:
1. read every environment variable and looked for names containing TOKEN, KEY, SECRET or AWS
2. read the .npmrc file and the git credential store in the home directory
3. sent everything base64-encoded to an attacker-controlled webhook disguised as an analytics endpoint

Because continuous-integration runners expose deployment secrets as environment variables, the most valuable victims were build machines, not developer laptops. We identified 41 organizations whose CI pipelines installed the package.

## Timeline
| Time after publication | Event |
| 0 hours | Package published from a new account |
| 9 hours | First CI installs through a dependency bot |
| 31 hours | Our scanner flags it |
| 36 hours | npm removes the package |

## Defences
- Install with scripts disabled, npm ci --ignore-scripts, and allow-list the few packages that really need install scripts.
- Use a lockfile and review dependency diffs; the typo would have appeared as a new package name in review.
- Give CI jobs short-lived, narrowly scoped credentials through OIDC instead of long-lived secrets in environment variables.
- Block outbound network access from build steps that do not need it.
""",
  comments=[
      C("ci_hardener", """--ignore-scripts by default should be the norm. We did it two years ago; exactly three of our ~1,400 dependencies needed an allow-list entry (esbuild, sharp and a native sqlite binding)."""),
      C("dep_bot_dev", """The dependency-bot angle is scary. Bots copying a typo'd line from a tutorial means the human review step never happened."""),
      C("npm_hater_99", """This is why I only use Deno lol. npm is a dumpster fire and anyone who still uses it deserves what they get."""),
  ])

S("sec_timing", "security", "Timing side channels in string comparison, measured", "constant_time_cy",
  url="https://cryptoplumbing.dev/blog/timing-side-channel-string-compare", tpl="D", site="Crypto Plumbing",
  article="""
Every security guide says to compare secrets such as API tokens and HMAC tags in constant time. We wanted to know how exploitable a naive comparison really is over a network, so we built a deliberately vulnerable service and attacked it from another machine in the same data centre.

## Why naive comparison leaks
A typical equality check compares bytes from left to right and returns as soon as it finds a difference. If the first byte of a guess is wrong, the function returns after one comparison; if the first byte is right, it goes on to the second. The extra time per correct byte is tiny, a few nanoseconds, but an attacker who can measure it can guess a token one byte at a time instead of all at once: 16 times 256 guesses instead of 256 to the power 16.

## The experiment
The service checked a 16-byte token using a plain byte-by-byte loop in C, compiled with optimisation turned off so the loop was not vectorised. The attacker sent requests from a second host with a 0.2 millisecond round trip and recorded response times with hardware timestamps.
- Each correct byte added about 4 nanoseconds to the server's processing time
- Network jitter had a standard deviation of around 30 microseconds
- Averaging over 10,000 requests per candidate byte made the difference visible

With statistical filtering that kept only the fastest 10 percent of samples, we recovered the full token in 19 hours using 41 million requests. Over the internet, with millisecond jitter, the same attack failed within a week of trying.

## Constant-time comparison
A constant-time comparison touches every byte regardless of where the first difference is, and combines the results with bitwise OR so there is no early exit:

```
int ct_equal(const uint8_t *a, const uint8_t *b, size_t n) {
    uint8_t diff = 0;
    for (size_t i = 0; i < n; i++) diff |= a[i] ^ b[i];
    return diff == 0;
}
```

## Use the library function
Languages ship a tested version: hmac.compare_digest in Python, crypto.timingSafeEqual in Node.js, subtle.ConstantTimeCompare in Go. Prefer those, because compilers can turn a hand-written loop back into an early-exit comparison.
""",
  comments=[
      C("lan_attacker", """19 hours and 41M requests from the same datacenter is a useful calibration. Most people either think this attack is trivial or impossible; it's neither. The classic reference is Crosby & Wallach, "Opportunities and Limits of Remote Timing Attacks" (2009), which got down to ~100 ns resolution over a LAN."""),
      C("rate_limit_rex", """Also a good argument for rate limiting token checks. 41 million requests to one endpoint should have set off every alarm you have."""),
  ])

S("sec_argon2", "security", "Argon2id parameters: choosing memory and iterations for 2026 hardware", "kdf_kai",
  url="https://passwordhashing-guide.org/argon2id-parameters-2026", tpl="A", site="Password Hashing Guide",
  article="""
Argon2id won the Password Hashing Competition in 2015 and is the recommended password hashing function in RFC 9106. Its strength comes from being memory-hard: every guess an attacker makes must fill and read a large block of memory, which makes GPU and ASIC cracking rigs far less effective. But the defaults in many libraries are too weak for 2026, or so strong that a login server cannot keep up.

## The three parameters
- m, memory cost in kibibytes: how much RAM each hash uses
- t, time cost: how many passes are made over that memory
- p, parallelism: how many lanes are computed in parallel

The id variant combines data-independent memory access in the first pass, which resists side-channel attacks, with data-dependent access afterwards, which resists GPU trade-off attacks.

## Published recommendations
| Source | Memory | Iterations | Parallelism |
| RFC 9106 first choice | 2 GiB | 1 | 4 |
| RFC 9106 second choice | 64 MiB | 3 | 4 |
| OWASP minimum | 19 MiB | 2 | 1 |

The 2 GiB option is meant for dedicated hardware. Few web servers can spend 2 GiB per login when fifty people sign in at once.

## How we pick parameters
1. Decide on a time budget per hash; we use 250 milliseconds on our login servers.
2. Fix parallelism to the number of cores you can spare per login, often 1 or 2.
3. Raise memory as far as your concurrency allows, then raise t until the time budget is reached.

On a 2026 server core, 64 MiB with t = 3 and p = 1 takes about 180 ms; 128 MiB with t = 2 takes about 240 ms, which is what we chose.

```
from argon2 import PasswordHasher
ph = PasswordHasher(time_cost=2, memory_cost=131072, parallelism=1)
stored = ph.hash(password)
```

## Rehash on login
Store the parameters with each hash; the PHC string format does this automatically. When a user logs in successfully, check whether their hash uses outdated parameters and rehash it with the current ones. That way you can raise the cost every year without a forced password reset.

## Protect the server
Memory-hard hashing also makes logins a denial-of-service target. Rate-limit authentication per account and per IP, and cap the number of concurrent hash computations so that an attack cannot exhaust the server's memory.
""",
  comments=[
      C("bcrypt_bob", """Still on bcrypt cost 12 here. Is there a strong reason to migrate if we already rehash on login?""",
        C("kdf_kai", """Author: bcrypt isn't broken, but it only uses 4 KB of memory, so GPUs crack it far more efficiently than Argon2id at equal server time. With rehash-on-login the migration is cheap, so I'd do it.""")),
  ])

# =====================================================================================
# Topic 8: urban cycling
# =====================================================================================

S("cy_greenwave", "cycling", "Copenhagen's green wave: how traffic lights are timed for 20 km/h", "pedal_pernille",
  url="https://www.citycycling-review.dk/green-wave-20-kmh", tpl="B", site="City Cycling Review",
  article="""
Ride along Nørrebrogade in Copenhagen at a steady 20 kilometres per hour and you can pass more than a dozen signalised junctions without putting a foot down. The green wave, first introduced on that street in 2007, coordinates traffic signals for cyclists rather than cars, and it has spread to several of the city's busiest cycle routes.

## How the timing works
Traffic engineers offset the start of each green phase along the corridor by the time a cyclist needs to travel between junctions. With junctions 300 metres apart, a rider at 20 km/h needs 54 seconds, so each signal turns green 54 seconds after the previous one. The cycle length is fixed for the whole corridor, typically 60 to 90 seconds, so the wave repeats.
- Design speed: 20 km/h, the typical speed of commuters on ordinary bicycles
- Direction: inbound in the morning peak, outbound in the evening
- Tolerance: riders between about 18 and 22 km/h stay inside the wave

## Helping riders find the wave
Small green LED lights embedded in the kerb along some stretches glow when a rider is keeping pace with the wave and go dark when the rider is falling behind. Countdown signs before junctions show whether to speed up slightly or ease off.

## Results
City measurements on the first corridors found:
1. cycling travel time fell by about 17 percent at peak hours
2. stops per trip fell by roughly two thirds
3. bus travel times were not made worse, because buses use a separate priority system

## Why 20 km/h
Slower riders, such as children and cargo bikes, still benefit because they catch every other wave, and faster e-bike riders simply wait briefly at a red light. A design speed above 20 would have created an incentive to race, which the city wanted to avoid.

## Limitations
A green wave only works in one direction at a time on two-way streets, because the offsets cannot suit both directions unless junction spacing happens to match the cycle length. Heavy crossing traffic also limits how long the cycle-friendly phases can be. Even so, the measure is cheap: it costs signal timing work, not concrete.
""",
  comments=[
      C("traffic_eng_tom", """The one-direction-at-a-time limitation is the bit people underestimate. On a two-way grid you're choosing winners, and for cycling corridors inbound-AM/outbound-PM is the obvious choice."""),
      C("ebike_eva", """As an e-bike rider at 25 km/h I'm constantly arriving at reds early on Nørrebrogade. Slowing down to 20 feels odd but it's faster overall."""),
  ])

S("cy_ebike", "cycling", "What a year of e-bike commuting did to my car costs", "commute_colm",
  url="https://www.spokes-and-spreadsheets.ie/year-of-ebike-commuting", tpl="C", site="Spokes and Spreadsheets",
  article="""
In November 2025 I started commuting 14 kilometres each way to work in Dublin on an e-bike instead of driving. I logged every ride, every repair and every car expense for twelve months. Here are the numbers.

## The bike
A mid-drive e-bike with a 500 Wh battery, hydraulic disc brakes, mudguards, a rack and dynamo lights cost 3,100 euros. I added 380 euros of gear: waterproof jacket and trousers, panniers, a D-lock and a chain lock.

## Riding
- Commuting days ridden: 203 out of 221
- Total distance: 6,140 kilometres
- Average commute: 38 minutes by e-bike, compared with 41 minutes by car in traffic plus parking
- Days I drove because of storms or carrying things: 18

## Running costs of the bike
| Item | Cost |
| Electricity, about 9 Wh per km | 15 euros |
| Two chains and one cassette | 95 euros |
| Brake pads, four sets | 60 euros |
| Tyres, one pair | 70 euros |
| Annual service | 120 euros |
| Insurance | 140 euros |

That is 500 euros for the year, or about 8 cents per kilometre.

## Car savings
We kept the car for weekends but drove it 7,800 kilometres less than the year before. Fuel savings were about 1,050 euros, parking at work about 1,300 euros, and the lower mileage reduced the insurance premium by 90 euros. Maintenance savings are harder to measure; I estimate 200 euros for tyres and servicing.

## The bottom line
Total savings of around 2,640 euros against 500 euros of running costs means the bike and gear paid for themselves in about 20 months. The less measurable benefits matter more to me: I arrive at work awake, I have not needed a gym membership, and my resting heart rate fell from 68 to 59 beats per minute.

## What I would do differently
Buy the mudguards and proper lights first, not the fancy computer. Keep a spare inner tube and a mini-pump in the panniers. And choose a bike with a belt drive if your commute is wet, because chain wear in an Irish winter is brutal.
""",
  comments=[
      C("belt_drive_ben", """+1 on the belt drive. Gates belt with an internal hub, 9,000 km and the only maintenance has been a rear hub oil change."""),
      C("accountant_aoife", """You should include depreciation of the e-bike. Call it 25% a year on 3,100 and the payback stretches a bit, though it's still a great deal.""",
        C("commute_colm", """Author: fair point, I left it out because I plan to ride it into the ground. With 775 euros depreciation the payback is closer to two years.""")),
  ])

S("cy_protected", "cycling", "Protected intersections reduce right-hook crashes, Dutch data shows", "junction_jaap",
  url="https://verkeersveilig-onderzoek.nl/en/protected-intersections-right-hook-study", tpl="A", site="Verkeersveilig Onderzoek",
  article="""
A right-hook crash happens when a driver turning right cuts across a cyclist going straight on their right side. In trucks, where the cyclist may be in a blind spot, these crashes are often fatal. A new analysis of 112 urban junctions in the Netherlands compares junctions rebuilt with the Dutch protected-intersection layout against conventional designs.

## What a protected intersection is
In a protected intersection the cycle track does not run straight into the junction next to the car lane. Instead:
- a corner refuge island keeps cyclists physically separated until they cross
- the cycle crossing is set back about 5 metres from the car lane, so a turning driver has already begun the turn and is facing the crossing
- a forward stop line lets cyclists wait ahead of cars and be seen
- signals often give cyclists a head start of a few seconds

The setback is the key. A driver who has already turned through about 30 degrees sees cyclists in the windscreen instead of over the shoulder or in a mirror.

## The data
The study used police crash records from 2015 to 2025 and compared 56 junctions rebuilt with protected layouts against 56 matched conventional junctions with similar traffic volumes.

| Measure | Conventional | Protected |
| Right-hook crashes per junction per year | 0.41 | 0.12 |
| Crashes with serious injury | 0.09 | 0.02 |
| Cyclist conflicts observed on video per hour | 3.8 | 1.1 |

Right-hook crashes fell by about 70 percent, and serious injury crashes by more than three quarters.

## Trucks
For heavy goods vehicles the effect was largest. Video analysis showed truck drivers yielding earlier, because the set-back crossing brought cyclists into direct view through the side window rather than into the area hidden under the passenger door.

## What it costs
Rebuilding a four-arm junction with protected corners cost between 400,000 and 900,000 euros, depending on drainage and utility work. The authors point out that corner islands can be installed temporarily with kerbs and bollards for a fraction of that, which several cities have used to test the layout before pouring concrete.
""",
  comments=[
      C("nacto_nora", """The 5 metre setback is exactly what the NACTO guide recommends in the US too. The hard part here isn't the design, it's finding room for corner islands on streets with 4 m sidewalks."""),
      C("truck_driver_tim", """As a truck driver: the set-back crossing makes a huge difference. With a normal bike lane the cyclist is right under the passenger door, literally invisible."""),
  ])

S("cy_oulu", "cycling", "Winter cycling in Oulu: how bike lanes get plowed first", "snowbike_saara",
  url="https://nordic-mobility-notes.fi/oulu-winter-cycling-maintenance", tpl="D", site="Nordic Mobility Notes",
  article="""
Oulu in northern Finland has snow on the ground for about five months a year and winter temperatures that regularly fall below minus 20 degrees Celsius. Yet roughly 12 percent of trips in winter are made by bicycle, compared with about 20 percent in summer. The reason, city officials say, is maintenance: in Oulu the cycleways are cleared before most roads.

## Plowing priority
The city's maintenance contracts set response times by route class:
- main cycle routes, about 870 kilometres in total, must be plowed once snowfall reaches 3 centimetres and cleared by 7 in the morning
- secondary routes are cleared within the same day
- residential streets for cars often wait until the main roads are done

## Compacted snow instead of bare asphalt
Oulu does not try to keep cycleways down to bare asphalt. Instead crews leave a thin layer of compacted snow and roughen it, because compacted snow gives better grip than icy asphalt. When ice forms, they spread crushed stone of 2 to 6 millimetres rather than salt, which would damage bikes and create slush.

## The network
A large share of the cycle network is separated from car traffic, with more than 100 underpasses and bridges, so plows can run along the cycleways without interacting with car traffic or snowbanks thrown from the road. Schools are connected by continuous routes, and many children cycle to school all winter.

## Riders' equipment
- Studded tyres are the single most important item; many riders fit them from November to April
- Lights are essential, as daylight in December is under four hours
- Flat pedals and warm boots rather than clipless pedals
- Pogies, large mitts that fit over the handlebars, keep hands warm without thick gloves

## Lessons for other cities
A conference on winter cycling first held in Oulu in 2013 spread the message that weather is less of a barrier than poor maintenance. Cities that clear cycleways promptly keep much of their summer cycling in winter; cities that pile road snow onto bike lanes lose almost all of it.
""",
  comments=[
      C("montreal_mike", """Montreal is the opposite lesson: the REV network is great in summer, but when plows throw road snow onto the protected lanes ridership falls off a cliff."""),
      C("snowbike_saara", """Submitter, Oulu resident: the crushed stone instead of salt is underrated. Salt turns everything into brown slush and eats chains in a month."""),
  ])

S("cy_cargo", "cycling", "Cargo bikes for last-mile delivery: a city pilot's numbers", "logistics_lotte",
  url="https://urbanfreight-lab.eu/reports/cargo-bike-pilot-results", tpl="C", site="Urban Freight Lab Europe",
  article="""
For nine months in 2026 the city of Ghent replaced 14 parcel delivery vans in its central district with 30 electric cargo bikes working out of two micro-hubs, shipping containers parked in former car spaces. The pilot report, covering 412,000 parcel deliveries, is one of the most detailed public datasets on cargo-bike logistics.

## How it worked
Trucks delivered parcels to the micro-hubs at night. In the morning, riders loaded cargo bikes with boxes holding up to 250 kilograms and 1.5 cubic metres and delivered within a radius of about 2.5 kilometres. Larger parcels, about 8 percent of volume, still went by van.

## Results
| Measure | Vans, before | Cargo bikes, pilot |
| Deliveries per hour per vehicle | 19 | 23 |
| Average time to find a stop | 6.5 minutes | 0.8 minutes |
| Cost per delivery | 1.92 euros | 1.61 euros |
| Carbon dioxide per delivery | 210 grams | 18 grams |

Bikes were faster per delivery mainly because they did not need to search for a place to stop: a van in the old centre spent on average 6.5 minutes per stop looking for space or double-parking.

## What limited the bikes
- Range was not a problem; batteries were swapped at the hub at midday
- Heavy rain reduced rider productivity by about 10 percent
- Bulky items such as furniture and large appliances still required vans
- Recruiting and keeping riders was the largest operational challenge

## Safety and public space
There were 4 minor collisions involving cargo bikes in nine months and no serious injuries. Residents reported fewer vans blocking streets, and the two micro-hubs took up four parking spaces, replacing 14 vans that each occupied kerb space for much of the day.

## Next steps
Ghent plans to make the micro-hub model permanent and to require all parcel carriers in the low-traffic centre to use shared hubs by 2028. The report recommends that other cities start by finding hub locations, because without a hub close to the delivery area the cargo bike model does not work.
""",
  comments=[
      C("courier_carla", """Rider retention being the biggest challenge matches my experience as a courier. The pay per parcel needs to reflect that cargo bikes in rain are hard physical work."""),
      C("van_fleet_viktor", """The 6.5 minutes per stop searching for space is the number every city should measure. That's the hidden cost of vans in historic centres."""),
  ])

# A job posting, so the sample contains one item of type "job" too.
JOB = dict(key="job_fieldline", title="Fieldline (YC W26) is hiring a Rust engineer for grid telemetry", by="fieldline_hiring",
           text="""Fieldline builds telemetry for battery storage sites: we collect data from inverters and battery management systems over Modbus and send it to operators in real time.

We're hiring a senior Rust engineer (remote, EU time zones) to own our edge agent, which runs on 2,000 sites. Experience with tokio, embedded Linux and industrial protocols is a plus. Apply at https://fieldline-energy.com/careers/rust-edge""")

# =====================================================================================
# Later versions of items (an edit, a deletion, a comment flagged dead) and the null item
# =====================================================================================

EDITED_KEY = "en_ask"
EDIT = dict(
    title="Ask HN: How do you size a home battery for a 6 kW solar array and a heat pump?",
    text_append="""Edit: we're also installing a 7 kW air-source heat pump next spring, which our installer estimates adds about 12 kWh per day in January. Based on the replies we're going with a 13.5 kWh battery sized to the overnight load, not the 20 kWh upsell, and we'll revisit once we have a winter of heat pump data.""",
    score_bonus=87,
)
DELETED_KEY = "ml_claims"
DEAD_COMMENT_BY = "npm_hater_99"

# =====================================================================================
# Labelled retrieval queries (paraphrased, as a user would ask)
# =====================================================================================

for _q, _k in [
    ("postgres latency spikes because autovacuum falls behind on one busy table", "db_vacuum"),
    ("autovacuum scale factor 0 with a fixed dead tuple threshold per table", "db_vacuum"),
    ("index for an append-only time series table that is megabytes instead of gigabytes", "db_brin"),
    ("block range index pages_per_range trade-off and correlation", "db_brin"),
    ("abandoned logical replication slot kept WAL until the disk filled up, how to cap it", "db_slots"),
    ("background job queue in postgres without redis using row locks", "db_queue"),
    ("stop two workers from picking up the same job, visibility timeout", "db_queue"),
    ("random uuid primary keys make inserts slow and bloat the index", "db_uuid"),
    ("uuidv7 vs uuidv4 insert throughput and WAL volume", "db_uuid"),
    ("replaced a JVM logging agent with rust, memory and CPU savings", "rust_logshipper"),
    ("losing log lines during copytruncate rotation when tailing files", "rust_logshipper"),
    ("what is Pin for in async rust and why are futures self-referential", "rust_pin"),
    ("pinning a sleep future on the stack to use it in a tokio select loop", "rust_pin"),
    ("linux submission and completion ring buffers file server faster than epoll", "rust_iouring"),
    ("write a CPU scheduler as a BPF program and load it at runtime", "rust_schedext"),
    ("embassy on nrf52840 compared with freertos, flash size and idle current", "rust_ask"),
    ("should a firmware team of C programmers switch to rust for a new sensor", "rust_ask"),
    ("radar that will measure how thick Europa's ice shell is", "space_clipper"),
    ("why Jupiter's radio noise forces sounding the far side of Europa", "space_clipper"),
    ("hall thrusters and 60 kW solar arrays on the lunar station module", "space_gateway"),
    ("orbit the lunar gateway will use and how long one lap takes", "space_gateway"),
    ("hobbyists decoded telemetry from a weather satellite dead since the seventies", "space_amateur"),
    ("why is recovering a rocket upper stage so much harder than a booster", "space_heatshield"),
    ("why did the mars helicopter crash on its last flight", "space_ingenuity"),
    ("which phone processor flew on the mars helicopter", "space_ingenuity"),
    ("lithium-free battery chemistry for grid storage that works in the cold", "en_sodium"),
    ("battery that stores energy for days by rusting iron", "en_ironair"),
    ("do air source heat pumps keep working in very cold weather, COP numbers", "en_heatpump"),
    ("old radiators and high flow temperature make my heat pump inefficient", "en_heatpump"),
    ("weak module in a reused EV battery pack limits capacity", "en_secondlife"),
    ("how big a home battery with rooftop solar plus a new heat pump", "en_ask"),
    ("rule of thumb: size the battery to the overnight load not the worst day", "en_ask"),
    ("small model drafts tokens and the big model verifies them to speed up generation", "ml_specdec"),
    ("why speculative decoding stops helping at large batch sizes", "ml_specdec"),
    ("fine-tuned an LLM on old support tickets and it gave outdated answers", "ml_finetune"),
    ("only train on tickets that were not reopened and got good ratings", "ml_finetune"),
    ("compress embedding vectors to 8-bit integers without losing recall", "ml_int8"),
    ("binary quantization of vectors with rescoring, does it work for small models", "ml_int8"),
    ("our RAG eval recall was high but users still couldn't find documents", "ml_evals"),
    ("why browning happens in pastry and how it differs from caramel", "ck_maillard"),
    ("brown butter with added milk powder for financiers", "ck_maillard"),
    ("does resting a steak actually keep it juicier", "ck_resting"),
    ("how many degrees does the steak keep rising after leaving the pan", "ck_resting"),
    ("which microbes live in a sourdough starter and how to make bread more sour", "ck_sourdough"),
    ("ESP32 thermocouple logger that alerts during the brisket stall", "ck_showhn"),
    ("dry brine or wet brine for chicken with crispy skin", "ck_brine"),
    ("how much bigger and slower is a TLS handshake with post-quantum key exchange", "sec_pqtls"),
    ("firewalls breaking when the ClientHello no longer fits in one packet", "sec_pqtls"),
    ("company-wide passkey rollout, what went wrong with account recovery", "sec_passkeys"),
    ("hardware security keys for admins vs synced passkeys for staff", "sec_passkeys"),
    ("typosquatted npm package stole CI secrets through a postinstall script", "sec_npm"),
    ("is a non-constant-time token comparison exploitable over the network", "sec_timing"),
    ("what memory and iteration settings to use for argon2id in 2026", "sec_argon2"),
    ("is it worth moving password hashes from bcrypt to argon2", "sec_argon2"),
    ("traffic lights timed so cyclists at a steady speed hit only greens", "cy_greenwave"),
    ("is commuting by e-bike cheaper than driving, a year of costs", "cy_ebike"),
    ("intersection design that stops turning trucks from hitting cyclists", "cy_protected"),
    ("how a finnish city keeps bike lanes rideable in snow", "cy_oulu"),
    ("gravel instead of road salt on winter cycle paths", "cy_oulu"),
    ("replacing delivery vans with electric cargo bikes and micro-hubs, results", "cy_cargo"),
]:
    Q(_q, _k)

# =====================================================================================
# HN text formatting
# =====================================================================================

_URL_RE = re.compile(r"https://[^\s<>()]+[^\s<>().,;:]")


def _esc(s: str) -> str:
    """Escape the way the HN API does: & < > " ' and also /."""
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#x27;").replace("/", "&#x2F;"))


def _inline(s: str) -> str:
    out, pos = [], 0
    for m in _URL_RE.finditer(s):
        out.append(_inline_text(s[pos:m.start()]))
        u = _esc(m.group(0))
        out.append(f'<a href="{u}" rel="nofollow">{u}</a>')
        pos = m.end()
    out.append(_inline_text(s[pos:]))
    return "".join(out)


def _inline_text(s: str) -> str:
    return re.sub(r"\*([^*\n]+)\*", r"<i>\1</i>", _esc(s))


def hn_html(text: str) -> str:
    """Turn the tiny markup used above into HN-style HTML.

    Paragraphs are separated by blank lines (HN puts ``<p>`` before every paragraph but the
    first), fenced blocks become ``<pre><code>`` with two-space indents, ``*x*`` becomes
    ``<i>x</i>`` and bare https URLs become links.
    """
    blocks: list[str] = []
    lines = text.strip("\n").split("\n")
    i, para = 0, []

    def flush():
        if para:
            blocks.append(_inline(" ".join(x.strip() for x in para)))
            para.clear()

    while i < len(lines):
        ln = lines[i]
        if ln.strip().startswith("```"):
            flush()
            code = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                code.append("  " + lines[i])
                i += 1
            blocks.append("<pre><code>" + _esc("\n".join(code)) + "\n</code></pre>")
        elif not ln.strip():
            flush()
        else:
            para.append(ln)
        i += 1
    flush()
    return "<p>".join(blocks)


# =====================================================================================
# Article pages
# =====================================================================================

def _inline_page(s: str) -> str:
    return html.escape(s, quote=False)


def render_article_body(src: str) -> str:
    """Markdown-ish article source -> HTML (h2, p, ul, ol, pre/code, table)."""
    out: list[str] = []
    lines = src.strip("\n").split("\n")
    i = 0
    while i < len(lines):
        ln = lines[i]
        if ln.startswith("```"):
            code = []
            i += 1
            while not lines[i].startswith("```"):
                code.append(lines[i])
                i += 1
            out.append("<pre><code>" + html.escape("\n".join(code), quote=False) + "</code></pre>")
            i += 1
            continue
        if not ln.strip():
            i += 1
            continue
        block = []
        while i < len(lines) and lines[i].strip() and not lines[i].startswith("```"):
            block.append(lines[i])
            i += 1
        if block[0].startswith("## "):
            out.append(f"<h2>{_inline_page(block[0][3:])}</h2>")
            block = block[1:]
            if not block:
                continue
        if all(b.startswith("- ") for b in block):
            out.append("<ul>\n" + "\n".join(f"  <li>{_inline_page(b[2:])}</li>" for b in block) + "\n</ul>")
        elif all(re.match(r"\d+\. ", b) for b in block):
            out.append("<ol>\n" + "\n".join(f"  <li>{_inline_page(b.split('. ', 1)[1])}</li>" for b in block) + "\n</ol>")
        elif all(b.startswith("| ") for b in block):
            rows = [[c.strip() for c in b.strip().strip("|").split("|")] for b in block]
            head = "".join(f"<th>{_inline_page(c)}</th>" for c in rows[0])
            body = "\n".join("    <tr>" + "".join(f"<td>{_inline_page(c)}</td>" for c in r) + "</tr>" for r in rows[1:])
            out.append(f"<table>\n  <thead><tr>{head}</tr></thead>\n  <tbody>\n{body}\n  </tbody>\n</table>")
        else:
            out.append("<p>" + _inline_page(" ".join(block)) + "</p>")
    return "\n".join(out)


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60]


COOKIE_TEXTS = [
    "We use cookies to improve your experience and to measure traffic. By continuing to browse you accept our use of cookies.",
    "This site uses cookies for analytics and personalised content. You can change your preferences at any time.",
    "Cookies help us deliver our services. Essential cookies are always on; analytics cookies are optional.",
]


def render_page(st: dict, siblings: list[dict], pub_date: str) -> str:
    host = st["url"].split("/")[2]
    site = st["site"] or host
    title = st["page_title"] or st["title"].replace("Show HN: ", "")
    body = render_article_body(st["article"])
    related = "\n".join(
        f'      <li><a href="https://{host}/{_slug(s["title"])}">{html.escape(s["title"])}</a></li>'
        for s in siblings[:3])
    year = "2026"
    charset = st["charset"]
    tpl = st["tpl"]
    esc_site = html.escape(site)
    esc_title = html.escape(title)
    if tpl == "A":  # developer blog: top nav, cookie banner, right sidebar
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="{charset}">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{esc_title} | {esc_site}</title>
  <link rel="stylesheet" href="/assets/main.css">
  <script async src="/assets/analytics.js"></script>
</head>
<body>
  <div class="cookie-banner" id="cookie-consent">
    <p>{COOKIE_TEXTS[0]}</p>
    <button class="accept">Accept all</button> <button class="reject">Only essential</button>
  </div>
  <header class="site-header">
    <a class="logo" href="/">{esc_site}</a>
    <nav class="main-nav">
      <ul><li><a href="/">Home</a></li><li><a href="/posts">All posts</a></li><li><a href="/about">About</a></li><li><a href="/careers">Careers</a></li><li><a href="/rss.xml">RSS</a></li></ul>
    </nav>
  </header>
  <main class="container">
    <article class="post">
      <h1>{esc_title}</h1>
      <p class="post-meta">Published {pub_date} &middot; 7 min read</p>
{body}
    </article>
    <aside class="sidebar">
      <h3>Related articles</h3>
      <ul>
{related}
      </ul>
      <div class="newsletter">
        <h3>Subscribe to our newsletter</h3>
        <p>One email a month with our latest engineering posts. No spam, unsubscribe any time.</p>
        <form action="/subscribe" method="post"><input type="email" name="email" placeholder="you@example.com"><button>Subscribe</button></form>
      </div>
    </aside>
  </main>
  <footer class="site-footer">
    <nav><a href="/privacy">Privacy policy</a> | <a href="/terms">Terms of use</a> | <a href="/contact">Contact</a></nav>
    <p>&copy; {year} {esc_site}. All rights reserved.</p>
  </footer>
</body>
</html>
"""
    if tpl == "B":  # news magazine: mega-nav, breadcrumb, byline, newsletter box, big footer
        return f"""<!doctype html>
<html lang="en-GB">
<head>
<meta charset="{charset}">
<title>{esc_title} - {esc_site}</title>
<meta property="og:title" content="{esc_title}">
<meta property="og:site_name" content="{esc_site}">
<link rel="stylesheet" href="https://{host}/static/css/site.min.css">
</head>
<body class="article-page">
<header id="masthead">
  <div class="brand"><a href="/">{esc_site}</a></div>
  <nav class="primary" aria-label="Sections">
    <a href="/news">News</a> <a href="/analysis">Analysis</a> <a href="/opinion">Opinion</a> <a href="/reviews">Reviews</a> <a href="/events">Events</a> <a href="/jobs">Jobs</a>
  </nav>
  <form class="search" action="/search"><input name="q" placeholder="Search"></form>
</header>
<div class="cookie-banner" role="dialog">
  <span>{COOKIE_TEXTS[1]}</span>
  <a href="/cookies">Cookie settings</a> <button>OK</button>
</div>
<nav class="breadcrumb"><a href="/">Home</a> &rsaquo; <a href="/news">News</a> &rsaquo; {esc_title}</nav>
<div class="layout">
<article>
  <h1>{esc_title}</h1>
  <div class="byline">By <span class="author">Staff writer</span> &middot; <time>{pub_date}</time></div>
  <div class="share">Share: <a href="#">Mastodon</a> <a href="#">LinkedIn</a> <a href="#">Email</a></div>
  <div class="article-body">
{body}
  </div>
</article>
<section class="newsletter-box">
  <h2>Get the weekly briefing</h2>
  <p>The week's most important stories, every Friday morning in your inbox.</p>
  <form><input type="email" placeholder="Email address"><button type="submit">Sign up</button></form>
</section>
<aside class="related">
  <h2>Related articles</h2>
  <ul>
{related}
  </ul>
</aside>
</div>
<footer>
  <div class="footer-cols">
    <ul><li><a href="/about">About us</a></li><li><a href="/advertise">Advertise</a></li><li><a href="/contact">Contact the newsroom</a></li></ul>
    <ul><li><a href="/privacy">Privacy</a></li><li><a href="/cookies">Cookies</a></li><li><a href="/terms">Terms and conditions</a></li></ul>
  </div>
  <p class="copyright">Copyright &copy; {year} {esc_site}. Reproduction without permission is prohibited.</p>
</footer>
</body>
</html>
"""
    if tpl == "C":  # minimal personal/docs site: simple nav, cookie banner at the bottom
        return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="{charset}">
<title>{esc_title}</title>
<style>body{{max-width:46em;margin:auto;font-family:Georgia,serif}} .cookie-banner{{position:fixed;bottom:0}}</style>
</head>
<body>
<header>
<nav><a href="/">{esc_site}</a> &middot; <a href="/archive">Archive</a> &middot; <a href="/about">About</a> &middot; <a href="/feed.xml">Feed</a></nav>
</header>
<article>
<h1>{esc_title}</h1>
<p><small>{pub_date}</small></p>
{body}
</article>
<aside class="related-posts">
<h4>Related articles</h4>
<ul>
{related}
</ul>
</aside>
<footer>
<p>&copy; {year} {esc_site} &middot; Text licensed CC BY 4.0 &middot; <a href="/privacy">Privacy</a></p>
</footer>
<div class="cookie-banner"><p>{COOKIE_TEXTS[2]}</p><button onclick="this.parentNode.remove()">Got it</button></div>
</body>
</html>
"""
    # tpl D: institutional / older site with a left menu and a table-ish layout
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}" />
<meta charset="{charset}" />
<title>{esc_site} :: {esc_title}</title>
</head>
<body>
<div class="cookie-banner" id="cb">{COOKIE_TEXTS[0]} <a href="/cookies.html">More information</a> <a href="#" class="close">Close</a></div>
<div id="header"><h2 class="site-title">{esc_site}</h2><p class="tagline">Notes, research and news</p></div>
<div id="wrapper">
<div id="leftcol">
<nav id="menu">
<ul>
<li><a href="/index.html">Home</a></li>
<li><a href="/articles/">Articles</a></li>
<li><a href="/members/">Members</a></li>
<li><a href="/links.html">Links</a></li>
<li><a href="/contact.html">Contact</a></li>
</ul>
</nav>
</div>
<div id="content">
<article>
<h1>{esc_title}</h1>
<p class="date">Posted on {pub_date}</p>
{body}
</article>
<div class="related">
<h3>Related articles</h3>
<ul>
{related}
</ul>
</div>
</div>
</div>
<footer id="footer">
<p>&copy; {year} {esc_site} | <a href="/sitemap.html">Sitemap</a> | <a href="/privacy.html">Privacy</a> | <a href="/impressum.html">Legal notice</a></p>
</footer>
</body>
</html>
"""


def _error_page(status: int) -> bytes:
    reason = {404: "Not Found", 500: "Internal Server Error"}[status]
    msg = {404: "The page you requested could not be found. It may have been moved or deleted.",
           500: "Something went wrong on our side. Please try again later."}[status]
    return (f"<!DOCTYPE html>\n<html><head><title>{status} {reason}</title></head>\n"
            f"<body><h1>{status} {reason}</h1><p>{msg}</p><hr><address>nginx</address></body></html>\n").encode()


def _fake_pdf(title: str) -> bytes:
    """A small but well-formed one-page PDF (correct xref offsets)."""
    text = title.replace("(", "[").replace(")", "]")
    stream = f"BT /F1 14 Tf 72 720 Td ({text}) Tj ET\nBT /F1 11 Tf 72 690 Td (Working paper, Orbitalworks Institute, 2026) Tj ET\n"
    objs = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}endstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n{o}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _visible_words(page: str) -> int:
    s = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    s = re.sub(r"<[^>]+>", " ", s)
    return len(html.unescape(s).split())


def _article_words(src: str) -> int:
    return len(re.sub(r"[#|`-]", " ", src).split())


# =====================================================================================
# Assemble the recording
# =====================================================================================

def _dump(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=False, separators=(", ", ": "))


def build(out: Path) -> dict:
    rng = random.Random(SEED)
    by_key = {s["key"]: s for s in STORIES}
    keys = [s["key"] for s in STORIES]
    rng.shuffle(keys)
    # The items that get a later version must arrive early enough for their threads to finish first.
    for pos, k in ((2, DELETED_KEY), (5, EDITED_KEY), (8, "sec_npm")):
        keys.remove(k)
        keys.insert(pos, k)
    keys.insert(21, JOB["key"])

    events: list[dict] = []  # {"at", "kind": story|comment|job|null, ...}

    def add_comments(parent_ev: dict, story_key: str, nodes: list[dict]) -> None:
        for node in nodes:
            ev = {"at": parent_ev["at"] + rng.uniform(1.2, 4.5), "kind": "comment", "node": node,
                  "parent": parent_ev, "story": story_key}
            node["_ev"] = ev
            events.append(ev)
            add_comments(ev, story_key, node["kids"])

    for i, k in enumerate(keys):
        ev = {"at": 0.4 + i * 2.05 + rng.uniform(0.0, 0.8), "kind": "job" if k == JOB["key"] else "story", "key": k}
        events.append(ev)
        if k != JOB["key"]:
            by_key[k]["_ev"] = ev
            add_comments(ev, k, by_key[k]["comments"])
    events.append({"at": 47.31, "kind": "null"})
    events.sort(key=lambda e: e["at"])
    assert events[-1]["at"] < 107, events[-1]["at"]

    cur = FIRST_ID
    for ev in events:
        ev["id"] = cur
        ev["time"] = BASE_TIME + int(ev["at"] * 45)
        cur += rng.randint(1, 23)

    def count(nodes):
        return sum(1 + count(n["kids"]) for n in nodes)

    items: dict[int, dict] = {}
    lines: list[dict] = []
    story_ids: dict[str, int] = {}
    for ev in events:
        if ev["kind"] == "null":
            item = None
            null_id = ev["id"]
        elif ev["kind"] == "job":
            item = {"by": JOB["by"], "id": ev["id"], "score": 1, "text": hn_html(JOB["text"]),
                    "time": ev["time"], "title": JOB["title"], "type": "job"}
            story_ids[JOB["key"]] = ev["id"]
        elif ev["kind"] == "story":
            st = by_key[ev["key"]]
            story_ids[st["key"]] = ev["id"]
            item = {"by": st["by"], "descendants": count(st["comments"]), "id": ev["id"]}
            kids = [n["_ev"]["id"] for n in st["comments"]]
            if kids:
                item["kids"] = kids
            item["score"] = rng.randint(14, 620)
            if st["text"]:
                item["text"] = hn_html(st["text"])
            item["time"] = ev["time"]
            item["title"] = st["title"]
            item["type"] = "story"
            if st["url"]:
                item["url"] = st["url"]
        else:
            node = ev["node"]
            item = {"by": node["by"], "id": ev["id"]}
            if node["kids"]:
                item["kids"] = [n["_ev"]["id"] for n in node["kids"]]
            item["parent"] = ev["parent"]["id"]
            item["text"] = hn_html(node["text"])
            item["time"] = ev["time"]
            item["type"] = "comment"
            node["_id"] = ev["id"]
        if item is not None:
            items[ev["id"]] = item
        lines.append({"at": round(ev["at"], 3), "id": ev["id"], "item": item})

    # Later versions: an edit, a deletion, a comment flagged dead.
    edited_id = story_ids[EDITED_KEY]
    new = dict(items[edited_id])
    new["score"] += EDIT["score_bonus"]
    new["text"] = new["text"] + "<p>" + hn_html(EDIT["text_append"])
    new["title"] = EDIT["title"]
    lines.append({"at": 108.42, "id": edited_id, "item": new})

    deleted_id = story_ids[DELETED_KEY]
    lines.append({"at": 112.87, "id": deleted_id,
                  "item": {"deleted": True, "id": deleted_id, "time": items[deleted_id]["time"], "type": "story"}})

    dead_id = next(n["_id"] for n in by_key["sec_npm"]["comments"] if n["by"] == DEAD_COMMENT_BY)
    dead = dict(items[dead_id])
    dead["dead"] = True
    dead = dict(sorted(dead.items()))
    lines.append({"at": 117.64, "id": dead_id, "item": dead})
    assert all(a["at"] <= b["at"] for a, b in zip(lines, lines[1:]))

    # ---- write -------------------------------------------------------------------
    if out.exists():
        shutil.rmtree(out)
    (out / "pages").mkdir(parents=True)
    with open(out / "items.jsonl", "w", encoding="utf-8", newline="\n") as f:
        for ln in lines:
            f.write(_dump(ln) + "\n")

    page_lines: list[dict] = []
    word_counts: dict[str, int] = {}
    status_counts: dict[str, int] = {}
    failing: list[tuple[str, int, str]] = []
    arrival = [k for k in keys if k != JOB["key"]]
    for n, k in enumerate(arrival):
        st = by_key[k]
        if not st["url"]:
            continue
        url = st["url"]
        name = hashlib.sha1(url.encode()).hexdigest()[:16]
        kind = st["fetch"]
        if kind == "missing":
            failing.append((k, story_ids[k], "not in pages.jsonl (not_recorded)"))
            status_counts["not recorded"] = status_counts.get("not recorded", 0) + 1
            continue
        if kind == "timeout":
            page_lines.append({"url": url, "error": "timeout"})
            failing.append((k, story_ids[k], "timeout"))
            status_counts["error: timeout"] = status_counts.get("error: timeout", 0) + 1
            continue
        if kind == "ok":
            siblings = [s for s in STORIES if s["topic"] == st["topic"] and s["key"] != k]
            pub = f"{1 + n % 9} November 2026"
            page = render_page(st, siblings, pub)
            body = page.encode(st["charset"])
            status = 200
            ctype = "text/html" if st["tpl"] == "C" else f"text/html; charset={st['charset']}"
            path = f"pages/{name}.html"
            words = _visible_words(page)
            word_counts[k] = words
            assert 300 <= words <= 1500, (k, words)
            assert _article_words(st["article"]) >= 280, (k, _article_words(st["article"]))
        elif kind == "pdf":
            body, status, ctype, path = _fake_pdf(st["title"]), 200, "application/pdf", f"pages/{name}.pdf"
            failing.append((k, story_ids[k], "200 application/pdf (not HTML)"))
        else:
            status = int(kind)
            body, ctype, path = _error_page(status), "text/html", f"pages/{name}.html"
            failing.append((k, story_ids[k], f"HTTP {status}"))
        (out / path).write_bytes(body)
        page_lines.append({"url": url, "status": status, "content_type": ctype, "body": path})
        label = f"{status} {ctype.split(';')[0]}"
        status_counts[label] = status_counts.get(label, 0) + 1
    with open(out / "pages.jsonl", "w", encoding="utf-8", newline="\n") as f:
        for p in page_lines:
            f.write(_dump(p) + "\n")

    # Each story's topic (what the sample was written around): notebooks colour the neighbourhood map by it.
    topic_of = {str(story_ids[st["key"]]): st["topic"] for st in STORIES if st["key"] in story_ids}
    (out / "topics.json").write_text(json.dumps(topic_of, indent=1, sort_keys=True) + "\n", encoding="utf-8")

    with open(out / "queries.jsonl", "w", encoding="utf-8", newline="\n") as f:
        for q, k in QUERIES:
            assert k != DELETED_KEY
            f.write(_dump({"query": q, "item_id": story_ids[k]}) + "\n")

    manifest = {
        "format": "hn-recording/1",
        "items": len(lines),
        "pages": len(page_lines),
        "description": ("Bundled offline sample for streamrag: 40 Hacker News-style stories in 8 topics with "
                        "comment threads and article pages. All text is original, written for this project; "
                        "URLs are fictional. Generated by scripts/make_sample.py."),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")

    n_comments = sum(1 for ln in lines[:-3] if ln["item"] and ln["item"]["type"] == "comment")
    topics: dict[str, int] = {}
    for s in STORIES:
        topics[s["topic"]] = topics.get(s["topic"], 0) + 1
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return dict(stories=len(STORIES), comments=n_comments, jobs=1, null_items=1, item_lines=len(lines),
                topics=topics, pages=status_counts, page_words=(min(word_counts.values()), max(word_counts.values())),
                queries=len(QUERIES), size_kb=round(total / 1024, 1), duration_s=lines[-1]["at"],
                edited=(EDITED_KEY, edited_id), deleted=(DELETED_KEY, deleted_id),
                dead_comment=(DEAD_COMMENT_BY, dead_id), null=null_id,
                failing=failing, story_ids=story_ids,
                text_stories=[(s["key"], story_ids[s["key"]]) for s in STORIES if s["text"]])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--ids", action="store_true", help="also print every story key and id")
    args = ap.parse_args()
    s = build(args.out)
    print(f"wrote {args.out}")
    print(f"  stories: {s['stories']} (+{s['jobs']} job, {s['null_items']} null item), comments: {s['comments']}, "
          f"items.jsonl lines: {s['item_lines']}, replay span: {s['duration_s']} s")
    print(f"  topics ({len(s['topics'])}): " + ", ".join(f"{k} {v}" for k, v in s["topics"].items()))
    print("  pages: " + ", ".join(f"{k}: {v}" for k, v in sorted(s["pages"].items())))
    print(f"  article page words: min {s['page_words'][0]}, max {s['page_words'][1]}")
    print(f"  queries: {s['queries']}, total size: {s['size_kb']} KB")
    print(f"  edited story: {s['edited'][1]} ({s['edited'][0]}), deleted story: {s['deleted'][1]} ({s['deleted'][0]}), "
          f"dead comment: {s['dead_comment'][1]} (by {s['dead_comment'][0]}), null item: {s['null']}")
    print("  text (Ask/Show HN) stories: " + ", ".join(f"{i} ({k})" for k, i in s["text_stories"]))
    for k, i, why in s["failing"]:
        print(f"  failing fetch: {i} ({k}): {why}")
    if args.ids:
        for k, i in sorted(s["story_ids"].items(), key=lambda kv: kv[1]):
            print(f"    {i} {k}")


if __name__ == "__main__":
    main()
