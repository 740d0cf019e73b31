import Foundation
import Letters
import Rendering
import Storage

/// Turns a document file into a submission for the queue: reads the JSON,
/// checks it, and brings along the terms PDF and logo it names, each read in
/// isolation and replaced by Courrier's own copy.
struct Intake: Sendable {
    /// A file that cannot become a job at all: unreadable, or without an account
    /// and id to file it under.
    struct Rejection: Error, CustomStringConvertible {
        var file: String
        var reason: String
        var description: String { "\(file): \(reason)" }
    }

    /// The terms and logo of a document, as Courrier stores and draws them.
    struct Attachments {
        /// The normalised terms PDF and its pages.
        var terms: AttachmentNormalizer.Terms?
        /// The normalised logo PNG.
        var logo: [UInt8]?
    }

    let opener: IsolatedOpener
    /// The most pages a terms PDF may have: a letter may have no more.
    let maximumPages: Int

    init(opener: IsolatedOpener, tariff: Tariff) {
        self.opener = opener
        maximumPages = tariff.destinations.map(\.maximumPages).max() ?? 50
    }

    /// An intake whose reader has the configuration's limits.
    init(_ configuration: Configuration, tariff: Tariff) {
        self.init(opener: IsolatedOpener(limits: configuration.untrusted), tariff: tariff)
    }

    /// A document read and identified, whose files are still to be read:
    /// the cheap half of intake, done first so that the slow half can be
    /// shared fairly between accounts.
    struct Identified: Sendable {
        var submission: Submission
        /// Where its files come from; nil when its failure is already known.
        var files: Files?
    }

    func submission(fromFile url: URL) throws -> Submission {
        try complete(try identify(fileURL: url))
    }

    /// Reads a document file and names its account and id.
    func identify(fileURL url: URL) throws(Rejection) -> Identified {
        let data = try Self.read(url)
        let identity: DocumentParser.Identity
        do {
            identity = try DocumentParser.identity(of: data)
        } catch {
            throw Rejection(file: url.path, reason: error.description)
        }
        let submission = Submission(account: identity.account, documentID: identity.id, document: [UInt8](data))
        return Identified(submission: submission, files: .folder(url.deletingLastPathComponent()))
    }

    /// A document the product inserted into the store's submissions table:
    /// checked as a file is, its terms and logo taken from the row. It has
    /// an account and id of its own, so whatever is wrong with it is recorded
    /// as that letter's failure, for the product to show.
    func submission(from row: ProductSubmission) throws -> Submission {
        try complete(identify(row))
    }

    /// A submission's row, its account and id checked against its document.
    func identify(_ row: ProductSubmission) -> Identified {
        var submission = Submission(account: row.account, documentID: row.documentID, document: row.document)
        submission.source = row.id
        let data = Data(row.document)
        if let (column, bytes) = row.oversized.first {
            submission.failure = "the submission's \(column) column holds \(bytes / 1024 / 1024) MiB; "
                + "at most \(DocumentParser.maximumBytes / 1024 / 1024) MiB are read"
            submission.failureCode = FailureCode.invalidDocument
            return Identified(submission: submission, files: nil)
        }
        do throws(DocumentError) {
            let identity = try DocumentParser.identity(of: data)
            guard identity.account == row.account, identity.id == row.documentID else {
                // The row's columns are the product's and unchecked: quoted as one printable line.
                let inserted = ControlCharacters.escaped("\"\(row.account)\" and \"\(row.documentID)\"")
                throw DocumentError(field: "account", "and id are \"\(identity.account)\" and \"\(identity.id)\", but the submission was inserted as \(inserted)")
            }
        } catch {
            submission.failure = error.description
            submission.failureCode = FailureCode.invalidDocument
            return Identified(submission: submission, files: nil)
        }
        return Identified(submission: submission, files: .submitted(terms: row.terms, logo: row.logo))
    }

    /// Where the files a document names come from.
    enum Files: Sendable {
        /// Beside the document, in its folder.
        case folder(URL)
        /// In the submission's row: the terms PDF and the logo PNG whatever their names.
        case submitted(terms: [UInt8]?, logo: [UInt8]?)
    }

    /// The columns of a submission's row that hold the files its document names.
    enum SubmittedColumn: String {
        case terms, logo
    }

    /// Parses the document and brings its attachments, or records why it
    /// cannot be mailed: the slow half of intake. Throws only `MachineFault`,
    /// when this machine could not read the files.
    func complete(_ identified: Identified) throws -> Submission {
        var submission = identified.submission
        guard let files = identified.files else { return submission }
        do {
            let document = try DocumentParser.parse(Data(submission.document))
            let attachments = try attachments(of: document, files: files)
            submission.terms = attachments.terms?.pdf
            submission.logo = attachments.logo
            // Checked once, here: preparation and the cut decode this. Plain
            // values always encode; were one not to, they would check the JSON.
            submission.letter = try? document.storedForm()
        } catch let error as DocumentError {
            submission.failure = error.description
            submission.failureCode = FailureCode.invalidDocument
        } catch let error as RenderError {
            // The terms PDF or the logo: damaged, hostile, too large, forbidden to print.
            submission.failure = error.description
            submission.failureCode = error.code
        }
        return submission
    }

    /// A document file's bytes, refused before reading when it is larger than
    /// a document may be, or is not a regular file (a link, a FIFO).
    static func read(_ url: URL) throws(Rejection) -> Data {
        do {
            return Data(try SharedFile.read(url.path, limit: DocumentParser.maximumBytes))
        } catch {
            throw Rejection(file: url.path, reason: "cannot read the file: it \(error.reason)")
        }
    }

    /// Reads the terms PDF and the logo that `document` names (beside it in
    /// `folder`, or inside it) in a child process, which writes the copies
    /// Courrier keeps.
    func attachments(of document: Document, folder: URL) throws -> Attachments {
        try attachments(of: document, files: .folder(folder))
    }

    func attachments(of document: Document, files: Files) throws -> Attachments {
        var attachments = Attachments()
        switch document.terms {
        case .pdfFile(let path)?:
            let bytes = try Self.bytes(path, field: "terms.pdf", files: files, column: .terms)
            attachments.terms = try opener.terms(bytes, name: "terms.pdf \"\(path)\"", maximumPages: maximumPages)
        case .pdfData(let bytes)?:
            attachments.terms = try opener.terms(bytes, name: "terms.pdf_base64", maximumPages: maximumPages)
        case .text?, nil:
            break
        }
        switch document.sender.logo {
        case .pngFile(let path)?:
            let bytes = try Self.bytes(path, field: "sender.logo.png", files: files, column: .logo)
            attachments.logo = try opener.logo(bytes, name: LogoSource.pngFile(path: path).name)
        case .pngData(let bytes)?:
            attachments.logo = try opener.logo(bytes, name: LogoSource.pngData(bytes).name)
        case nil:
            break
        }
        return attachments
    }

    /// The file a document names: from its folder, or from its submission's row.
    private static func bytes(_ path: String, field: String, files: Files,
                              column: SubmittedColumn) throws(DocumentError) -> [UInt8] {
        switch files {
        case .folder(let folder):
            return try fileBytes(path, field: field, folder: folder)
        case .submitted(let terms, let logo):
            guard let bytes = column == .terms ? terms : logo else {
                throw DocumentError(field: field, "is \"\(path)\", but the submission's \(column.rawValue) column is empty")
            }
            guard bytes.count <= DocumentParser.maximumBytes else {
                throw DocumentError(field: field, "is a file of \(bytes.count / 1024 / 1024) MiB; at most \(DocumentParser.maximumBytes / 1024 / 1024) MiB")
            }
            return bytes
        }
    }

    /// A file named by a document, inside the document's folder: opened by
    /// descriptor, through no link, and checked on that descriptor.
    private static func fileBytes(_ path: String, field: String, folder: URL) throws(DocumentError) -> [UInt8] {
        do {
            return try SharedFile.read(path, in: folder, limit: DocumentParser.maximumBytes)
        } catch {
            throw DocumentError(field: field, "is \"\(path)\", which \(error.reason)")
        }
    }
}
