import Foundation
import Letters

/// Cuts: prepared letters into batches, one cut at a time (a lock while one
/// opens, a lease while it runs), each slot once, each held by its process's
/// claim. Written once for both stores.
extension SQLStore {
    public func openCut(batchPrefix: String, worker: String, lease: TimeInterval, slot: String?,
                        at now: Date) throws -> CutOpening {
        try database.write {
            try takeCutLock()
            // One cut at a time: another worker's cut in progress comes first.
            let busy = try database.queryFirst("""
                SELECT count(*) FROM bundles WHERE state = 'cutting' AND claimed_by IS NOT NULL AND claimed_by != \(worker)
                    AND claimed_until >= \(now: now)
                """) { $0.int(0) } ?? 0
            guard busy == 0 else { return .busy }
            if let slot {
                let recorded = try database.perform("""
                    INSERT INTO cut_slots (slot, worker, recorded_at) VALUES (\(slot), \(worker), \(now: now))
                    ON CONFLICT (slot) DO NOTHING
                    """)
                guard recorded == 1 else { return .slotAlreadyCut }
            }
            let waiting = try database.queryFirst("SELECT count(*) FROM jobs WHERE state = 'prepared' AND batch IS NULL") {
                $0.int(0)
            } ?? 0
            guard waiting > 0 else { return .nothingToCut }
            let number = (try database.queryFirst("SELECT count(*) FROM bundles") { $0.int(0) } ?? 0) + 1
            let batch = "\(batchPrefix)-\(String(repeating: "0", count: max(0, 4 - String(number).count)))\(number)"
            guard let cut = try database.queryFirst("""
                INSERT INTO bundles (batch, state, letters, created_at, claimed_by, claimed_until, claimed_at)
                VALUES (\(batch), 'cutting', \(waiting), \(now: now), \(worker), \(now: now, plus: lease), \(now: now))
                RETURNING batch, \(time: "created_at"), letters
                """, Self.readCut) else {
                throw StoreError(.inconsistent, "bundle \(batch) was inserted and cannot be read back")
            }
            try database.perform("""
                UPDATE jobs SET batch = \(batch), updated_at = \(now: now) WHERE state = 'prepared' AND batch IS NULL
                """)
            if let slot {
                try database.perform("UPDATE cut_slots SET batch = \(batch) WHERE slot = \(slot)")
            }
            return .opened(cut)
        }
    }

    static func readCut(_ row: any StoreRow) -> Cut {
        Cut(batch: row.text(0), createdAt: row.text(1), letters: row.int(2))
    }

    public func latestCutSlot() throws -> String? {
        try database.queryFirst("SELECT max(slot) FROM cut_slots") { $0.optionalText(0) } ?? nil
    }

    public func recordSlot(_ slot: String, worker: String, at now: Date) throws {
        try database.write {
            try database.perform("""
                INSERT INTO cut_slots (slot, worker, recorded_at) VALUES (\(slot), \(worker), \(now: now))
                ON CONFLICT (slot) DO NOTHING
                """)
        }
    }

    public func unfinishedCuts() throws -> [Cut] {
        try database.query("""
            SELECT batch, \(time: "created_at"), letters FROM bundles WHERE state = 'cutting' ORDER BY created_at, batch
            """, Self.readCut)
    }

    public func claimUnfinishedCuts(worker: String, lease: TimeInterval, at now: Date) throws -> [Cut] {
        try database.write {
            try database.query("""
                UPDATE bundles SET claimed_by = \(worker), claimed_until = \(now: now, plus: lease),
                    claimed_at = CASE WHEN claimed_by IS NOT DISTINCT FROM \(worker) THEN claimed_at ELSE \(now: now) END
                WHERE batch IN (SELECT batch FROM bundles WHERE state = 'cutting'
                                    AND (claimed_by IS NULL OR claimed_by = \(worker) OR claimed_until < \(now: now))
                                \(.skipLocked))
                RETURNING batch, \(time: "created_at"), letters
                """, Self.readCut).sorted { ($0.createdAt, $0.batch) < ($1.createdAt, $1.batch) }
        }
    }

    public func streams(in batch: String) throws -> [String] {
        try database.query("SELECT DISTINCT coalesce(stream, '') FROM jobs WHERE batch = \(batch) ORDER BY 1") { $0.text(0) }
    }

    /// The letters of `stream` (empty: letters priced before streams were
    /// recorded) in `batch`, as the print order index finds them.
    private func inStream(_ batch: String, _ stream: String) -> SQL {
        stream.isEmpty ? "batch = \(batch) AND stream IS NULL" : "batch = \(batch) AND stream = \(stream)"
    }

    public func slots(in batch: String, stream: String) throws -> [(position: PrintPosition, sheets: Int)] {
        try database.query("""
            SELECT coalesce(sort_key, ''), id,
                coalesce(sheets, CASE WHEN stream LIKE '%-duplex-%' THEN (pages + 1) / 2 ELSE pages END, 1)
            FROM jobs WHERE \(inStream(batch, stream)) ORDER BY \(.printOrder), id
            """) { (PrintPosition(sortKey: $0.text(0), job: $0.int64(1)), $0.int(2)) }
    }

    public func letters(in batch: String, stream: String, after position: PrintPosition?,
                        limit: Int) throws -> [BatchLetter] {
        try database.query("""
            SELECT \(.job), document, coalesce(sort_key, ''), letter, reprint_of_batch, reprint_of_sequence FROM jobs
            WHERE \(inStream(batch, stream)) AND (\(.printOrder), id) > (\(position?.sortKey ?? "") \(.bytewise), \(position?.job ?? 0))
            ORDER BY \(.printOrder), id LIMIT \(limit)
            """) { row in
                BatchLetter(job: try Job.read(row), document: row.bytes(14), letter: row.optionalBytes(16),
                            position: PrintPosition(sortKey: row.text(15), job: row.int64(0)),
                            reprintOf: row.optionalText(17).map { Reprint(batch: $0, sequence: Int(row.optionalInt64(18) ?? 0)) })
            }
    }

    public func renewCut(_ batch: String, worker: String, lease: TimeInterval, at now: Date) throws -> Bool {
        try database.write {
            try database.perform("""
                UPDATE bundles SET claimed_until = \(now: now, plus: lease)
                WHERE batch = \(batch) AND state = 'cutting' AND claimed_by = \(worker)
                """) == 1
        }
    }

    public func cutInProgress(at now: Date) throws -> CutHolder? {
        try database.queryFirst("""
            SELECT batch, claimed_by, \(time: "coalesce(claimed_at, created_at)") FROM bundles
            WHERE state = 'cutting' AND claimed_by IS NOT NULL AND claimed_until >= \(now: now)
            ORDER BY created_at LIMIT 1
            """) { CutHolder(batch: $0.text(0), worker: $0.text(1), since: $0.text(2)) }
    }

    public func withdrawFromCut(job id: Int64, batch: String, worker: String, reason: String, code: FailureCode,
                                at now: Date) throws -> CutWithdrawal? {
        try database.write {
            guard try database.queryFirst("""
                SELECT batch FROM bundles WHERE batch = \(batch) AND state = 'cutting' AND claimed_by = \(worker) \(.forUpdate)
                """, { $0.text(0) }) != nil,
                let job = try database.queryFirst("SELECT \(.job) FROM jobs WHERE id = \(id) \(.forUpdate)", { try Job.read($0) }),
                job.batch == batch, job.state == .prepared else { return nil }
            let refunded = try refundInTransaction(job: job, at: now)
            try database.perform("""
                UPDATE jobs SET state = 'failed', reason = \(reason), reason_code = \(code), batch = NULL, updated_at = \(now: now)
                WHERE id = \(id)
                """)
            let failed = NewEvent(job: id, kind: .failed, details: [
                "stage": .string("cut"), "batch": .string(batch), "code": .string(code.rawValue), "reason": .string(reason),
                "refunded_cents": .integer(refunded)])
            let remaining = try database.queryFirst("SELECT count(*) FROM jobs WHERE batch = \(batch)") { $0.int(0) } ?? 0
            if remaining == 0 {
                try database.perform("UPDATE cut_slots SET batch = NULL WHERE batch = \(batch)")
                try database.perform("DELETE FROM bundles WHERE batch = \(batch)")
            } else {
                try database.perform("UPDATE bundles SET letters = \(remaining) WHERE batch = \(batch)")
            }
            try append([failed], at: now)
            return CutWithdrawal(refundedCents: refunded, remainingLetters: remaining)
        }
    }

    public func completeCut(_ batch: String, worker: String, summary: BundleSummary, at now: Date) throws -> Bool {
        try database.write {
            // Fenced: a worker whose lease ran out and was taken over records nothing.
            let completed = try database.perform("""
                UPDATE bundles SET state = 'cut', path = \(summary.path), letters = \(summary.letters), pages = \(summary.pages),
                    sheets = \(summary.sheets), amount_cents = \(summary.amountCents), checksums = \(summary.checksums),
                    completed_at = \(now: now), claimed_by = NULL, claimed_until = NULL
                WHERE batch = \(batch) AND state = 'cutting' AND claimed_by = \(worker)
                """)
            guard completed == 1 else { return false }
            try database.perform("""
                UPDATE jobs SET state = 'bundled', updated_at = \(now: now) WHERE batch = \(batch) AND state = 'prepared'
                """)
            for start in stride(from: 0, to: summary.placements.count, by: SQL.rowsPerStatement) {
                let rows = summary.placements[start..<min(start + SQL.rowsPerStatement, summary.placements.count)].map { letter -> [SQL] in
                    ["CAST(\(letter.job) AS BIGINT)", "CAST(\(letter.sequence) AS INTEGER)"]
                }
                try database.perform("""
                    UPDATE jobs SET sequence = v.column2 FROM (\(SQL.values(rows))) AS v
                    WHERE jobs.id = v.column1 AND jobs.batch = \(batch)
                    """)
            }
            // Each printing, for the reconciliation: a reprint was paid for with its first printing.
            try database.perform("""
                INSERT INTO printings (batch, job, account, sequence, sheets, charged_cents)
                SELECT batch, id, account, sequence, coalesce(sheets, 0),
                       CASE WHEN reprint_of_batch IS NULL THEN coalesce(price_cents, 0) ELSE 0 END
                FROM jobs WHERE batch = \(batch) AND state = 'bundled'
                """)
            try append(summary.placements.map { letter in
                NewEvent(job: letter.job, kind: .bundled, details: [
                    "batch": .string(batch), "stream": .string(letter.stream), "sequence": .integer(Int64(letter.sequence)),
                    "file": .string(letter.file), "first_page": .integer(Int64(letter.firstPage))])
            }, at: now)
            return true
        }
    }
}
