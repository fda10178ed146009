import Synchronization

/// A one-shot wake-up: any number of tasks wait, anyone fires. Waiting on a fired signal returns at once.
/// Cancelling a waiting task resumes that waiter only; the signal stays unfired for the others.
///
/// Most signals have one waiter (a handle awaiting a result, a workflow awaiting a message), so the first waiter is
/// kept inline and only further ones go to a dictionary. Every continuation is taken out of the state, under the
/// lock, before it is resumed: each is resumed exactly once, which is what makes unchecked continuations safe here.
package final class Signal: Sendable {
    private typealias Waiter = UnsafeContinuation<Void, Never>

    private struct State: ~Copyable {
        var fired = false
        var first: (id: Int, continuation: Waiter)?
        var more: [Int: Waiter] = [:]
    }

    private let state = Mutex(State())
    private let nextID = Atomic<Int>(0)

    package init() {}

    package var isFired: Bool { state.withLock { $0.fired } }

    package func fire() {
        let (first, more) = state.withLock { s -> (Waiter?, [Waiter]) in
            s.fired = true
            defer {
                s.first = nil
                s.more = [:]
            }
            return (s.first?.continuation, s.more.isEmpty ? [] : Array(s.more.values))
        }
        first?.resume()
        for waiter in more { waiter.resume() }
    }

    package func wait() async {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        await withTaskCancellationHandler {
            await withUnsafeContinuation { (c: Waiter) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.fired || Task.isCancelled { return true }
                    if s.first == nil { s.first = (id, c) } else { s.more[id] = c }
                    return false
                }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { s -> Waiter? in
                if let first = s.first, first.id == id {
                    s.first = nil
                    return first.continuation
                }
                return s.more.removeValue(forKey: id)
            }
            waiter?.resume()
        }
    }
}
