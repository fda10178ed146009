import Foundation
import Hummingbird

/// One server-sent event (`text/event-stream`): an event name and one line of JSON.
struct ServerSentEvent {
    var event: String
    var data: [UInt8]

    init(event: String, json value: some Encodable) throws {
        self.event = event
        data = Array(try jsonEncoder.encode(value))  // no newlines: one data line
    }

    /// The event as the stream carries it: `event: NAME`, `data: JSON`, a blank line.
    var buffer: ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeString("event: \(event)\ndata: ")
        buffer.writeBytes(data)
        buffer.writeString("\n\n")
        return buffer
    }
}
