import Foundation
import Letters

/// Cuts: prepared letters into batches, one cut at a time (an advisory lock
/// while one opens, a lease while it runs), each slot once.
extension PostgresStore {
    static let cutColumns = "batch, iso_utc(created_at), letters"

    static func readCut(_ row: PostgresRow) -> Cut {
        Cut(batch: row.text(0), createdAt: row.text(1), letters: row.int(2))
    }

    public func openCut(batchPrefix: String, worker: String, lease: TimeInterval, slot: String?,
                        at now: Date) throws -> CutOpening {
        try connection.transaction {
            // Workers opening a cut at the same moment take turns here.
            try connection.run("SELECT pg_advisory_xact_lock($1)", [.integer(PostgresSchema.cutLock)])
            let busy = try connection.firstRow("""
                SELECT EXISTS (SELECT 1 FROM bundles WHERE state = 'cutting' AND claimed_by IS NOT NULL
                               AND claimed_by != $1 AND claimed_until >= now())
                """, [.text(worker)]) { $0.bool(0) } ?? false
            guard !busy else { return .busy }
            if let slot {
                let recorded = try connection.run("""
                    INSERT INTO cut_slots (slot, worker) VALUES ($1, $2) ON CONFLICT (slot) DO NOTHING
                    """, [.text(slot), .text(worker)])
                guard recorded == 1 else { return .slotAlreadyCut }
            }
            let waiting = try connection.firstRow("""
                SELECT count(*) FROM jobs WHERE state = 'prepared' AND batch IS NULL
                """) { $0.int(0) } ?? 0
            guard waiting > 0 else { return .nothingToCut }
            let number = (try connection.firstRow("SELECT count(*) FROM bundles") { $0.int(0) } ?? 0) + 1
            let batch = "\(batchPrefix)-\(String(repeating: "0", count: max(0, 4 - String(number).count)))\(number)"
            guard let cut = try connection.firstRow("""
                INSERT INTO bundles (batch, state, letters, claimed_by, claimed_until, claimed_at)
                VALUES ($1, 'cutting', $2, $3, now() + $4 * interval '1 second', now())
                RETURNING \(Self.cutColumns)
                """, [.text(batch), .integer(Int64(waiting)), .text(worker), Self.seconds(lease)], Self.readCut) else {
                throw StoreError("bundle \(batch) was inserted and cannot be read back")
            }
            try connection.run("""
                UPDATE jobs SET batch = $1, updated_at = now() WHERE state = 'prepared' AND batch IS NULL
                """, [.text(batch)])
            if let slot {
                try connection.run("UPDATE cut_slots SET batch = $2 WHERE slot = $1", [.text(slot), .text(batch)])
            }
            return .opened(cut)
        }
    }

    public func latestCutSlot() throws -> String? {
        try connection.firstRow("SELECT max(slot) FROM cut_slots") { $0.optionalText(0) } ?? nil
    }

    public func recordSlot(_ slot: String, worker: String, at now: Date) throws {
        try connection.run("INSERT INTO cut_slots (slot, worker) VALUES ($1, $2) ON CONFLICT (slot) DO NOTHING",
                           [.text(slot), .text(worker)])
    }

    public func unfinishedCuts() throws -> [Cut] {
        try connection.rows("SELECT \(Self.cutColumns) FROM bundles WHERE state = 'cutting' ORDER BY created_at, batch",
                            [], Self.readCut)
    }

    public func claimUnfinishedCuts(worker: String, lease: TimeInterval, at now: Date) throws -> [Cut] {
        try connection.transaction {
            try connection.rows("""
                UPDATE bundles SET claimed_by = $1, claimed_until = now() + $2 * interval '1 second',
                    claimed_at = CASE WHEN claimed_by IS NOT DISTINCT FROM $1 THEN claimed_at ELSE now() END
                WHERE batch IN (SELECT batch FROM bundles WHERE state = 'cutting'
                                    AND (claimed_by IS NULL OR claimed_by = $1 OR claimed_until < now())
                                FOR UPDATE SKIP LOCKED)
                RETURNING \(Self.cutColumns)
                """, [.text(worker), Self.seconds(lease)], Self.readCut)
                .sorted { ($0.createdAt, $0.batch) < ($1.createdAt, $1.batch) }
        }
    }

    public func streams(in batch: String) throws -> [String] {
        try connection.rows("SELECT DISTINCT coalesce(stream, '') FROM jobs WHERE batch = $1 ORDER BY 1",
                            [.text(batch)]) { $0.text(0) }
    }

    public func slots(in batch: String, stream: String) throws -> [(position: PrintPosition, sheets: Int)] {
        try connection.rows("""
            SELECT coalesce(sort_key, ''), id,
                coalesce(sheets, CASE WHEN stream LIKE '%-duplex-%' THEN (pages + 1) / 2 ELSE pages END, 1)
            FROM jobs WHERE batch = $1 AND coalesce(stream, '') = $2 ORDER BY coalesce(sort_key, '') COLLATE "C", id
            """, [.text(batch), .text(stream)]) {
                (PrintPosition(sortKey: $0.text(0), job: $0.int64(1)), $0.int(2))
            }
    }

    public func letters(in batch: String, stream: String, after position: PrintPosition?,
                        limit: Int) throws -> [BatchLetter] {
        try connection.rows("""
            SELECT \(Self.jobColumns), document, coalesce(sort_key, '') FROM jobs
            WHERE batch = $1 AND coalesce(stream, '') = $2
                AND (coalesce(sort_key, '') COLLATE "C", id) > ($3 COLLATE "C", $4)
            ORDER BY coalesce(sort_key, '') COLLATE "C", id LIMIT $5
            """, [.text(batch), .text(stream), .text(position?.sortKey ?? ""), .integer(position?.job ?? 0),
                  .integer(Int64(limit))]) {
                BatchLetter(job: Self.readJob($0), document: $0.bytes(14),
                            position: PrintPosition(sortKey: $0.text(15), job: $0.int64(0)))
            }
    }

    public func renewCut(_ batch: String, worker: String, lease: TimeInterval, at now: Date) throws -> Bool {
        try connection.run("""
            UPDATE bundles SET claimed_until = now() + $3 * interval '1 second'
            WHERE batch = $1 AND state = 'cutting' AND claimed_by = $2
            """, [.text(batch), .text(worker), Self.seconds(lease)]) == 1
    }

    public func cutInProgress(at now: Date) throws -> CutHolder? {
        try connection.firstRow("""
            SELECT batch, claimed_by, iso_utc(coalesce(claimed_at, created_at)) FROM bundles
            WHERE state = 'cutting' AND claimed_by IS NOT NULL AND claimed_until >= now()
            ORDER BY created_at LIMIT 1
            """) { CutHolder(batch: $0.text(0), worker: $0.text(1), since: $0.text(2)) }
    }

    public func withdrawFromCut(job id: Int64, batch: String, worker: String, reason: String, code: String,
                                at now: Date) throws -> CutWithdrawal? {
        try connection.transaction {
            guard try connection.firstRow("""
                SELECT batch FROM bundles WHERE batch = $1 AND state = 'cutting' AND claimed_by = $2 FOR UPDATE
                """, [.text(batch), .text(worker)], { $0.text(0) }) != nil,
                let job = try connection.firstRow("SELECT \(Self.jobColumns) FROM jobs WHERE id = $1 FOR UPDATE",
                                                  [.integer(id)], Self.readJob),
                job.batch == batch, job.state == .prepared else { return nil }
            let refunded = try refundInTransaction(job: job)
            try connection.run("""
                UPDATE jobs SET state = 'failed', reason = $2, reason_code = $3, batch = NULL, updated_at = now()
                WHERE id = $1
                """, [.integer(id), .text(reason), .text(code)])
            let remaining = try connection.firstRow("SELECT count(*) FROM jobs WHERE batch = $1", [.text(batch)]) {
                $0.int(0)
            } ?? 0
            if remaining == 0 {
                try connection.run("UPDATE cut_slots SET batch = NULL WHERE batch = $1", [.text(batch)])
                try connection.run("DELETE FROM bundles WHERE batch = $1", [.text(batch)])
            } else {
                try connection.run("UPDATE bundles SET letters = $2 WHERE batch = $1",
                                   [.text(batch), .integer(Int64(remaining))])
            }
            return CutWithdrawal(refundedCents: refunded, remainingLetters: remaining)
        }
    }

    public func completeCut(_ batch: String, worker: String, summary: BundleSummary, at now: Date) throws -> Bool {
        try connection.transaction {
            // Fenced: a worker whose lease ran out and was taken over records nothing.
            let completed = try connection.run("""
                UPDATE bundles SET state = 'cut', path = $2, letters = $3, pages = $4, sheets = $5, amount_cents = $6,
                    checksums = $7, completed_at = now(), claimed_by = NULL, claimed_until = NULL
                WHERE batch = $1 AND state = 'cutting' AND claimed_by = $8
                """, [.text(batch), .text(summary.path), .integer(Int64(summary.letters)),
                      .integer(Int64(summary.pages)), .integer(Int64(summary.sheets)), .integer(summary.amountCents),
                      Self.optional(summary.checksums), .text(worker)])
            guard completed == 1 else { return false }
            try connection.run("""
                UPDATE jobs SET state = 'bundled', updated_at = now() WHERE batch = $1 AND state = 'prepared'
                """, [.text(batch)])
            return true
        }
    }
}
