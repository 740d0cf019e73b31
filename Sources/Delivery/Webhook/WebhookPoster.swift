import CCurl
import Checksums
import Foundation

/// Posts events to the product's webhook through libcurl, each signed with
/// HMAC-SHA256 over its timestamp and body, as Stripe and Mollie sign theirs:
///
/// ```
/// Courrier-Event: 1201
/// Courrier-Timestamp: 1765015200
/// Courrier-Signature: t=1765015200,v1=<hex HMAC-SHA256 of "1765015200.<body>">
/// ```
///
/// One connection, kept alive between posts. Not `Sendable`: a poster
/// belongs to the thread that posts; `close()` must be called.
public final class WebhookPoster {
    private let endpoint: WebhookEndpoint
    private var handle: UnsafeMutableRawPointer?
    private let timeout: TimeInterval
    private let userAgent: String

    /// What the receiver answered: its HTTP status and the start of its body.
    public struct Answer: Sendable, Equatable {
        public var status: Int
        public var body: String
        public var isSuccess: Bool { (200..<300).contains(status) }
    }

    /// libcurl's global set-up, once, before any handle: it is not thread-safe.
    private static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    public init(endpoint: WebhookEndpoint, timeout: TimeInterval = 10, userAgent: String = "courrier") throws(DeliveryError) {
        guard Self.initialized, let handle = curl_easy_init() else {
            throw DeliveryError(.configuration, "libcurl could not be set up to post to the webhook")
        }
        self.endpoint = endpoint
        self.handle = handle
        self.timeout = timeout
        self.userAgent = userAgent
    }

    deinit {
        assert(handle == nil, "a webhook poster was never closed")
    }

    public func close() {
        if let handle { curl_easy_cleanup(handle) }
        handle = nil
    }

    /// The signature header's value for `body` sent at `timestamp`.
    public static func signature(secret: [UInt8], timestamp: Int64, body: String) -> String {
        "t=\(timestamp),v1=" + HMACSHA256.hex(key: secret, message: Array("\(timestamp).\(body)".utf8))
    }

    /// Posts `body`, the JSON of event `eventID`, signed at `time`. A
    /// connection that fails or times out throws; any answer, 2xx or not,
    /// is returned for the caller to judge.
    public func post(_ body: String, eventID: Int64, at time: Date) throws(DeliveryError) -> Answer {
        guard let handle else { throw DeliveryError(.configuration, "the webhook poster was closed") }
        let timestamp = Int64(time.timeIntervalSince1970)
        // "Expect:" empty: no 100-continue round trip (a second's wait with a receiver that does not answer it).
        let headers = ["Content-Type: application/json", "Courrier-Event: \(eventID)", "Courrier-Timestamp: \(timestamp)",
                       "Courrier-Signature: \(Self.signature(secret: endpoint.secret, timestamp: timestamp, body: body))",
                       "Expect:"]
        var list: UnsafeMutablePointer<curl_slist>?
        for header in headers { list = curl_slist_append(list, header) }
        defer { curl_slist_free_all(list) }
        let response = ResponseBody()
        let context = Unmanaged.passUnretained(response).toOpaque()
        let milliseconds = Int(timeout * 1000)
        let code: CURLcode = body.withCString { bytes in
            let settings: [CURLcode] = [
                courrier_curl_set_string(handle, CURLOPT_URL, endpoint.url),
                // Only these two, and no redirect: an event goes where it was configured to, or nowhere.
                courrier_curl_set_string(handle, CURLOPT_PROTOCOLS_STR, "http,https"),
                courrier_curl_set_long(handle, CURLOPT_FOLLOWLOCATION, 0),
                courrier_curl_set_long(handle, CURLOPT_SSL_VERIFYPEER, 1),
                courrier_curl_set_long(handle, CURLOPT_SSL_VERIFYHOST, 2),
                // Threads of a worker: no signals for time-outs.
                courrier_curl_set_long(handle, CURLOPT_NOSIGNAL, 1),
                courrier_curl_set_long(handle, CURLOPT_TIMEOUT_MS, milliseconds),
                courrier_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, min(milliseconds, 5_000)),
                courrier_curl_set_string(handle, CURLOPT_USERAGENT, userAgent),
                courrier_curl_set_long(handle, CURLOPT_POST, 1),
                courrier_curl_set_pointer(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: bytes)),
                courrier_curl_set_long(handle, CURLOPT_POSTFIELDSIZE, strlen(bytes)),
                courrier_curl_set_headers(handle, list),
                courrier_curl_set_write_function(handle) { data, size, count, context in
                    guard let data, let context else { return 0 }
                    let body = Unmanaged<ResponseBody>.fromOpaque(context).takeUnretainedValue()
                    body.append(UnsafeRawBufferPointer(start: data, count: size * count))
                    return size * count
                },
                courrier_curl_set_pointer(handle, CURLOPT_WRITEDATA, context),
            ]
            if let failed = settings.first(where: { $0 != CURLE_OK }) { return failed }
            return curl_easy_perform(handle)
        }
        guard code == CURLE_OK else {
            let reason = String(cString: curl_easy_strerror(code))
            throw DeliveryError(.connection, "posting event \(eventID) to \(Self.display(endpoint.url)) failed: \(reason)")
        }
        var status = 0
        _ = courrier_curl_get_response_code(handle, &status)
        return Answer(status: status, body: response.text)
    }

    /// The URL as logs show it: without its query, which may hold a token.
    public static func display(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "the webhook" }
        components.query = nil
        return components.string ?? "the webhook"
    }
}

/// The first bytes of an answer's body, for the log; the rest is read and dropped.
private final class ResponseBody {
    private var bytes: [UInt8] = []
    static let kept = 300

    func append(_ data: UnsafeRawBufferPointer) {
        let room = Self.kept - bytes.count
        if room > 0 { bytes += data.prefix(room) }
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }
}
