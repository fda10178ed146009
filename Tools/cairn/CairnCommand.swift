import ArgumentParser

/// `cairn`: look into, verify and compact a Cairn workflow log.
@main
struct CairnCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cairn",
        abstract: "Inspect, verify and compact a Cairn workflow log.",
        discussion: """
            Every command takes the log directory (the one a WorkflowEngine was opened on). inspect, list, show, \
            tail, verify and export only read: they take no lock and work while an engine runs. compact and \
            verify --repair change the log and refuse while an engine holds its lock.

            Tables are for people; --json prints JSON for scripts. Colour only on a terminal, never with NO_COLOR. \
            Times are UTC.

            Examples:
              cairn inspect /var/lib/orders/cairn
              cairn list /var/lib/orders/cairn --status failed --since 24h
              cairn show /var/lib/orders/cairn order-1042
              cairn tail /var/lib/orders/cairn --follow
              cairn verify /var/lib/orders/cairn
              cairn export /var/lib/orders/cairn > events.jsonl
              cairn compact /var/lib/orders/cairn --keep-finished 7d --dry-run

            Exit status: 0 success; 1 verify found problems; 3 no such directory or workflow; 4 not a Cairn log; \
            5 the log is corrupt; 6 an engine holds the lock; 7 any other failure; 64 bad usage.
            """,
        subcommands: [
            InspectCommand.self, ListCommand.self, ShowCommand.self, TailCommand.self, VerifyCommand.self,
            ExportCommand.self, CompactCommand.self,
        ]
    )
}

/// The argument and flag every command takes.
struct LogOptions: ParsableArguments {
    @Argument(help: "The log directory.")
    var directory: String

    @Flag(help: "Print JSON instead of a table.")
    var json = false
}
