import HostOS
import LinuxABI

// Blocking, after Linux's wait queues (and gVisor's pkg/waiter): every waitable kernel object
// owns a `WaitQueue`; a task that cannot proceed registers on the queues of what it waits for,
// with the events that would let it proceed, and sleeps. The object calls `notify` when its
// state changes; the queue wakes exactly the waiters whose events match. Nothing is polled: a
// blocked task costs nothing until something it waits for happens, or its deadline passes.
//
// A woken task runs its system call again from the start (Linux's restart model): handlers keep
// what must survive across the retry (bytes already written, the deadline) in the task.

/// The objects a blocked task waits on, the events it wants from each, and a deadline.
public struct Wait {
    public var queues: [(queue: WaitQueue, events: PollEvents)]
    /// Monotonic deadline in nanoseconds, if the call times out.
    public var deadline: UInt64?
    /// Whether SA_RESTART may re-run the call after a handler (read, write, wait4 ...) or it must
    /// fail with EINTR (poll, nanosleep, pause ...).
    public var restartable: Bool
    /// Runs when a signal ends the call with EINTR (nanosleep reports the time left).
    public var onInterrupt: (() -> Void)?

    public init(_ queues: [(queue: WaitQueue, events: PollEvents)] = [], deadline: UInt64? = nil, restartable: Bool = true) {
        self.queues = queues; self.deadline = deadline; self.restartable = restartable
    }
    /// Waits for `events` on one queue.
    public static func on(_ queue: WaitQueue, _ events: PollEvents, restartable: Bool = true) -> Wait {
        Wait([(queue, events)], restartable: restartable)
    }
    /// Waits only for a signal or the deadline (nanosleep, pause, sigsuspend).
    public static func sleep(until deadline: UInt64?) -> Wait { Wait(deadline: deadline, restartable: false) }
}

/// A standing registration on a queue by a kernel object instead of a task: an epoll instance's
/// interest in one file. Unlike a task it is not taken off at a wakeup: `onNotify` runs at every
/// notify whose events intersect `events`, until the owner removes it.
final class WaitWatcher {
    var events: PollEvents
    /// The watcher needs the queue's events even when no task waits (an O_ASYNC owner): a
    /// host-fed queue keeps its descriptor in the event loop while such a watcher is on it.
    /// An epoll entry does not: a task in epoll_wait waits on the host queues itself.
    let needsHostEvents: Bool
    let onNotify: (PollEvents) -> Void
    init(events: PollEvents, needsHostEvents: Bool = false, onNotify: @escaping (PollEvents) -> Void) {
        self.events = events; self.needsHostEvents = needsHostEvents; self.onNotify = onNotify
    }
}

/// The waiters of one kernel object.
public class WaitQueue {
    struct Entry {
        unowned(unsafe) let task: Task
        let events: PollEvents
    }
    private(set) var entries: [Entry] = []
    /// Watchers do not count as waiters: a host-fed queue is watched only while a task waits.
    private var watchers: [WaitWatcher] = []

    public init() {}

    public var isEmpty: Bool { entries.isEmpty }

    /// Wakes every waiter interested in any of `events`.
    public func notify(_ events: PollEvents) {
        if !watchers.isEmpty {
            // A copy: a watcher's callback may add or remove watchers (an epoll_ctl cannot run
            // here, but a nested epoll's own queue is notified from inside).
            for w in watchers where !w.events.isDisjoint(with: events) { w.onNotify(events) }
        }
        if entries.isEmpty { return }
        var i = 0
        while i < entries.count {
            let e = entries[i]
            if e.events.isDisjoint(with: events) { i += 1; continue }
            e.task.kernel.wake(e.task)  // removes the task from this queue (and every other)
        }
    }

    func addWatcher(_ w: WaitWatcher) { watchers.append(w) }
    var watcherCount: Int { watchers.count }
    /// Removes `w`; returns whether it was on the queue.
    @discardableResult
    func removeWatcher(_ w: WaitWatcher) -> Bool {
        guard let i = watchers.firstIndex(where: { $0 === w }) else { return false }
        watchers.remove(at: i)
        return true
    }

    /// The task waiting longest.
    var firstWaiter: Task? { entries.first?.task }

    func add(_ task: Task, _ events: PollEvents) {
        entries.append(Entry(task: task, events: events))
        if entries.count == 1 { firstWaiterArrived(kernel: task.kernel) }
    }

    func remove(_ task: Task) {
        guard let i = entries.firstIndex(where: { $0.task === task }) else { return }
        entries.remove(at: i)
        if entries.isEmpty { lastWaiterLeft(kernel: task.kernel) }
    }

    /// Moves up to `count` waiters to `other` (FUTEX_REQUEUE); returns how many moved.
    func requeue(to other: WaitQueue, count: Int) -> Int {
        var moved = 0
        while moved < count, !entries.isEmpty {
            let e = entries.removeFirst()
            if entries.isEmpty { lastWaiterLeft(kernel: e.task.kernel) }
            if let i = e.task.waitingOn.firstIndex(where: { $0 === self }) { e.task.waitingOn[i] = other }
            other.add(e.task, e.events)
            moved += 1
        }
        return moved
    }

    /// Hooks for queues fed by the host (a host descriptor watched only while someone waits).
    func firstWaiterArrived(kernel: Kernel) {}
    func lastWaiterLeft(kernel: Kernel) {}
}

/// A queue whose events come from a host descriptor (the console's input): the descriptor is in
/// the event loop exactly while some task waits, so an idle console costs nothing.
final class HostWaitQueue: WaitQueue {
    let fd: Int32
    unowned let kernel: Kernel
    /// Watchers that need the host's events with no task waiting (`WaitWatcher.needsHostEvents`).
    private var standingWatchers = 0
    init(fd: Int32, kernel: Kernel) { self.fd = fd; self.kernel = kernel }

    override func firstWaiterArrived(kernel: Kernel) { if standingWatchers == 0 { kernel.watchHost(self) } }
    override func lastWaiterLeft(kernel: Kernel) { if standingWatchers == 0 { kernel.unwatchHost(self) } }

    override func addWatcher(_ w: WaitWatcher) {
        super.addWatcher(w)
        guard w.needsHostEvents else { return }
        standingWatchers += 1
        if standingWatchers == 1 && isEmpty { kernel.watchHost(self) }
    }
    @discardableResult
    override func removeWatcher(_ w: WaitWatcher) -> Bool {
        guard super.removeWatcher(w) else { return false }
        if w.needsHostEvents {
            standingWatchers -= 1
            if standingWatchers == 0 && isEmpty { kernel.unwatchHost(self) }
        }
        return true
    }
}

/// Deadlines of sleeping tasks and interval timers, earliest first (a binary heap). Entries are
/// cancelled lazily: each carries the generation of its owner's timer at insertion.
struct TimerQueue {
    enum Owner {
        case task(Task)
        /// An interval timer: ITIMER_REAL, a timerfd, a POSIX timer (Timers.swift).
        case timer(KernelTimer)
    }
    struct Entry {
        var deadline: UInt64
        var generation: UInt64
        var owner: Owner
    }
    private var heap: [Entry] = []
    /// Past this many entries, stale ones are swept out (`sweep`).
    private var sweepAt = 1024

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }

    mutating func insert(_ e: Entry) {
        heap.append(e)
        var i = heap.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if heap[p].deadline <= heap[i].deadline { break }
            heap.swapAt(p, i)
            i = p
        }
    }

    /// The earliest entry still current (stale ones are dropped on the way).
    mutating func first(isCurrent: (Entry) -> Bool) -> Entry? {
        while let top = heap.first {
            if isCurrent(top) { return top }
            removeFirst()
        }
        return nil
    }

    mutating func removeFirst() {
        guard !heap.isEmpty else { return }
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count && heap[l].deadline < heap[m].deadline { m = l }
            if r < heap.count && heap[r].deadline < heap[m].deadline { m = r }
            if m == i { break }
            heap.swapAt(i, m)
            i = m
        }
    }

    mutating func removeAll() { heap.removeAll() }

    /// Lazy cancellation leaves an entry behind each time a sleep ends early or a timer is
    /// re-armed, until its deadline comes: a guest re-arming a far timer (or a poll with an
    /// hour's timeout woken by data) in a loop would grow the heap without bound. Once the heap
    /// doubles past its size at the last sweep, the stale entries go (linear, so amortized
    /// constant per insertion).
    mutating func sweepIfGrown(isCurrent: (Entry) -> Bool) {
        guard heap.count >= sweepAt else { return }
        let live = heap.filter(isCurrent)
        heap = []
        for e in live { insert(e) }
        sweepAt = max(1024, 2 * heap.count)
    }
}
