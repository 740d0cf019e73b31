import Letters

/// A row read back from either backend, by column number.
protocol StoreRow {
    func int64(_ column: Int32) -> Int64
    func optionalInt64(_ column: Int32) -> Int64?
    func text(_ column: Int32) -> String
    func optionalText(_ column: Int32) -> String?
    func bytes(_ column: Int32) -> [UInt8]
}

extension StoreRow {
    func int(_ column: Int32) -> Int { Int(int64(column)) }
    /// A bytes column that is never empty when set (a stored letter): NULL and empty read as nil.
    func optionalBytes(_ column: Int32) -> [UInt8]? {
        let value = bytes(column)
        return value.isEmpty ? nil : value
    }
}

extension SQLiteStatement: StoreRow {
    func bytes(_ column: Int32) -> [UInt8] { blob(column) }
}
extension PostgresRow: StoreRow {}

extension Job {
    /// The columns `read(_:)` expects, in order; `iso` turns a time column
    /// into `UTCTimestamp`'s text (SQLite keeps that text already).
    static func columns(iso: (String) -> String = { $0 }) -> String {
        """
        id, account, document_id, state, pages, price_cents, reason, batch, terms_hash, \(iso("created_at")),
        \(iso("updated_at")), logo_hash, stream, sheets
        """
    }

    /// A job from a row of `columns`; more columns may follow, from 14.
    static func read(_ row: some StoreRow) throws -> Job {
        Job(id: row.int64(0), account: row.text(1), documentID: row.text(2),
            state: try JobState.stored(row.text(3)),
            pages: row.optionalInt64(4).map(Int.init), priceCents: row.optionalInt64(5),
            reason: row.optionalText(6), batch: row.optionalText(7), termsHash: row.optionalText(8),
            logoHash: row.optionalText(11), stream: row.optionalText(12), sheets: row.optionalInt64(13).map(Int.init),
            createdAt: row.text(9), updatedAt: row.text(10))
    }
}

extension JobState {
    /// A state as the store holds it. One this build does not know (a newer
    /// Courrier wrote it) is an error, never read back as another state.
    static func stored(_ text: String) throws -> JobState {
        guard let state = JobState(rawValue: text) else {
            throw StoreError(.unknownValue, "a job is in the state \"\(text.prefix(40))\", which this build of Courrier does not know; "
                             + "was the store written by a newer one?")
        }
        return state
    }
}
