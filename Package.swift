// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "sfdest",
    products: [
        .executable(name: "sfdest", targets: ["sfdest"]),
        .library(name: "FakeHTTP", targets: ["FakeHTTP"]),
        .library(name: "JSONCore", targets: ["JSONCore"]),
        .library(name: "SalesforceFakes", targets: ["SalesforceFakes"]),
        .library(name: "SalesforceDestinations", targets: ["SalesforceDestinations"]),
        .library(name: "Conformance", targets: ["Conformance"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // The run's metrics in the Prometheus text format (`sfdest send --metrics-file`).
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // multipart/form-data for Account Engagement's Import API: the fake reads batches, the client writes them.
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
    ],
    targets: [
        // libmicrohttpd 1.0.1, which make builds from Debian's source package and finds through PKG_CONFIG_PATH
        // (contrib/libmicrohttpd/build.sh), plus a fixed-signature shim over its variadic calls.
        .systemLibrary(
            name: "CMicroHTTPD",
            pkgConfig: "libmicrohttpd",
            providers: [.apt(["libgnutls28-dev"])]
        ),
        // Accepts the fakes' connections and answers a first request line that does not start with a method.
        .target(name: "FakeHTTP", dependencies: ["CMicroHTTPD", "TextDistance"]),
        // Levenshtein distance for near-miss notes, shared by the fakes and the client's preflight; no dependencies.
        .target(name: "TextDistance"),
        // __builtin_prefetch for the fakes' batch lookups.
        .target(name: "CPrefetch"),
        .target(name: "JSONCore"),
        // What the client, the fakes and the harness must agree on about an exchange: the form encoding of token
        // requests, which parts are secrets and what replaces them, and Account Engagement's standard prospect
        // fields. A target of its own because neither shared
        // module fits: JSONCore is JSON only, and FakeHTTP would link libmicrohttpd into the client. It needs
        // JSONCore only (token requests and answers are masked member by member). Its CSV and XML readers read
        // the Import API's batches and the SOAP bodies.
        .target(name: "WireFormat", dependencies: ["JSONCore"]),
        // Every reader of untrusted bytes with the property a fuzzer checks on any input, and libFuzzer's entry
        // point (`make fuzz`; docs/fidelity.md, "Fuzzing").
        .target(name: "FuzzTargets", dependencies: ["JSONCore", "WireFormat", "FakeHTTP"]),
        .target(name: "CLibFuzzer"),
        .executableTarget(name: "FuzzReaders", dependencies: ["FuzzTargets", "CLibFuzzer"]),
        .target(
            name: "SalesforceFakes",
            dependencies: [
                "FakeHTTP", "JSONCore", "WireFormat", "CPrefetch", "TextDistance",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                // Seeds and states may be YAML, as scenario files are.
                .product(name: "Yams", package: "Yams"),
                .product(name: "MultipartKit", package: "multipart-kit"),
            ]
        ),
        // The production client: config, mapping, input, delivery. Knows nothing of the fakes.
        .target(
            name: "SalesforceDestinations",
            dependencies: [
                "JSONCore", "WireFormat", "TextDistance",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // The harness: the only library that knows both the client and the fakes.
        .target(
            name: "Conformance",
            dependencies: [
                "SalesforceDestinations", "SalesforceFakes", "FakeHTTP", "JSONCore", "WireFormat", "TextDistance",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(
            name: "sfdest",
            dependencies: [
                "SalesforceFakes", "SalesforceDestinations", "Conformance", "JSONCore", "FakeHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "FakeBenchmarks",
            // The client library too, for its in-process instruction loop (ClientLoop).
            dependencies: [
                "SalesforceFakes", "FakeHTTP", "JSONCore", "SalesforceDestinations",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "TestSupport", dependencies: ["JSONCore"], path: "Tests/TestSupport"),
        .testTarget(name: "FakeHTTPTests", dependencies: ["FakeHTTP", "TestSupport"]),
        .testTarget(name: "JSONCoreTests", dependencies: ["JSONCore", "TestSupport"]),
        .testTarget(name: "WireFormatTests", dependencies: ["WireFormat", "JSONCore", "TestSupport"]),
        .testTarget(name: "FuzzTargetsTests", dependencies: ["FuzzTargets"]),
        .testTarget(
            name: "SalesforceFakesTests",
            dependencies: [
                "SalesforceFakes", "TestSupport", "JSONCore", "WireFormat", "TextDistance",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "ConformanceTests", dependencies: ["Conformance", "TestSupport", "JSONCore"]),
        // The client against in-process fakes.
        .testTarget(
            name: "SalesforceDestinationsTests",
            // Conformance for its transcript, a readable view of which hosts the client followed.
            dependencies: ["SalesforceDestinations", "SalesforceFakes", "Conformance", "JSONCore", "TestSupport"]
        ),
        .testTarget(name: "sfdestTests", dependencies: ["sfdest", "TestSupport", "JSONCore", "FakeHTTP"]),
    ]
)

// Shared settings, applied to every Swift target: Swift 6 language mode with strict concurrency.
for target in package.targets where target.type != .system && !["CPrefetch", "CLibFuzzer"].contains(target.name) {
    target.swiftSettings =
        (target.swiftSettings ?? []) + [
            .enableUpcomingFeature("ExistentialAny")
        ]
}
