import Foundation
import Letters
import Rendering
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
            let folder = url.deletingLastPathComponent()
            submission.terms = try termsBytes(document.terms, folder: folder)
            submission.logo = try logo(document.sender.logo, folder: folder)?.bytes
        } catch let error as DocumentError {
            submission.failure = error.description
            submission.failureCode = FailureCode.invalidDocument
        } catch let error as RenderError {
            // The logo: not a PNG, damaged, or too large.
            submission.failure = error.description
            submission.failureCode = error.code.rawValue
        } catch {
            submission.failure = String(describing: error)
            submission.failureCode = FailureCode.invalidDocument
        }
        return submission
    }

    /// The bytes of a terms PDF: read from beside the document, or decoded from it.
    static func termsBytes(_ source: TermsSource?, folder: URL) throws(DocumentError) -> [UInt8]? {
        switch source {
        case .pdfFile(let path)?: try fileBytes(path, field: "terms.pdf", folder: folder)
        case .pdfData(let bytes)?: bytes
        case .text?, nil: nil
        }
    }

    /// The sender's logo, its bytes and the image decoded from them: a bad
    /// logo fails the document when it is queued.
    static func logo(_ source: LogoSource?, folder: URL) throws -> (bytes: [UInt8], image: LetterLogo)? {
        let bytes: [UInt8]
        switch source {
        case .pngFile(let path)?: bytes = try fileBytes(path, field: "sender.logo.png", folder: folder)
        case .pngData(let data)?: bytes = data
        case nil: return nil
        }
        return (bytes, try LetterLogo(png: bytes, name: source!.name))
    }

    /// A file named by a document, relative to the document's folder.
    private static func fileBytes(_ path: String, field: String, folder: URL) throws(DocumentError) -> [UInt8] {
        let file = folder.appendingPathComponent(path).standardizedFileURL
        // A symbolic link could still lead out of the folder; the resolved path must not.
        let resolvedFolder = folder.resolvingSymlinksInPath().standardizedFileURL.path
        let resolvedFile = file.resolvingSymlinksInPath().standardizedFileURL.path
        guard resolvedFile.hasPrefix(resolvedFolder + "/") else {
            throw DocumentError(field: field, "is \"\(path)\", which leads out of the document's folder")
        }
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw DocumentError(field: field, "is \"\(path)\", but there is no readable file \(file.path)")
        }
        return [UInt8](data)
    }
}
