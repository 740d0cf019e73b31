import Checksums
import Foundation

/// The product's side of the webhook, as a real HTTP/1.1 server on
/// 127.0.0.1: it checks the signature of every request it gets with its copy
/// of the secret, keeps what came, and answers what `answer` says for the
/// n-th request (from 0).
final class WebhookReceiver: @unchecked Sendable {
    // @unchecked Sendable: `requests` and `stopped` are read and written under `lock`.
    struct Request: Sendable {
        var eventID: Int64?
        var body: String
        /// The body's `id`, `job` and `kind`.
        var id: Int64
        var job: Int64
        var kind: String
        var signatureChecks: Bool
        var status: Int
    }

    let port: UInt16
    var url: String { "http://127.0.0.1:\(port)/courrier/events" }
    private let secret: [UInt8]
    private let answer: @Sendable (Int) -> Int
    private let listener: Int32
    private let lock = NSLock()
    private var requests: [Request] = []
    private var connections: [Int32] = []
    private var stopped = false

    /// Listens on `port` (0: a free one).
    init(secret: [UInt8], port: UInt16 = 0, answer: @escaping @Sendable (Int) -> Int = { _ in 200 }) throws {
        self.secret = secret
        self.answer = answer
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        guard listener >= 0 else { throw TestFailure("no socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 16) == 0 else {
            close(listener)
            throw TestFailure("cannot listen on 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        self.port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// A port nothing listens on: a receiver that is down.
    static func closedPort() throws -> UInt16 {
        let probe = try WebhookReceiver(secret: [1])
        let port = probe.port
        probe.stop()
        return port
    }

    /// Stops listening, once: a descriptor closed twice could be another test's file by then.
    /// Connections are shut down and closed under the lock, for the same reason.
    func stop() {
        lock.withLock {
            guard !stopped else { return }
            stopped = true
            shutdown(listener, Int32(SHUT_RDWR))
            close(listener)
            for connection in connections { shutdown(connection, Int32(SHUT_RDWR)) }
        }
    }

    deinit { stop() }

    var received: [Request] { lock.withLock { requests } }

    /// The requests answered 2xx: what the product took.
    var accepted: [Request] { received.filter { (200..<300).contains($0.status) } }

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            let keep = lock.withLock { () -> Bool in
                guard !stopped else { return false }
                connections.append(connection)
                return true
            }
            guard keep else { close(connection); return }
            Thread { [self] in serve(connection) }.start()
        }
    }

    /// Requests one after another on a connection kept alive, until the client closes it.
    private func serve(_ connection: Int32) {
        defer {
            lock.withLock {
                connections.removeAll { $0 == connection }
                close(connection)
            }
        }
        var buffer: [UInt8] = []
        while true {
            guard let headerEnd = readUntilHeaders(connection, &buffer) else { return }
            let head = String(decoding: buffer[..<headerEnd], as: UTF8.self)
            var headers: [String: String] = [:]
            for line in head.components(separatedBy: "\r\n").dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            let length = Int(headers["content-length"] ?? "0") ?? 0
            buffer.removeFirst(headerEnd + 4)
            while buffer.count < length {
                var chunk = [UInt8](repeating: 0, count: 65_536)
                let count = read(connection, &chunk, chunk.count)
                guard count > 0 else { return }
                buffer += chunk[0..<count]
            }
            let body = String(decoding: buffer[0..<length], as: UTF8.self)
            buffer.removeFirst(length)
            let status = record(body: body, headers: headers)
            let reply = "HTTP/1.1 \(status) \(status == 200 ? "OK" : "Internal Server Error")\r\nContent-Length: 2\r\n\r\nok"
            _ = reply.withCString { send(connection, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        }
    }

    private func readUntilHeaders(_ connection: Int32, _ buffer: inout [UInt8]) -> Int? {
        let end: [UInt8] = Array("\r\n\r\n".utf8)
        while true {
            if buffer.count >= 4, let found = (0...(buffer.count - 4)).first(where: { Array(buffer[$0..<$0 + 4]) == end }) {
                return found
            }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let count = read(connection, &chunk, chunk.count)
            guard count > 0 else { return nil }
            buffer += chunk[0..<count]
        }
    }

    private func record(body: String, headers: [String: String]) -> Int {
        // Stripe's scheme: t=TIMESTAMP,v1=HEX over "TIMESTAMP.BODY".
        var parts: [String: String] = [:]
        for part in (headers["courrier-signature"] ?? "").split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            if pair.count == 2 { parts[pair[0]] = pair[1] }
        }
        let timestamp = parts["t"] ?? ""
        let checks = timestamp == headers["courrier-timestamp"] && !timestamp.isEmpty
            && parts["v1"] == HMACSHA256.hex(key: secret, message: Array("\(timestamp).\(body)".utf8))
        let object = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        return lock.withLock {
            let status = checks ? answer(requests.count) : 401
            requests.append(Request(eventID: headers["courrier-event"].flatMap { Int64($0) }, body: body,
                                    id: (object["id"] as? NSNumber)?.int64Value ?? -1, job: (object["job"] as? NSNumber)?.int64Value ?? -1,
                                    kind: object["kind"] as? String ?? "", signatureChecks: checks, status: status))
            return status
        }
    }
}
