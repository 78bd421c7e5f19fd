// Linux's garbage collector for unix sockets in flight (net/unix/garbage.c). A unix socket
// whose descriptor travels in an SCM_RIGHTS message is held by that message until it is
// received. A socket sent over itself (its own descriptor in its own receive queue), or a
// cycle of sockets each queued in another's, can then outlive every descriptor: nothing will
// ever receive those messages, and their sockets and the files they carry would stay for the
// machine's life. Linux finds such sockets when a unix socket is released and purges their
// queues; so does umlab, with the same rule.

extension Network {
    /// Frees unix sockets that only messages in flight hold and that no live socket can
    /// reach: Linux's unix_gc, run when a unix socket is released while sockets are in flight.
    ///
    /// The candidates are sockets all of whose references are messages in flight. A candidate
    /// is alive if a message in a live socket's queue (one with a descriptor somewhere) holds
    /// it, or if it is reachable from such a candidate through the queues; the others are
    /// garbage: their queued descriptors are dropped, which frees them.
    func collectUnixGarbage() {
        guard unixSocketsInFlight > 0, !collectingGarbage else { return }
        collectingGarbage = true
        defer { collectingGarbage = false }
        let sockets = socketTable.values.compactMap(\.socket).filter { $0.family == .unix && $0.references > 0 }
        // The sockets each socket's queues hold in flight (a listener's: its pending
        // connections' too, as Linux scans embryos).
        func children(_ s: Socket) -> [Socket] {
            s.queuedBuffers.flatMap(\.passedFiles).flatMap(\.files).compactMap { $0 as? Socket }.filter { $0.family == .unix }
        }
        var inFlight: [ObjectIdentifier: Int] = [:]
        var edges: [ObjectIdentifier: [Socket]] = [:]
        for s in sockets {
            let c = children(s)
            edges[ObjectIdentifier(s)] = c
            for child in c { inFlight[ObjectIdentifier(child), default: 0] += 1 }
        }
        let candidates = Set(sockets.filter { $0.references == inFlight[ObjectIdentifier($0)] }.map { ObjectIdentifier($0) })
        guard !candidates.isEmpty else { return }
        // Live: held from a non-candidate's queue, then whatever live candidates hold.
        var alive: Set<ObjectIdentifier> = []
        var work: [Socket] = []
        for s in sockets where !candidates.contains(ObjectIdentifier(s)) {
            for child in edges[ObjectIdentifier(s)] ?? [] where candidates.contains(ObjectIdentifier(child)) {
                if alive.insert(ObjectIdentifier(child)).inserted { work.append(child) }
            }
        }
        while let s = work.popLast() {
            for child in edges[ObjectIdentifier(s)] ?? [] where candidates.contains(ObjectIdentifier(child)) {
                if alive.insert(ObjectIdentifier(child)).inserted { work.append(child) }
            }
        }
        // The garbage's descriptors are taken out of every queue first and dropped after, so
        // that a socket freed by the drop clears a queue nobody is changing.
        var hitList: [PassedFiles] = []
        for s in sockets where candidates.contains(ObjectIdentifier(s)) && !alive.contains(ObjectIdentifier(s)) {
            for buffer in s.queuedBuffers { hitList += buffer.detachPassedFiles() }
        }
        hitList.removeAll()
    }
}
