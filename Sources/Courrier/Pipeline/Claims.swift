import Foundation
import Storage

/// What this process holds in the store, and what crashed processes of this
/// machine held: given back at once rather than when their leases run out.
struct Claims {
    let store: ClaimStore
    let claimant: Claimant
    let log: EventLog
    let clock: () -> Date

    /// Gives back the claims of this machine's processes that are gone, so
    /// that their letters, cuts and bundles are taken up now.
    func releaseGone() throws {
        let gone = try store.claimingWorkers().filter(Configuration.isGoneLocalWorker)
        if !gone.isEmpty {
            try store.releaseClaims(of: gone, at: clock())
            log.warning("claims.released", ["workers": .string(gone.joined(separator: ","))])
        }
    }

    /// Gives back what this process holds: a round that failed leaves
    /// nothing waiting on its leases.
    func releaseOwn() throws {
        try store.releaseClaims(of: [claimant.stored], at: clock())
    }
}
