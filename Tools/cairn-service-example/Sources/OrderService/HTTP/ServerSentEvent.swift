import Foundation
import Hummingbird

/// One server-sent event (`text/event-stream`): an event name, an ID a reconnecting client sends back as
/// `Last-Event-ID`, and one line of JSON.
struct ServerSentEvent {
    var event: String
    var id: String?
    var data: [UInt8]

    init(event: String, id: String? = nil, json value: some Encodable) throws {
        self.event = event
        self.id = id
        data = Array(try jsonEncoder.encode(value))  // no newlines: one data line
    }

    /// The event as the stream carries it: `event: NAME`, `id: ID`, `data: JSON`, a blank line.
    var buffer: ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeString("event: \(event)\n")
        if let id { buffer.writeString("id: \(id)\n") }
        buffer.writeString("data: ")
        buffer.writeBytes(data)
        buffer.writeString("\n\n")
        return buffer
    }
}
