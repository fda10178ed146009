/// Bounds on text the engine records that comes from outside its control: the descriptions of errors a step or a
/// workflow threw, and the reasons it parks workflows for (which quote decoding errors).
///
/// An error's description can be any size (a server's whole response body, a dump of a large value). Recorded as
/// it is, it could exceed ``EngineConfiguration/maxPayloadSize`` or the log's record limit, and the workflow could
/// then never record its outcome. So an error's description is cut to ``EngineConfiguration/maxErrorMessageSize``
/// bytes (and never more than ``EngineConfiguration/maxPayloadSize``), a park reason to
/// ``EngineConfiguration/maxPayloadSize``, each ending in a marker that says how long it was. The cut text is what
/// the workflow's code sees too, live and on replay alike.
enum RecordedText {
    /// The marker that ends a cut text: `… [truncated: 4194304 bytes in all]`.
    static func marker(totalBytes: Int) -> String { "… [truncated: \(totalBytes) bytes in all]" }

    /// `text`, cut at a character boundary so that it and the marker fit in `limit` UTF-8 bytes; `text` itself
    /// when it fits.
    static func truncated(_ text: String, toBytes limit: Int) -> String {
        let total = text.utf8.count
        guard total > limit else { return text }
        let marker = marker(totalBytes: total)
        let room = max(0, limit - marker.utf8.count)
        var kept = ""
        var used = 0
        for character in text {
            let size = character.utf8.count
            guard used + size <= room else { break }
            kept.append(character)
            used += size
        }
        // A limit too small for the marker keeps as many bytes of the marker as fit.
        return limit >= marker.utf8.count ? kept + marker : String(decoding: marker.utf8.prefix(limit), as: UTF8.self)
    }
}

extension WorkflowEngine {
    /// The most bytes an error description or a park reason is recorded with.
    var recordedTextLimit: Int { max(0, min(configuration.maxErrorMessageSize, configuration.maxPayloadSize)) }

    /// `text` cut to ``recordedTextLimit``.
    func recordable(_ text: String) -> String { RecordedText.truncated(text, toBytes: recordedTextLimit) }

    /// A park reason (a determinism report, a decoding error), cut to ``EngineConfiguration/maxPayloadSize``: it
    /// quotes what it explains, so it is kept whole whenever it fits, whatever ``EngineConfiguration/maxErrorMessageSize`` says.
    func recordableReason(_ text: String) -> String { RecordedText.truncated(text, toBytes: max(0, configuration.maxPayloadSize)) }

    /// An error's type name, cut to 1 KiB (it is part of the event's envelope, not its payload).
    func recordableType(_ name: String) -> String { RecordedText.truncated(name, toBytes: 1 << 10) }
}
