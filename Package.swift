// swift-tools-version:6.0
import PackageDescription

/// Courrier: a print-and-mail worker. No SwiftPM dependencies: the toolchain and
/// Debian's C libraries, each behind its own system-library target.
let package = Package(
    name: "Courrier",
    products: [
        .executable(name: "courrier", targets: ["courrier"]),
    ],
    targets: [
        .systemLibrary(
            name: "CCairo",
            pkgConfig: "pangocairo",
            providers: [.apt(["libcairo2-dev", "libpango1.0-dev"])]
        ),
        .systemLibrary(
            name: "CPoppler",
            pkgConfig: "poppler-glib",
            providers: [.apt(["libpoppler-glib-dev"])]
        ),
        .systemLibrary(
            name: "CQREncode",
            pkgConfig: "libqrencode",
            providers: [.apt(["libqrencode-dev"])]
        ),
        .systemLibrary(
            name: "CDataMatrix",
            pkgConfig: "libdmtx",
            providers: [.apt(["libdmtx-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CPostgres",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .systemLibrary(
            name: "CSSH",
            pkgConfig: "libssh",
            providers: [.apt(["libssh-dev"])]
        ),

        .target(name: "Letters"),
        .target(name: "Checksums", dependencies: ["CCrypto"]),
        .target(name: "Rendering", dependencies: ["Letters", "CCairo", "CPoppler", "CQREncode", "CDataMatrix"]),
        .target(name: "Storage", dependencies: ["Letters", "Checksums", "CSQLite", "CPostgres"]),
        .target(name: "Bundling", dependencies: ["Letters", "Checksums", "Rendering"]),
        .target(name: "Delivery", dependencies: ["Letters", "Checksums", "CSSH", "CCurl"]),
        .target(name: "Courrier", dependencies: ["Letters", "Checksums", "Rendering", "Storage", "Bundling", "Delivery"]),
        .executableTarget(name: "courrier", dependencies: ["Courrier"]),
        .executableTarget(
            name: "courrier-benchmark",
            dependencies: ["Courrier", "Letters", "Rendering", "Storage", "Delivery", "CCairo"],
            path: "Sources/CourrierBenchmark"
        ),

        .testTarget(
            name: "CourrierTests",
            dependencies: ["Letters", "Checksums", "Rendering", "Storage", "Bundling", "Delivery", "Courrier", "CCairo", "CPoppler", "CDataMatrix",
                           "courrier"],
            path: "Tests/CourrierTests"
        ),
    ]
)
