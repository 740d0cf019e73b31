/// A store that could not do what was asked, for a reason the caller can
/// report: what kind of failure it is, and the message that names the store,
/// the job or the value concerned.
///
/// The errors of the databases themselves (`SQLiteError`, `PostgresError`)
/// carry their own codes; these are the store's own rules.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// There is no store where one was named, and the verb does not create one.
        case missing
        /// What is there is not a store: a folder, a FIFO, a device.
        case notAStore = "not_a_store"
        /// The store's schema is another version than this build's.
        case schemaVersion = "schema_version"
        /// The PostgreSQL URL cannot be used as given.
        case location
        /// The store cannot be opened, the database cannot be reached, or the connection was lost.
        case unavailable
        /// The store holds a value this build does not know: a job state, a ledger entry's kind.
        case unknownValue = "unknown_value"
        /// The job named is not in the store.
        case notFound = "not_found"
        /// An amount the ledger refuses.
        case invalidAmount = "invalid_amount"
        /// A credit's reference was already used for another credit.
        case referenceUsed = "reference_used"
        /// A value the database cannot hold as given.
        case unstorable
        /// A row written could not be read back, or holds what the rules forbid.
        case inconsistent
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
