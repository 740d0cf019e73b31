import Foundation
import Letters

/// Cuts: prepared letters into batches, one cut at a time, each held by its process's claim.
extension SQLiteStore {
    public func openCut(batchPrefix: String, worker: String, lease: TimeInterval, slot: String?,
                        at now: Date) throws -> CutOpening {
        let time = storeTimestamp(now)
        return try connection.writeTransaction {
            // One cut at a time: another worker's cut in progress comes first.
            let busy = try connection.prepare("""
                SELECT count(*) FROM bundles WHERE state = 'cutting' AND claimed_by IS NOT NULL AND claimed_by != ?1
                    AND claimed_until >= ?2
                """).firstRow([.text(worker), .text(time)]) { $0.int(0) } ?? 0
            guard busy == 0 else { return .busy }
            if let slot {
                let done = try connection.prepare("SELECT count(*) FROM cut_slots WHERE slot = ?1")
                    .firstRow([.text(slot)]) { $0.int(0) } ?? 0
                guard done == 0 else { return .slotAlreadyCut }
                try connection.prepare("""
                    INSERT INTO cut_slots (slot, worker, recorded_at) VALUES (?1, ?2, ?3)
                    """).run([.text(slot), .text(worker), .text(time)])
            }
            let waiting = try connection.prepare("""
                SELECT count(*) FROM jobs WHERE state = 'prepared' AND batch IS NULL
                """).firstRow { $0.int(0) } ?? 0
            guard waiting > 0 else { return .nothingToCut }
            let number = (try connection.prepare("SELECT count(*) FROM bundles").firstRow { $0.int(0) } ?? 0) + 1
            let batch = "\(batchPrefix)-\(String(repeating: "0", count: max(0, 4 - String(number).count)))\(number)"
            try connection.prepare("""
                INSERT INTO bundles (batch, state, letters, created_at, claimed_by, claimed_until, claimed_at)
                VALUES (?1, 'cutting', ?2, ?3, ?4, ?5, ?3)
                """).run([.text(batch), .integer(Int64(waiting)), .text(time), .text(worker),
                          Self.until(now, lease)])
            try connection.prepare("""
                UPDATE jobs SET batch = ?1, updated_at = ?2 WHERE state = 'prepared' AND batch IS NULL
                """).run([.text(batch), .text(time)])
            if let slot {
                try connection.prepare("UPDATE cut_slots SET batch = ?2 WHERE slot = ?1").run([.text(slot), .text(batch)])
            }
            return .opened(Cut(batch: batch, createdAt: time, letters: waiting))
        }
    }

    public func latestCutSlot() throws -> String? {
        try connection.prepare("SELECT max(slot) FROM cut_slots").firstRow { $0.optionalText(0) } ?? nil
    }

    public func recordSlot(_ slot: String, worker: String, at now: Date) throws {
        try connection.writeTransaction {
            try connection.prepare("""
                INSERT INTO cut_slots (slot, worker, recorded_at) VALUES (?1, ?2, ?3) ON CONFLICT (slot) DO NOTHING
                """).run([.text(slot), .text(worker), .text(storeTimestamp(now))])
        }
    }

    public func unfinishedCuts() throws -> [Cut] {
        try connection.prepare("""
            SELECT batch, created_at, letters FROM bundles WHERE state = 'cutting' ORDER BY created_at, batch
            """).rows { Cut(batch: $0.text(0), createdAt: $0.text(1), letters: $0.int(2)) }
    }

    public func claimUnfinishedCuts(worker: String, lease: TimeInterval, at now: Date) throws -> [Cut] {
        try connection.writeTransaction {
            try connection.prepare("""
                UPDATE bundles SET claimed_by = ?1, claimed_until = ?2,
                    claimed_at = CASE WHEN claimed_by IS ?1 THEN claimed_at ELSE ?4 END
                WHERE state = 'cutting' AND (claimed_by IS NULL OR claimed_by = ?1 OR claimed_until < ?3)
                RETURNING batch, created_at, letters
                """).rows([.text(worker), Self.until(now, lease), .text(storeTimestamp(now)), .text(storeTimestamp(now))]) {
                    Cut(batch: $0.text(0), createdAt: $0.text(1), letters: $0.int(2))
                }.sorted { ($0.createdAt, $0.batch) < ($1.createdAt, $1.batch) }
        }
    }

    public func streams(in batch: String) throws -> [String] {
        try connection.prepare("SELECT DISTINCT stream FROM jobs WHERE batch = ?1 ORDER BY stream")
            .rows([.text(batch)]) { $0.optionalText(0) ?? "" }
    }

    public func slots(in batch: String, stream: String) throws -> [(position: PrintPosition, sheets: Int)] {
        try connection.prepare("""
            SELECT sort_key, id,
                coalesce(sheets, CASE WHEN stream LIKE '%-duplex-%' THEN (pages + 1) / 2 ELSE pages END, 1)
            FROM jobs WHERE batch = ?1 AND stream IS ?2 ORDER BY sort_key, id
            """).rows([.text(batch), stream.isEmpty ? .null : .text(stream)]) {
                (PrintPosition(sortKey: $0.optionalText(0) ?? "", job: $0.int64(1)), $0.int(2))
            }
    }

    public func letters(in batch: String, stream: String, after position: PrintPosition?, limit: Int) throws -> [BatchLetter] {
        try connection.prepare("""
            SELECT \(Self.jobColumns), document, sort_key FROM jobs
            WHERE batch = ?1 AND stream IS ?2 AND (sort_key, id) > (?3, ?4)
            ORDER BY sort_key, id LIMIT ?5
            """).rows([.text(batch), stream.isEmpty ? .null : .text(stream), .text(position?.sortKey ?? ""),
                       .integer(position?.job ?? 0), .integer(Int64(limit))]) {
                BatchLetter(job: Self.readJob($0), document: $0.blob(14),
                            position: PrintPosition(sortKey: $0.optionalText(15) ?? "", job: $0.int64(0)))
            }
    }

    public func renewCut(_ batch: String, worker: String, lease: TimeInterval, at now: Date) throws -> Bool {
        try connection.writeTransaction {
            try connection.prepare("""
                UPDATE bundles SET claimed_until = ?3 WHERE batch = ?1 AND state = 'cutting' AND claimed_by = ?2
                RETURNING batch
                """).rows([.text(batch), .text(worker), Self.until(now, lease)]) { $0.text(0) }.count == 1
        }
    }

    public func cutInProgress(at now: Date) throws -> CutHolder? {
        try connection.prepare("""
            SELECT batch, claimed_by, coalesce(claimed_at, created_at) FROM bundles
            WHERE state = 'cutting' AND claimed_by IS NOT NULL AND claimed_until >= ?1 ORDER BY created_at LIMIT 1
            """).firstRow([.text(storeTimestamp(now))]) {
                CutHolder(batch: $0.text(0), worker: $0.text(1), since: $0.text(2))
            }
    }

    public func withdrawFromCut(job id: Int64, batch: String, worker: String, reason: String, code: String,
                                at now: Date) throws -> CutWithdrawal? {
        let time = storeTimestamp(now)
        return try connection.writeTransaction {
            let held = try connection.prepare("""
                SELECT count(*) FROM bundles WHERE batch = ?1 AND state = 'cutting' AND claimed_by = ?2
                """).firstRow([.text(batch), .text(worker)]) { $0.int(0) } ?? 0
            guard held == 1, let job = try job(id), job.batch == batch, job.state == .prepared else { return nil }
            let refunded = try refundInTransaction(job: job, at: time)
            try connection.prepare("""
                UPDATE jobs SET state = 'failed', reason = ?2, reason_code = ?3, batch = NULL, updated_at = ?4
                WHERE id = ?1
                """).run([.integer(id), .text(reason), .text(code), .text(time)])
            let remaining = try connection.prepare("SELECT count(*) FROM jobs WHERE batch = ?1")
                .firstRow([.text(batch)]) { $0.int(0) } ?? 0
            if remaining == 0 {
                try connection.prepare("UPDATE cut_slots SET batch = NULL WHERE batch = ?1").run([.text(batch)])
                try connection.prepare("DELETE FROM bundles WHERE batch = ?1").run([.text(batch)])
            } else {
                try connection.prepare("UPDATE bundles SET letters = ?2 WHERE batch = ?1")
                    .run([.text(batch), .integer(Int64(remaining))])
            }
            return CutWithdrawal(refundedCents: refunded, remainingLetters: remaining)
        }
    }

    public func completeCut(_ batch: String, worker: String, summary: BundleSummary, at now: Date) throws -> Bool {
        let time = storeTimestamp(now)
        return try connection.writeTransaction {
            // Fenced: a worker whose lease ran out and was taken over records nothing.
            let completed = try connection.prepare("""
                UPDATE bundles SET state = 'cut', path = ?2, letters = ?3, pages = ?4, sheets = ?5, amount_cents = ?6,
                    completed_at = ?7, claimed_by = NULL, claimed_until = NULL, checksums = ?9
                WHERE batch = ?1 AND state = 'cutting' AND claimed_by = ?8
                RETURNING batch
                """).rows([.text(batch), .text(summary.path), .integer(Int64(summary.letters)), .integer(Int64(summary.pages)),
                           .integer(Int64(summary.sheets)), .integer(summary.amountCents), .text(time), .text(worker),
                           summary.checksums.map(SQLiteValue.text) ?? .null]) { $0.text(0) }
            guard completed.count == 1 else { return false }
            try connection.prepare("""
                UPDATE jobs SET state = 'bundled', updated_at = ?2 WHERE batch = ?1 AND state = 'prepared'
                """).run([.text(batch), .text(time)])
            return true
        }
    }
}
