import CairnLog

/// Sample records shaped like the events the engine will log, so that sizes and compression ratios mean something.
///
/// A simulation runs a few dozen order workflows at once and interleaves their events, as a busy engine would:
/// start, `reserve-inventory`, `charge-card` (sometimes declined and retried), a durable sleep, `ship`,
/// `send-confirmation`, completion. Each event is a compact binary envelope (kind, workflow ID, position, operation
/// name, call site, time, trace ID, input digest) followed by a small JSON payload, 150–250 bytes in all.
/// Identifiers, amounts, digests and times come from a seeded generator: the same seed gives the same bytes on every
/// run, and nothing is padded or repeated to flatter the compressor.
enum WorkflowEvents {
    /// The event kinds, used as the record's tag (the engine tags records by event kind too).
    enum Kind: UInt8 {
        case workflowStarted = 1
        case stepCompleted = 2
        case stepFailed = 3
        case sleepStarted = 4
        case workflowCompleted = 5
    }

    /// The records the log and LZ4 workloads cycle through: 65,536 events, about 13 MB, so a record comes back only
    /// far outside LZ4's 64 KiB window and repetition cannot inflate a ratio.
    static let pool: [LogRecord] = sample(count: 65_536)

    /// The mean payload size of ``pool``, in bytes.
    static let meanSize = Double(pool.reduce(0) { $0 + $1.payload.count }) / Double(pool.count)

    /// `count` events from the simulation seeded with `seed`.
    static func sample(count: Int, seed: UInt64 = 0x00C4_1A2B) -> [LogRecord] {
        var simulation = Simulation(seed: seed)
        return (0..<count).map { _ in simulation.nextEvent() }
    }

    /// The order workflows in flight, each a small state machine that emits its next event when picked.
    private struct Simulation {
        var random: SplitMix64
        var clock: UInt64 = 1_795_824_000_000_000_000  // 2026-11-28, in nanoseconds since 1970
        var nextOrder: Int
        var running: [Order] = []

        init(seed: UInt64) {
            random = SplitMix64(seed: seed)
            nextOrder = Int.random(in: 1_000...9_000, using: &random)
            running = (0..<48).map { _ in newOrder() }
        }

        mutating func newOrder() -> Order {
            defer { nextOrder += 1 }
            return Order(number: nextOrder, random: &random)
        }

        mutating func nextEvent() -> LogRecord {
            clock += UInt64.random(in: 2_000...400_000, using: &random)
            let i = Int.random(in: 0..<running.count, using: &random)
            let event = running[i].advance(at: clock, random: &random)
            if running[i].isDone { running[i] = newOrder() }
            return event
        }
    }

    /// One order workflow's data and where it is in its history.
    private struct Order {
        static let file = "Orders/OrderWorkflow.swift"
        static let currencies = ["EUR", "USD", "GBP", "CHF", "SEK"]
        static let carriers = ["DHL", "UPS", "DPD", "GLS", "PostNL"]
        static let warehouses = ["fra-1", "fra-2", "ams-1", "dub-3"]
        static let countries = ["DE", "FR", "NL", "IE", "AT", "SE", "ES", "IT"]
        static let brands = ["visa", "mastercard", "amex"]

        let id: String
        let customer: String
        let amount: Int
        let currency: String
        let sku: String
        let quantity: Int
        let country: String
        let postcode: String
        /// The W3C trace ID the service's request carried, propagated to every event of the workflow.
        let traceID: (UInt64, UInt64)
        var position = 0
        var stage = 0
        var declines = 0
        var isDone = false

        init(number: Int, random: inout SplitMix64) {
            id = "order-" + Self.padded(number, 6)
            customer = "cust-" + Self.padded(Int.random(in: 0..<100_000, using: &random), 5)
            amount = Int.random(in: 199...99_999, using: &random)
            currency = Self.currencies.randomElement(using: &random)!
            sku = "SKU-" + Self.padded(Int.random(in: 0..<100_000, using: &random), 5)
            quantity = Int.random(in: 1...5, using: &random)
            country = Self.countries.randomElement(using: &random)!
            postcode = Self.padded(Int.random(in: 1_000..<99_999, using: &random), 5)
            traceID = (random.next(), random.next())
        }

        /// Emits this workflow's next event.
        mutating func advance(at time: UInt64, random: inout SplitMix64) -> LogRecord {
            defer { position += 1 }
            let order = #""orderID":"\#(id)""#
            switch stage {
            case 0:
                stage += 1
                return envelope(
                    .workflowStarted, "process-order", line: 18, time, &random,
                    #"{\#(order),"customerID":"\#(customer)","items":\#(quantity),"amount":\#(amount),"# +
                        #""currency":"\#(currency)","shipTo":{"country":"\#(country)","postcode":"\#(postcode)"}}"#)
            case 1:
                stage += 1
                let warehouse = Self.warehouses.randomElement(using: &random)!
                return envelope(
                    .stepCompleted, "reserve-inventory", line: 24, time, &random,
                    #"{\#(order),"sku":"\#(sku)","quantity":\#(quantity),"warehouse":"\#(warehouse)","reserved":true}"#)
            case 2:
                if declines < 2 && Int.random(in: 0..<8, using: &random) == 0 {
                    declines += 1
                    return envelope(
                        .stepFailed, "charge-card", line: 31, time, &random,
                        #"{"error":"PaymentError.declined","code":"card_declined","attempt":\#(declines)}"#)
                }
                stage += 1
                let payment = Self.hex(random.next(), 12)
                let brand = Self.brands.randomElement(using: &random)!
                let last4 = Self.padded(Int.random(in: 0..<10_000, using: &random), 4)
                return envelope(
                    .stepCompleted, "charge-card", line: 31, time, &random,
                    #"{\#(order),"amount":\#(amount),"currency":"\#(currency)","status":"charged","# +
                        #""paymentID":"pay_\#(payment)","card":{"brand":"\#(brand)","last4":"\#(last4)"}}"#)
            case 3:
                stage += 1
                let milliseconds = UInt64.random(in: 60_000...3_600_000, using: &random)
                return envelope(
                    .sleepStarted, "sleep", line: 37, time, &random,
                    #"{"wakeAt":\#(time / 1_000_000 + milliseconds),"durationMs":\#(milliseconds),"timer":"settle-payment"}"#)
            case 4:
                stage += 1
                let carrier = Self.carriers.randomElement(using: &random)!
                let tracking = Self.padded(Int.random(in: 0..<1_000_000_000_000, using: &random), 12)
                let days = Int.random(in: 1...6, using: &random)
                return envelope(
                    .stepCompleted, "ship", line: 42, time, &random,
                    #"{\#(order),"carrier":"\#(carrier)","tracking":"JD\#(tracking)","status":"shipped","# +
                        #""etaDays":\#(days),"country":"\#(country)"}"#)
            case 5:
                stage += 1
                return envelope(
                    .stepCompleted, "send-confirmation", line: 47, time, &random,
                    #"{\#(order),"email":"\#(customer)@example.com","template":"order-shipped","sent":true}"#)
            default:
                isDone = true
                return envelope(
                    .workflowCompleted, "process-order", line: 18, time, &random,
                    #"{\#(order),"status":"completed","total":\#(amount * quantity),"currency":"\#(currency)"}"#)
            }
        }

        /// The binary envelope: version, kind, position, workflow ID, operation, call site, time, trace ID, input
        /// digest, payload.
        private func envelope(
            _ kind: Kind, _ operation: String, line: Int, _ time: UInt64, _ random: inout SplitMix64, _ json: String
        ) -> LogRecord {
            var bytes: [UInt8] = [1, kind.rawValue]
            bytes.reserveCapacity(256)
            bytes.appendVarint(UInt64(position))
            bytes.appendString(id)
            bytes.appendString(operation)
            bytes.appendString(Self.file)
            bytes.appendVarint(UInt64(line))
            withUnsafeBytes(of: time.littleEndian) { bytes.append(contentsOf: $0) }
            for word in [traceID.0, traceID.1, random.next()] {  // trace ID, input digest
                withUnsafeBytes(of: word.littleEndian) { bytes.append(contentsOf: $0) }
            }
            bytes.appendString(json)
            return LogRecord(tag: kind.rawValue, payload: bytes)
        }

        static func padded(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }

        static func hex(_ value: UInt64, _ width: Int) -> String {
            let digits = String(value, radix: 16)
            return String((String(repeating: "0", count: max(0, width - digits.count)) + digits).suffix(width))
        }
    }
}

extension [UInt8] {
    /// Appends `value` as an unsigned LEB128 varint, as CairnLog's record blocks store lengths.
    mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        append(UInt8(v))
    }

    /// Appends a varint length and the string's UTF-8 bytes.
    mutating func appendString(_ string: String) {
        appendVarint(UInt64(string.utf8.count))
        append(contentsOf: string.utf8)
    }
}
