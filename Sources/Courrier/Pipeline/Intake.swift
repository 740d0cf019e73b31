import Foundation
import Letters
import Storage

/// Turns a document file into a submission for the queue: reads the JSON,
/// checks it, and brings along the terms PDF it points to.
enum Intake {
    /// A file that cannot become a job at all: unreadable, or without an account
    /// and id to file it under.
    struct Rejection: Error, CustomStringConvertible {
        var file: String
        var reason: String
        var description: String { "\(file): \(reason)" }
    }

    static func submission(fromFile url: URL) throws(Rejection) -> Submission {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw Rejection(file: url.path, reason: "cannot read the file (\(error.localizedDescription))")
        }
        let identity: DocumentParser.Identity
        do {
            identity = try DocumentParser.identity(of: data)
        } catch {
            throw Rejection(file: url.path, reason: error.description)
        }
        var submission = Submission(account: identity.account, documentID: identity.id, document: [UInt8](data))
        do {
            let document = try DocumentParser.parse(data)
            submission.terms = try termsBytes(document.terms, folder: url.deletingLastPathComponent())
        } catch {
            submission.failure = error.description
        }
        return submission
    }

    /// The bytes of a terms PDF: read from beside the document, or decoded from it.
    static func termsBytes(_ source: TermsSource?, folder: URL) throws(DocumentError) -> [UInt8]? {
        switch source {
        case .pdfFile(let path)?:
            let file = folder.appendingPathComponent(path).standardizedFileURL
            // A symbolic link could still lead out of the folder; the resolved path must not.
            let resolvedFolder = folder.resolvingSymlinksInPath().standardizedFileURL.path
            let resolvedFile = file.resolvingSymlinksInPath().standardizedFileURL.path
            guard resolvedFile.hasPrefix(resolvedFolder + "/") else {
                throw DocumentError(field: "terms.pdf", "is \"\(path)\", which leads out of the document's folder")
            }
            guard let data = FileManager.default.contents(atPath: file.path) else {
                throw DocumentError(field: "terms.pdf", "is \"\(path)\", but there is no readable file \(file.path)")
            }
            return [UInt8](data)
        case .pdfData(let bytes)?:
            return bytes
        case .text?, nil:
            return nil
        }
    }
}
