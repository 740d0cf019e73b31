import Foundation
import Letters

/// What the print shop says after the hand-over, applied once each: a
/// bundle's acknowledgement, and each letter's answer from a response file.
/// An answer never moves a letter backwards. Written once for both stores.
extension SQLStore {
    public func unacknowledgedBundles() throws -> [String] {
        try database.query("""
            SELECT batch FROM bundles WHERE state = 'delivered' AND acknowledged_at IS NULL ORDER BY created_at, batch
            """) { $0.text(0) }
    }

    public func recordAcknowledged(batch: String, content: String, at now: Date) throws -> Bool {
        try database.write {
            let recorded = try database.perform("""
                UPDATE bundles SET acknowledged_at = \(now: now), acknowledgement = \(content)
                WHERE batch = \(batch) AND acknowledged_at IS NULL
                """)
            guard recorded == 1 else { return false }
            try appendForBatch(batch, state: .delivered, kind: .acknowledged, details: ["batch": .string(batch)], at: now)
            return true
        }
    }

    public func applyAnswers(_ answers: [PrintShopAnswer], file: String, sha256: String, refused: Int, reprints: Int,
                             at now: Date) throws -> AnswersOutcome? {
        try database.write { () throws -> AnswersOutcome? in
            let taken = try database.perform("""
                INSERT INTO response_files (name, sha256, taken_at, applied, refused)
                VALUES (\(file), \(sha256), \(now: now), 0, \(refused))
                ON CONFLICT (name, sha256) DO NOTHING
                """)
            guard taken == 1 else { return nil }
            var outcome = AnswersOutcome()
            var events: [NewEvent] = []
            for answer in answers {
                switch try apply(answer, file: file, reprints: reprints, at: now) {
                case .applied(let applied):
                    outcome.applied += 1
                    events += applied
                case .repeated:
                    outcome.repeated += 1
                case .refused(let reason):
                    outcome.refused.append(ResponseFile.Problem(line: answer.line, message: reason))
                }
            }
            try database.perform("""
                UPDATE response_files SET applied = \(outcome.applied), refused = \(refused + outcome.refused.count)
                WHERE name = \(file) AND sha256 = \(sha256)
                """)
            try append(events, at: now)
            return outcome
        }
    }

    /// One line, in the transaction open.
    private func apply(_ answer: PrintShopAnswer, file: String, reprints: Int, at now: Date) throws -> AppliedAnswer {
        let letter = "letter \(answer.sequence) of bundle \(answer.batch)"
        let seen = try database.queryFirst("""
            SELECT 1 FROM answers WHERE batch = \(answer.batch) AND sequence = \(answer.sequence)
                AND status = \(answer.status.rawValue) AND day = \(answer.date)
            """) { $0.int(0) } != nil
        guard !seen else { return .repeated }
        guard let (job, state, current, on) = try database.queryFirst("""
            SELECT id, state, answer, answered_on FROM jobs WHERE batch = \(answer.batch) AND sequence = \(answer.sequence) \(.forUpdate)
            """, { ($0.int64(0), $0.text(1), $0.optionalText(2), $0.optionalText(3)) }) else {
            if try database.queryFirst("""
                SELECT 1 FROM answers WHERE batch = \(answer.batch) AND sequence = \(answer.sequence) AND status = 'spoiled'
                """, { $0.int(0) }) != nil {
                return .refused("\(letter) was spoiled and is printed again in a later bundle; its answers are that printing's")
            }
            let known = try database.queryFirst("SELECT 1 FROM bundles WHERE batch = \(answer.batch)") { $0.int(0) } != nil
            return .refused(known ? "bundle \(answer.batch) has no letter \(answer.sequence)" : "there is no bundle \(answer.batch)")
        }
        guard state == JobState.delivered.rawValue else {
            return .refused("\(letter) is \(state), not handed over: the print shop cannot have it")
        }
        // Forward only: posted may be followed by returned; nothing follows returned.
        switch (current.flatMap(PrintShopAnswer.Status.init(rawValue:)), answer.status) {
        case (nil, _), (.spoiled?, _), (.posted?, .returned):
            break
        case (let earlier?, _):
            return .refused("\(letter) was already \(earlier.rawValue) on \(on ?? "?"); an answer never moves a letter back")
        }
        try database.perform("""
            INSERT INTO answers (batch, sequence, status, day, reason, job, file, line, taken_at)
            VALUES (\(answer.batch), \(answer.sequence), \(answer.status.rawValue), \(answer.date), \(answer.reason), \(job),
                    \(file), \(answer.line), \(now: now))
            """)
        try database.perform("""
            UPDATE jobs SET answer = \(answer.status.rawValue), answered_on = \(answer.date), updated_at = \(now: now) WHERE id = \(job)
            """)
        var details: [String: LetterEvent.Value] = ["batch": .string(answer.batch), "sequence": .integer(Int64(answer.sequence)),
                                                    "date": .string(answer.date), "file": .string(file),
                                                    "line": .integer(Int64(answer.line))]
        if let reason = answer.reason { details["reason"] = .string(reason) }
        switch answer.status {
        case .posted: return .applied([NewEvent(job: job, kind: .posted, details: details)])
        case .returned:
            try holdAddress(of: job, returned: answer, at: now)
            return .applied([NewEvent(job: job, kind: .returned, details: details)])
        case .spoiled: return .applied(try reprint(job, spoiled: answer, details: details, reprints: reprints, at: now))
        }
    }

    /// Holds the address a letter came back from, for its account: the
    /// next letter to it fails at preparation until the address changes or
    /// the hold is lifted. A letter whose document was purged holds nothing.
    private func holdAddress(of job: Int64, returned answer: PrintShopAnswer, at now: Date) throws {
        guard let (account, form, json) = try database.queryFirst("SELECT account, letter, document FROM jobs WHERE id = \(job)", {
            ($0.text(0), $0.optionalBytes(1), $0.bytes(2))
        }), let document = try? Document.stored(form, json: json) else { return }
        let recipient = document.recipient
        try database.perform("""
            INSERT INTO address_holds (account, address, lines, job, returned_on, reason, held_at)
            VALUES (\(account), \(recipient.holdKey), \(recipient.windowLines(language: document.language).joined(separator: " / ")),
                    \(job), \(answer.date), \(answer.reason), \(now: now))
            ON CONFLICT (account, address) DO UPDATE SET job = excluded.job, returned_on = excluded.returned_on,
                reason = excluded.reason, held_at = excluded.held_at, released_at = NULL
            """)
    }

    public func addressHold(account: String, address: String) throws -> AddressHold? {
        try database.queryFirst("""
            SELECT \(Self.holdColumns) FROM address_holds WHERE account = \(account) AND address = \(address) AND released_at IS NULL
            """, Self.readHold)
    }

    public func addressHolds(account: String) throws -> [AddressHold] {
        try database.query("""
            SELECT \(Self.holdColumns) FROM address_holds WHERE account = \(account) AND released_at IS NULL ORDER BY held_at, job
            """, Self.readHold)
    }

    public func releaseAddressHold(account: String, job: Int64, at now: Date) throws -> Bool {
        try database.write {
            try database.perform("""
                UPDATE address_holds SET released_at = \(now: now) WHERE account = \(account) AND job = \(job) AND released_at IS NULL
                """) > 0
        }
    }

    private static var holdColumns: SQL { "account, lines, job, returned_on, reason" }

    private static func readHold(_ row: any StoreRow) -> AddressHold {
        AddressHold(account: row.text(0), lines: row.text(1), job: row.int64(2), returnedOn: row.text(3), reason: row.optionalText(4))
    }

    /// A spoiled letter goes back to the prepared letters, to be drawn again
    /// into the next cut, uncharged; after `reprints` reprints it fails to
    /// operations instead, refunded.
    private func reprint(_ id: Int64, spoiled answer: PrintShopAnswer, details: [String: LetterEvent.Value], reprints: Int,
                         at now: Date) throws -> [NewEvent] {
        var details = details
        let done = try database.queryFirst("SELECT reprints FROM jobs WHERE id = \(id)") { $0.int(0) } ?? 0
        guard done >= reprints else {
            try database.perform("""
                UPDATE jobs SET state = 'prepared', batch = NULL, sequence = NULL, reprint_of_batch = \(answer.batch),
                    reprint_of_sequence = \(answer.sequence), reprints = reprints + 1, updated_at = \(now: now)
                WHERE id = \(id)
                """)
            details["reprint"] = .integer(Int64(done + 1))
            return [NewEvent(job: id, kind: .spoiled, details: details)]
        }
        guard let job = try database.queryFirst("SELECT \(.job) FROM jobs WHERE id = \(id)", { try Job.read($0) }) else {
            throw StoreError(.notFound, "job \(id) does not exist")
        }
        let refunded = try refundInTransaction(job: job, at: now)
        let reason = "the print shop spoiled it \(done + 1) times (last in bundle \(answer.batch) on \(answer.date)); "
            + "it was printed again \(done) times, the most COURRIER_REPRINTS allows, and is refunded"
        try database.perform("""
            UPDATE jobs SET state = 'failed', reason = \(reason), reason_code = \(FailureCode.spoiled), updated_at = \(now: now)
            WHERE id = \(id)
            """)
        return [NewEvent(job: id, kind: .spoiled, details: details),
                NewEvent(job: id, kind: .failed, details: ["stage": .string("print shop"), "code": .string(FailureCode.spoiled.rawValue),
                                                           "reason": .string(reason), "refunded_cents": .integer(refunded)])]
    }
}

/// What became of one line of a response file.
enum AppliedAnswer {
    case applied([NewEvent])
    case repeated
    case refused(String)
}
