import ArgumentParser

/// `cairn`: look into, verify and compact a Cairn workflow log; steer a running engine through its HTTP API.
@main
struct CairnCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cairn",
        abstract: "Inspect, verify and compact a Cairn workflow log; start, message and cancel workflows on a running engine.",
        discussion: """
            The log commands take the log directory (the one a WorkflowEngine was opened on). inspect, list, show, \
            tail, verify and export only read: they take no lock and work while an engine runs. compact and \
            verify --repair change the log and refuse while an engine holds its lock.

            start, send, cancel, resume and fork act on a running engine through its HTTP API (CairnHTTPServer) \
            at --url; list, show and tail read it there too with --url instead of the directory. The API's token \
            comes from --token or CAIRN_TOKEN and is never printed.

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
              cairn start process-order --url http://127.0.0.1:8080 --input '{"item": "kettle"}' --id order-1042
              cairn send order-1042 --url http://127.0.0.1:8080 --topic pickup --message '"van-7"'
              cairn list --url http://127.0.0.1:8080 --status running

            Exit status: 0 success; 1 verify found problems; 3 no such directory, workflow or workflow name; 4 not \
            a Cairn log; 5 the log is corrupt; 6 an engine holds the lock; 7 any other failure (an engine that \
            cannot be reached, an action it refuses); 8 the engine's API refused the token; 64 bad usage.
            """,
        subcommands: [
            InspectCommand.self, ListCommand.self, ShowCommand.self, TailCommand.self, VerifyCommand.self,
            ExportCommand.self, CompactCommand.self, StartCommand.self, SendCommand.self, CancelCommand.self,
            ResumeCommand.self, ForkCommand.self,
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
