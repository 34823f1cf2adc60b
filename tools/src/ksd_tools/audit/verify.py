"""`ksd audit verify`: prove that the history is what the services wrote, or name the first record
that is not.

Every record is held to: being an envelope; a type its topic may carry, from a source that may emit
it (rules.py); `data` valid for its type; a hash that matches its content; the next sequence of its
subject with a `prevhash` that links to the previous event's hash. So a changed payload fails its
hash, a deleted event leaves a gap, a reordered pair or a duplicate breaks the sequence, and an
injected event fails its source (or, with a lawful source, the chain it was pushed into). A record
that is exactly an event already read (same id, content and hash) is a redelivered copy, which the
relay may publish after a crash and every consumer drops by id: counted, not failed.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from pydantic import ValidationError

from ksd_contracts import labels
from ksd_contracts.envelope import GENESIS_HASH, Envelope, EnvelopeError
from ksd_contracts.events import DayCheckpoint
from ksd_contracts.topics import AUDIT_CHECKPOINTS, Topic
from ksd_tools.audit.checkpoint import DayDigests, Sealed, on_topic, recorded, rewritten_days
from ksd_tools.audit.log import CHECKING_FETCH_MIB, History, Progress, Record, Span, read, reader, span, total
from ksd_tools.audit.processes import advanced, on_processes, owns, processes_for, stop_all, stopping
from ksd_tools.audit.rules import RULES, Rule
from ksd_tools.audit.signing import SignedCheckpoints


@dataclass(frozen=True)
class Finding:
    """The first bad record, and what is wrong with it."""

    topic: str
    partition: int
    offset: int
    id: str | None
    problem: str

    def __str__(self) -> str:
        event = f"peristiwa {self.id}" if self.id else "bukan peristiwa yang terbaca"
        return f"{self.topic} partisi {self.partition} offset {self.offset} ({event}): {self.problem}"


RECENT_LINKS = 4096
"""How many of a partition's latest links verify keeps to tell a redelivered copy from a duplicate.
A relay republishes only the records of its last unacknowledged batch (1,000 at most), into the
partition of their subject, so a copy follows its original within a few of that partition's links."""

HEADS_HELD = 200_000
"""How many chains' heads a process of verify holds in memory (about 37 MiB); the rest wait in a
scratch SQLite file, so its memory does not grow with the number of agreements in the history. A
history's agreements interleave (the synthetic one round-robin), so once they outnumber this, most
links are looked up in the file: 50,000 made a million-event verify 18% slower (bench/notes-audit-scale.md)."""


class Heads:
    """Each chain's head, its (sequence, hash), as 8 + 32 bytes: the latest `held` chains written
    in memory, all of them spilled to a private scratch SQLite file (deleted when closed) whenever
    that many are held, and looked up there when not in memory."""

    def __init__(self, held: int = HEADS_HELD) -> None:
        self.held = held
        self.memory: dict[str, bytes] = {}
        self.spilled: sqlite3.Connection | None = None
        self.chains = 0
        """How many chains were started (subjects seen)."""

    def get(self, subject: str) -> tuple[int, str] | None:
        head = self.memory.get(subject)
        if head is None and self.spilled is not None:
            row = self.spilled.execute("SELECT head FROM heads WHERE subject = ?", (subject,)).fetchone()
            head = row[0] if row else None
        return None if head is None else (int.from_bytes(head[:8], "big"), head[8:].hex())

    def put(self, subject: str, sequence: int, hash: str, *, new: bool) -> None:
        self.chains += new
        self.memory[subject] = sequence.to_bytes(8, "big") + bytes.fromhex(hash)
        if len(self.memory) >= self.held:
            self._spill()

    def _spill(self) -> None:
        if self.spilled is None:
            self.spilled = sqlite3.connect("")  # "": a private temporary file, removed on close
            self.spilled.executescript(
                "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -4096;"
                " CREATE TABLE heads (subject TEXT PRIMARY KEY, head BLOB NOT NULL) WITHOUT ROWID;")
        self.spilled.executemany("INSERT OR REPLACE INTO heads VALUES (?, ?)", self.memory.items())
        self.memory.clear()

    def close(self) -> None:
        if self.spilled is not None:
            self.spilled.close()
            self.spilled = None


@dataclass
class Chains:
    """Every subject's chain in one topic: its head (`Heads`), and per partition the short hashes
    (first 16 bytes) of its latest `window` links, to tell a redelivered copy from a duplicate."""

    window: int = RECENT_LINKS
    heads: Heads = field(default_factory=Heads)
    recent: dict[int, OrderedDict[tuple[str, int], bytes]] = field(default_factory=dict)
    """Per partition, (subject, sequence) -> short hash of its latest links, the oldest first."""
    copies: int = 0
    """Records that are exactly an event already read (same id, content and hash): a relay that
    was stopped between Kafka's acknowledgement and its outbox delete publishes its last records
    again (at least once, ARCHITECTURE.md). Consumers drop them by event id, so they change no
    state; they are counted, not failed."""

    def link(self, event: Envelope, partition: int = 0) -> str | None:
        """Extend the subject's chain with `event` (read from `partition`); what is wrong when it
        does not fit."""
        head = self.heads.get(event.subject)
        last, last_hash = head or (0, GENESIS_HASH)
        sequence = event.sequence
        if sequence is None:
            return "tanpa nomor urut (sequence): bukan mata rantai mana pun"
        recent = self.recent.setdefault(partition, OrderedDict())
        if sequence <= last and recent.get((event.subject, sequence)) == _short(event.hash):
            self.copies += 1
            return None
        if sequence <= last:
            return (f"urutan {sequence} subjek {event.subject} muncul lagi setelah {last}:"
                    " duplikat dengan id atau isi lain, atau sepasang peristiwa yang tertukar urutannya")
        if sequence > last + 1:
            return (f"urutan {sequence} subjek {event.subject}, padahal yang diharapkan {last + 1}:"
                    f" {sequence - last - 1} peristiwa hilang, atau urutannya tertukar")
        if event.prevhash != last_hash:
            return (f"prevhash tidak tersambung ke urutan {last} subjek {event.subject}"
                    " (peristiwa itu diganti atau hash-nya dihitung ulang)")
        self.heads.put(event.subject, sequence, event.hash or "", new=head is None)
        recent[(event.subject, sequence)] = _short(event.hash)
        if len(recent) > self.window:
            recent.popitem(last=False)
        return None


def _short(hash: str | None) -> bytes:
    return bytes.fromhex((hash or "")[:32])


def check_content(rule: Rule, event: Envelope, value: bytes) -> str | None:
    """What is wrong with one event on its own: its type, its source, its data, its hash. The hash
    is computed over the record's own value first (what every writer sends: the data's canonical
    JSON), then, only if that differs, over the data encoded again, as before: a record passes
    exactly when its data is what was hashed."""
    model = rule.models.get(event.type)
    if model is None:
        return f"jenis {event.type} bukan peristiwa topik ini"
    if not rule.may_emit(event.source):
        return f"sumber {event.source} tidak berhak menerbitkan {event.type}"
    try:
        model.model_validate(event.data)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()[:3])
        return f"data bukan {event.type} yang sah: {problems}"
    if event.hash is None or (event.hash != event.computed_hash(value) and event.hash != event.computed_hash()):
        return "hash tidak cocok dengan isinya: peristiwa diubah setelah ditulis"
    return None


@dataclass(frozen=True)
class Share:
    """What one process of verify checks: the records whose key's CRC-32 is `index` modulo `of`,
    so every record of a subject (its key) is checked by one process, in the order read, its chain as
    one, exactly as by a single process; and the day digests of the partitions numbered `index`
    modulo `of`. Each process reads every record: reading costs about a fifth of checking."""

    index: int = 0
    of: int = 1

    def checks(self, key: bytes | None) -> bool:
        return owns(key, self.index, self.of)

    def digests(self, partition: int) -> bool:
        return partition % self.of == self.index


@dataclass(frozen=True)
class Checked:
    """What a process of verify hands back (picklable)."""

    finding: Finding | None
    counts: dict[str, int]
    subjects: int
    copies: int
    days: Sealed | None


@dataclass
class Verifier:
    """Checks records as they stream by; the first finding stops it."""

    history: History
    share: Share = field(default_factory=Share)
    chains: dict[str, Chains] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    days: DayDigests | None = None
    """Per-day digests of what it read, to compare with checkpoints (when asked for)."""
    finding: Finding | None = None

    def check(self, batch: list[Record]) -> Finding | None:
        """Check a batch of one partition's records (`log.read`); the first finding, if any."""
        topic = self.history.topic_of(batch[0].topic).name
        chains = self.chains.setdefault(topic, Chains())
        rule = RULES[topic]
        for record in batch:
            if self.days is not None and self.share.digests(record.partition):
                self.days.add(topic, record)
            if not self.share.checks(record.key):
                continue
            try:
                event = Envelope.from_kafka(record.headers, record.value)
            except EnvelopeError as error:
                return self._bad(record, None, str(error))
            if record.key != event.subject.encode():
                return self._bad(record, event, f"kunci {record.key!r} bukan subjek {event.subject}")
            copies = chains.copies
            problem = check_content(rule, event, record.value or b"") or chains.link(event, record.partition)
            if problem:
                return self._bad(record, event, problem)
            self.counts[topic] += chains.copies == copies
        return None

    def _bad(self, record: Record, event: Envelope | None, problem: str) -> Finding:
        self.finding = Finding(record.topic, record.partition, record.offset,
                               str(event.id) if event else None, problem)
        return self.finding

    def checked(self) -> Checked:
        return Checked(self.finding, dict(self.counts), sum(c.heads.chains for c in self.chains.values()),
                       sum(c.copies for c in self.chains.values()), self.days.sealed() if self.days else None)


@dataclass(frozen=True)
class Report:
    finding: Finding | None
    counts: dict[str, int]
    subjects: int
    rewritten: list[str]
    seconds: float
    copies: int = 0
    """Redelivered identical copies (see Chains.copies)."""
    rests_on: str | None = None
    """The signed checkpoint file the result rests on, and the last day it covers."""

    @property
    def first_difference(self) -> str | None:
        """The first rewritten day, as "<topic> pada <day>" (`rewritten_days`)."""
        return self.rewritten[0].split(":")[0] if self.rewritten else None

    @property
    def clean(self) -> bool:
        return self.finding is None and not self.rewritten


async def check(history: History, spans: Span, share: Share, *, days: bool,
                advance: Callable[[int], None], stopping: Callable[[], bool] = lambda: False) -> Checked:
    """Check the records of `spans` that are `share`'s, up to the first finding (or until `stopping`)."""
    verifier = Verifier(history, share, days=DayDigests() if days else None)
    consumer = reader(history, CHECKING_FETCH_MIB)
    await consumer.start()
    try:
        async for batch in read(consumer, spans):
            if verifier.check(batch) or stopping():
                break
            advance(len(batch))
    finally:
        await consumer.stop()
        for chains in verifier.chains.values():
            chains.heads.close()
    return verifier.checked()


def _check_share(history: History, spans: Span, days: bool, share: Share) -> Checked:
    """A process's part (`processes.on_processes`): the first process tells the progress bar what
    it read (every process reads every record); a finding stops them all."""
    checked = asyncio.run(check(history, spans, share, days=days, stopping=stopping,
                                advance=advanced if share.index == 0 else lambda _: None))
    if checked.finding:
        stop_all()
    return checked


async def verify(history: History, topics: list[Topic], *, checkpoints: bool = False,
                 signed: SignedCheckpoints | None = None, workers: int | None = None) -> Report:
    """Read `topics` from the earliest offset and check every record; stop at the first bad one.
    With `checkpoints`, also recompute each day checkpointed on the audit topic and compare; with
    `signed`, each day of a signed checkpoint file (which a rewrite of the topics cannot reach). On
    `workers` processes (`processes_for`), each checking its `Share` of the subjects."""
    days = checkpoints or signed is not None
    consumer = reader(history, CHECKING_FETCH_MIB)
    await consumer.start()
    try:
        spans = await span(consumer, history, topics)
    finally:
        await consumer.stop()  # before any process is forked
    progress = Progress("verify", total(spans))
    count = processes_for(spans, workers)
    if count == 1:
        parts = [await check(history, spans, Share(), days=days, advance=progress.advance)]
    else:
        parts = await on_processes(partial(_check_share, history, spans, days),
                                   [Share(index, count) for index in range(count)], progress)
    progress.close()
    finding = min((p.finding for p in parts if p.finding), default=None,
                  key=lambda f: (f.topic, f.partition, f.offset))
    rewritten: list[str] = []
    if days and finding is None:
        digests = DayDigests()
        for part in parts:
            digests.merge(part.days or {})
        held: list[tuple[str, DayCheckpoint]] = []
        if checkpoints:
            held += [(on_topic(offset), day) for offset, day in (await recorded(history)).values()]
        if signed:
            held += [(f"berkas bertanda tangan {signed.path.name} ({labels.moment(signed.signed_at)})", day)
                     for day in signed.checkpoints]
        rewritten = rewritten_days(digests, held, {t.name for t in topics if t is not AUDIT_CHECKPOINTS})
    rests_on = (f"{signed.path.name}, ditandatangani {labels.moment(signed.signed_at)}, hari terakhir"
                f" {labels.day(signed.last_day) if signed.last_day else '-'}") if signed else None
    counts: Counter[str] = Counter()
    for part in parts:
        counts.update(part.counts)
    return Report(finding, dict(counts), sum(p.subjects for p in parts), rewritten, progress.seconds,
                  sum(p.copies for p in parts), rests_on)
