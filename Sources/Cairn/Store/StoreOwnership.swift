/// How an engine holds its store: alone, or by a lease among several executors.
package enum StoreOwnership: Sendable, Equatable {
    /// The engine is the store's only writer for as long as it is open (the log: an `flock` on its directory; a
    /// second opener gets an error and writes nothing).
    case exclusive
    /// The engine owns workflows by a lease that it renews before ``StoreLease/expiresAt``
    /// (``WorkflowStore/renewLease()``). Every write carries ``StoreLease/epoch``, checked in the same transaction,
    /// so that a write of an executor whose lease another has taken over is refused, not committed.
    case lease(StoreLease)
}

/// One executor's lease on the workflows it runs, in a store several executors share.
package struct StoreLease: Sendable, Equatable {
    /// The executor holding the lease (stable across its restarts, unique among the executors).
    package var owner: String
    /// The fencing token: increases every time a lease changes hands, so a write fenced with an older epoch is
    /// refused.
    package var epoch: UInt64
    /// When the lease lapses unless renewed, in nanoseconds since 1970 (the store's clock, not this process's).
    package var expiresAt: Int64

    package init(owner: String, epoch: UInt64, expiresAt: Int64) {
        self.owner = owner
        self.epoch = epoch
        self.expiresAt = expiresAt
    }
}
