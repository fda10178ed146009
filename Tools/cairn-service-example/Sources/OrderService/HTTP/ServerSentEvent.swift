import Hummingbird

/// One server-sent event (`text/event-stream`): an event name and one line of data.
struct ServerSentEvent {
    var event: String
    var data: [UInt8]

    /// The event as the stream carries it: `event: NAME`, `data: DATA`, a blank line.
    var buffer: ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeString("event: \(event)\ndata: ")
        buffer.writeBytes(data)  // JSON without newlines: one data line
        buffer.writeString("\n\n")
        return buffer
    }
}
