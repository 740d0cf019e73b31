/// Where a letter is on its way from the queue to the print shop.
///
/// ```
/// queued ─► prepared ─► bundled ─► delivered
///   │  └──► awaiting_funds ─► prepared (after a top-up)
///   └─────► failed (bad input; nothing charged)
/// queued, awaiting_funds, prepared ─► cancelled (a prepared letter is refunded)
/// ```
public enum JobState: String, Sendable, CaseIterable, Codable {
    case queued
    case awaitingFunds = "awaiting_funds"
    case prepared
    case bundled
    case delivered
    case failed
    case cancelled

    /// Whether a job in this state may still be cancelled: it has not gone to print.
    public var isCancellable: Bool {
        switch self {
        case .queued, .awaitingFunds, .prepared: true
        case .bundled, .delivered, .failed, .cancelled: false
        }
    }
}
