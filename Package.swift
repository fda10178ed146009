// swift-tools-version:6.1

import PackageDescription

let package = Package(
    name: "cairn",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "CairnLog", targets: ["CairnLog"]),
        .library(name: "Cairn", targets: ["Cairn"]),
        .library(name: "CairnTesting", targets: ["CairnTesting"]),
        // The HTTP API and dashboard (Hummingbird): a target of its own, so the embedded core stays light.
        .library(name: "CairnHTTP", targets: ["CairnHTTP"]),
        // The API's JSON types, shared by the server, the remote CLI and clients in Swift.
        .library(name: "CairnAPI", targets: ["CairnAPI"]),
        .executable(name: "cairn", targets: ["cairn"]),
        .executable(name: "cairn-bench", targets: ["cairn-bench"]),
        .executable(name: "cairn-demo", targets: ["cairn-demo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        // liblz4 from the system (Debian: liblz4-dev).
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"]), .brew(["lz4"])]
        ),
        .target(
            name: "CairnLog",
            dependencies: [
                "CLZ4",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Cairn",
            dependencies: [
                "CairnLog",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        .target(
            name: "CairnTesting",
            dependencies: [
                "Cairn",
                "CairnLog",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "CairnAPI",
            dependencies: ["Cairn", "CairnLog"]
        ),
        .target(
            name: "CairnHTTP",
            dependencies: [
                "Cairn",
                "CairnAPI",
                "CairnLog",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "cairn",
            dependencies: [
                "Cairn",
                "CairnLog",
                "CairnAPI",
                "CairnCLIArguments",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tools/cairn"
        ),
        // The CLI's argument types (durations, dates), a library so cairn-fuzz can call them.
        .target(
            name: "CairnCLIArguments",
            dependencies: [
                "Cairn",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Tools/CairnCLIArguments"
        ),
        .executableTarget(
            name: "cairn-bench",
            dependencies: [
                "Cairn",
                "CairnLog",
                "CairnAPI",
                "CairnHTTP",
                "CLZ4",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Tools/cairn-bench"
        ),
        .executableTarget(
            name: "cairn-demo",
            dependencies: [
                "Cairn",
                "CairnLog",
                "CairnHTTP",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tools/cairn-demo"
        ),
        // Processes that tests lock against, kill and restart (crash tests need a real second process).
        .executableTarget(
            name: "cairn-testhost",
            dependencies: ["Cairn", "CairnLog", "CairnHTTP", .product(name: "Logging", package: "swift-log")],
            path: "Tools/cairn-testhost"
        ),
        // Kills an engine in cairn-testhost over and over and checks every acknowledgement (the kill soak).
        .executableTarget(
            name: "cairn-soak",
            dependencies: ["Cairn", "CairnLog", "CairnTestSupport", .product(name: "Logging", package: "swift-log")],
            path: "Tools/cairn-soak"
        ),
        // Fuzz targets: a libFuzzer build under Tools/fuzz.sh; the plain build replays the corpus in Fixtures/fuzz.
        .executableTarget(
            name: "cairn-fuzz",
            dependencies: [
                "Cairn",
                "CairnLog",
                "CairnCLIArguments",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Tools/cairn-fuzz"
        ),
        // What the test targets share: a seeded generator, a deadline that cannot hang.
        .target(name: "CairnTestSupport", path: "Tests/Support"),
        .testTarget(
            name: "CairnLogTests",
            dependencies: ["CairnLog", "CairnTestSupport"]
        ),
        .testTarget(
            name: "CairnTests",
            dependencies: [
                "Cairn", "CairnLog", "CairnTesting", "CairnTestSupport",
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ]
        ),
        .testTarget(
            name: "CairnTestingTests",
            dependencies: ["Cairn", "CairnLog", "CairnTesting"]
        ),
        // The HTTP API by requests (Hummingbird's test client and a live server), and the OpenAPI document.
        .testTarget(
            name: "CairnHTTPTests",
            dependencies: [
                "Cairn", "CairnAPI", "CairnHTTP", "CairnLog", "CairnTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // Runs the built `cairn` binary as a subprocess.
        .testTarget(
            name: "CairnCLITests",
            dependencies: ["Cairn", "CairnLog"]
        ),
    ]
)

for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    target.swiftSettings = settings
}
