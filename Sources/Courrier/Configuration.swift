import Foundation
import Letters

/// Where Courrier keeps its queue and puts its bundles, and what it charges.
public struct Configuration: Sendable {
    /// A SQLite file path.
    public var database: String
    /// The folder cut bundles are written to.
    public var outbox: String
    /// A `courrier.tariff/1` file; the built-in Belgian tariff when nil.
    public var tariffPath: String?
    /// Names this process in claims and logs.
    public var workerID: String

    public init(database: String = "var/courrier.sqlite", outbox: String = "var/outbox", tariffPath: String? = nil,
                workerID: String = Configuration.defaultWorkerID()) {
        self.database = database
        self.outbox = outbox
        self.tariffPath = tariffPath
        self.workerID = workerID
    }

    /// The defaults, overridden by `COURRIER_DATABASE`, `COURRIER_OUTBOX` and
    /// `COURRIER_TARIFF` where they are set.
    public static func fromEnvironment(_ environment: [String: String]) -> Configuration {
        var configuration = Configuration()
        if let value = environment["COURRIER_DATABASE"], !value.isEmpty { configuration.database = value }
        if let value = environment["COURRIER_OUTBOX"], !value.isEmpty { configuration.outbox = value }
        if let value = environment["COURRIER_TARIFF"], !value.isEmpty { configuration.tariffPath = value }
        return configuration
    }

    /// `HOST:PID`: which machine and process holds a claim, so that a process
    /// on the same machine can tell a crashed worker from a live one.
    public static func defaultWorkerID() -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    }

    /// True when `workerID` names a process of this machine that no longer runs.
    static func isGoneLocalWorker(_ workerID: String) -> Bool {
        let parts = workerID.split(separator: ":")
        guard parts.count == 2, parts[0] == ProcessInfo.processInfo.hostName, let pid = Int32(parts[1]) else {
            return false
        }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    /// Reads the tariff file, or gives the built-in one.
    public func loadTariff() throws -> Tariff {
        guard let tariffPath else { return .standard }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: tariffPath))
        } catch {
            throw MailRoomError("cannot read tariff \(tariffPath): \(error.localizedDescription)")
        }
        do {
            return try Tariff(json: data)
        } catch {
            throw MailRoomError("tariff \(tariffPath): \(error.description)")
        }
    }
}

/// A failure of a whole command, with the one line a person reads.
public struct MailRoomError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
